#!/usr/bin/env bats
# The real programs that call /usr/sbin/sendmail on Debian 12, run against
# the build-tree sendmail and the test smart host: PHP's mail(), PHPMailer,
# Symfony Mailer (-bs), git send-email, mutt, bsd-mailx, s-nail, GNU
# mailutils' mail, and cron's invocation.  tools/install-deps installs them.
#
# Each caller runs sendmail through a recorder that notes its arguments and
# execs $SENDMAIL, so each test also pins down the invocation it exercised.
# HOME is a fresh directory, and each program is kept from reading site or
# user start-up files where it has a switch for that.

load helpers

setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export LC_ALL=C.UTF-8
	unset MAILRC REPLYTO EMAIL MAIL MBOX DEAD
	export GIT_CONFIG_NOSYSTEM=1
	make_recorder
	setup_relay_and_config starttls
	# Where mail for root goes must not depend on this machine's
	# /etc/aliases: no aliases file, so local names are qualified.
	echo 'aliases = ""' >> "$CONF"
}

teardown() {
	common_teardown
}

# make_recorder - $REC: a sendmail that appends its arguments, each in
# <...>, as one line to $BATS_TEST_TMPDIR/argv and execs $SENDMAIL.
make_recorder() {
	REC="$BATS_TEST_TMPDIR/sendmail-rec"
	cat > "$REC" <<-EOF
	#!/bin/sh
	printf '<%s>' "\$@" >> '$BATS_TEST_TMPDIR/argv'
	echo >> '$BATS_TEST_TMPDIR/argv'
	exec '$SENDMAIL' "\$@"
	EOF
	chmod +x "$REC"
}

# argv_was LINE - sendmail ran exactly once, with these arguments.
argv_was() {
	local got
	got=$(cat "$BATS_TEST_TMPDIR/argv")
	if [ "$got" != "$1" ]; then
		printf 'sendmail argv:\n  got:  %s\n  want: %s\n' "$got" "$1" >&2
		return 1
	fi
}

# delivered_one - exactly one message reached the relay and the queue is
# empty; the message is saved for the header/body helpers.
delivered_one() {
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
	received_eml 1 > "$BATS_TEST_TMPDIR/got.eml"
}

mail_from_is() {
	local got
	got=$(received_json 1 | json_get 'd["mail_from"]')
	if [ "$got" != "$1" ]; then
		printf 'mail_from: got %s, want %s\n' "$got" "$1" >&2
		return 1
	fi
}

# rcpts_are ADDR... - the envelope recipients, in any order.
rcpts_are() {
	local got want
	got=$(received_json 1 | json_get '" ".join(sorted(d["rcpt_tos"]))')
	want=$(printf '%s\n' "$@" | LC_ALL=C sort | tr '\n' ' ')
	if [ "$got " != "$want" ]; then
		printf 'rcpt_tos: got %s, want %s\n' "$got" "$want" >&2
		return 1
	fi
}

# header_values NAME - the value of every NAME field of the received
# message, unfolded, one a line.
header_values() {
	"$PY" - "$BATS_TEST_TMPDIR/got.eml" "$1" <<-'EOF'
	import sys, email, email.policy
	with open(sys.argv[1], "rb") as f:
	    m = email.message_from_binary_file(f, policy=email.policy.compat32)
	for v in m.get_all(sys.argv[2]) or []:
	    print(v.replace("\r\n", "").replace("\n", ""))
	EOF
}

# header_is NAME VALUE - exactly one NAME field, with this value.
header_is() {
	local got
	got=$(header_values "$1")
	if [ "$got" != "$2" ]; then
		printf '%s: got [%s], want [%s]\n' "$1" "$got" "$2" >&2
		return 1
	fi
}

header_matches() {	# header_matches NAME ERE
	local got
	got=$(header_values "$1")
	[ "$(printf '%s\n' "$got" | wc -l)" -eq 1 ] && [[ "$got" =~ $2 ]] ||
	    { printf '%s: got [%s], want /%s/\n' "$1" "$got" "$2" >&2; return 1; }
}

