#!/usr/bin/env bats
# relayq setup: presets, the secret's path from stdin or the terminal to
# its file (and nowhere else), refusal to overwrite, the interactive dialog
# on a real pseudo-terminal, and setup + check + send-test against the test
# smart host.  The root-only part (the compiled-in configuration, a
# root:rqtest secret, the check as rqtest) uses tests/priv/relayq-privtest.

load helpers

PTY_DIALOG="$RELAYQ_SRCDIR/tests/bats/pty_dialog.py"
PRIVRELAYQ="$RELAYQ_BUILDDIR/tests/priv/relayq-privtest"
SETUPDIR=${RELAYQ_SETUPTEST_DIR:?run through make check}

setup() {
	ETC="$BATS_TEST_TMPDIR/etc"
	mkdir -p "$ETC"
	CONF="$ETC/relayq.conf"
	SECRET="$ETC/relayq.secret"
	SPOOL="$BATS_TEST_TMPDIR/spool"
	export RELAYQ_CONFIG="$CONF" RELAYQ_RUNNER=/bin/true
}

teardown() {
	common_teardown
}

# relays_json - the smart hosts as relayq itself reads the written file
# (a queue directory of the test's own added, so status has a spool).
relays_json() {
	printf 'queue_dir = "%s"\n' "$SPOOL" >> "$CONF"
	timeout 20 "$RELAYQ" run
	timeout 20 "$RELAYQ" status --json | json_get "$1"
}

# A dialog on a pseudo-terminal: pty SECONDS EXPECT ANSWER ... -- CMD ...
pty() {
	run "$PY" "$PTY_DIALOG" "$BATS_TEST_TMPDIR/transcript" "$@"
	TRANSCRIPT=$(tr -d '\r' < "$BATS_TEST_TMPDIR/transcript")
}

# The rqtest accounts and a scratch directory for relayq-privtest, whose
# compiled-in configuration is $SETUPDIR/relayq.conf.
priv_setup() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root to create accounts and a root-owned secret"
	fi
	make_test_accounts
	rm -rf "$SETUPDIR"
	install -d -o root -g root -m 0755 "$SETUPDIR"
	# The queue as make install leaves it (see INSTALL_TABLE).
	install -d -o rqtest -g rqtest -m 0751 "$SETUPDIR/spool"
	install -d -o rqtest -g rqtestdrop -m 3770 "$SETUPDIR/spool/intake"
	for d in queue failed corrupt; do
		install -d -o rqtest -g rqtest -m 0750 "$SETUPDIR/spool/$d"
	done
	make_certs
	install -o root -g root -m 0644 "$CERTS/ca.crt" "$SETUPDIR/ca.crt"
	unset RELAYQ_CONFIG RELAYQ_RUNNER
	SPOOL="$SETUPDIR/spool"
}

