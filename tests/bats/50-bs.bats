#!/usr/bin/env bats
# sendmail -bs: an SMTP dialogue on stdin/stdout, as Symfony Mailer,
# Laravel and Alpine speak it.  Replies are asserted line by line; what
# was accepted is then delivered with "relayq run" and checked at the relay.

load helpers

setup() {
	start_relay
	write_config
	write_driver
}

teardown() {
	common_teardown
}

# write_driver - $BS: a Python driver for dialogues that must wait for a
# reply before they go on.  Arguments are steps, run in order:
#	send:TEXT	write TEXT (backslash escapes: \r \n \x00)
#	expect:CODE	read one whole reply (all its lines); its code must be CODE
#	intake:N	exactly N committed m.* files in the intake
#	close		close sendmail's stdin
#	exit:N		wait for sendmail; its exit status must be N
# Every reply line read is printed; a failed step exits 1 saying why.
write_driver() {
	BS="$BATS_TEST_TMPDIR/bs.py"
	cat > "$BS" <<-'EOF'
	import os, signal, subprocess, sys
	signal.alarm(60)
	sendmail, intake = sys.argv[1], sys.argv[2]
	p = subprocess.Popen([sendmail, "-bs"], stdin=subprocess.PIPE,
	    stdout=subprocess.PIPE)
	def fail(why):
	    print("FAIL: " + why)
	    sys.exit(1)
	for step in sys.argv[3:]:
	    op, _, arg = step.partition(":")
	    if op == "send":
	        data = arg.encode("latin-1").decode("unicode_escape")
	        p.stdin.write(data.encode("latin-1"))
	        p.stdin.flush()
	    elif op == "expect":
	        while True:
	            line = p.stdout.readline().decode("latin-1")
	            if not line:
	                fail("end of output, wanted " + arg)
	            print(line.rstrip("\r\n"))
	            if line[3:4] != "-":
	                break
	        if not line.startswith(arg):
	            fail("wanted " + arg)
	    elif op == "intake":
	        n = len([f for f in os.listdir(intake) if f.startswith("m.")])
	        if n != int(arg):
	            fail("%d files in the intake, wanted %s" % (n, arg))
	    elif op == "close":
	        p.stdin.close()
	    elif op == "exit":
	        rc = p.wait()
	        if rc != int(arg):
	            fail("exit status %d, wanted %s" % (rc, arg))
	    else:
	        fail("bad step " + step)
	EOF
}

bs() {
	"$PY" "$BS" "$SENDMAIL" "$SPOOL/intake" "$@"
}

# reply_codes - the codes of the final lines of all replies on stdin.
reply_codes() {
	tr -d '\r' | grep -v '^...-' | cut -c1-3 | tr '\n' ' ' | sed 's/ $//'
}

# nth_reply N - the final line of the N-th reply on stdin (the greeting is 1),
# without its CR.
nth_reply() {
	tr -d '\r' | grep -v '^...-' | sed -n "$1p"
}

m_files() {
	intake_files | grep -c '^m\.' || true
}

