#!/usr/bin/env bats
# When the relay is dead, refuses, lies or cannot be trusted: mail waits,
# is delivered once when it can be, and nothing is sent to a relay that
# failed verification.

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

state_of() {
	cat "$SPOOL/queue/$1.state"
}

@test "dead relay: sendmail exits 0, queue shows the error, flush delivers later" {
	make_certs
	RELAY_PORT=$(dead_port)
	RELAY_MODE=starttls
	write_config
	run -0 --separate-stderr sendmail bob@example.org <<< "Subject: wait"
	[ -z "$stderr" ]
	relayq run
	id=$(queue_files)
	[ -n "$id" ]
	run -0 relayq queue
	[[ "$output" == *"$id"* ]]
	[[ "$output" == *"bob@example.org"* ]]
	[[ "$output" == *"Connection refused"* ]]
	RELAY_PORT_WANTED=$RELAY_PORT start_relay starttls
	relayq flush
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
	run -0 relayq queue
	[[ "$output" == *"Mail queue is empty"* ]]
}

@test "dead relay with the on-demand runner: delivered when it comes back" {
	make_certs
	RELAY_PORT=$(dead_port)
	RELAY_MODE=starttls
	write_config
	use_runner
	sendmail bob@example.org <<< "Subject: patience"
	wait_for 10 has_state
	RELAY_PORT_WANTED=$RELAY_PORT start_relay starttls
	# retry_max is 2s in the test config: no command needed.
	wait_for 20 has_received 1
	wait_for 10 queue_is_empty
}

@test "451 then success: delivered exactly once" {
	setup_relay_and_config starttls
	relay_control '{"data": "451 4.3.0 try later", "data_times": 1}'
	sendmail bob@example.org <<< "Subject: once"
	relayq run
	[ "$(received_count)" -eq 0 ]
	id=$(queue_files)
	state_of "$id" | grep -q '^error 451 4.3.0 try later'
	state_of "$id" | grep -qx 'attempts 1'
	relayq flush
	[ "$(received_count)" -eq 1 ]
	relayq flush
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
}

@test "550 for one of three recipients: the others get it once, it goes to failed/" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"bad@example.org": "550 5.1.1 no such user"}}'
	sendmail -N never a@example.org bad@example.org c@example.org <<< "Subject: partial"
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['a@example.org', 'c@example.org'\]"
	queue_is_empty
	id=$(ls "$SPOOL/failed" | grep -v '\.state$')
	grep -q '^R 1 F 550 5.1.1 no such user' "$SPOOL/failed/$id.state"
	grep -q '^R 0 D 250' "$SPOOL/failed/$id.state"
	relayq flush
	[ "$(received_count)" -eq 1 ]
}

@test "451 for one recipient only: the others are not sent again" {
	setup_relay_and_config starttls
	relay_control '{"rcpt": {"slow@example.org": "451 4.2.1 mailbox busy"}, "rcpt_times": 1}'
	sendmail a@example.org slow@example.org <<< "Subject: split"
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['a@example.org'\]"
	relayq flush
	[ "$(received_count)" -eq 2 ]
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['slow@example.org'\]"
	queue_is_empty
}

@test "connection dropped mid-DATA: deferred, then delivered once" {
	setup_relay_and_config starttls
	relay_control '{"drop_in_data": true, "drop_in_data_times": 1}'
	sendmail bob@example.org <<< "Subject: drop"
	relayq run
	[ "$(received_count)" -eq 0 ]
	[ -n "$(queue_files)" ]
	relayq flush
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
}

@test "untrusted certificate: no AUTH, nothing delivered, error kept" {
	setup_relay_and_config starttls rogue
	sendmail bob@example.org <<< "Subject: mitm"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^auth ' || false
	! events | grep -q '^mail ' || false
	state_of "$(queue_files)" | grep -q 'does not verify'
}

@test "certificate for another host name: no AUTH, nothing delivered" {
	setup_relay_and_config starttls wrongname
	sendmail bob@example.org <<< "Subject: name"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^auth ' || false
	state_of "$(queue_files)" | grep -q 'does not verify'
}

@test "implicit TLS with an untrusted certificate: nothing sent" {
	setup_relay_and_config tls rogue
	sendmail bob@example.org <<< "Subject: mitm465"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^auth ' || false
	! events | grep -q '^ehlo ' || false
}

@test "relay that does not offer STARTTLS: no AUTH and no DATA" {
	setup_relay_and_config starttls
	relay_control '{"no_starttls": true}'
	sendmail bob@example.org <<< "Subject: strip"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^auth ' || false
	! events | grep -q '^mail ' || false
	! events | grep -q '^data ' || false
	state_of "$(queue_files)" | grep -q 'does not offer STARTTLS'
}

@test "refused credentials: deferred with a clear error, password never shown" {
	setup_relay_and_config starttls
	printf 'wrong password\n' > "$SECRET"
	sendmail bob@example.org <<< "Subject: auth"
	run -0 relayq -v run
	[[ "$output" != *"wrong password"* ]]
	[ "$(received_count)" -eq 0 ]
	events | grep -q '^auth 1 alice fail'
	state_of "$(queue_files)" | grep -q 'refused the credentials of alice: 535'
	run -0 relayq queue
	[[ "$output" == *"refused the credentials"* ]]
	[[ "$output" != *"wrong password"* ]]
}

