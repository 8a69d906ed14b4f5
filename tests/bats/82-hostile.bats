#!/usr/bin/env bats
# A hostile relay (tests/smarthost/hostile.py) cannot crash or wedge the
# runner: every misbehaviour ends the session with a temporary failure
# within the configured timeout, the message stays queued (neither lost
# nor bounced), the same daemon runner stays alive and idle, delivers the
# message once a healthy relay answers on the same port, and its log lines
# stay single, bounded and free of the relay's control bytes.

load helpers

HOSTILE="$RELAYQ_SRCDIR/tests/smarthost/hostile.py"
TIMEOUT=2	# the smarthost timeout of these tests, in seconds

teardown() {
	common_teardown
	stop_hostile
}

# start_hostile SCENARIO [starttls] - sets HOSTILE_PID, RELAY_PORT,
# RELAY_DIR, RELAY_MODE.
start_hostile() {
	local tlsargs=(--tls none)
	make_certs
	RELAY_MODE=plain
	if [ "${2:-}" = starttls ]; then
		tlsargs=(--tls starttls --cert "$CERTS/server.crt"
		    --key "$CERTS/server.key")
		RELAY_MODE=starttls
	fi
	RELAY_DIR="$BATS_TEST_TMPDIR/hostile"
	rm -f "$BATS_TEST_TMPDIR/hostile.port"
	"$PY" "$HOSTILE" --scenario "$1" --dir "$RELAY_DIR" \
	    --port-file "$BATS_TEST_TMPDIR/hostile.port" "${tlsargs[@]}" \
	    --max-seconds 90 3>&- 2>>"$BATS_TEST_TMPDIR/hostile.stderr" &
	HOSTILE_PID=$!
	wait_for 10 test -s "$BATS_TEST_TMPDIR/hostile.port"
	RELAY_PORT=$(cat "$BATS_TEST_TMPDIR/hostile.port")
}

stop_hostile() {
	if [ -n "${HOSTILE_PID:-}" ]; then
		kill "$HOSTILE_PID" 2>/dev/null || true
		wait "$HOSTILE_PID" 2>/dev/null || true
		HOSTILE_PID=
	fi
}

# cpu_ticks PID - user + system time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# log_is_clean FILE - every line is one of the runner's own ("relayq: "),
# at most 1024 bytes, of printable ASCII only: no relay byte reached it
# raw, and no relay text started a line of its own.
log_is_clean() {
	"$PY" - "$1" <<-'EOF'
	import sys
	data = open(sys.argv[1], "rb").read()
	bad = [l for l in data.split(b"\n")[:-1]
	       if not l.startswith(b"relayq: ") or len(l) > 1024
	       or any(c < 0x20 or c > 0x7e for c in l)]
	for l in bad:
	    print("bad log line: %r" % l[:200])
	sys.exit(1 if bad or not data.endswith(b"\n") else 0)
	EOF
}

# hostile_case SCENARIO [starttls] - the whole check, for one scenario.
# Leaves RUNNER_LOG for further checks.
hostile_case() {
	local start elapsed pid ticks id
	start_hostile "$@"
	write_config
	sed -i "s/timeout = 5s/timeout = ${TIMEOUT}s/" "$CONF"
	run -0 sendmail bob@example.org <<< "Subject: hostile $1"
	RUNNER_LOG="$BATS_TEST_TMPDIR/runner.log"
	start=$(date +%s%N)
	# No `timeout` in front: $! must be the runner itself (teardown
	# stops it through the lock).
	"$RELAYQ" -v run --daemon 2> "$RUNNER_LOG" 3>&- &
	pid=$!
	# The first attempt ends, deferred, within the timeout (plus the time
	# to start and connect).
	wait_for $((TIMEOUT + 8)) has_state
	elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "first attempt recorded after ${elapsed} ms"
	[ "$elapsed" -lt $(( (TIMEOUT + 2) * 1000 )) ]
	id=$(queue_files)
	[ "$(echo "$id" | wc -l)" -eq 1 ]	# queued, and no bounce made
	[ -z "$(ls "$SPOOL/failed")" ]
	grep -q '^attempts [1-9]' "$SPOOL/queue/$id.state"
	! grep -q '^R ' "$SPOOL/queue/$id.state" || false
	[ "$(received_count)" -eq 0 ]
	# Let it retry against the same relay a while: alive, and idle
	# between attempts.
	ticks=$(cpu_ticks "$pid")
	sleep 2
	kill -0 "$pid"
	echo "cpu ticks: $ticks then $(cpu_ticks "$pid")"
	[ $(( $(cpu_ticks "$pid") - ticks )) -lt 50 ]
	grep -q "status=deferred" "$RUNNER_LOG"
	# The same runner delivers once a healthy relay takes the port.
	stop_hostile
	RELAY_PORT_WANTED=$RELAY_PORT start_relay "$RELAY_MODE"
	# Without TLS relayq authenticates only with SCRAM or CRAM-MD5.
	[ "$RELAY_MODE" = starttls ] ||
	    relay_control '{"auth_mechs": "SCRAM-SHA-256 PLAIN LOGIN"}'
	wait_for 20 has_received 1
	wait_for 10 queue_is_empty
	received_eml 1 | grep -q "^Subject: hostile $1"
	kill -0 "$pid"
	log_is_clean "$RUNNER_LOG"
}

