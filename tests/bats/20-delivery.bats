#!/usr/bin/env bats
# Delivery to a real SMTP server on loopback: STARTTLS and implicit TLS with
# a CA made at test time, AUTH required, asserting what the relay received.

load helpers

teardown() {
	common_teardown
}

@test "STARTTLS + AUTH: argv recipients delivered, TLS before AUTH" {
	setup_relay_and_config starttls
	printf 'Subject: hi\n\nhello world\n' | sendmail bob@example.org carol@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['bob@example.org', 'carol@example.org'\]"
	received_json 1 | json_get 'd["auth_user"]' | grep -qx alice
	received_json 1 | json_get 'd["tls"]' | grep -qx True
	received_json 1 | json_get 'd["mail_from"]' | grep -qx "$(id -un)@client.example"
	received_eml 1 | grep -q $'^hello world\r$'
	# AUTH only after the TLS handshake.
	events | grep -n -e '^tls 1 ok' -e '^auth 1' | head -n1 | grep -q 'tls 1 ok'
	queue_is_empty
}

@test "implicit TLS (port 465 style) delivers" {
	setup_relay_and_config tls
	printf 'Subject: implicit\n\nbody\n' | sendmail bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["tls"]' | grep -qx True
	! events | grep -q '^starttls' || false
}

@test "host name verified through the certificate's DNS name" {
	RELAY_HOST=localhost setup_relay_and_config starttls
	printf 'Subject: by name\n\nbody\n' | sendmail bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
}

@test "-t: Bcc recipients receive the message but no Bcc header leaves" {
	setup_relay_and_config starttls
	sendmail -t -i <<-'EOF'
	From: Web App <app@example.org>
	To: ann@example.org
	Cc: "Doe, John" <john@example.org>
	Bcc: hidden@example.org
	Subject: php style

	body
	EOF
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'sorted(d["rcpt_tos"])' |
	    grep -qx "\['ann@example.org', 'hidden@example.org', 'john@example.org'\]"
	! received_eml 1 | grep -qi '^bcc:' || false
	! received_eml 1 | grep -q 'hidden@' || false
	received_eml 1 | grep -q $'^From: Web App <app@example.org>\r$'
}

@test "no daemon running: delivery starts by itself after sendmail exits" {
	setup_relay_and_config starttls
	use_runner
	printf 'Subject: auto\n\nbody\n' | sendmail bob@example.org
	wait_for 10 has_received 1
	wait_for 10 queue_is_empty
}

@test "the caller reading sendmail's output to EOF returns at once" {
	setup_relay_and_config starttls
	use_runner
	# The runner lingers for seconds; had it kept our pipe, this would wait.
	run -0 timeout 4 bash -c "printf 'Subject: pipe\n\nx\n' | '$SENDMAIL' bob@example.org 2>&1 | cat"
	wait_for 10 has_received 1
}

@test "dot lines and smuggling sequences arrive as one message with all text" {
	setup_relay_and_config starttls
	printf 'Subject: smuggle\n\nline1\n.\r\nline2\r\n.\nline3\r.\rline4\n..\nMAIL FROM:<evil@x>\n.\n' > "$BATS_TEST_TMPDIR/msg"
	sendmail -i bob@example.org < "$BATS_TEST_TMPDIR/msg"
	relayq run
	[ "$(received_count)" -eq 1 ]
	! events | grep -q 'mail 1 evil@x' || false
	[ "$(events | grep -c '^mail ')" -eq 1 ]
	received_eml 1 > "$BATS_TEST_TMPDIR/got"
	for l in line1 line2 line3 line4 'MAIL FROM:<evil@x>'; do
		grep -qx "$l"$'\r' "$BATS_TEST_TMPDIR/got"
	done
	# Each lone dot came through as a line of its own (unstuffed by the
	# relay), and every line ends in CRLF.
	[ "$(grep -cx $'\\.\r' "$BATS_TEST_TMPDIR/got")" -eq 4 ]
	[ "$(grep -cx $'\\.\\.\r' "$BATS_TEST_TMPDIR/got")" -eq 1 ]
	! grep -qv $'\r$' "$BATS_TEST_TMPDIR/got" || false
}

@test "lines over 998 octets are broken, nothing lost" {
	setup_relay_and_config starttls
	{
		printf 'Subject: long\n\n'
		head -c 2500 /dev/zero | tr '\0' 'a'
		printf '\nend\n'
	} | sendmail bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_eml 1 > "$BATS_TEST_TMPDIR/got"
	[ "$(awk '{ if (length($0) > 999) bad++ } END { print bad + 0 }' "$BATS_TEST_TMPDIR/got")" -eq 0 ]
	[ "$(sed -n $'/^\r$/,$p' "$BATS_TEST_TMPDIR/got" | tr -cd a | wc -c)" -eq 2500 ]
	grep -qx $'end\r' "$BATS_TEST_TMPDIR/got"
}

@test "many messages go over one connection" {
	setup_relay_and_config starttls
	for i in $(seq 1 20); do
		printf 'Subject: n%s\n\nbody\n' "$i" | sendmail bob@example.org
	done
	relayq run
	[ "$(received_count)" -eq 20 ]
	[ "$(events | grep -c '^connect ')" -eq 1 ]
	queue_is_empty
}

