#!/usr/bin/env bats
# relayq status: counts, the oldest message, the runner's state, the last
# success and error the runner records; --json; --monitoring with its exit
# codes 0-3 each brought about for real; and flush's progress line on a
# terminal (and its silence without one).

load helpers

teardown() {
	common_teardown
}

# Deferred mail stays deferred for the length of a test.
slow_retries() {
	sed -i 's/^retry_min = .*/retry_min = 1h/; s/^retry_max = .*/retry_max = 2h/' "$CONF"
}

status_json() {
	timeout 20 "$RELAYQ" status --json | json_get "$1"
}

# backdate ID SECONDS - the message's recorded arrival, moved back (the
# envelope is what relayq trusts, not the file's times).
backdate() {
	local f="$SPOOL/queue/$1" arrival
	arrival=$(sed -n 's/^A //p' "$f" | head -n1)
	sed -i "0,/^A $arrival\$/s//A $((arrival - $2))/" "$f"
}

oldest_id() {
	queue_files | head -n1
}

# A relay that is down, a config for it, and three deferred messages.
three_deferred() {
	start_relay starttls
	write_config
	slow_retries
	stop_relay
	for r in a b c; do
		sendmail "$r@example.org" <<< "Subject: $r"
	done
	relayq run
	[ "$(queue_files | wc -l)" -eq 3 ]
}

revive_relay() {
	RELAY_PORT_WANTED=$RELAY_PORT start_relay starttls
}

@test "status: counts and the oldest message with queued, held, new and failed mail" {
	setup_relay_and_config starttls
	slow_retries
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -f '<>' bad@example.org <<< "Subject: refused"
	relayq run
	[ -n "$(ls "$SPOOL/failed")" ]
	stop_relay
	for r in a b c; do
		sendmail "$r@example.org" <<< "Subject: $r"
	done
	relayq run
	oldest=$(oldest_id)
	backdate "$oldest" 5400
	run -0 relayq hold "$(queue_files | tail -n1)"
	sendmail d@example.org <<< "Subject: new"
	run -0 --separate-stderr relayq status
	echo "$output"
	[[ "$output" == *"smart host:    127.0.0.1:$RELAY_PORT, tls = starttls, user alice"* ]]
	[[ "$output" == *"runner:        not running"* ]]
	[[ "$output" == *"queue:         2 queued (2 deferred), 1 new, 1 held, 1 failed, 0 corrupt"* ]]
	[[ "$output" == *"oldest:        90m ($oldest)"* ]]
	[[ "$output" == *"WARNING: 1 message in failed/"* ]]
	run -0 status_json '"%(intake)s %(queued)s %(deferred)s %(held)s %(failed)s %(corrupt)s" % d["counts"]'
	[ "$output" = "1 2 2 1 1 0" ]
	age=$(status_json 'd["oldest"]["age"]')
	[ "$age" -ge 5400 ] && [ "$age" -lt 5430 ]
	[ "$(status_json 'd["oldest"]["id"]')" = "$oldest" ]
}

@test "status: no smart host configured says mail is queued until one is" {
	setup_relay_and_config starttls
	sed -i '/^smarthost/,/^}/d' "$CONF"
	run -0 relayq status
	[[ "$output" == *"smart host:    none configured: mail is queued until one is"* ]]
	[ "$(status_json 'len(d["relays"])')" -eq 0 ]
	run -1 relayq status --monitoring
	[[ "$output" == "RELAYQ WARNING - 0 queued, no smart host configured |"* ]]
}

# runner_state_is STATE - for wait_for, which must ask again each time.
runner_state_is() {
	[ "$(status_json 'd["runner"]["state"]')" = "$1" ]
}

@test "status: runner state: not running, running as a service, running on demand" {
	setup_relay_and_config starttls
	[ "$(status_json 'd["runner"]["state"]')" = not-running ]
	[ "$(status_json 'd["runner"]["pid"]')" = None ]
	timeout 60 "$RELAYQ" run --daemon 3>&- &
	wait_for 10 runner_state_is service
	pid=$(cat "$SPOOL/intake/lock")
	[ "$(status_json 'd["runner"]["pid"]')" = "$pid" ]
	run -0 relayq status
	[[ "$output" == *"runner:        running as a service (pid $pid)"* ]]
	stop_runners
	wait_for 10 runner_state_is not-running
	# A runner that sendmail starts lingers a few seconds after its work.
	use_runner
	sendmail someone@example.org <<< "Subject: on demand"
	wait_for 10 has_received 1
	[ "$(status_json 'd["runner"]["state"]')" = on-demand ]
	run -0 relayq status
	[[ "$output" == *"runner:        running on demand (pid "* ]]
}