no_header() {
	if [ -n "$(header_values "$1")" ] ||
	    sed $'/^\r\\?$/q' "$BATS_TEST_TMPDIR/got.eml" | grep -qi "^$1:"; then
		echo "unexpected $1 field" >&2
		return 1
	fi
}

# body_has LINE - the body (after the first empty line) has this line.
body_has() {
	sed $'1,/^\r\\?$/d' "$BATS_TEST_TMPDIR/got.eml" | tr -d '\r' | grep -qxF -- "$1" ||
	    { echo "body lacks: $1" >&2; return 1; }
}

# the address never appears in what the relay received
hidden_nowhere() {
	if grep -qiF -- "$1" "$BATS_TEST_TMPDIR/got.eml"; then
		echo "$1 appears in the message" >&2
		return 1
	fi
}

# Every line of the message as relayed ends in CRLF.
all_crlf() {
	if grep -qv $'\r$' "$BATS_TEST_TMPDIR/got.eml"; then
		echo "a line without CRLF" >&2
		return 1
	fi
}

@test "PHP mail() with sendmail_path -t -i, Cc and Bcc headers and -f" {
	timeout 30 php -d sendmail_path="$REC -t -i" -r '
	    exit(mail("to@example.org", "PHP subject", "php body line\n",
	        "From: Web App <web@example.org>\r\nCc: cc@example.org\r\nBcc: hidden@example.org",
	        "-f sender@example.org") ? 0 : 1);'
	argv_was '<-t><-i><-f><sender@example.org>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To to@example.org
	header_is Cc cc@example.org
	header_is From 'Web App <web@example.org>'
	header_is Subject 'PHP subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	header_matches Message-ID '^<[^@]+@client\.example>$'
	header_matches Date '^[A-Z][a-z]{2}, '
	body_has 'php body line'
	all_crlf
}

@test "PHPMailer in sendmail mode: -oi -fSENDER -t" {
	autoload=$(dpkg -L libphp-phpmailer | grep '/autoload\.php$')
	SENDMAIL="$REC" timeout 30 php -r '
	    require $argv[1];
	    $m = new PHPMailer\PHPMailer\PHPMailer(true);
	    $m->isSendmail();
	    $m->Sendmail = getenv("SENDMAIL");
	    $m->setFrom("sender@example.org", "PHPMailer Sender");
	    $m->addAddress("to@example.org", "To Person");
	    $m->addCC("cc@example.org");
	    $m->addBCC("hidden@example.org");
	    $m->Subject = "PHPMailer subject";
	    $m->Body = "phpmailer body line\n";
	    $m->send();' "$autoload"
	argv_was '<-oi><-fsender@example.org><-t>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To 'To Person <to@example.org>'
	header_is Cc cc@example.org
	header_is From 'PHPMailer Sender <sender@example.org>'
	header_is Subject 'PHPMailer subject'
	# PHPMailer writes a Bcc field for sendmail -t; it must not leave.
	no_header Bcc
	hidden_nowhere hidden@example.org
	header_matches X-Mailer '^PHPMailer '
	body_has 'phpmailer body line'
	all_crlf
}

@test "Symfony Mailer SendmailTransport speaks SMTP to sendmail -bs" {
	autoload=$(dpkg -L php-symfony-mailer | grep '/Symfony/Component/Mailer/autoload\.php$')
	SENDMAIL="$REC" timeout 30 php -r '
	    require $argv[1];
	    use Symfony\Component\Mailer\Mailer;
	    use Symfony\Component\Mailer\Transport\SendmailTransport;
	    use Symfony\Component\Mime\Email;
	    $t = new SendmailTransport(getenv("SENDMAIL") . " -bs");
	    $e = (new Email())
	        ->from("Symfony Sender <sender@example.org>")
	        ->to("To Person <to@example.org>")
	        ->cc("cc@example.org")
	        ->bcc("hidden@example.org")
	        ->subject("Symfony subject")
	        ->text("symfony body line\n");
	    (new Mailer($t))->send($e);' "$autoload"
	argv_was '<-bs>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To 'To Person <to@example.org>'
	header_is Cc cc@example.org
	header_is From 'Symfony Sender <sender@example.org>'
	header_is Subject 'Symfony subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	# Symfony's own Message-ID and Date are kept, not replaced.
	header_matches Message-ID '^<[0-9a-f]+@example\.org>$'
	body_has 'symfony body line'
	all_crlf
}