@test "a session with two messages: both queued and delivered intact" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO client.test\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\nFrom: Alice <alice@example.org>\r\nSubject: first\r\n\r\nline one\r\n..x\r\n...\r\n.\r\nMAIL FROM:<dave@example.org>\r\nRCPT TO:<erin@example.org>\r\nDATA\r\nSubject: second\r\n\r\nsecond body\r\n.\r\nQUIT\r\n'
	[ -z "$stderr" ]
	[ "${lines[0]}" = $'220 client.example ESMTP relayq\r' ]
	printf '%s\n' "${lines[@]}" | grep -qx $'250-SIZE 134217728\r'
	for ext in PIPELINING 8BITMIME ENHANCEDSTATUSCODES SMTPUTF8 DSN; do
		printf '%s\n' "${lines[@]}" | grep -qx "250-$ext"$'\r'
	done
	printf '%s\n' "${lines[@]}" | grep -qx $'250 HELP\r'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 250 354 250 250 250 354 250 221" ]
	[ "$(printf '%s\n' "$output" | grep -c '^250 2.0.0 Ok: queued as [0-9A-F]\{20\}'$'\r$')" -eq 2 ]
	[ "$(m_files)" -eq 2 ]
	relayq run
	[ "$(received_count)" -eq 2 ]
	received_json 1 | json_get 'd["mail_from"]' | grep -qx alice@example.org
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['bob@example.org', 'carol@example.org'\]"
	received_json 2 | json_get 'd["mail_from"]' | grep -qx dave@example.org
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['erin@example.org'\]"
	received_eml 1 > "$BATS_TEST_TMPDIR/got1"
	grep -qx $'Subject: first\r' "$BATS_TEST_TMPDIR/got1"
	grep -qx $'From: Alice <alice@example.org>\r' "$BATS_TEST_TMPDIR/got1"
	grep -qx $'line one\r' "$BATS_TEST_TMPDIR/got1"
	grep -qx $'\\.x\r' "$BATS_TEST_TMPDIR/got1"
	grep -qx $'\\.\\.\r' "$BATS_TEST_TMPDIR/got1"
	! grep -q 'second' "$BATS_TEST_TMPDIR/got1" || false
	received_eml 2 | grep -qx $'second body\r'
	received_eml 2 | grep -q '^Message-ID: <[0-9A-F]\{20\}@client.example>'
	queue_is_empty
}

@test "the whole dialogue in one write, bare LF line ends and lower case" {
	# One write of everything, stdin closed right after it.
	run -0 --separate-stderr "$PY" -c '
import subprocess, sys
d = (b"helo x\nmail from:<a@example.org>\nrcpt to:<b@example.org>\ndata\n"
     b"Subject: one\n\nbody one\n.\n"
     b"Mail From:<a@example.org>\nRcpt To:<c@example.org>\nData\n"
     b"Subject: two\n\nbody two\n.\nquit\n")
p = subprocess.run([sys.argv[1], "-bs"], input=d, stdout=subprocess.PIPE,
    timeout=30)
sys.stdout.write(p.stdout.decode())
sys.exit(p.returncode)' "$SENDMAIL"
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 250 250 354 250 221" ]
	relayq run
	[ "$(received_count)" -eq 2 ]
	received_eml 1 | grep -qx $'body one\r'
	received_eml 2 | grep -qx $'body two\r'
	received_json 2 | json_get 'd["rcpt_tos"]' | grep -qx "\['c@example.org'\]"
}

@test "pipelined commands get their replies before sendmail waits for more" {
	# stdin stays open: had the replies waited for more input, expect
	# would hang until the driver's alarm.
	run -0 bs expect:220 \
	    'send:EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n' \
	    expect:250 expect:250 expect:250 expect:250 expect:354 \
	    'send:Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nRSET\r\n' \
	    expect:250 expect:250 expect:250 \
	    'send:QUIT\r\n' expect:221 exit:0
	relayq run
	[ "$(received_count)" -eq 1 ]
}

@test "each message is in the intake before its 250 is read" {
	run -0 bs expect:220 intake:0 \
	    'send:EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n' \
	    expect:250 expect:250 expect:250 expect:354 \
	    'send:Subject: one\r\n\r\nbody\r\n' intake:0 \
	    'send:.\r\n' expect:250 intake:1 \
	    'send:MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n' \
	    expect:250 expect:250 expect:354 \
	    'send:Subject: two\r\n\r\nbody\r\n.\r\n' expect:250 intake:2 \
	    'send:QUIT\r\n' expect:221 exit:0
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
}

@test "bad sequences: RCPT before MAIL, DATA before RCPT, nested MAIL give 503" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nRCPT TO:<b@example.org>\r\nDATA\r\nMAIL FROM:<a@example.org>\r\nDATA\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nEHLO again\r\nRCPT TO:<b@example.org>\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 503 503 250 503 503 250 250 503 221" ]
	[[ "${lines[*]}" == *"503 5.5.1 Error: need MAIL command"* ]]
	[[ "${lines[*]}" == *"503 5.5.1 Error: need RCPT command"* ]]
	[[ "${lines[*]}" == *"503 5.5.1 Error: nested MAIL command"* ]]
	[ "$(m_files)" -eq 0 ]
}