@test "setup: every preset writes its host, port and TLS, read back by relayq" {
	# provider [options] | host port tls user
	while IFS='|' read -r args host port tls user; do
		rm -f "$CONF" "$SECRET"
		# shellcheck disable=SC2086
		run -0 --separate-stderr timeout 20 "$RELAYQ" setup $args \
		    --secret-stdin --no-check <<< 'tok-123'
		got=$(relays_json '"%s %s %s %s" % (d["relays"][0]["host"], d["relays"][0]["port"], d["relays"][0]["tls"], d["relays"][0]["user"])')
		[ "$got" = "$host $port $tls $user" ] || {
			echo "$args: got '$got', want '$host $port $tls $user'"
			false
		}
		[ "$(grep -c '^smarthost ' "$CONF")" -eq 1 ]
	done <<-'EOF'
	--provider gmail --user me@gmail.com|smtp.gmail.com|587|starttls|me@gmail.com
	--provider microsoft365 --user me@example.org|smtp.office365.com|587|starttls|me@example.org
	--provider outlook --user me@outlook.com|smtp-mail.outlook.com|587|starttls|me@outlook.com
	--provider fastmail --user me@fastmail.com|smtp.fastmail.com|465|tls|me@fastmail.com
	--provider icloud --user me@icloud.com|smtp.mail.me.com|587|starttls|me@icloud.com
	--provider zoho --user me@zoho.com|smtp.zoho.com|465|tls|me@zoho.com
	--provider zoho --region eu --user me@zoho.eu|smtp.zoho.eu|465|tls|me@zoho.eu
	--provider zoho --region in --user me@zoho.in|smtp.zoho.in|465|tls|me@zoho.in
	--provider ses --region eu-west-1 --user AKIAEXAMPLE|email-smtp.eu-west-1.amazonaws.com|587|starttls|AKIAEXAMPLE
	--provider mailgun --user postmaster@mg.example.org|smtp.mailgun.org|587|starttls|postmaster@mg.example.org
	--provider mailgun --region eu --user postmaster@mg.example.org|smtp.eu.mailgun.org|587|starttls|postmaster@mg.example.org
	--provider sendgrid|smtp.sendgrid.net|587|starttls|apikey
	--provider postmark|smtp.postmarkapp.com|587|starttls|tok-123
	--provider brevo --user me@example.org|smtp-relay.brevo.com|587|starttls|me@example.org
	--host mail.example.net --user u|mail.example.net|587|starttls|u
	--provider generic --host mail.example.net --port 465 --user u|mail.example.net|465|tls|u
	--host mail.example.net --port 2525 --tls tls --user u|mail.example.net|2525|tls|u
	--provider gmail --host smtp-relay.gmail.com --user me@example.org|smtp-relay.gmail.com|587|starttls|me@example.org
	EOF
}

@test "setup: icloud makes the iCloud address the sender; postmark's token keeps the file private" {
	run -0 --separate-stderr relayq setup --provider icloud \
	    --user me@icloud.com --secret-stdin --no-check <<< 'app-pass'
	grep -qx 'from = "me@icloud.com"' "$CONF"
	rm -f "$CONF"
	run -0 --separate-stderr relayq setup --provider postmark \
	    --secret-stdin --no-check <<< 'server-token-1'
	# The token is the user name too, so the configuration is a secret.
	[ "$(stat -c %a "$CONF")" = 600 ]
	[[ "$output" != *server-token-1* ]]
	[[ "$output" == *"note: the token is the user name too, so $CONF holds it"* ]]
	# With an SMTP token's Access Key as user it stays readable by all.
	rm -f "$CONF"
	run -0 --separate-stderr relayq setup --provider postmark \
	    --user access-key-1 --secret-stdin --no-check <<< 'secret-key-1'
	[ "$(stat -c %a "$CONF")" = 644 ]
	grep -qx '    user = "access-key-1"' "$CONF"
	! grep -q secret-key-1 "$CONF" || false
}

@test "setup: the secret from stdin lands in its file with mode 0600, and nowhere else" {
	secret='S3cr$t "q" \b ${HOME} #x'
	run -0 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --secret-stdin --no-check <<< "$secret"
	[ "$(cat "$SECRET")" = "$secret" ]
	[ "$(stat -c '%a %u' "$SECRET")" = "600 $(id -u)" ]
	[[ "$output" == *"wrote $SECRET (the secret)"* ]]
	[[ "$output" == *"note: $SECRET: mode 0600, owned by you"* ]]
	[[ "$output" == *"wrote $CONF (smart host smtp.gmail.com port 587, tls = starttls, user me@gmail.com)"* ]]
	! grep -qF 'S3cr' "$CONF" || false
	[[ "$output$stderr" != *S3cr* ]]
	grep -qx "    password_file = \"$SECRET\"" "$CONF"
	[ "$(stat -c %a "$CONF")" = 644 ]
	# No temporary files left behind.
	[ "$(ls -A "$ETC" | sort | tr '\n' ' ')" = "relayq.conf relayq.secret " ]
}

