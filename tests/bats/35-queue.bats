#!/usr/bin/env bats
# The queue engine: failover between smart hosts, SIZE, draining a backlog
# over few connections in parallel.

load helpers

teardown() {
	common_teardown
}

dead_port() {
	start_relay starttls
	stop_relay
	echo "$RELAY_PORT"
}

# queue_many N - N messages straight into the intake, no runner started.
queue_many() {
	local i
	for i in $(seq 1 "$1"); do
		printf 'Subject: n%s\n\nbody %s\n' "$i" "$i" | "$SENDMAIL" bob@example.org
	done
}

@test "failover: the second smart host takes the mail when the first is down" {
	make_certs
	first=$(dead_port)
	start_relay starttls
	write_config
	# Put a dead relay in front of the live one.
	"$PY" - "$CONF" "$first" <<-'PYEOF'
	import re, sys
	path, port = sys.argv[1], sys.argv[2]
	text = open(path).read()
	m = re.search(r'smarthost "127\.0\.0\.1" \{.*?\n\}', text, re.S)
	dead = m.group(0).replace('smarthost "127.0.0.1"', 'smarthost "localhost"')
	dead = re.sub(r'port = \d+', 'port = ' + port, dead)
	open(path, 'w').write(text.replace(m.group(0), dead + "\n" + m.group(0)))
	PYEOF
	grep -q 'smarthost "localhost"' "$CONF"
	sendmail bob@example.org <<< "Subject: failover"
	run -0 relayq -v run
	[ "$(received_count)" -eq 1 ]
	[[ "$output" == *"connect to localhost:$first"*"refused"* ]]
	[[ "$output" == *"relay=127.0.0.1:$RELAY_PORT"*"status=sent"* ]]
	queue_is_empty
}

