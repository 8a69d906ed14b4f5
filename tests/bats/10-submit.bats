#!/usr/bin/env bats
# The front end on its own: what sendmail accepts, refuses, and stores.
# The relay is left unreachable (port 9 on loopback) so nothing is sent;
# runners are stopped after each test.

load helpers

setup() {
	make_certs
	RELAY_PORT=9
	RELAY_MODE=starttls
	write_config
}

teardown() {
	common_teardown
}


@test "argv recipients are queued with the caller as sender; exit 0" {
	run -0 --separate-stderr sendmail bob@example.org carol@example.org <<-EOF
	Subject: hello

	body
	EOF
	[ -z "$stderr" ]
	[ "$(intake_files | grep -c '^m\.')" -eq 1 ]
	f=$(queued_file)
	grep -qx 'T bob@example.org' "$f"
	grep -qx 'T carol@example.org' "$f"
	grep -qx "F $(id -un)@client.example" "$f"
	grep -qx "U $(id -u)" "$f"
}

@test "queue file ends with a trailer giving the message length" {
	printf 'Subject: x\n\nabc\n' | sendmail bob@example.org
	f=$(queued_file)
	tail -c 32 "$f" | grep -Eq '^relayq-end [0-9]{20}$'
}

@test "unqualified recipient and sender are qualified with the domain" {
	printf 'Subject: x\n\nabc\n' | sendmail -f www-data root
	f=$(queued_file)
	grep -qx 'T root@client.example' "$f"
	grep -qx 'F www-data@client.example' "$f"
}

@test "missing Date, Message-ID and From are added; -F sets the name" {
	printf 'Subject: cron\n\nout\n' | sendmail -FCronDaemon -i -B8BITMIME -oem root
	f=$(queued_file)
	grep -Eq '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} [-+][0-9]{4}$' "$f"
	grep -Eq '^Message-ID: <[0-9A-F]{20}@client\.example>$' "$f"
	grep -qx "From: \"CronDaemon\" <$(id -un)@client.example>" "$f"
	grep -qx 'Subject: cron' "$f"
}

@test "existing Date, Message-ID and From stay byte-exact" {
	printf 'From: Alice <alice@example.org>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\nSubject: keep\r\n\r\nbody\r\n' |
	    sendmail -f alice@example.org bob@example.org
	f=$(queued_file)
	grep -c '^Date:' "$f" | grep -qx 1
	grep -c '^Message-ID:' "$f" | grep -qx 1
	grep -qx $'From: Alice <alice@example.org>\r' "$f"
	grep -qx $'Date: Mon, 1 Jan 2024 00:00:00 +0000\r' "$f"
}

@test "-t takes To, Cc and Bcc, adds argv recipients, and removes Bcc" {
	cat > "$BATS_TEST_TMPDIR/msg" <<-'EOF'
	To: "Doe, John" <john@example.org>, ann@example.org
	Cc: Team: carl@example.org, dora@example.org;
	Bcc: secret@example.org
	Subject: -t test

	body
	EOF
	sendmail -t -i extra@example.org < "$BATS_TEST_TMPDIR/msg"
	f=$(queued_file)
	for r in john ann carl dora secret extra; do
		grep -qx "T $r@example.org" "$f"
	done
	! grep -q '^Bcc:' "$f" || false
	! grep -q 'secret@example.org' <(sed -n '/^$/,$p' "$f") || false
}

@test "no recipients: exit 64, one line on stderr, nothing left behind" {
	run -64 --separate-stderr sendmail <<< "Subject: x"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "sendmail: no recipients given" ]]
	[ -z "$(intake_files)" ]
	run -64 --separate-stderr sendmail -t <<< "Subject: x"
	[[ "$stderr" == *"no To, Cc or Bcc"* ]]
	[ -z "$(intake_files)" ]
}