@test "bad addresses and parameters: 553, 501, 555, and DATA with no valid recipient 554" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<a@b@c>\r\nMAIL FROM:<unterminated\r\nMAIL FROM a@example.org\r\nMAIL FROM:<a@example.org> FOO=bar\r\nMAIL FROM:<a@example.org> BODY=9BIT\r\nMAIL FROM:<a@example.org> RET=FULL ENVID=job+2042 BODY=8BITMIME SIZE=10\r\nRCPT TO:<-oQ/tmp>\r\nRCPT TO:<x@-bad-.example>\r\nRCPT TO:<>\r\nRCPT TO:<two words@example.org>\r\nRCPT TO:<b@example.org> NOTIFY=SOMETIMES\r\nRCPT TO:<b@example.org> XYZ\r\nRCPT TO:<j\xc3\xb6@example.org>\r\nDATA\r\nRCPT TO:<b@example.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+40example.org\r\nRCPT TO:<@relay.example:c@example.org>\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 553 501 501 555 501 250 553 553 553 553 501 555 553 554 250 250 221" ]
	[[ "$(nth_reply 3 <<< "$output")" == "553 5.1.7 Bad sender address: "* ]]
	[[ "$(nth_reply 4 <<< "$output")" == "501 5.1.7 "* ]]
	[[ "$(nth_reply 5 <<< "$output")" == "501 5.5.4 "* ]]
	[[ "$(nth_reply 6 <<< "$output")" == "555 5.5.4 "* ]]
	[[ "$(nth_reply 9 <<< "$output")" == "553 5.1.3 Bad recipient address: "* ]]
	[[ "$(nth_reply 15 <<< "$output")" == "553 5.6.7 "* ]]
	[[ "$(nth_reply 16 <<< "$output")" == "554 5.5.1 "* ]]
}

@test "BODY, RET, ENVID and a shared NOTIFY reach the relay; mixed NOTIFY is left out" {
	relay_control '{"dsn": true}'
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<a@example.org> body=7bit RET=hdrs ENVID=job+2042\r\nRCPT TO:<b@example.org> NOTIFY=failure,success\r\nRCPT TO:<c@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@example.org\r\nDATA\r\nSubject: dsn\r\n\r\nx\r\n.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org> NOTIFY=NEVER\r\nRCPT TO:<c@example.org>\r\nDATA\r\nSubject: mixed\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 250 354 250 250 250 250 354 250 221" ]
	relayq run
	[ "$(received_count)" -eq 2 ]
	received_json 1 | json_get '" ".join(sorted(d["mail_options"]))' | grep -qx 'BODY=7BIT ENVID=job+2042 RET=HDRS'
	received_json 1 | json_get 'd["rcpt_options_per_rcpt"]' | grep -qx "\[\['NOTIFY=SUCCESS,FAILURE'\], \['NOTIFY=SUCCESS,FAILURE'\]\]"
	! received_json 2 | json_get '" ".join(d["mail_options"])' | grep -Eq 'RET|ENVID' || false
	! received_json 2 | grep -q NOTIFY || false
}

@test "non-ASCII addresses are taken with SMTPUTF8" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<j\xc3\xb6s\xc3\xa9@example.org> SMTPUTF8\r\nRCPT TO:<b\xc3\xbc@example.org>\r\nDATA\r\nSubject: u\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 221" ]
	grep -qx $'T b\xc3\xbc@example.org' "$SPOOL"/intake/m.*
	grep -qx $'F j\xc3\xb6s\xc3\xa9@example.org' "$SPOOL"/intake/m.*
}