@test "a 20 MB message is delivered intact" {
	setup_relay_and_config starttls
	{
		printf 'Subject: big\n\n'
		head -c 15000000 /dev/urandom | base64 -w 76
	} > "$BATS_TEST_TMPDIR/big"
	sendmail -i bob@example.org < "$BATS_TEST_TMPDIR/big"
	relayq run
	[ "$(received_count)" -eq 1 ]
	sed -n '/^$/,$p' "$BATS_TEST_TMPDIR/big" | tail -n +2 | md5sum > "$BATS_TEST_TMPDIR/want"
	received_eml 1 | tr -d '\r' | sed -n '/^$/,$p' | tail -n +2 | md5sum > "$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "-N, -R, -V and -B reach the relay as DSN and BODY parameters when offered" {
	setup_relay_and_config starttls
	relay_control '{"dsn": true}'
	printf 'Subject: dsn\n\nbody\n' | sendmail -N success,failure -R hdrs -V 'job 42' -B 8BITMIME bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get '" ".join(d["mail_options"])' > "$BATS_TEST_TMPDIR/mo"
	grep -q 'RET=HDRS' "$BATS_TEST_TMPDIR/mo"
	grep -q 'ENVID=job+2042' "$BATS_TEST_TMPDIR/mo"
	grep -q 'BODY=8BITMIME' "$BATS_TEST_TMPDIR/mo"
	received_json 1 | json_get 'd["rcpt_options"]' | grep -q 'NOTIFY=SUCCESS,FAILURE'
}

@test "without DSN at the relay the DSN parameters are left out" {
	setup_relay_and_config starttls
	printf 'Subject: nodsn\n\nbody\n' | sendmail -N never -R full bob@example.org
	relayq run
	[ "$(received_count)" -eq 1 ]
	! received_json 1 | grep -q 'RET=' || false
	! received_json 1 | grep -q 'NOTIFY=' || false
}

@test "bad -N, -R, -B values: exit 64 with one line" {
	write_config
	run -64 --separate-stderr sendmail -N sometimes bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: bad DSN notify" ]]
	run -64 --separate-stderr sendmail -R all bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: bad DSN return" ]]
	run -64 --separate-stderr sendmail -B 9BIT bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: bad body type" ]]
}

@test "a non-ASCII address and a relay without SMTPUTF8: refused, not retried" {
	setup_relay_and_config starttls
	printf 'Subject: utf8\n\nbody\n' | sendmail -N never jösé@bücher.example
	relayq run
	[ "$(received_count)" -eq 0 ]
	queue_is_empty
	grep -q '553 5.6.7' "$SPOOL"/failed/*.state
	! events | grep -q '^mail ' || false
}

@test "headers only, no final newline, CR-only and mixed line ends" {
	setup_relay_and_config starttls
	printf 'Subject: headers only' | sendmail -i bob@example.org
	printf 'Subject: no newline\n\nlast line' | sendmail -i bob@example.org
	printf 'Subject: cr only\r\rone\rtwo\r' | sendmail -i bob@example.org
	printf 'Subject: mixed\r\n\nalpha\rbeta\r\ngamma\n' | sendmail -i bob@example.org
	relayq run
	[ "$(received_count)" -eq 4 ]
	received_eml 1 | grep -q $'^Subject: headers only\r$'
	received_eml 2 | tail -n1 | grep -qx $'last line\r'
	received_eml 3 > "$BATS_TEST_TMPDIR/cr"
	grep -qx $'one\r' "$BATS_TEST_TMPDIR/cr"
	grep -qx $'two\r' "$BATS_TEST_TMPDIR/cr"
	received_eml 4 > "$BATS_TEST_TMPDIR/mixed"
	for l in alpha beta gamma; do grep -qx "$l"$'\r' "$BATS_TEST_TMPDIR/mixed"; done
	for n in 1 2 3 4; do
		! received_eml "$n" | grep -qv $'\r$' || false
	done
}

@test "-t with Resent- blocks goes to the latest block's recipients only" {
	setup_relay_and_config starttls
	sendmail -t -i <<-'EOF'
	Resent-From: fwd@example.org
	Resent-To: new@example.org
	Resent-Bcc: quiet@example.org
	Resent-From: first@example.org
	Resent-To: earlier@example.org
	From: orig@example.org
	To: old@example.org
	Subject: resent

	body
	EOF
	relayq run
	received_json 1 | json_get 'sorted(d["rcpt_tos"])' | grep -qx "\['new@example.org', 'quiet@example.org'\]"
	! received_eml 1 | grep -qi '^resent-bcc' || false
	received_eml 1 | grep -q $'^To: old@example.org\r$'
}

@test "-odi waits for the outcome: sent, deferred, bounced" {
	setup_relay_and_config starttls
	use_runner
	run -0 --separate-stderr sendmail -odi bob@example.org <<< "Subject: wait"
	[[ "$stderr" == "sendmail: "*": sent (250 "* ]]
	[ "$(received_count)" -eq 1 ]
	relay_control '{"rcpt": {"gone@example.org": "550 5.1.1 no such user"}}'
	run -69 --separate-stderr sendmail -odi -N never gone@example.org <<< "Subject: wait"
	[[ "$stderr" == *": bounced (550 5.1.1 no such user)" ]]
	relay_control '{"data": "451 4.3.0 later", "data_times": 1}'
	run -0 --separate-stderr sendmail -odi bob@example.org <<< "Subject: wait"
	[[ "$stderr" == *": deferred (451 4.3.0 later)" ]]
	wait_for 10 has_received 2
	# The marks and reports are cleaned up.
	wait_for 10 bash -c "! ls '$SPOOL/intake' | grep -q '^[rw]\.'"
}

@test "-t: a Resent- block without Resent- recipients leaves To/Cc in charge" {
	setup_relay_and_config starttls
	printf 'Resent-From: fwd@example.org\nTo: ann@example.org\nSubject: r\n\nb\n' | sendmail -t -i
	relayq run
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['ann@example.org'\]"
}