# make_patch - a repository with one commit, and its patch, in $REPO.
make_patch() {
	REPO="$BATS_TEST_TMPDIR/repo"
	git init -q "$REPO"
	git -C "$REPO" config user.name "Patch Author"
	git -C "$REPO" config user.email author@example.org
	printf 'hello from the patch\n' > "$REPO/greeting.txt"
	git -C "$REPO" add greeting.txt
	git -C "$REPO" commit -q -m "Add greeting.txt"
	(cd "$REPO" && git format-patch -q -1)
	PATCH=$(ls "$REPO"/0001-*.patch)
}

@test "git send-email --sendmail-cmd: the patch arrives" {
	make_patch
	(cd "$REPO" && timeout 60 git send-email --to=list@example.org \
	    --from="Patch Author <author@example.org>" --sendmail-cmd="$REC" \
	    --confirm=never --no-validate --suppress-cc=all "$PATCH" </dev/null)
	argv_was '<-i><list@example.org>'
	relayq run
	delivered_one
	# No --envelope-sender: sendmail's default, the caller at DOMAIN.
	mail_from_is "$(id -un)@client.example"
	rcpts_are list@example.org
	header_is To list@example.org
	header_is From 'Patch Author <author@example.org>'
	header_is Subject '[PATCH] Add greeting.txt'
	no_header Cc
	header_matches Message-Id '^<[0-9]+\.[0-9]+-1-author@example\.org>$'
	body_has '+hello from the patch'
	body_has 'diff --git a/greeting.txt b/greeting.txt'
	all_crlf
}

@test "git send-email --envelope-sender=auto with --cc and --bcc" {
	make_patch
	(cd "$REPO" && timeout 60 git send-email --to=list@example.org \
	    --cc=cc@example.org --bcc=hidden@example.org \
	    --from="Patch Author <author@example.org>" --envelope-sender=auto \
	    --sendmail-cmd="$REC" --confirm=never --no-validate \
	    --suppress-cc=all "$PATCH" </dev/null)
	argv_was '<-f><author@example.org><-i><list@example.org><cc@example.org><hidden@example.org>'
	relayq run
	delivered_one
	mail_from_is author@example.org
	rcpts_are list@example.org cc@example.org hidden@example.org
	header_is To list@example.org
	header_is Cc cc@example.org
	no_header Bcc
	hidden_nowhere hidden@example.org
	body_has '+hello from the patch'
}

@test "mutt in batch mode: -oem -oi -f SENDER -- recipients" {
	printf 'mutt body line\n' > "$BATS_TEST_TMPDIR/body"
	timeout 30 mutt -n -F /dev/null \
	    -e "set sendmail=\"$REC -oem -oi\"; set from=\"Mutt Sender <sender@example.org>\"; set use_from=yes; set envelope_from=yes" \
	    -s "Mutt subject" -c cc@example.org -b hidden@example.org \
	    to@example.org < "$BATS_TEST_TMPDIR/body"
	argv_was '<-oem><-oi><-f><sender@example.org><--><to@example.org><cc@example.org><hidden@example.org>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To to@example.org
	header_is Cc cc@example.org
	header_is From 'Mutt Sender <sender@example.org>'
	header_is Subject 'Mutt subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	body_has 'mutt body line'
	all_crlf
}

@test "bsd-mailx mail -s to root: -i -t, root qualified with DOMAIN" {
	# bsd-mailx runs the "sendmail" variable, /usr/sbin/sendmail if unset.
	printf 'set sendmail=%s\n' "$REC" > "$BATS_TEST_TMPDIR/mailrc"
	printf 'mailx body line\n' |
	    MAILRC="$BATS_TEST_TMPDIR/mailrc" timeout 30 bsd-mailx \
	    -s "mailx subject" -c cc@example.org -b hidden@example.org root
	argv_was '<-i><-t>'
	relayq run
	delivered_one
	mail_from_is "$(id -un)@client.example"
	rcpts_are root@client.example cc@example.org hidden@example.org
	# The local name in To: is qualified like the envelope recipient.
	header_is To root@client.example
	header_is Cc cc@example.org
	header_matches From "<$(id -un)@client\\.example>\$"
	header_is Subject 'mailx subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	body_has 'mailx body line'
	all_crlf
}