@test "unknown and unoffered commands, syntax errors, HELP, VRFY, NOOP, NUL" {
	run -0 --separate-stderr bash -c "printf \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    'EHLO\r\nXYZZY\r\n\r\nSTARTTLS\r\nAUTH PLAIN AGFhAGI=\r\nBDAT 10 LAST\r\nEXPN staff\r\nVRFY bob\r\nVRFY\r\nNOOP anything\r\nHELP\r\nNO\0OP\r\nRSET now\r\nDATA x\r\nQUIT now\r\nquit\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 501 500 500 502 502 502 502 252 501 250 214 500 501 501 501 221" ]
	[ "$(nth_reply 3 <<< "$output")" = '500 5.5.2 Error: command not recognized' ]
	[[ "$(nth_reply 5 <<< "$output")" == "502 5.5.1 "* ]]
	[[ "$(nth_reply 9 <<< "$output")" == "252 2.5.2 "* ]]
	[[ "$output" == *"500 5.5.2 Error: NUL byte in command"* ]]
}

@test "a command line over 512 octets is refused whole with 500 5.5.6" {
	long=$(head -c 600 /dev/zero | tr '\0' x)
	# 510 octets + CRLF is the longest allowed.
	max="NOOP $(head -c 505 /dev/zero | tr '\0' y)"
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    "EHLO x"$'\r\n'"MAIL FROM:<a@example.org> $long"$'\r\n'"$max"$'\r\n'"NOOP$long$long$long"$'\n'"MAIL FROM:<a@example.org>"$'\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 500 250 500 250 221" ]
	[ "$(nth_reply 3 <<< "$output")" = '500 5.5.6 Error: line too long' ]
}

@test "SIZE= over max_message_size, and a message over it, get 552" {
	echo 'max_message_size = 1M' >> "$CONF"
	head -c 1100000 /dev/zero | tr '\0' x > "$BATS_TEST_TMPDIR/big"
	{
		printf 'EHLO x\r\nMAIL FROM:<a@example.org> SIZE=2000000\r\n'
		printf 'MAIL FROM:<a@example.org> SIZE=1000\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: big\r\n\r\n'
		cat "$BATS_TEST_TMPDIR/big"
		printf '\r\n.\r\nNOOP\r\nQUIT\r\n'
	} > "$BATS_TEST_TMPDIR/dialogue"
	run -0 --separate-stderr timeout 30 "$SENDMAIL" -bs < "$BATS_TEST_TMPDIR/dialogue"
	[[ "$output" == *"250-SIZE 1048576"* ]]
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 552 250 250 354 552 250 221" ]
	[[ "$(nth_reply 3 <<< "$output")" == "552 5.3.4 "* ]]
	[[ "$(nth_reply 7 <<< "$output")" == "552 5.3.4 "* ]]
	[ -z "$(intake_files)" ]
}

@test "past ENVELOPE_RCPT_MAX recipients RCPT gets 452 4.5.3" {
	{
		printf 'EHLO x\r\nMAIL FROM:<a@example.org>\r\n'
		seq 1 10001 | sed 's/.*/RCPT TO:<r&@example.org>\r/'
		printf 'RSET\r\nQUIT\r\n'
	} > "$BATS_TEST_TMPDIR/dialogue"
	run -0 --separate-stderr timeout 30 "$SENDMAIL" -bs < "$BATS_TEST_TMPDIR/dialogue"
	[ "$(printf '%s\n' "$output" | grep -c '^250 2.1.5 ')" -eq 10000 ]
	[ "$(nth_reply 10004 <<< "$output")" = '452 4.5.3 Too many recipients' ]
	[ "$(printf '%s\n' "$output" | reply_codes | tail -c 7)" = "250 221" ]
}

@test "RSET discards the transaction; a later one is delivered alone" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<old@example.org>\r\nRCPT TO:<gone@example.org>\r\nRSET\r\nDATA\r\nMAIL FROM:<new@example.org>\r\nRCPT TO:<kept@example.org>\r\nDATA\r\nSubject: after rset\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 250 503 250 250 354 250 221" ]
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["mail_from"]' | grep -qx new@example.org
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['kept@example.org'\]"
}

@test "the null sender <> is accepted and delivered as <>" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'HELO x\r\nMAIL FROM:<>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: bounce\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 221" ]
	relayq run
	[ "$(received_count)" -eq 1 ]
	[ "$(received_json 1 | json_get 'repr(d["mail_from"])')" = "''" ]
}

