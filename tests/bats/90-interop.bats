#!/usr/bin/env bats
# relayq against real MTAs as its smart host: Postfix (STARTTLS, Cyrus SASL)
# and Exim (implicit TLS, its own authenticators), unpacked from Debian's
# packages by tools/install-deps and run on loopback with private
# configurations (tests/interop/mta.bash, tests/interop/README).  What the
# relay received is read on its side: its maildirs and its log.  Without
# the MTAs, or without root, these tests fail; they are never skipped.

load helpers
load ../interop/mta

teardown() {
	common_teardown
	mta_teardown
}

# use_postfix / use_exim [MECHANISMS] - start that relay, point relayq at
# it, and say how it shows what it did.
use_postfix() {
	start_postfix "$@"
	MAILBOXES="$PF/vmail" SERVER_LOG=postfix_log
	ENVELOPE_TO=X-Original-To
	LOG_TLS='Anonymous TLS connection established from unknown\[127\.0\.0\.1\]'
	LOG_AUTH_FAIL='SASL PLAIN authentication failed'
	LOG_UNCLEAN='lost connection|TLS library problem'
	LOG_REJECT='reject: RCPT from .*: 550 5\.1\.1 <reject@example\.org>: Recipient address rejected: <reject@example\.org>: rejected by the test relay; from=<sender@example\.org> to=<reject@example\.org>'
	write_config
}

use_exim() {
	start_exim "$@"
	MAILBOXES="$EX/mail" SERVER_LOG=exim_log
	ENVELOPE_TO=Envelope-to
	LOG_TLS=' X=TLS1\.[23]:'
	LOG_AUTH_FAIL='plain authenticator failed for .*: 535 Incorrect authentication data \(set_id=alice\)'
	LOG_UNCLEAN='TLS error|unexpected disconnection|connection lost'
	LOG_REJECT='rejected RCPT <reject@example\.org>: <reject@example\.org>: rejected by the test relay'
	write_config
}

# logged_auth MECHANISM - the relay logged a successful AUTH of alice.
logged_auth() {
	local m=$1
	case $SERVER_LOG in
	postfix_log) server_log | grep -q "sasl_method=$m, sasl_username=alice@postfix.test" ;;
	exim_log) m=$(tr 'A-Z-' 'a-z_' <<< "$m")
		server_log | grep -q " A=$m:alice " ;;
	esac
}

server_log() {
	"$SERVER_LOG"
}

mailbox() {
	echo "$MAILBOXES/$1"
}

flushed() {
	relayq flush >/dev/null 2>&1 || true
	queue_is_empty
}

has_mail() {	# has_mail WHO N
	[ "$(maildir_count "$(mailbox "$1")")" -ge "$2" ]
}

# A message whose every byte must arrive: dot lines, an mbox "From " line,
# trailing blanks, a tab, a folded header, 8-bit text, a 990-octet line,
# and every header relayq would otherwise add.
write_message() {
	{
		printf 'From: App <app@client.example>\n'
		printf 'To: bob@example.org, carol@example.org\n'
		printf 'Subject: interop =?UTF-8?Q?=C3=A9t=C3=A9?=\n'
		printf 'Date: Mon, 2 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <interop.%s@client.example>\n' "$BATS_TEST_NUMBER"
		printf 'X-Folded: first part,\n\tsecond part after a tab\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		printf 'First line.\n'
		printf '.\n'
		printf '..two dots\n'
		printf '.leading dot\n'
		printf 'From the start of a line\n'
		printf 'trailing blanks   \n'
		printf 'a\ttab\n'
		printf '\303\251t\303\251 \303\274n\303\257c\303\266d\303\251\n'
		printf '%0990d\n' 0
		printf '\n'
		printf 'Last line.\n'
	} > "$BATS_TEST_TMPDIR/message"
}

# Delivery: both recipients get it once, with the envelope relayq gave,
# over TLS and AUTH, headers and body unchanged.
check_delivery() {
	local who f
	write_message
	# -i: the line "." is text, not the end of the input.
	sendmail -i -f sender@example.org bob@example.org carol@example.org \
	    < "$BATS_TEST_TMPDIR/message"
	relayq run
	queue_is_empty
	wait_for 20 has_mail bob 1
	wait_for 20 has_mail carol 1
	for who in bob carol; do
		[ "$(maildir_count "$(mailbox "$who")")" -eq 1 ]
		f=$(maildir_files "$(mailbox "$who")")
		grep -qix 'Return-Path: <sender@example.org>' "$f"
		grep -qix "$ENVELOPE_TO: $who@example.org" "$f"
		# The relay's own record of the session: ESMTP, S for TLS, A
		# for AUTH (RFC 3848).
		grep -qi '^	by relay\..* with ESMTPSA' "$f"
		as_submitted "$f" | cmp - "$BATS_TEST_TMPDIR/message"
	done
	logged_auth PLAIN
	server_log | grep -q "$LOG_TLS"
	# relayq ended the session with QUIT and closed TLS properly.
	! server_log | grep -Eq "$LOG_UNCLEAN" || false
	[ "$(maildir_count "$(mailbox sender)")" -eq 0 ]
}