@test "s-nail -Smta: -i -F NAME -f SENDER -- recipients" {
	printf 'snail body line\n' |
	    timeout 30 s-nail -:/ -Smta="$REC" -s "s-nail subject" \
	    -r "Snail Sender <sender@example.org>" \
	    -c cc@example.org -b hidden@example.org to@example.org
	argv_was '<-i><-F><Snail Sender><-f><sender@example.org><--><to@example.org><cc@example.org><hidden@example.org>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To to@example.org
	header_is Cc cc@example.org
	header_is From 'Snail Sender <sender@example.org>'
	header_is Subject 's-nail subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	body_has 'snail body line'
	all_crlf
}

@test "GNU mailutils mail, sendmail mailer URL: -oi -f SENDER -t" {
	printf 'mailutils body line\n' |
	    timeout 30 mail.mailutils --no-config -n \
	    --exec "set sendmail=sendmail://$REC" -s "mailutils subject" \
	    -r sender@example.org -a "Cc: cc@example.org" \
	    -a "Bcc: hidden@example.org" to@example.org
	argv_was '<-oi><-f><sender@example.org><-t>'
	relayq run
	delivered_one
	mail_from_is sender@example.org
	rcpts_are to@example.org cc@example.org hidden@example.org
	header_is To '<to@example.org>'
	header_is Cc '<cc@example.org>'
	# mailutils writes no From; sendmail adds one for the -f sender.
	header_matches From '<sender@example\.org>$'
	header_is Subject 'mailutils subject'
	no_header Bcc
	hidden_nowhere hidden@example.org
	body_has 'mailutils body line'
	all_crlf
}

@test "Debian cron's mail: -FCronDaemon -i -B8BITMIME -oem root" {
	# The command and header that Debian's cron (3.0pl1-162) writes
	# through popen(), for a job whose output is 8-bit UTF-8.
	host=$(hostname | cut -d. -f1)
	cat > "$BATS_TEST_TMPDIR/cronmail" <<-EOF
	From: root (Cron Daemon)
	To: root
	Subject: Cron <root@$host> /usr/local/bin/report
	MIME-Version: 1.0
	Content-Type: text/plain; charset=UTF-8
	Content-Transfer-Encoding: 8bit
	X-Cron-Env: <SHELL=/bin/sh>
	X-Cron-Env: <HOME=/root>
	X-Cron-Env: <PATH=/usr/bin:/bin>
	X-Cron-Env: <LOGNAME=root>

	report line one
	Größe: 5 GiB — fertig
	.
	last line
	EOF
	timeout 30 sh -c "'$REC' -FCronDaemon -i -B8BITMIME -oem  root" \
	    < "$BATS_TEST_TMPDIR/cronmail"
	argv_was '<-FCronDaemon><-i><-B8BITMIME><-oem><root>'
	relayq run
	delivered_one
	mail_from_is "$(id -un)@client.example"
	rcpts_are root@client.example
	received_json 1 | json_get 'd["mail_options"]' | grep -qF "'BODY=8BITMIME'"
	# A local From: becomes the sender, keeping the comment; the local
	# To: is qualified.
	header_is From "$(id -un)@client.example (Cron Daemon)"
	header_is To root@client.example
	header_is Subject "Cron <root@$host> /usr/local/bin/report"
	header_is Content-Type 'text/plain; charset=UTF-8'
	[ "$(header_values X-Cron-Env | tr '\n' ' ')" = '<SHELL=/bin/sh> <HOME=/root> <PATH=/usr/bin:/bin> <LOGNAME=root> ' ]
	header_matches Message-ID '^<[^@]+@client\.example>$'
	header_matches Date '^[A-Z][a-z]{2}, '
	body_has 'report line one'
	body_has 'Größe: 5 GiB — fertig'
	# -i: the lone dot is text, and the rest of the output follows it.
	body_has '.'
	body_has 'last line'
	all_crlf
}