@test "unqualified addresses are qualified with the domain" {
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'HELO x\r\nMAIL FROM:<www-data>\r\nRCPT TO:<root>\r\nDATA\r\nSubject: cron\r\n\r\nx\r\n.\r\nQUIT\r\n'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 221" ]
	grep -qx 'F www-data@client.example' "$SPOOL"/intake/m.*
	grep -qx 'T root@client.example' "$SPOOL"/intake/m.*
}

@test "a 5 MB message through -bs is delivered intact" {
	"$PY" -c '
import random, sys
r = random.Random(5)
out, n = [], 0
out.append("From: Big <big@example.org>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <big@example.org>\r\nSubject: big\r\n\r\n")
while n < 5 * 1024 * 1024:
    l = "".join(r.choice("abc .xyz") for _ in range(r.randrange(0, 90)))
    if r.random() < 0.05:
        l = "." + l
    out.append(l + "\r\n")
    n += len(l) + 2
out.append(".\r\n..\r\nend\r\n")
sys.stdout.write("".join(out))' > "$BATS_TEST_TMPDIR/msg"
	sed 's/^\./../' "$BATS_TEST_TMPDIR/msg" > "$BATS_TEST_TMPDIR/stuffed"
	{
		printf 'EHLO x\r\nMAIL FROM:<big@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n'
		cat "$BATS_TEST_TMPDIR/stuffed"
		printf '.\r\nQUIT\r\n'
	} > "$BATS_TEST_TMPDIR/dialogue"
	run -0 --separate-stderr timeout 30 "$SENDMAIL" -bs < "$BATS_TEST_TMPDIR/dialogue"
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 221" ]
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_eml 1 > "$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/msg" "$BATS_TEST_TMPDIR/got"
}

@test "end of input without QUIT: exit 0, an unfinished transaction is dropped" {
	# Mid-DATA: the finished first message stays, the second goes.
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: done\r\n\r\nx\r\n.\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a'
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 250 250 250 354" ]
	[ "$(m_files)" -eq 1 ]
	[ -z "$(intake_files | grep -v '^m\.')" ]
	# After RCPT, and in the middle of a command line.
	run -0 --separate-stderr bash -c "printf '%s' \"\$1\" | timeout 30 '$SENDMAIL' -bs" _ \
	    $'EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDA'
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250" ]
	[ "$(m_files)" -eq 1 ]
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_eml 1 | grep -qx $'Subject: done\r'
	queue_is_empty
}

@test "a header submit refuses gets 554 and the session goes on" {
	# The rest of the refused message (far more than submit reads before
	# it gives up) must be read and dropped, not taken for commands.
	{
		printf 'EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: a\0b\r\n\r\n'
		for i in $(seq 1 3000); do
			printf 'MAIL FROM:<evil@example.org>\r\nRCPT TO:<evil@example.org>\r\nDATA\r\n'
		done
		printf '.\r\nNOOP\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: fine\r\n\r\nx\r\n.\r\nQUIT\r\n'
	} > "$BATS_TEST_TMPDIR/dialogue"
	run -0 --separate-stderr timeout 30 "$SENDMAIL" -bs < "$BATS_TEST_TMPDIR/dialogue"
	[ "$(printf '%s\n' "$output" | reply_codes)" = "220 250 250 250 354 554 250 250 250 354 250 221" ]
	[[ "$output" == *"554 5.6.0 message contains a NUL byte (line 1)"* ]]
	relayq run
	[ "$(received_count)" -eq 1 ]
	received_eml 1 | grep -qx $'Subject: fine\r'
	! events | grep -q evil || false
}

@test "a client that stops reading ends the session quietly" {
	run --separate-stderr "$PY" -c '
import subprocess, sys
p = subprocess.Popen([sys.argv[1], "-bs"], stdin=subprocess.PIPE,
    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.close()
try:
    p.stdin.write(b"EHLO x\r\nNOOP\r\nQUIT\r\n")
    p.stdin.close()
except BrokenPipeError:
    pass
err = p.stderr.read()
sys.stdout.write("%d %r\n" % (p.wait(timeout=30), err))' "$SENDMAIL"
	[ "$status" -eq 0 ]
	[ "$output" = "74 b''" ]
}