@test "malformed addresses: exit 65, one clear line, nothing left behind" {
	for bad in 'two words' '-oQ/tmp' 'a@b@c' 'x@-bad-.example' $'crlf\r\nRCPT TO:<x@y>' 'a@'; do
		run -65 --separate-stderr sendmail -- "$bad" <<< "Subject: x"
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "sendmail: bad recipient address"* ]]
	done
	run -65 --separate-stderr sendmail -f 'bad sender' bob@example.org <<< "Subject: x"
	[[ "$stderr" == "sendmail: bad sender address"* ]]
	run -65 --separate-stderr sendmail -t <<< 'To: "unterminated <a@b>'
	[[ "$stderr" == "sendmail: cannot parse To header"* ]]
	[ -z "$(intake_files)" ]
}

@test "a NUL byte is refused with exit 65 and nothing is queued" {
	run -65 --separate-stderr bash -c "printf 'Subject: x\n\nab\0cd\n' | '$SENDMAIL' bob@example.org"
	[[ "$stderr" == *"NUL byte (line 3)"* ]]
	[ -z "$(intake_files)" ]
}

@test "without -i a lone dot ends the message; with -i it is kept" {
	printf 'Subject: a\n\nbefore\n.\nafter\n' | sendmail bob@example.org
	f=$(queued_file)
	grep -qx before "$f"
	! grep -qx after "$f" || false
	rm -f "$SPOOL"/queue/*
	printf 'Subject: a\n\nbefore\n.\nafter\n' | sendmail -oi bob@example.org
	f=$(queued_file)
	grep -qx '\.' "$f"
	grep -qx after "$f"
}

@test "a message with no header section gets a blank line before its body" {
	printf 'just text\nmore\n' | sendmail bob@example.org
	f=$(queued_file)
	sed -n '/^From: /{n;p;}' "$f" | grep -qx ''
	grep -qx 'just text' "$f"
}

@test "empty input is accepted and completed" {
	sendmail bob@example.org < /dev/null
	f=$(queued_file)
	grep -q '^Date: ' "$f"
	grep -q '^Message-ID: ' "$f"
}

@test "a 5 MB line and a message over max_message_size" {
	head -c 5000000 /dev/zero | tr '\0' 'x' > "$BATS_TEST_TMPDIR/big"
	sendmail bob@example.org < "$BATS_TEST_TMPDIR/big"
	f=$(queued_file)
	[ "$(grep -c 'xxxxxxxxxx' "$f")" -eq 1 ]
	echo 'max_message_size = 1M' >> "$CONF"
	run -65 --separate-stderr sendmail bob@example.org < "$BATS_TEST_TMPDIR/big"
	[[ "$stderr" == "sendmail: message too large" ]]
	[ -z "$(intake_files)" ]
}

@test "config error: exit 78 with FILE:LINE" {
	printf 'queue_dir = "/tmp"\nsmarthost "h" {\n  tls = maybe\n}\n' > "$BATS_TEST_TMPDIR/bad.conf"
	RELAYQ_CONFIG="$BATS_TEST_TMPDIR/bad.conf" run -78 --separate-stderr "$SENDMAIL" bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: $BATS_TEST_TMPDIR/bad.conf:3: "*"not one of starttls, tls, none" ]]
	printf 'no_such_key = 1\n' > "$BATS_TEST_TMPDIR/bad.conf"
	RELAYQ_CONFIG="$BATS_TEST_TMPDIR/bad.conf" run -78 --separate-stderr "$SENDMAIL" bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: $BATS_TEST_TMPDIR/bad.conf:1: "* ]]
	RELAYQ_CONFIG="$BATS_TEST_TMPDIR/missing.conf" run -78 --separate-stderr "$SENDMAIL" bob@example.org <<< "x"
	[[ "$stderr" == *"missing.conf: No such file or directory" ]]
}

@test "a spool it cannot write: one line, sysexits code, nothing left" {
	sed -i "s|^queue_dir = .*|queue_dir = \"$BATS_TEST_TMPDIR/nowhere\"|" "$CONF"
	run -73 --separate-stderr sendmail bob@example.org <<< "Subject: x"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "sendmail: cannot open queue directory"* ]]
}

@test "unknown option: exit 64; option arguments never become recipients" {
	run -64 --separate-stderr sendmail -Z bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: unknown option -Z" ]]
	printf 'Subject: x\n\nb\n' | sendmail -B 8BITMIME -h 5 -L tag -O Opt=1 -N never -R hdrs -V envid -X /tmp/log -odb -oem bob@example.org
	f=$(queued_file)
	[ "$(grep -c '^T ' "$f")" -eq 1 ]
	grep -qx 'T bob@example.org' "$f"
	[ ! -e /tmp/log ] || ! grep -q relayq /tmp/log
}

@test "kill -9 while reading a slow stdin: nothing delivered, debris removed" {
	start_relay
	write_config
	mkfifo "$BATS_TEST_TMPDIR/in"
	"$SENDMAIL" bob@example.org < "$BATS_TEST_TMPDIR/in" &
	pid=$!
	exec 4> "$BATS_TEST_TMPDIR/in"
	printf 'Subject: slow\n\npart one\n' >&4
	wait_for 10 bash -c "ls '$SPOOL/intake' | grep -q '^t\\.'"
	kill -9 "$pid"
	wait "$pid" || true
	exec 4>&-
	# A runner pass leaves a fresh file alone (its writer might be alive) ...
	relayq run
	[ -n "$(intake_files)" ]
	# ... and removes it once it is unlocked and old.
	touch -d '1 minute ago' "$SPOOL"/intake/t.*
	relayq run
	[ -z "$(intake_files)" ]
	[ -z "$(queue_files)" ]
	[ "$(received_count)" -eq 0 ]
	run -0 relayq queue
	[[ "$output" == *"Mail queue is empty"* ]]
}

@test "sendmail starts the runner after queueing, except with -odq" {
	printf '#!/bin/sh\necho started >> "%s/runner-started"\n' "$BATS_TEST_TMPDIR" > "$BATS_TEST_TMPDIR/fake-runner"
	chmod +x "$BATS_TEST_TMPDIR/fake-runner"
	export RELAYQ_RUNNER="$BATS_TEST_TMPDIR/fake-runner"
	sendmail -odq bob@example.org <<< "Subject: queue only"
	sleep 0.5
	[ ! -e "$BATS_TEST_TMPDIR/runner-started" ]
	sendmail bob@example.org <<< "Subject: deliver"
	wait_for 5 test -e "$BATS_TEST_TMPDIR/runner-started"
}

@test "mailq and -bp list the queue in Postfix's layout, intake included" {
	printf 'Subject: x\n\nabc\n' | sendmail -f alice@example.org bob@example.org carol@example.org
	run -0 "$RELAYQ_BUILDDIR/src/sendmail" -bp
	[ "${lines[0]}" = "-Queue ID-           --Size-- ----Arrival Time---- -Sender/Recipient-------" ]
	[[ "${lines[1]}" =~ ^[0-9A-F]{20}\ +[0-9]+\ [A-Z][a-z]{2}\ [A-Z][a-z]{2}\ [\ 0-9]{2}\ [0-9:]{8}\ \ alice@example.org$ ]]
	[[ "${lines[2]}" =~ ^\ {51}bob@example.org$ ]]
	[[ "${lines[3]}" =~ ^\ {51}carol@example.org$ ]]
	[[ "${lines[-1]}" == "-- 1 Kbytes in 1 Request." ]]
	ln -s "$RELAYQ_BUILDDIR/src/sendmail" "$BATS_TEST_TMPDIR/mailq"
	run -0 "$BATS_TEST_TMPDIR/mailq"
	[[ "${lines[2]}" =~ bob@example.org ]]
	# After a failed attempt the error is shown under the sender.
	relayq run
	run -0 "$BATS_TEST_TMPDIR/mailq"
	[[ "${lines[2]}" == "(connect to 127.0.0.1:9: Connection refused; attempt 1, next in "* ]]
}