@test "a message over the relay's SIZE fails at once, without a MAIL" {
	setup_relay_and_config starttls
	relay_control '{"size": 2000}'
	head -c 6000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1i Subject: big\n' | sendmail bob@example.org
	relayq run
	# Its bounce (returning the message) is too big as well, and, being
	# a bounce, is not bounced again.
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^mail ' || false
	queue_is_empty
	grep -q '552 5.3.4 message of [0-9]* bytes exceeds the relay.s limit of 2000' "$SPOOL"/failed/*.state
	# A small one still goes through on the same relay.
	sendmail bob@example.org <<< "Subject: small"
	relayq run
	[ "$(received_count)" -eq 1 ]
}

@test "500 queued messages drain over a handful of parallel connections" {
	setup_relay_and_config starttls
	queue_many 500
	relayq run
	[ "$(received_count)" -eq 500 ]
	queue_is_empty
	conns=$(events | grep -c '^connect ')
	echo "connections: $conns"
	[ "$conns" -ge 2 ]
	[ "$conns" -le 10 ]
	# Every message arrived exactly once.
	[ "$(cat "$RELAY_DIR"/messages/*.eml | grep -c '^body ')" -eq 500 ]
	[ "$(cat "$RELAY_DIR"/messages/*.eml | grep '^body ' | sort -u | wc -l)" -eq 500 ]
}

@test "max_connections = 1 and messages_per_connection bound the sessions" {
	setup_relay_and_config starttls
	printf 'max_connections = 1\nmessages_per_connection = 40\n' >> "$CONF"
	queue_many 100
	relayq run
	[ "$(received_count)" -eq 100 ]
	[ "$(events | grep -c '^connect ')" -eq 3 ]
	# Never two sessions at once: each connect follows the previous
	# session's end.
	events | awk '/^connect /{ if (open) bad = 1; open = 1 } /^disconnect /{ open = 0 } END { exit bad }'
}

@test "an intake file its writer still holds locked is left alone; the writer's close hands it over" {
	setup_relay_and_config starttls
	sendmail bob@example.org <<< "Subject: still being committed"
	f=$(intake_files)
	[[ "$f" == m.* ]]
	# What sendmail holds between its rename and its syncs.
	exec 9>>"$SPOOL/intake/$f"
	flock -x 9
	# A one-off run neither takes it nor spins waiting for it.
	run -0 timeout 10 "$RELAYQ" run
	[ "$(intake_files)" = "$f" ]
	"$RUNNER" --daemon >/dev/null 2>&1 &
	sleep 1.5
	[ "$(received_count)" -eq 0 ]
	[ "$(intake_files)" = "$f" ]
	# The close (inotify IN_CLOSE_WRITE) wakes the daemon long before
	# its next rescan.
	exec 9>&-
	wait_for 10 has_received 1
	wait_for 10 queue_is_empty
	[ -z "$(ls -A "$SPOOL/corrupt")" ]
}

@test "chaos: kill -9 of the runner during a 200-message drain loses nothing" {
	setup_relay_and_config starttls
	# Small, slow-starting sessions, so that kills land in every phase
	# of a delivery and the drain takes several rounds.
	printf 'messages_per_connection = 7\n' >> "$CONF"
	relay_control '{"greeting_delay": 0.2}'
	queue_many 200
	kills=0
	for round in $(seq 1 40); do
		"$RUNNER" --daemon >/dev/null 2>&1 &
		pid=$!
		# A random moment within the first half second of work.
		sleep "0.$(( RANDOM % 10 ))$(( RANDOM % 10 ))"
		if kill -9 "$pid" 2>/dev/null; then
			kills=$((kills + 1))
		fi
		wait "$pid" 2>/dev/null || true
		queue_is_empty && break
	done
	echo "kills: $kills"
	[ "$kills" -ge 3 ]
	# Whatever the kills left behind, a clean run finishes the job.
	relayq flush
	queue_is_empty
	total=$(cat "$RELAY_DIR"/messages/*.eml | grep -c '^body ')
	unique=$(cat "$RELAY_DIR"/messages/*.eml | grep '^body ' | sort -u | wc -l)
	echo "received $total, distinct $unique, duplicates $((total - unique))"
	[ "$unique" -eq 200 ]
	[ -z "$(ls -A "$SPOOL/corrupt")" ]
}

@test "550 for one of three: one RFC 3464 bounce to the sender naming it" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	printf 'Subject: partial\nMessage-ID: <orig@example.org>\n\nhello\n' |
	    sendmail -f alice@example.org a@example.org bad@example.org c@example.org
	relayq run
	relayq run
	# The message itself, to the two good recipients, and then the bounce.
	[ "$(received_count)" -eq 2 ]
	received_json 2 | json_get 'd["mail_from"]' | grep -qx ''
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['alice@example.org'\]"
	received_eml 2 > "$BATS_TEST_TMPDIR/dsn"
	"$PY" - "$BATS_TEST_TMPDIR/dsn" <<-'PYEOF'
	import email, sys
	m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
	assert m.get_content_type() == 'multipart/report', m.get_content_type()
	assert m.get_param('report-type') == 'delivery-status'
	parts = m.get_payload()
	assert parts[1].get_content_type() == 'message/delivery-status'
	status = parts[1].as_string()
	assert 'Final-Recipient: rfc822; bad@example.org' in status, status
	assert 'Action: failed' in status and 'Status: 5.1.1' in status
	assert 'a@example.org' not in status and 'c@example.org' not in status
	assert '<orig@example.org>' in parts[2].as_string()
	PYEOF
	queue_is_empty
	# No re-send to the good recipients on later runs.
	relayq flush
	[ "$(received_count)" -eq 2 ]
}

@test "expiry: one bounce; a bounce that fails is never bounced" {
	make_certs
	start_relay starttls
	write_config
	echo 'lifetime = 1s' >> "$CONF"
	relay_control '{"data": "451 4.3.0 later", "data_times": 1}'
	sendmail -f alice@example.org bob@example.org <<< "Subject: expire"
	relayq run
	sleep 2
	# Now every message to the relay fails permanently, the bounce too.
	relay_control '{"rcpt": {"bob@example.org": "451 4.3.0 later", "alice@example.org": "550 5.1.1 gone"}}'
	relayq flush
	relayq flush
	relayq flush
	# The original expired (a bounce was made for it); the bounce was
	# refused (550) and, having a null sender, ended in failed/ silently.
	[ "$(received_count)" -eq 0 ]
	queue_is_empty
	[ "$(ls "$SPOOL/failed" | grep -vc '\.state$')" -eq 2 ]
	grep -l '^F $' "$SPOOL"/failed/* | grep -q .
	[ "$(events | grep -c '^mail  ')" -eq 0 ] || [ "$(events | grep -c '^rcpt .*alice@example.org 550')" -eq 1 ]
}

@test "NOTIFY=NEVER and the null sender get no bounce" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -N never -f alice@example.org bad@example.org <<< "Subject: never"
	sendmail -f '<>' bad@example.org <<< "Subject: null"
	relayq run
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q 'rcpt .*alice@example.org' || false
	[ "$(ls "$SPOOL/failed" | grep -vc '\.state$')" -eq 2 ]
}

@test "delay_warning: one 'delayed' notification, only when configured" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bob@example.org": "451 4.2.1 busy"}, "rcpt_times": 1000}'
	sendmail -f alice@example.org bob@example.org <<< "Subject: slow"
	relayq run
	sleep 1.2
	relayq flush
	relayq flush
	[ "$(received_count)" -eq 0 ]
	echo 'delay_warning = 1s' >> "$CONF"
	relayq flush
	relayq flush
	relayq flush
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['alice@example.org'\]"
	received_eml 1 | grep -q '^Action: delayed'
	received_eml 1 | grep -q '^Subject: Delayed Mail'
	[ -n "$(queue_files)" ]
}

@test "a bounce made during a run is sent in the same run" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -f alice@example.org bad@example.org <<< "Subject: once"
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['alice@example.org'\]"
	queue_is_empty
}

@test "a bounce for relayq's own verdict (SIZE) blames no relay" {
	setup_relay_and_config starttls
	relay_control '{"size": 2000}'
	head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed '1i Subject: big\n' |
	    sendmail -R hdrs -f alice@example.org bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_eml 1 > "$BATS_TEST_TMPDIR/dsn"
	grep -q '^Status: 5.3.4' "$BATS_TEST_TMPDIR/dsn"
	! grep -q '^Remote-MTA:' "$BATS_TEST_TMPDIR/dsn" || false
	! grep -q '^Diagnostic-Code:' "$BATS_TEST_TMPDIR/dsn" || false
	grep -q "exceeds the relay's limit of 2000" "$BATS_TEST_TMPDIR/dsn"
}

@test "the runner keeps its connection between passes, and replaces a dead one at once" {
	setup_relay_and_config starttls
	use_runner
	sendmail bob@example.org <<< "Subject: one"
	wait_for 10 has_received 1
	sendmail bob@example.org <<< "Subject: two"
	wait_for 10 has_received 2
	# Both went over the one connection the on-demand runner kept.
	[ "$(events | grep -c '^connect ')" -eq 1 ]
	# The relay restarts: the kept connection is dead, the next message
	# goes over a new one without being deferred.
	port=$RELAY_PORT
	stop_relay
	RELAY_PORT_WANTED=$port start_relay starttls
	sendmail bob@example.org <<< "Subject: three"
	wait_for 10 has_received 1
	[ -z "$(ls "$SPOOL/queue" | grep '\.state$')" ]
}