@test "setup: there is no --password option, and the secret is never taken from argv" {
	run -64 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --password hunter2 --no-check
	[[ "$stderr" == *"there is no --password option: a password on the command line shows in the process list"* ]]
	[ ! -e "$CONF" ] && [ ! -e "$SECRET" ]
	run -64 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --password=hunter2 --no-check
	[ ! -e "$CONF" ]
	run -0 relayq setup --help
	[[ "$output" == *"There is deliberately no --password option"* ]]
	# Without a terminal and without --secret-stdin there is no secret.
	run -64 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --no-check < /dev/null
	[[ "$stderr" == *"the secret (--secret-stdin, or run on a terminal"* ]]
	[ ! -e "$CONF" ] && [ ! -e "$SECRET" ]
}

@test "setup: values are written so that relayq reads back exactly them" {
	user='we"ird\user${HOME}$x'
	run -0 --separate-stderr relayq setup --host mail.example.net \
	    --user "$user" --from 'ann@example.org' --secret-stdin \
	    --no-check <<< 'pw'
	[ "$(relays_json 'd["relays"][0]["user"]')" = "$user" ]
	grep -qx 'from = "ann@example.org"' "$CONF"
	# A line break in a value would start a new key: refused, no file.
	rm -f "$CONF" "$SECRET"
	run -64 --separate-stderr relayq setup --host mail.example.net \
	    --user $'u\n}\nsmarthost "evil.example" {' --secret-stdin \
	    --no-check <<< 'pw'
	[[ "$stderr" == *"--user: not a user name"* ]]
	[ ! -e "$CONF" ] && [ ! -e "$SECRET" ]
	run -64 --separate-stderr relayq setup --host 'evil.example" {' \
	    --user u --secret-stdin --no-check <<< 'pw'
	[[ "$stderr" == *"is not a host name"* ]]
	[ ! -e "$CONF" ]
	# An address relayq would not take is refused before writing.
	run -65 --separate-stderr relayq setup --host mail.example.net \
	    --user u --from 'not an address' --secret-stdin --no-check <<< 'pw'
	[[ "$stderr" == *"would not load"*"from"* ]]
	[ ! -e "$CONF" ] && [ ! -e "$SECRET" ]
}

@test "setup: --password-command instead of a secret file" {
	run -0 --separate-stderr relayq setup --provider microsoft365 \
	    --user me@example.org --password-command 'oauth2-token "me" $X' \
	    --no-check < /dev/null
	grep -qx '    password_command = "oauth2-token \\"me\\" \\$X"' "$CONF"
	! grep -q password_file "$CONF" || false
	[ ! -e "$SECRET" ]
	[ "$(relays_json 'd["relays"][0]["user"]')" = me@example.org ]
}

# Needs the auth key of relayq.conf (the SASL work) to be read back by
# relayq; here only what setup writes is checked.
@test "setup: --auth goes into the smarthost section as auth = MECH" {
	run -0 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --password-command 'gmail-token' \
	    --auth xoauth2 --no-check < /dev/null
	sed -n '/^smarthost "smtp.gmail.com" {$/,/^}$/p' "$CONF" |
	    grep -qx '    auth = xoauth2'
	rm -f "$CONF"
	run -64 --separate-stderr relayq setup --provider gmail \
	    --user me@gmail.com --password-command 'gmail-token' \
	    --auth digest-md5 --no-check < /dev/null
	[[ "$stderr" == *"--auth: 'digest-md5' is not one of auto, plain, login, cram-md5, scram-sha-256, scram-sha-256-plus, xoauth2, oauthbearer"* ]]
	[ ! -e "$CONF" ]
}