@test "hostile: a reply line of 100 KB without a line end" {
	hostile_case longline
	grep -q "sent a line longer than" "$RUNNER_LOG"
}

@test "hostile: an endless multi-line reply" {
	hostile_case endless
	grep -q "reply longer than 100 lines" "$RUNNER_LOG"
}

@test "hostile: a multi-line reply dripped slowly for ever is cut at the timeout" {
	hostile_case slowendless
	grep -q "timed out" "$RUNNER_LOG"
}

@test "hostile: a relay that stalls in the middle of a reply" {
	hostile_case stall
	grep -q "timed out after ${TIMEOUT}s" "$RUNNER_LOG"
}

@test "hostile: the same stall under TLS" {
	hostile_case stall starttls
	grep -q "timed out after ${TIMEOUT}s" "$RUNNER_LOG"
}

@test "hostile: plain text instead of a TLS ServerHello after STARTTLS" {
	hostile_case tlsgarbage starttls
	grep -q "TLS handshake" "$RUNNER_LOG"
	! grep -q "ServerHello" "$RUNNER_LOG" || false
}

@test "hostile: a TLS handshake that stalls" {
	hostile_case tlsstall starttls
	grep -q "TLS handshake with .*timed out" "$RUNNER_LOG"
}

@test "hostile: 220, then the connection closes at once" {
	hostile_case close220
	grep -q "closed the connection" "$RUNNER_LOG"
}

@test "hostile: a reply code of four digits" {
	hostile_case badcode
	grep -q "malformed reply line" "$RUNNER_LOG"
}

@test "hostile: a multi-line reply whose code changes" {
	hostile_case mixedcodes
	grep -q "reply code changed within a reply" "$RUNNER_LOG"
}

@test "hostile: CR, LF and escape sequences in a reply stay out of the log and the listing" {
	hostile_case controls
	grep -q 'status=deferred (451 4.3.0 first\\x0dINJECTED-CR \\x1b\[2J\\x1b\]0;title\\x07' "$RUNNER_LOG"
	! grep -q '^INJECTED' "$RUNNER_LOG" || false
	! grep -q 'fake line' "$RUNNER_LOG" || false
}

@test "hostile: the deferred reply with control bytes is listed escaped" {
	start_hostile controls
	write_config none
	sed -i "s/timeout = 5s/timeout = ${TIMEOUT}s/" "$CONF"
	sendmail bob@example.org <<< "Subject: listed"
	relayq run
	run -0 relayq queue
	# One line of the listing, escaped once, as in the log.
	echo "$output" | grep -q '^ *(451 4.3.0 first\\x0dINJECTED-CR \\x1b\[2J\\x1b\]0;title\\x07'
	! echo "$output" | grep -q 'x5cx' || false
	"$PY" -c 'import sys; d = sys.stdin.buffer.read(); sys.exit(any(c < 0x20 and c != 10 or c > 0x7e for c in d))' <<< "$output"
	id=$(queue_files)
	! grep -q $'\x1b' "$SPOOL/queue/$id.state" || false
	[ "$(grep -c '' "$SPOOL/queue/$id.state")" -le 6 ]
}

@test "hostile: NUL, DEL and bytes above 0x7f in a reply" {
	hostile_case binary
	grep -q 'status=deferred (450 4.2.0 nul\\x00byte del\\x7f high\\xff\\xfe utf8 \\xc3\\xa9 \\x9b31m)' "$RUNNER_LOG"
}

@test "hostile: 100000 EHLO extension lines" {
	hostile_case manyext
	grep -q "reply longer than 100 lines" "$RUNNER_LOG"
}

@test "hostile: no reply to the end of DATA" {
	hostile_case dataend
	grep -q "timed out after ${TIMEOUT}s" "$RUNNER_LOG"
	grep -q '^dataend ' "$BATS_TEST_TMPDIR/hostile/events.log"
}

@test "hostile: DATA answered 250 instead of 354 is no delivery" {
	hostile_case data250
	grep -q "answered DATA with 250 2.0.0 thanks" "$RUNNER_LOG"
}

@test "hostile: a reply dripped one byte per write is still understood and delivered" {
	start_hostile drip starttls
	write_config
	sed -i "s/timeout = 5s/timeout = ${TIMEOUT}s/" "$CONF"
	sendmail bob@example.org <<< "Subject: drip"
	run -0 --separate-stderr relayq -v run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['bob@example.org'\]"
	received_json 1 | json_get 'd["tls"]' | grep -qx True
	received_eml 1 | grep -q '^Subject: drip'
	queue_is_empty
}