# AUTH LOGIN, when the relay offers it and not PLAIN.
check_login() {
	sendmail -f sender@example.org bob@example.org <<< "Subject: login"
	relayq run
	queue_is_empty
	wait_for 20 has_mail bob 1
	logged_auth LOGIN
	! logged_auth PLAIN || false
}

# A wrong password: the relay refuses and logs it, relayq keeps the
# message and says why without the password; the right one sends it.
check_refused_auth() {
	printf 'wrong password\n' > "$SECRET"
	sendmail -f sender@example.org bob@example.org <<< "Subject: refused"
	run -0 relayq -v run
	[[ "$output" != *"wrong password"* ]]
	[ -n "$(queue_files)" ]
	run -0 relayq queue
	[[ "$output" == *"refused the credentials of alice: 535"* ]]
	[[ "$output" != *"wrong password"* ]]
	wait_for 10 eval 'server_log | grep -Eq "$LOG_AUTH_FAIL"'
	! logged_auth PLAIN || false
	[ "$(maildir_count "$(mailbox bob)")" -eq 0 ]
	printf '%s\n' "$MTA_PASSWORD" > "$SECRET"
	# A runner may hold AUTH back a little after a refusal: flush until
	# it goes (retry_min is 1 s in these tests).
	wait_for 20 flushed
	wait_for 20 has_mail bob 1
	logged_auth PLAIN
}

# One recipient refused with 550 by the relay: failed in relayq, the other
# delivered once, and relayq's bounce reaches the sender through the relay.
check_rejected_recipient() {
	local id bounce
	sendmail -f sender@example.org bob@example.org reject@example.org \
	    <<< "Subject: partial"
	relayq run
	wait_for 20 has_mail bob 1
	server_log | grep -Eq "$LOG_REJECT"
	queue_is_empty
	id=$(ls "$SPOOL/failed" | grep -v '\.state$')
	[ -n "$id" ]
	grep -q '^R 0 D 250' "$SPOOL/failed/$id.state"
	grep -Eq '^R 1 F 550 .*rejected by the test relay' "$SPOOL/failed/$id.state"
	wait_for 20 has_mail sender 1
	bounce=$(maildir_files "$(mailbox sender)")
	grep -qix 'Return-Path: <>' "$bounce"
	grep -q 'reject@example.org' "$bounce"
	grep -q 'rejected by the test relay' "$bounce"
	relayq flush
	[ "$(maildir_count "$(mailbox bob)")" -eq 1 ]
	[ "$(maildir_count "$(mailbox reject)")" -eq 0 ]
}

@test "Postfix: STARTTLS, AUTH PLAIN; envelope, headers and body arrive byte for byte" {
	use_postfix
	check_delivery
}

@test "Postfix: AUTH LOGIN when the relay offers no PLAIN" {
	use_postfix LOGIN
	check_login
}

@test "Postfix: a wrong password is refused, logged by Postfix, and the mail stays queued" {
	use_postfix
	check_refused_auth
}

@test "Postfix: a recipient refused with 550 fails, the other is delivered, the sender gets the bounce" {
	use_postfix
	check_rejected_recipient
}

# DEPENDS on relayq's client speaking SCRAM-SHA-256 and CRAM-MD5 (work on
# another branch when this was written): until it is merged this test
# fails with "offers no AUTH mechanism relayq supports".  Each mechanism is
# the only one Postfix offers, so nothing else can be chosen.
@test "Postfix: SCRAM-SHA-256 and CRAM-MD5 from Cyrus SASL (needs the client's SCRAM/CRAM-MD5)" {
	local mech
	for mech in SCRAM-SHA-256 CRAM-MD5; do
		use_postfix "$mech"
		sendmail -f sender@example.org bob@example.org <<< "Subject: $mech"
		run -0 relayq -v run
		echo "$mech: $output"
		queue_is_empty
		wait_for 20 has_mail bob 1
		logged_auth "$mech"
		mta_stop postfix
	done
}

@test "Exim: implicit TLS, AUTH PLAIN; envelope, headers and body arrive byte for byte" {
	use_exim
	check_delivery
}

@test "Exim: AUTH LOGIN when the relay offers no PLAIN" {
	use_exim LOGIN
	check_login
}

@test "Exim: a wrong password is refused, logged by Exim, and the mail stays queued" {
	use_exim
	check_refused_auth
}

@test "Exim: a recipient refused with 550 fails, the other is delivered, the sender gets the bounce" {
	use_exim
	check_rejected_recipient
}

# DEPENDS on relayq's client speaking CRAM-MD5 (work on another branch when
# this was written): until it is merged this test fails.  CRAM-MD5 is the
# only mechanism this Exim offers.
@test "Exim: CRAM-MD5 (needs the client's CRAM-MD5)" {
	use_exim CRAM-MD5
	sendmail -f sender@example.org bob@example.org <<< "Subject: cram"
	run -0 relayq -v run
	echo "$output"
	queue_is_empty
	wait_for 20 has_mail bob 1
	logged_auth CRAM-MD5
}
