#!/usr/bin/env bats
# The privilege model with real owners and modes: a scratch installation of
# the set-id programs (built with their paths pointing at $PRIV), real
# accounts (rqtest, rqtestdrop), and an ordinary user (nobody) who submits.
# Needs root to set it up; CI runs as root.

load helpers
load priv

@test "an ordinary user submits; the runner it starts relays with the secret" {
	run -0 --separate-stderr as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: from nobody"
	[ -z "$stderr" ]
	wait_for 15 has_received 1
	received_json 1 | json_get 'd["auth_user"]' | grep -qx alice
	received_json 1 | json_get 'd["mail_from"]' | grep -qx nobody@client.example
	wait_for 10 queue_is_empty
}

@test "the ordinary user cannot read the secret, the queue or the intake" {
	run ! as_nobody cat "$PRIV/relayq.secret"
	[[ "$output" == *"Permission denied"* ]]
	run ! as_nobody ls "$PRIV/spool/intake"
	run ! as_nobody ls "$PRIV/spool/queue"
	run ! as_nobody "$PRIV/sendmail" -bp
}

@test "an ordinary user cannot hold the runner lock to stall delivery" {
	run ! as_nobody flock -n -s "$PRIV/spool/intake/lock" true
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: not stalled"
	wait_for 15 has_received 1
	[ "$(stat -c %G "$PRIV/spool/intake/lock")" = rqtestdrop ]
	[ "$(stat -c %a "$PRIV/spool/intake/lock")" = 640 ]
}

@test "a queued message is out of the submitter's reach, and so is the runner" {
	relay_control '{"data": "451 4.3.0 later", "data_times": 1000}'
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: held"
	wait_for 15 bash -c "ls '$PRIV/spool/queue' | grep -q '\.state\$'"
	id=$(ls "$PRIV/spool/queue" | grep -v '\.state$')
	run ! as_nobody cat "$PRIV/spool/queue/$id"
	# The state file was written by the runner as rqtest, not as nobody.
	[ "$(stat -c %U "$PRIV/spool/queue/$id.state")" = rqtest ]
	pid=$(cat "$PRIV/spool/intake/lock")
	[ "$(ps -o ruser= -p "$pid" | tr -d ' ')" = rqtest ]
	[ "$(ps -o euser= -p "$pid" | tr -d ' ')" = rqtest ]
	[ "$(ps -o rgroup= -p "$pid" | tr -d ' ')" = rqtest ]
	# The submitter can neither signal nor trace it.
	run ! as_nobody kill -0 "$pid"
	run ! as_nobody cat "/proc/$pid/environ"
}

@test "RELAYQ_CONFIG and -C drop the submission group first" {
	run -73 --separate-stderr as_nobody env RELAYQ_CONFIG="$PRIV/relayq.conf" \
	    "$PRIV/sendmail" bob@example.org <<< "Subject: override"
	[[ "$stderr" == *"Permission denied"* ]]
	run -73 --separate-stderr as_nobody "$PRIV/sendmail" -C "$PRIV/relayq.conf" \
	    bob@example.org <<< "Subject: override"
	[ -z "$(intake_files)" ]
	[ "$(received_count)" -eq 0 ]
}

@test "the runner takes no arguments or environment from an ordinary user" {
	# An unknown argument from root is a usage error ...
	run -64 "$PRIV/relayq-runner" --bogus
	# ... from an ordinary user it is ignored: the runner does its one job.
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: args"
	run -0 as_nobody env RELAYQ_RUNNER=/bin/false LD_PRELOAD=/nonexistent.so \
	    "$PRIV/relayq-runner" --daemon --bogus
	wait_for 15 has_received 1
}

@test "a secret readable by others is refused by the runner" {
	chmod 0644 "$PRIV/relayq.secret"
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: loose"
	wait_for 15 bash -c "ls '$PRIV/spool/queue' | grep -q '\.state\$'"
	! events | grep -q '^auth ' || false
	grep -q 'refusing a secret' "$PRIV"/spool/queue/*.state
}
