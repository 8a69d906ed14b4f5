#!/usr/bin/env bats
# Addressing for system mail: local recipients through the aliases file and
# the admin catch-all, a forced sender, and From/To/Cc rewriting so that a
# relay never sees "root".

load helpers

setup() {
	make_certs
	RELAY_PORT=9
	RELAY_MODE=starttls
	write_config
	ALIASES="$BATS_TEST_TMPDIR/aliases"
	cat > "$ALIASES" <<-'EOF'
	# test aliases
	postmaster: root
	root: admin@example.org
	staff: ann@example.org,
	    bob@example.org
	pipe: "|/usr/bin/procmail"
	EOF
	echo "aliases = \"$ALIASES\"" >> "$CONF"
}

teardown() {
	common_teardown
}


@test "a local recipient goes through the aliases, recursively" {
	printf 'Subject: x\n\nb\n' | sendmail postmaster
	f=$(queued_file)
	grep -qx 'T admin@example.org' "$f"
	[ "$(grep -c '^T ' "$f")" -eq 1 ]
}

@test "root@localhost and root@<this host> are local too" {
	printf 'Subject: x\n\nb\n' | sendmail root@localhost "root@$(hostname)"
	f=$(queued_file)
	grep -qx 'T admin@example.org' "$f"
	[ "$(grep -c '^T ' "$f")" -eq 1 ]
}

@test "without an alias: admin catch-all if set, else qualified" {
	printf 'Subject: x\n\nb\n' | sendmail www-data
	f=$(queued_file)
	grep -qx 'T www-data@client.example' "$f"
	rm -f "$SPOOL"/queue/*
	echo 'admin = "ops@example.org"' >> "$CONF"
	printf 'Subject: x\n\nb\n' | sendmail www-data
	f=$(queued_file)
	grep -qx 'T ops@example.org' "$f"
}

@test "To: and Cc: with local names are rewritten; display names stay" {
	sendmail -t -i <<-'EOF'
	From: someone@example.org
	To: Root User <root>, carol@example.org
	Cc: staff
	Subject: rewrite

	body
	EOF
	f=$(queued_file)
	grep -qx 'To: Root User <admin@example.org>, carol@example.org' "$f"
	grep -qx 'Cc: ann@example.org, bob@example.org' "$f"
	for r in admin ann bob carol; do grep -qx "T $r@example.org" "$f"; done
}

@test "rewrite_to_header = false leaves To: alone" {
	echo 'rewrite_to_header = false' >> "$CONF"
	printf 'To: root\nSubject: x\n\nb\n' | sendmail -t
	f=$(queued_file)
	grep -qx 'To: root' "$f"
	grep -qx 'T admin@example.org' "$f"
}

@test "a local From: becomes the sender, keeping its display name" {
	printf 'From: root (Cron Daemon)\nTo: root\nSubject: cron\n\nout\n' |
	    sendmail -FCronDaemon -i -B8BITMIME -oem root
	f=$(queued_file)
	grep -qx "From: $(id -un)@client.example (Cron Daemon)" "$f"
	grep -qx 'To: admin@example.org' "$f"
}

@test "from = forces the envelope sender and the local From:" {
	echo 'from = "alerts@example.org"' >> "$CONF"
	printf 'From: "Backup" <root@localhost>\nSubject: x\n\nb\n' |
	    sendmail -f whoever@example.net bob@example.org
	f=$(queued_file)
	grep -qx 'F alerts@example.org' "$f"
	grep -qx 'From: "Backup" <alerts@example.org>' "$f"
}

@test "rewrite_from_header: never keeps, always replaces a remote From: too" {
	echo 'rewrite_from_header = never' >> "$CONF"
	printf 'From: root\nSubject: x\n\nb\n' | sendmail bob@example.org
	f=$(queued_file)
	grep -qx 'From: root' "$f"
	rm -f "$SPOOL"/queue/*
	sed -i 's/^rewrite_from_header = never/rewrite_from_header = always/' "$CONF"
	printf 'From: Web <web@other.example>\nSubject: x\n\nb\n' | sendmail -f app@example.org bob@example.org
	f=$(queued_file)
	grep -qx 'From: Web <app@example.org>' "$f"
}

@test "an alias to a pipe is refused loudly, nothing queued" {
	run -65 --separate-stderr sendmail pipe <<< "Subject: x"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == 'sendmail: recipient "pipe": '* ]]
	[[ "$stderr" == *"|"* || "$stderr" == *"command"* ]]
	[ -z "$(intake_files)" ]
}

@test "newaliases checks the aliases file and reports each problem" {
	ln -s "$SENDMAIL" "$BATS_TEST_TMPDIR/newaliases"
	run -65 --separate-stderr "$BATS_TEST_TMPDIR/newaliases"
	[[ "$stderr" == "newaliases: $ALIASES:6: "* ]]
	[[ "$output" == "newaliases: $ALIASES: 4 aliases, 1 problem" ]]
	sed -i '/^pipe:/d' "$ALIASES"
	run -0 "$BATS_TEST_TMPDIR/newaliases"
	[[ "$output" == "newaliases: $ALIASES: 3 aliases, 0 problems" ]]
	printf 'root admin@example.org\nx: ok@example.org\n' > "$ALIASES"
	run -65 --separate-stderr "$SENDMAIL" -bi
	[[ "$stderr" == "sendmail: $ALIASES:1: "* ]]
}

@test "-n turns aliasing off; a broken alias in To: alone does not refuse" {
	printf 'Subject: x\n\nb\n' | sendmail -n root
	f=$(queued_file)
	grep -qx 'T root@client.example' "$f"
	rm -f "$SPOOL"/queue/*
	printf 'To: pipe\nSubject: x\n\nb\n' | sendmail bob@example.org
	f=$(queued_file)
	grep -qx 'To: pipe' "$f"
	grep -qx 'T bob@example.org' "$f"
}