@test "setup: refuses to replace a configuration without --force" {
	run -0 relayq setup --host one.example.net --user u --secret-stdin \
	    --no-check <<< 'first'
	before=$(cat "$CONF")
	run -73 --separate-stderr relayq setup --host two.example.net \
	    --user u --secret-stdin --no-check <<< 'second'
	[ "$stderr" = "relayq: $CONF exists; relayq setup --force replaces it" ]
	[ "$(cat "$CONF")" = "$before" ]
	[ "$(cat "$SECRET")" = first ]
	run -0 relayq setup --force --host two.example.net --user u \
	    --secret-stdin --no-check <<< 'second'
	grep -qx 'smarthost "two.example.net" {' "$CONF"
	[ "$(cat "$SECRET")" = second ]
}

@test "setup: what is missing is refused without a terminal" {
	run -64 --separate-stderr relayq setup --no-check < /dev/null
	[ "$stderr" = "relayq: --provider or --host is needed (stdin is not a terminal to ask on)" ]
	run -64 --separate-stderr relayq setup --provider gmail --no-check < /dev/null
	[[ "$stderr" == *"--user is needed"* ]]
	run -64 --separate-stderr relayq setup --provider ses --user u \
	    --secret-stdin --no-check <<< pw
	[[ "$stderr" == *"--region (e.g. eu-west-1) is needed"* ]]
	run -64 --separate-stderr relayq setup --provider fastmail \
	    --region eu --user u --secret-stdin --no-check <<< pw
	[[ "$stderr" == *"--region: fastmail has no regions"* ]]
	run -64 --separate-stderr relayq setup --provider nosuch --no-check
	[[ "$stderr" == *"unknown provider 'nosuch'"* ]]
	[ ! -e "$CONF" ] && [ ! -e "$SECRET" ]
}

@test "setup --list-providers: the whole table" {
	run -0 relayq setup --list-providers
	for p in gmail microsoft365 outlook fastmail icloud zoho ses mailgun \
	    sendgrid postmark brevo generic; do
		grep -q "^$p " <<< "$output"
	done
	grep -q '^sendgrid .*smtp.sendgrid.net .* 587 .*starttls .*apikey' <<< "$output"
	grep -q '^fastmail .*smtp.fastmail.com .* 465 .*tls ' <<< "$output"
}

@test "setup: non-interactive setup, then check against the test smart host" {
	start_relay starttls
	run -0 --separate-stderr relayq setup --host 127.0.0.1 \
	    --port "$RELAY_PORT" --tls-trust-file "$CERTS/ca.crt" \
	    --user alice --secret-stdin <<< 's3cret pass'
	[[ "$output" == *"relayq check:"* ]]
	[[ "$output" == *"  AUTH: accepted for alice"* ]]
	[[ "$output" == *"all 1 smart host passed"* ]]
	[[ "$output$stderr" != *"s3cret"* ]]
	events | grep -q '^auth [0-9]* alice ok'
	# A refused secret: the files are written, the check says why.
	run -69 --separate-stderr relayq setup --force --host 127.0.0.1 \
	    --port "$RELAY_PORT" --tls-trust-file "$CERTS/ca.crt" \
	    --user alice --secret-stdin <<< 'wrong one'
	[[ "$output" == *"refused the credentials of alice"* ]]
	[[ "$stderr" == *"the check failed (exit 69); the configuration is written"* ]]
	[ "$(cat "$SECRET")" = 'wrong one' ]
}