@test "a secret others can read is refused and nothing is sent" {
	setup_relay_and_config starttls
	chmod 0644 "$SECRET"
	sendmail bob@example.org <<< "Subject: loose"
	run -0 relayq -v run
	[[ "$output" == *"refusing a secret that others can read"* ]]
	! events | grep -q '^connect ' || false
	[ -n "$(queue_files)" ]
}

@test "an inline password in a world-readable config is refused" {
	setup_relay_and_config starttls
	sed -i 's|^ *password_file = .*|    password = "s3cret pass"|' "$CONF"
	chmod 0644 "$CONF"
	sendmail bob@example.org <<< "Subject: inline"
	run -0 relayq -v run
	[[ "$output" == *"refusing a secret that others can read"* ]]
	[ "$(received_count)" -eq 0 ]
	chmod 0600 "$CONF"
	relayq flush
	[ "$(received_count)" -eq 1 ]
}

@test "hostile replies: endless multi-line, over-long line, 421 greeting" {
	setup_relay_and_config starttls
	sendmail bob@example.org <<< "Subject: hostile"
	lines=$("$PY" -c 'print("\n".join(["220-spam"] * 500 + ["220 end"]))')
	relay_control "$("$PY" -c 'import json,sys; print(json.dumps({"greeting": sys.argv[1]}))' "$lines")"
	run -0 timeout 20 "$RELAYQ" -v run
	[[ "$output" == *"reply longer than 100 lines"* ]]
	long=$("$PY" -c 'print("220 " + "x" * 5000)')
	relay_control "$("$PY" -c 'import json,sys; print(json.dumps({"greeting": sys.argv[1]}))' "$long")"
	run -0 timeout 20 "$RELAYQ" -v flush
	[[ "$output" == *"longer than"* ]]
	relay_control '{"greeting": "421 4.3.2 not now"}'
	run -0 timeout 20 "$RELAYQ" -v flush
	[[ "$output" == *"greeted with 421 4.3.2 not now"* ]]
	[ "$(received_count)" -eq 0 ]
	relay_control '{}'
	relayq flush
	[ "$(received_count)" -eq 1 ]
}

@test "a stalled relay is given up on within the timeout" {
	setup_relay_and_config starttls
	relay_control '{"greeting_delay": 30}'
	sendmail bob@example.org <<< "Subject: stall"
	start=$(date +%s)
	run -0 timeout 25 "$RELAYQ" -v run
	[[ "$output" == *"timed out"* ]]
	[ $(( $(date +%s) - start )) -lt 20 ]
	[ -n "$(queue_files)" ]
}

@test "intake file with a forged submitter uid is quarantined, not sent" {
	setup_relay_and_config starttls
	sendmail bob@example.org <<< "Subject: forged"
	f=$(ls "$SPOOL"/intake/m.*)
	sed -i "s/^U $(id -u)\$/U 4242/" "$f"
	relayq run
	[ "$(received_count)" -eq 0 ]
	[ -n "$(ls "$SPOOL/corrupt")" ]
	queue_is_empty
}

@test "truncated or garbage intake files are quarantined" {
	setup_relay_and_config starttls
	sendmail bob@example.org <<< "Subject: trunc"
	f=$(ls "$SPOOL"/intake/m.*)
	truncate -s -5 "$f"
	id=$(queue_files)
	printf 'garbage\n' > "$SPOOL/intake/m.0000000000000ABCDEF1"
	ln -s /etc/passwd "$SPOOL/intake/m.0000000000000ABCDEF2"
	relayq run
	[ "$(received_count)" -eq 0 ]
	[ "$(ls "$SPOOL/corrupt" | wc -l)" -eq 3 ]
	[ -z "$(intake_files)" ]
}

@test "sendmail -q makes deferred mail due now, through a running runner" {
	make_certs
	RELAY_PORT=$(dead_port)
	RELAY_MODE=starttls
	write_config
	sed -i 's/^retry_min = .*/retry_min = 1h/; s/^retry_max = .*/retry_max = 2h/' "$CONF"
	use_runner
	sendmail bob@example.org <<< "Subject: flush me"
	wait_for 10 has_state
	RELAY_PORT_WANTED=$RELAY_PORT start_relay starttls
	sleep 1
	[ "$(received_count)" -eq 0 ]
	sendmail -q
	wait_for 10 has_received 1
	wait_for 5 queue_is_empty
}

@test "password_command: its first line is the password; failures say so and leak nothing" {
	setup_relay_and_config starttls
	sed -i "s|^ *password_file = .*|    password_command = \"printf '%s\\\\\\\\nignored\\\\\\\\n' 's3cret pass'\"|" "$CONF"
	grep -q 'password_command' "$CONF"
	sendmail bob@example.org <<< "Subject: cmd"
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["auth_user"]' | grep -qx alice
	# A failing command: deferred, its output (stdout and stderr) never shown.
	sed -i "s|^ *password_command = .*|    password_command = \"echo leaked-out; echo leaked-err >\\&2; exit 3\"|" "$CONF"
	sendmail bob@example.org <<< "Subject: cmd2"
	run -0 relayq -v run
	[[ "$output" == *"password_command for 127.0.0.1 failed (exit status 3)"* ]]
	[[ "$output" != *leaked* ]]
	! grep -rq leaked "$SPOOL" || false
	[ "$(received_count)" -eq 1 ]
	# Both a file and a command: a configuration error.
	sed -i "s|^ *password_command = .*|&\\n    password_file = \"$SECRET\"|" "$CONF"
	run -78 relayq run
	[[ "$output" == *"mutually exclusive"* ]]
}
