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
