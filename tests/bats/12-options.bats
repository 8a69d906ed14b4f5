#!/usr/bin/env bats
# The sendmail command line, row by row of PEERS.md section 1a: every option
# is implemented or accepted with its argument consumed, glued and separate
# forms alike; an unknown one is a usage error; no argument ever becomes a
# recipient.

load helpers

setup() {
	make_certs
	RELAY_PORT=9
	RELAY_MODE=starttls
	write_config
	echo 'aliases = ""' >> "$CONF"
}

teardown() {
	common_teardown
}

# The recipients of the one message sendmail just left in the intake.
intake_rcpts() {
	local f
	f=$(ls "$SPOOL"/intake/m.* | head -n1)
	grep '^T ' "$f" | cut -c3- | sort | tr '\n' ' '
}

# accepts ARGS... : queued to bob@example.org only, exit 0.
accepts() {
	rm -f "$SPOOL"/intake/m.*
	run -0 --separate-stderr "$SENDMAIL" "$@" bob@example.org <<< "Subject: opt"
	[ -z "$stderr" ] || { echo "stderr: $stderr"; return 1; }
	[ "$(intake_rcpts)" = "bob@example.org " ] || {
		echo "recipients for $*: $(intake_rcpts)"; return 1; }
}

@test "flags alone and clustered: -t -i -oi -m -n -U -G -v -ti -bm" {
	for opt in -i -oi -m -n -U -G -bm -Ac -Am -odb -odq -oem -oep -oee -em -ep; do
		accepts "$opt"
	done
	rm -f "$SPOOL"/intake/m.*
	run -0 --separate-stderr "$SENDMAIL" -ti bob@example.org <<< $'To: carl@example.org\n\nx'
	[ "$(intake_rcpts)" = "bob@example.org carl@example.org " ]
	run -0 --separate-stderr "$SENDMAIL" -v bob@example.org <<< "x"
	[[ "$stderr" == "sendmail: queued as "* ]]
}

@test "options with an argument, glued and separate, never become recipients" {
	accepts -f alice@example.org
	accepts -falice@example.org
	accepts -r alice@example.org
	accepts -ralice@example.org
	accepts -F 'Alice Example'
	accepts -FAlice
	accepts -B 8BITMIME
	accepts -B8BITMIME
	accepts -N never
	accepts -Nsuccess,failure
	accepts -R hdrs
	accepts -Rfull
	accepts -V envid42
	accepts -Venvid42
	accepts -L mytag
	accepts -Lmytag
	accepts -O DeliveryMode=b
	accepts -ODeliveryMode=b
	accepts -h 5
	accepts -h5
	accepts -X /tmp/relayq-never-written.log
	accepts -X/tmp/relayq-never-written.log
	accepts -o QueueDirectory=/tmp
	accepts -oQ/tmp
	[ ! -e /tmp/relayq-never-written.log ]
}

@test "-f and -r set the envelope sender; -F the From: display name" {
	rm -f "$SPOOL"/intake/m.*
	"$SENDMAIL" -r alice@example.org -F 'Alice Example' bob@example.org <<< "Subject: x"
	f=$(ls "$SPOOL"/intake/m.*)
	grep -qx 'F alice@example.org' "$f"
	grep -qx 'From: "Alice Example" <alice@example.org>' "$f"
	rm -f "$SPOOL"/intake/m.*
	"$SENDMAIL" -f '<>' bob@example.org <<< "Subject: bounce"
	grep -qx 'F ' "$(ls "$SPOOL"/intake/m.*)"
}

@test "-- ends the options: what follows is a recipient, even with a dash" {
	rm -f "$SPOOL"/intake/m.*
	run -0 "$SENDMAIL" -i -- bob@example.org carol@example.org <<< "x"
	[ "$(intake_rcpts)" = "bob@example.org carol@example.org " ]
	run -65 --separate-stderr "$SENDMAIL" -- -oi <<< "x"
	[[ "$stderr" == "sendmail: bad recipient address \"-oi\""* ]]
}

@test "a missing option argument and unknown options are usage errors" {
	for bad in -Z -k -bd -bD -bt -bz; do
		run -64 --separate-stderr "$SENDMAIL" "$bad" bob@example.org <<< "x"
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "sendmail: "* ]]
	done
	[ -z "$(intake_files)" ]
	run -64 --separate-stderr "$SENDMAIL" -f <<< "x"
	[[ "$stderr" == "sendmail: option -f requires an argument" ]]
}

@test "options after the first recipient are recipients (sendmail's rule)" {
	rm -f "$SPOOL"/intake/m.*
	run -65 --separate-stderr "$SENDMAIL" bob@example.org -oi <<< "x"
	[[ "$stderr" == "sendmail: bad recipient address \"-oi\""* ]]
}

@test "-bp and mailq list; -bi and newaliases check; -bv verifies without queueing" {
	"$SENDMAIL" bob@example.org <<< "Subject: x"
	run -0 "$SENDMAIL" -bp
	[[ "$output" == *"bob@example.org"* ]]
	run -0 "$SENDMAIL" -bi
	[[ "$output" == "sendmail: no aliases file configured" ]]
	before=$(intake_files | wc -l)
	run -0 "$SENDMAIL" -bv root bob@example.org
	[ "${lines[0]}" = "root... deliverable: relayed to <root@client.example>" ]
	[ "${lines[1]}" = "bob@example.org... deliverable: relayed to <bob@example.org>" ]
	[ "$(intake_files | wc -l)" -eq "$before" ]
	run -65 "$SENDMAIL" -bv 'bad address'
	[[ "$output" == "bad address... undeliverable: "* ]]
}

@test "-q, -q30m, -qf: a queue run is requested, nothing is read from stdin" {
	for q in -q -q30m -qf -qIABC -qRexample.org; do
		run -0 --separate-stderr timeout 5 "$SENDMAIL" "$q" < /dev/zero
		[ -z "$stderr" ]
		[ -e "$SPOOL/intake/flush" ]
		rm -f "$SPOOL/intake/flush"
	done
}

@test "-C and RELAYQ_CONFIG choose the configuration" {
	rm -f "$SPOOL"/intake/m.*
	cp "$CONF" "$BATS_TEST_TMPDIR/other.conf"
	sed -i 's/^domain = .*/domain = "other.example"/' "$BATS_TEST_TMPDIR/other.conf"
	env -u RELAYQ_CONFIG "$SENDMAIL" -C "$BATS_TEST_TMPDIR/other.conf" root <<< "x"
	grep -qx 'T root@other.example' "$(ls "$SPOOL"/intake/m.*)"
}

@test "-oem mails a refused message's error back; -oep only prints it" {
	rm -f "$SPOOL"/intake/m.*
	run -65 --separate-stderr "$SENDMAIL" -oem -- 'not an address' <<< "Subject: x"
	[[ "$stderr" == *"(mailed back to the sender)" ]]
	f=$(ls "$SPOOL"/intake/m.*)
	grep -qx "T $(id -un)@client.example" "$f"
	grep -qx 'F ' "$f"
	grep -q 'bad recipient address' "$f"
	rm -f "$SPOOL"/intake/m.*
	run -65 --separate-stderr "$SENDMAIL" -oep -- 'not an address' <<< "Subject: x"
	[ -z "$(intake_files)" ]
}
