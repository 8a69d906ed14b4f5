#!/usr/bin/env bats
# The administrator's commands on single messages and on the setup:
# queue --json, show, flush ID, delete, hold, release, requeue, check and
# send-test, each against a real relay and spool.

load helpers

teardown() {
	common_teardown
}

# A port on loopback where nothing listens (taken from a relay we stop).
dead_port() {
	start_relay "${1:-starttls}"
	stop_relay
	echo "$RELAY_PORT"
}

# Deferred mail stays deferred for the length of a test.
slow_retries() {
	sed -i 's/^retry_min = .*/retry_min = 1h/; s/^retry_max = .*/retry_max = 2h/' "$CONF"
}

# id_in DIR RCPT - the id of the message in $SPOOL/DIR addressed to RCPT.
id_in() {
	local f
	for f in "$SPOOL/$1"/*; do
		[[ "${f##*/}" =~ ^[0-9A-F]{20}$ ]] || continue
		if grep -aqx "T $2" "$f"; then
			basename "$f"
		fi
	done
}

# received_rcpts - every recipient the relay accepted, one a line.
received_rcpts() {
	local f
	for f in "$RELAY_DIR"/messages/*.json; do
		[ -e "$f" ] || continue
		json_get 'chr(10).join(d["rcpt_tos"])' < "$f"
	done
}

# A dead relay, a config for it and slow retries; REVIVE brings it back.
dead_relay_config() {
	make_certs
	RELAY_PORT=$(dead_port)
	RELAY_MODE=starttls
	write_config
	slow_retries
}

revive_relay() {
	RELAY_PORT_WANTED=$RELAY_PORT start_relay starttls
}

@test "queue --json: one valid array with every state and the right fields" {
	setup_relay_and_config starttls
	slow_retries
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no \"such\" user \\ here"}}'
	# The null sender: a refusal makes no bounce to count as well.
	sendmail -f '<>' good@example.org bad@example.org <<< "Subject: A"
	relayq run
	a=$(id_in failed good@example.org)
	[ -n "$a" ]
	stop_relay
	sendmail b@example.org <<< "Subject: B"
	sendmail c@example.org <<< "Subject: C"
	sendmail e@example.org <<< "Subject: E"
	relayq run
	b=$(id_in queue b@example.org)
	c=$(id_in queue c@example.org)
	e=$(id_in queue e@example.org)
	[ -n "$b" ] && [ -n "$c" ] && [ -n "$e" ]
	run -0 relayq hold "$c" "$e"
	run -0 relayq release "$e"
	sendmail d@example.org <<< "Subject: D"
	d=$(ls "$SPOOL/intake" | sed -n 's/^m\.//p')
	[ -n "$d" ]
	# Text the JSON must escape: a control byte, a byte that is not
	# UTF-8, a quote and a backslash.
	sed -i '/^error /d' "$SPOOL/queue/$b.state"
	printf 'error bad\001byte \377 "q" \\ end\n' >> "$SPOOL/queue/$b.state"

	run -0 --separate-stderr relayq queue --json
	json=$output
	printf '%s\n' "$json" | "$PY" -m json.tool > /dev/null
	[[ "$json" == *'bad\u0001byte \ufffd \"q\" \\ end'* ]]
	printf '%s\n' "$json" | "$PY" -c '
import json, sys, time
a, b, c, d, e = sys.argv[1:]
ms = json.load(sys.stdin)
assert isinstance(ms, list) and len(ms) == 5, ms
by = {m["id"]: m for m in ms}
keys = {"id", "state", "size", "arrival", "sender", "recipients",
        "attempts", "next_attempt", "last_error"}
now = time.time()
for m in ms:
    assert set(m) == keys, m
    assert isinstance(m["size"], int) and m["size"] > 0, m
    assert abs(m["arrival"] - now) < 120, m
    for r in m["recipients"]:
        assert set(r) == {"address", "status", "reply"}, r
assert {m: by[m]["state"] for m in by} == {a: "failed", b: "deferred",
    c: "held", d: "new", e: "active"}, by
A = by[a]
assert A["sender"] == "", A
assert [r["address"] for r in A["recipients"]] == ["good@example.org",
    "bad@example.org"], A
assert A["recipients"][0]["status"] == "delivered", A
assert A["recipients"][0]["reply"].startswith("250"), A
assert A["recipients"][1]["status"] == "failed", A
assert A["recipients"][1]["reply"] == "550 5.1.1 no \"such\" user \\x5c here", A
assert A["next_attempt"] is None and A["attempts"] == 1, A
assert A["last_error"].startswith("permanent failure"), A
B = by[b]
assert B["attempts"] == 1 and B["next_attempt"] > now + 600, B
assert B["last_error"] == "bad\x01byte \ufffd \"q\" \\ end", B
assert B["sender"] == "root@client.example", B
assert B["recipients"] == [{"address": "b@example.org",
    "status": "pending", "reply": None}], B
C = by[c]
assert C["next_attempt"] is None and C["attempts"] == 1, C
assert "Connection refused" in C["last_error"], C
D = by[d]
assert D["attempts"] == 0 and D["next_attempt"] == 0, D
assert D["last_error"] is None, D
assert D["recipients"][0]["status"] == "pending", D
E = by[e]
assert E["attempts"] == 1 and E["next_attempt"] == 0, E
' "$a" "$b" "$c" "$d" "$e"
}

@test "queue --json on an empty queue is an empty array" {
	setup_relay_and_config starttls
	run -0 --separate-stderr relayq queue --json
	[ "$output" = "[]" ]
	run -64 relayq queue --yaml
}

@test "show: envelope, state and header section, not the body" {
	dead_relay_config
	sendmail -f alice@example.org bob@example.org carol@example.org <<-'EOF'
	Subject: show me
	X-Test: header-marker
	  folded-marker

	body-marker line one
	body-marker line two
	EOF
	relayq run
	id=$(queue_files)
	[ -n "$id" ]
	run -0 --separate-stderr relayq show "$id"
	[[ "$output" == *"Queue ID:     $id"* ]]
	[[ "$output" == *"State:        deferred (in queue/)"* ]]
	[[ "$output" == *"Sender:       <alice@example.org>"* ]]
	[[ "$output" == *"Attempts:     1"* ]]
	[[ "$output" == *"Last error:   connect to 127.0.0.1:$RELAY_PORT: Connection refused"* ]]
	[[ "$output" == *"  pending    bob@example.org"* ]]
	[[ "$output" == *"  pending    carol@example.org"* ]]
	[[ "$output" == *$'\nHeader:\nSubject: show me\nX-Test: header-marker\n  folded-marker\n'* ]]
	[[ "$output" == *"Message-ID: <$id@client.example>"* ]]
	[[ "$output" != *"body-marker"* ]]
	# Lower case is the same id; held messages are shown as held.
	run -0 relayq hold "$id"
	run -0 --separate-stderr relayq show "${id,,}"
	[[ "$output" == *"State:        held (in hold/"* ]]
	[[ "$output" != *"body-marker"* ]]
	run -65 --separate-stderr relayq show 0000000000000000000F
	[[ "$stderr" == *"0000000000000000000F: no such message"* ]]
	run -65 --separate-stderr relayq show not-an-id
	[[ "$stderr" == *"not a queue id"* ]]
}

@test "show: a failed message with each recipient's reply" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -f '<>' good@example.org bad@example.org <<< "Subject: partly"
	relayq run
	id=$(id_in failed good@example.org)
	[ -n "$id" ]
	run -0 --separate-stderr relayq show "$id"
	[[ "$output" == *"State:        failed (in failed/"* ]]
	[[ "$output" == *"  delivered  good@example.org (250"* ]]
	[[ "$output" == *"  failed     bad@example.org (550 5.1.1 no such user)"* ]]
	[[ "$output" == *"Subject: partly"* ]]
}

@test "flush ID: only that message goes when the relay is back; unknown ids are errors" {
	dead_relay_config
	sendmail first@example.org <<< "Subject: first"
	sendmail second@example.org <<< "Subject: second"
	relayq run
	one=$(id_in queue first@example.org)
	two=$(id_in queue second@example.org)
	[ -n "$one" ] && [ -n "$two" ]
	revive_relay
	run -0 --separate-stderr relayq flush "$one"
	[[ "$output" == *"$one: due now"* ]]
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['first@example.org'\]"
	[ "$(queue_files)" = "$two" ]
	grep -qx 'attempts 1' "$SPOOL/queue/$two.state"
	# A plain run leaves the other one alone: it is not due for an hour.
	relayq run
	[ "$(received_count)" -eq 1 ]
	# An unknown id is reported and the others are still done.
	run -65 --separate-stderr relayq flush 0000000000000000000F "$two"
	[[ "$stderr" == *"0000000000000000000F: no such message"* ]]
	[ "$(received_count)" -eq 2 ]
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['second@example.org'\]"
	queue_is_empty
}

@test "flush ID wakes a runner that holds the queue" {
	dead_relay_config
	timeout 60 "$RELAYQ" run --daemon 3>&- &
	wait_for 10 test -s "$SPOOL/intake/lock"
	sendmail bob@example.org <<< "Subject: wake up"
	wait_for 10 has_state
	id=$(queue_files)
	revive_relay
	sleep 1
	[ "$(received_count)" -eq 0 ]
	run -0 relayq flush "$id"
	wait_for 10 has_received 1
	wait_for 5 queue_is_empty
}

@test "delete: from queue/, hold/ and failed/, message and state" {
	setup_relay_and_config starttls
	slow_retries
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -f '<>' bad@example.org <<< "Subject: refused"
	relayq run
	f=$(id_in failed bad@example.org)
	[ -n "$f" ] && [ -f "$SPOOL/failed/$f.state" ]
	stop_relay
	sendmail q@example.org <<< "Subject: queued"
	sendmail h@example.org <<< "Subject: held"
	sendmail k@example.org <<< "Subject: kept"
	relayq run
	q=$(id_in queue q@example.org)
	h=$(id_in queue h@example.org)
	k=$(id_in queue k@example.org)
	[ -f "$SPOOL/queue/$q.state" ]
	run -0 relayq hold "$h"
	[ -f "$SPOOL/hold/$h" ]
	run -0 --separate-stderr relayq delete "$q" "$h" "$f"
	[[ "$output" == *"$q: deleted from queue/"* ]]
	[[ "$output" == *"$h: deleted from hold/"* ]]
	[[ "$output" == *"$f: deleted from failed/"* ]]
	[ ! -e "$SPOOL/queue/$q" ] && [ ! -e "$SPOOL/queue/$q.state" ]
	[ ! -e "$SPOOL/hold/$h" ] && [ ! -e "$SPOOL/hold/$h.state" ]
	[ ! -e "$SPOOL/failed/$f" ] && [ ! -e "$SPOOL/failed/$f.state" ]
	[ -f "$SPOOL/queue/$k" ] && [ -f "$SPOOL/queue/$k.state" ]
	run -65 --separate-stderr relayq delete "$q"
	[[ "$stderr" == *"$q: no such message"* ]]
	# What was deleted is never sent; the rest is.
	revive_relay
	relayq flush
	[ "$(received_rcpts)" = k@example.org ]
	queue_is_empty
}

@test "delete: a submission not yet picked up" {
	setup_relay_and_config starttls
	sendmail bob@example.org <<< "Subject: never"
	id=$(ls "$SPOOL/intake" | sed -n 's/^m\.//p')
	[ -n "$id" ]
	run -0 relayq delete "$id"
	queue_is_empty
	relayq run
	[ "$(received_count)" -eq 0 ]
}

@test "hold: relayq flush sends the others, never the held one; release makes it due" {
	dead_relay_config
	sendmail held@example.org <<< "Subject: held"
	sendmail other@example.org <<< "Subject: other"
	relayq run
	h=$(id_in queue held@example.org)
	[ -n "$h" ]
	run -0 relayq hold "$h"
	[ "$output" = "$h: held" ]
	[ -d "$SPOOL/hold" ]
	[ "$(stat -c %a "$SPOOL/hold")" = 750 ]
	[ -f "$SPOOL/hold/$h" ] && [ -f "$SPOOL/hold/$h.state" ]
	[ ! -e "$SPOOL/queue/$h" ] && [ ! -e "$SPOOL/queue/$h.state" ]
	run -0 relayq queue
	[[ "$output" == *"$h!"* ]]
	[[ "$output" == *"held: relayq release $h"* ]]
	revive_relay
	relayq flush
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['other@example.org'\]"
	relayq flush
	[ "$(received_count)" -eq 1 ]
	[ -f "$SPOOL/hold/$h" ]
	# Flushing a held message by id does not send it either.
	run -65 relayq flush "$h"
	[ "$(received_count)" -eq 1 ]
	run -0 relayq release "$h"
	[ "$output" = "$h: released, due now" ]
	[ -f "$SPOOL/queue/$h" ] && [ ! -e "$SPOOL/hold/$h" ] && [ ! -e "$SPOOL/hold/$h.state" ]
	grep -qx 'next 0' "$SPOOL/queue/$h.state"
	grep -qx 'attempts 1' "$SPOOL/queue/$h.state"
	run -65 relayq release "$h"
	relayq flush
	[ "$(received_count)" -eq 2 ]
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['held@example.org'\]"
	queue_is_empty
}

@test "release makes a held message due at once for a plain run" {
	dead_relay_config
	sendmail bob@example.org <<< "Subject: due"
	relayq run
	id=$(queue_files)
	run -0 relayq hold "$id"
	revive_relay
	run -0 relayq release "$id"
	# retry_min is an hour: only "due now" makes a plain run send it.
	relayq run
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
}

@test "requeue after a 550: the refused recipient gets it, the delivered one not again" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -f '<>' good@example.org bad@example.org <<< "Subject: second chance"
	relayq run
	[ "$(received_count)" -eq 1 ]
	id=$(id_in failed good@example.org)
	[ -n "$id" ]
	queue_is_empty
	run -65 relayq release "$id"
	relay_control '{}'
	run -0 relayq requeue "$id"
	[ "$output" = "$id: requeued, due now: 1 recipient to try again, 1 already delivered" ]
	[ ! -e "$SPOOL/failed/$id" ] && [ ! -e "$SPOOL/failed/$id.state" ]
	grep -qx 'attempts 0' "$SPOOL/queue/$id.state"
	grep -q '^R 0 D 250' "$SPOOL/queue/$id.state"
	! grep -q '^R 1 ' "$SPOOL/queue/$id.state" || false
	run -65 relayq requeue "$id"
	relayq run
	[ "$(received_count)" -eq 2 ]
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['bad@example.org'\]"
	queue_is_empty
	[ -z "$(ls "$SPOOL/failed")" ]
	relayq flush
	[ "$(received_count)" -eq 2 ]
}

@test "check: every step against a good relay, and no mail sent" {
	setup_relay_and_config starttls
	run -0 --separate-stderr relayq check
	[[ "$output" == *"configuration $CONF: ok"* ]]
	[[ "$output" == *"smarthost 127.0.0.1 port $RELAY_PORT (tls = starttls, user alice):"* ]]
	[[ "$output" == *"  password: read from $SECRET"* ]]
	[[ "$output" == *"  connect: ok, 127.0.0.1:$RELAY_PORT resolved and reached at 127.0.0.1"* ]]
	[[ "$output" =~ "  TLS: ok, "[^$'\n']*TLS1\.[23][^$'\n']*"; certificate verified for 127.0.0.1 against $CERTS/ca.crt" ]]
	[[ "$output" == *"  AUTH: accepted for alice"* ]]
	[[ "$output" == *"all 1 smart host passed"* ]]
	[[ "$output" != *"s3cret"* ]]
	events | grep -q '^auth [0-9]* alice ok'
	! events | grep -q '^mail ' || false
	[ "$(received_count)" -eq 0 ]
}

@test "check: an untrusted certificate fails with 69 and no AUTH" {
	setup_relay_and_config starttls rogue
	run -69 --separate-stderr relayq check
	[[ "$output" == *"  connect: ok"* ]]
	[[ "$output" == *"  FAILED: TLS certificate of the relay does not verify"* ]]
	[[ "$output" != *"TLS: ok"* ]]
	[[ "$output" != *"AUTH: accepted"* ]]
	[[ "$output" == *"1 of 1 smart host failed"* ]]
	! events | grep -q '^auth ' || false
}

@test "check: refused credentials fail with 69, after TLS, password never shown" {
	setup_relay_and_config starttls
	printf 'wrong password\n' > "$SECRET"
	run -69 --separate-stderr relayq check
	[[ "$output" == *"  TLS: ok, "* ]]
	[[ "$output" == *"  FAILED: relay 127.0.0.1:$RELAY_PORT refused the credentials of alice: 535"* ]]
	[[ "$output" != *"AUTH: accepted"* ]]
	[[ "$output$stderr" != *"wrong password"* ]]
	events | grep -q '^auth [0-9]* alice fail'
}

@test "check: a dead relay fails at connect with 69" {
	make_certs
	RELAY_PORT=$(dead_port)
	RELAY_MODE=starttls
	write_config
	run -69 --separate-stderr relayq check
	[[ "$output" == *"  connect: FAILED: connect to 127.0.0.1:$RELAY_PORT: Connection refused"* ]]
}

@test "check: no smart host configured exits 78" {
	setup_relay_and_config starttls
	sed -i '/^smarthost/,/^}/d' "$CONF"
	! grep -q smarthost "$CONF" || false
	run -78 --separate-stderr relayq check
	[[ "$output" == *"no smart host configured in $CONF"* ]]
	! events | grep -q '^connect ' || false
}

@test "send-test: a test message the relay receives for the given address" {
	setup_relay_and_config starttls
	run -0 --separate-stderr relayq send-test someone@example.org
	[[ "${lines[0]}" =~ ^queued\ as\ ([0-9A-F]{20})\ for\ someone@example.org$ ]]
	id=${BASH_REMATCH[1]}
	[[ "${lines[1]}" == "$id: sent (250"* ]]
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['someone@example.org'\]"
	received_eml 1 | grep -q "^Subject: relayq test from $(hostname)"$'\r$'
	received_eml 1 | grep -q "^To: someone@example.org"$'\r$'
	received_eml 1 | grep -q "relayq on $(hostname),"
	queue_is_empty
}

@test "send-test: a dead relay leaves it deferred with exit 75" {
	dead_relay_config
	run -75 --separate-stderr relayq send-test someone@example.org
	[[ "${lines[1]}" == *": deferred (connect to 127.0.0.1:$RELAY_PORT: Connection refused)" ]]
	[ -n "$(queue_files)" ]
}

@test "flush: a runner started before the smart host was configured reads the new configuration" {
	setup_relay_and_config starttls
	cp "$CONF" "$CONF.full"
	sed '/^smarthost/,/^}/d' "$CONF.full" > "$CONF.bare"
	mv "$CONF.bare" "$CONF"
	! grep -q smarthost "$CONF" || false
	timeout 60 "$RELAYQ" run --daemon 3>&- &
	# The lock still names the runner that made the spool until the
	# daemon writes its own pid there.
	wait_for 10 bash -c "kill -0 \$(cat '$SPOOL/intake/lock') 2>/dev/null"
	pid=$(cat "$SPOOL/intake/lock")
	sendmail bob@example.org <<< "Subject: before setup"
	sleep 1
	[ "$(received_count)" -eq 0 ]
	mv "$CONF.full" "$CONF"
	run -0 relayq flush
	wait_for 10 has_received 1
	# The same runner, still up, read the new configuration.
	[ "$(cat "$SPOOL/intake/lock")" = "$pid" ]
	kill -0 "$pid"
	wait_for 5 queue_is_empty
}