@test "status: the last error after a failed delivery, the last success after a good one" {
	three_deferred
	run -0 status_json 'd["last_success"]'
	[ "$output" = None ]
	[[ "$(status_json 'd["last_error"]["error"]')" == "connect to 127.0.0.1:$RELAY_PORT: Connection refused" ]]
	[ "$(status_json 'd["last_error"]["relay"]')" = "127.0.0.1:$RELAY_PORT" ]
	[ "$(status_json 'd["last_error"]["credentials_refused"]')" = False ]
	errtime=$(status_json 'd["last_error"]["time"]')
	[ "$errtime" -ge $(( $(date +%s) - 30 )) ]
	run -0 relayq status
	[[ "$output" == *"last success:  none on record"* ]]
	[[ "$output" =~ "last error:    "[0-9-]+" "[0-9:]+" ("[0-9]+"s ago) via 127.0.0.1:$RELAY_PORT: connect to" ]]
	revive_relay
	relayq flush
	queue_is_empty
	[ "$(status_json 'd["last_success"]["relay"]')" = "127.0.0.1:$RELAY_PORT" ]
	[ "$(status_json 'd["last_success"]["time"]')" -ge "$errtime" ]
	run -0 relayq status
	[[ "$output" =~ "last success:  "[0-9-]+" "[0-9:]+" ("[0-9]+"s ago) via 127.0.0.1:$RELAY_PORT" ]]
	# The record survives the runner: a new one goes on from it.
	[ "$(status_json 'd["last_pass"]')" -ge "$errtime" ]
}

@test "status: refused credentials are recorded, and are WARNING until a delivery works" {
	setup_relay_and_config starttls
	slow_retries
	printf 'wrong password\n' > "$SECRET"
	sendmail someone@example.org <<< "Subject: creds"
	relayq run
	[ "$(status_json 'd["last_error"]["credentials_refused"]')" = True ]
	[[ "$(status_json 'd["last_error"]["error"]')" == *"refused the credentials of alice: 535"* ]]
	run -1 relayq status --monitoring
	[[ "$output" == "RELAYQ WARNING - 1 queued, oldest "*", credentials refused by 127.0.0.1:$RELAY_PORT |"* ]]
	run -0 relayq status
	[[ "$output" == *"WARNING: the last attempt failed on the credentials"* ]]
	[[ "$output$stderr" != *"wrong password"* ]]
	printf 's3cret pass\n' > "$SECRET"
	# After a refusal the runner leaves the relay alone for retry_min;
	# relayq check lifts that wait once AUTH passes.
	relayq check
	relayq flush
	queue_is_empty
	[ "$(status_json 'd["last_error"]["credentials_refused"]')" = False ]
	run -0 relayq status --monitoring
	[[ "$output" == "RELAYQ OK - 0 queued |"* ]]
}

@test "status --json: one object with the documented keys" {
	three_deferred
	run -0 --separate-stderr relayq status --json
	echo "$output" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
assert sorted(d) == sorted(["config", "config_found", "queue_dir", "relays",
    "runner", "counts", "oldest", "last_success", "last_error", "last_pass",
    "time"]), sorted(d)
assert sorted(d["relays"][0]) == ["host", "port", "tls", "tls_verify", "user"]
assert sorted(d["runner"]) == ["pid", "state"]
assert sorted(d["counts"]) == sorted(["intake", "queued", "deferred", "held",
    "failed", "corrupt"])
assert sorted(d["oldest"]) == ["age", "arrival", "id"]
assert sorted(d["last_error"]) == ["credentials_refused", "error", "relay", "time"]
assert d["config_found"] is True and d["counts"]["queued"] == 3
'
}

@test "status --monitoring: OK, then WARNING and CRITICAL from the queue size" {
	setup_relay_and_config starttls
	run -0 relayq status --monitoring
	[ "$output" = "RELAYQ OK - 0 queued | queued=0;50;200;0 held=0 failed=0 oldest=0s;3600;28800;0" ]
	stop_relay
	slow_retries
	for r in a b c; do
		sendmail "$r@example.org" <<< "Subject: $r"
	done
	relayq run
	run -0 relayq status --monitoring
	[[ "$output" =~ ^"RELAYQ OK - 3 queued, oldest "[0-9]+"s | queued=3;50;200;0 held=0 failed=0 oldest="[0-9]+"s;3600;28800;0"$ ]]
	run -1 relayq status --monitoring -w 2 -c 5
	[[ "$output" == "RELAYQ WARNING - 3 queued (more than 2), oldest "*" | queued=3;2;5;0 "* ]]
	run -2 relayq status --monitoring -w 1 -c 2
	[[ "$output" == "RELAYQ CRITICAL - 3 queued (more than 2), oldest "*" | queued=3;1;2;0 "* ]]
}