@test "setup: interactive on a pseudo-terminal, the password not echoed" {
	start_relay starttls
	pty 60 \
	    'Provider [generic]: ' '' \
	    'SMTP host: ' 127.0.0.1 \
	    'Port (587: STARTTLS, 465: TLS) [587]: ' "$RELAY_PORT" \
	    'User (empty: no AUTH) []: ' alice \
	    'Password for alice at 127.0.0.1 (not shown): ' 's3cret pass' \
	    'Address for a test message (empty: none) []: ' '' \
	    -- "$RELAYQ" setup --tls-trust-file "$CERTS/ca.crt"
	echo "$TRANSCRIPT"
	[ "$status" -eq 0 ]
	[[ "$TRANSCRIPT" == *"PROVIDER"*"sendgrid"* ]]
	[[ "$TRANSCRIPT" == *"SMTP host: 127.0.0.1"* ]]
	[[ "$TRANSCRIPT" == *"User (empty: no AUTH) []: alice"* ]]
	[[ "$TRANSCRIPT" == *"AUTH: accepted for alice"* ]]
	[[ "$TRANSCRIPT" != *"s3cret"* ]]
	[ "$(cat "$SECRET")" = 's3cret pass' ]
	grep -qx "    port = $RELAY_PORT" "$CONF"
	# The terminal is left echoing: a later answer shows as typed.
	[[ "$TRANSCRIPT" == *"Address for a test message (empty: none) []: "* ]]
}

@test "setup: a preset on a pseudo-terminal asks only what it lacks" {
	pty 30 \
	    'Region (e.g. eu-west-1): ' eu-central-1 \
	    'User (the account, usually your address): ' AKIAEXAMPLE \
	    'Password for AKIAEXAMPLE at email-smtp.eu-central-1.amazonaws.com (not shown): ' 'ses smtp pw' \
	    -- "$RELAYQ" setup --provider ses --no-check
	echo "$TRANSCRIPT"
	[ "$status" -eq 0 ]
	[[ "$TRANSCRIPT" != *"ses smtp pw"* ]]
	[[ "$TRANSCRIPT" != *"Provider"* ]]
	[ "$(cat "$SECRET")" = 'ses smtp pw' ]
	grep -qx 'smarthost "email-smtp.eu-central-1.amazonaws.com" {' "$CONF"
}

@test "setup as root: root:relayq-group 0640 secret, check and test message as the relayq account" {
	priv_setup
	start_relay starttls
	run -0 --separate-stderr timeout 60 "$PRIVRELAYQ" setup \
	    --host 127.0.0.1 --port "$RELAY_PORT" \
	    --tls-trust-file "$SETUPDIR/ca.crt" --user alice \
	    --secret-stdin --send-test someone@example.org <<< 's3cret pass'
	echo "$output"
	[ "$(stat -c '%U:%G %a' "$SETUPDIR/relayq.secret")" = "root:rqtest 640" ]
	[ "$(stat -c '%U:%G %a' "$SETUPDIR/relayq.conf")" = "root:root 644" ]
	[[ "$output" == *"wrote $SETUPDIR/relayq.secret (the secret, root:rqtest 0640)"* ]]
	[[ "$output" == *"  AUTH: accepted for alice"* ]]
	[[ "$output" =~ relayq\ send-test\ someone@example.org:.*queued\ as\ [0-9A-F]{20}.*:\ sent\ \(250 ]]
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['someone@example.org'\]"
	# The runner's record in the account's own queue says so too.
	[ "$(stat -c %U "$SETUPDIR/spool/status")" = rqtest ]
}

@test "setup as root on a pseudo-terminal: the test message is offered and sent" {
	priv_setup
	start_relay starttls
	pty 60 \
	    'Password for alice at 127.0.0.1 (not shown): ' 's3cret pass' \
	    'Send a test message to alice@example.org? [y/N]: ' y \
	    -- "$PRIVRELAYQ" setup --host 127.0.0.1 --port "$RELAY_PORT" \
	    --tls-trust-file "$SETUPDIR/ca.crt" --user alice \
	    --from alice@example.org
	echo "$TRANSCRIPT"
	[ "$status" -eq 0 ]
	[[ "$TRANSCRIPT" != *"s3cret"* ]]
	[[ "$TRANSCRIPT" == *": sent (250"* ]]
	[ "$(received_count)" -eq 1 ]
	received_json 1 | json_get 'd["rcpt_tos"]' | grep -qx "\['alice@example.org'\]"
}