@test "status --monitoring: a stuck old message is WARNING, then CRITICAL; a failed one WARNING" {
	three_deferred
	backdate "$(oldest_id)" 5400
	run -1 relayq status --monitoring
	[[ "$output" =~ ^"RELAYQ WARNING - 3 queued, oldest "(90|89)"m (older than 60m) | queued=3;50;200;0 held=0 failed=0 oldest="54[0-9][0-9]"s;3600;28800;0"$ ]]
	run -2 relayq status --monitoring --age-warning 30m --age-critical 1h
	[[ "$output" == "RELAYQ CRITICAL - 3 queued, oldest "*"m (older than 60m) |"*"s;1800;3600;0" ]]
	run -0 relayq status --monitoring --age-warning 2h --age-critical 1d
	# A refusal for good leaves a message in failed/: WARNING.
	revive_relay
	relay_control '{"rcpt": {"a@example.org": "550 5.1.1 no such user"}}'
	relayq flush
	run -1 relayq status --monitoring --age-warning 2h --age-critical 1d
	[[ "$output" == "RELAYQ WARNING - 0 queued, 1 failed | queued=0;50;200;0 held=0 failed=1 "* ]]
}

@test "status --monitoring: UNKNOWN for a broken or unreadable configuration, or bad thresholds" {
	setup_relay_and_config starttls
	cp "$CONF" "$CONF.good"
	echo 'retry_min = soon' >> "$CONF"
	run -3 relayq status --monitoring
	[[ "$output" == "RELAYQ UNKNOWN - $CONF:"*"retry_min: bad duration 'soon'"* ]]
	# Without --monitoring the same is the usual configuration error.
	run -78 --separate-stderr relayq status
	# A configuration the caller cannot read (a monitoring user outside
	# the relayq group), in a directory it can reach.
	pub=$(mktemp -d /tmp/relayq-status.XXXXXX)
	chmod 0755 "$pub"
	install -m 0600 "$CONF.good" "$pub/relayq.conf"
	run -3 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env RELAYQ_CONFIG="$pub/relayq.conf" timeout 20 "$RELAYQ" \
	    status --monitoring
	[ "$output" = "RELAYQ UNKNOWN - $pub/relayq.conf: Permission denied" ]
	# A readable configuration and a queue the caller cannot read.
	chmod 0644 "$pub/relayq.conf"
	run -3 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    env RELAYQ_CONFIG="$pub/relayq.conf" timeout 20 "$RELAYQ" \
	    status --monitoring
	rm -rf "$pub"
	[[ "$output" == "RELAYQ UNKNOWN - "*"$SPOOL"*"Permission denied"* ]]
	run -3 relayq status --monitoring -w many
	[ "$output" = "RELAYQ UNKNOWN - -w: 'many' is not a number of messages" ]
	run -3 relayq status --monitoring -w 10 -c 5
	[[ "$output" == "RELAYQ UNKNOWN - a warning threshold above its critical one" ]]
	run -64 --separate-stderr relayq status -w 10
	[ "$stderr" = "relayq status: thresholds need --monitoring" ]
}

@test "flush: a progress line and a summary on a terminal, nothing without one" {
	three_deferred
	revive_relay
	run -0 script -qec "timeout 60 $RELAYQ flush" /dev/null
	echo "$output" | od -c | head -20
	[[ "$output" == *$'\r'"flush: 0 delivered, 0 deferred, 0 failed, 3 to go"* ]]
	[[ "$output" == *"to go (via 127.0.0.1:$RELAY_PORT)"* ]]
	[[ "$output" == *"flush: 3 delivered, 0 deferred, 0 failed (via 127.0.0.1:$RELAY_PORT)"$'\r'* ]]
	[ "$(received_count)" -eq 3 ]
	queue_is_empty
	# Deferred again, and a flush whose output is not a terminal.
	stop_relay
	sendmail e@example.org <<< "Subject: e"
	relayq run
	revive_relay
	run -0 --separate-stderr relayq flush
	[ -z "$output" ]
	# (The revived relay numbers its messages afresh.)
	queue_is_empty
	received_eml 1 | grep -q '^Subject: e'$'\r$'
	# On a terminal, a flush that still fails says why at the end.
	stop_relay
	sendmail f@example.org <<< "Subject: f"
	relayq run
	run -0 script -qec "timeout 60 $RELAYQ flush" /dev/null
	[[ "$output" == *"flush: 0 delivered, 1 deferred, 0 failed; last error: connect to 127.0.0.1:$RELAY_PORT: Connection refused"* ]]
}
