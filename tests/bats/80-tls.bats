#!/usr/bin/env bats
# TLS policy per smart host: tls_fingerprint pins (certificate or public
# key), tls_verify = false (pin alone, or encryption alone with a warning),
# tls_priorities, and a client certificate.  Every refusal leaves the
# message queued and sends the relay nothing after the handshake.

load helpers

teardown() {
	common_teardown
}

# cert_pin NAME - "sha256:AB:CD:..." of the certificate NAME.crt (DER).
cert_pin() {
	local fp
	fp=$(openssl x509 -in "$CERTS/$1.crt" -noout -fingerprint -sha256)
	echo "sha256:${fp#*=}"
}

# spki_pin NAME - the SHA-256 of NAME.crt's SubjectPublicKeyInfo, as bare
# lower-case hex.
spki_pin() {
	openssl x509 -in "$CERTS/$1.crt" -noout -pubkey |
	    openssl pkey -pubin -outform DER | openssl dgst -sha256 -r |
	    cut -d' ' -f1
}

# conf_add LINE... - add lines to the smarthost section of $CONF.
conf_add() {
	local line tmp="$CONF.tmp"
	: > "$tmp"
	while IFS= read -r line; do
		if [[ "$line" == *"timeout = 5s"* ]]; then
			printf '    %s\n' "$@" >> "$tmp"
		fi
		printf '%s\n' "$line" >> "$tmp"
	done < "$CONF"
	mv "$tmp" "$CONF"
}

state_of() {
	cat "$SPOOL/queue/$1.state"
}

# nothing_sent - the relay saw no AUTH, no MAIL, and stored nothing.
nothing_sent() {
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^auth ' || false
	! events | grep -q '^mail ' || false
}

# start_relay_client_ca [MODE] - the smart host, also asking for a client
# certificate signed by the test CA.
start_relay_client_ca() {
	RELAY_CLIENT_CA=1 start_relay "${1:-starttls}"
}

# ---- tls_fingerprint ------------------------------------------------

@test "pin of the relay's certificate, chain verified too: delivered" {
	setup_relay_and_config starttls
	conf_add "tls_fingerprint = \"$(cert_pin server)\""
	sendmail bob@example.org <<< "Subject: pinned"
	relayq run
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
	events | grep -q '^auth [0-9]* alice ok'
}

@test "pin of the relay's public key, lower case without colons: delivered" {
	setup_relay_and_config tls
	pin=$(spki_pin server)
	[[ "$pin" =~ ^[0-9a-f]{64}$ ]]
	conf_add "tls_fingerprint = \"$pin\""
	sendmail bob@example.org <<< "Subject: spki"
	relayq run
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
}

@test "a list of pins: any one that matches will do" {
	setup_relay_and_config starttls
	conf_add "tls_fingerprint = {\"$(cert_pin rogue)\", \"$(cert_pin server)\"}"
	sendmail bob@example.org <<< "Subject: list"
	relayq run
	[ "$(received_count)" -eq 1 ]
}

@test "wrong pin: nothing sent, message kept, error says fingerprint mismatch" {
	setup_relay_and_config starttls
	conf_add "tls_fingerprint = \"$(cert_pin wrongname)\""
	sendmail bob@example.org <<< "Subject: wrong pin"
	run -0 --separate-stderr relayq -v run
	[[ "$stderr" == *"fingerprint mismatch"* ]]
	nothing_sent
	id=$(queue_files)
	[ -n "$id" ]
	state_of "$id" | grep -q 'TLS fingerprint mismatch'
	# The handshake itself was refused, before EHLO over TLS.
	[ "$(events | grep -c '^ehlo ')" -eq 1 ]
}

@test "wrong pin with implicit TLS: not even EHLO" {
	setup_relay_and_config tls
	conf_add "tls_fingerprint = \"$(spki_pin rogue)\""
	sendmail bob@example.org <<< "Subject: wrong pin 465"
	relayq run
	nothing_sent
	! events | grep -q '^ehlo ' || false
	state_of "$(queue_files)" | grep -q 'fingerprint mismatch'
}

@test "check: a pinned relay shows the match; a wrong pin fails with 69" {
	setup_relay_and_config starttls
	conf_add "tls_fingerprint = \"$(cert_pin server)\""
	run -0 --separate-stderr relayq check
	[[ "$output" == *"certificate verified for 127.0.0.1 against $CERTS/ca.crt; tls_fingerprint matched"* ]]
	[[ "$output" != *"WARNING"* ]]
	events | grep -q '^auth [0-9]* alice ok'
	auths=$(events | grep -c '^auth ')
	write_config
	conf_add "tls_fingerprint = \"$(cert_pin rogue)\""
	run -69 --separate-stderr relayq check
	[[ "$output" == *"  FAILED: TLS fingerprint mismatch"* ]]
	[[ "$output" != *"TLS: ok"* ]]
	[ "$(events | grep -c '^auth ')" -eq "$auths" ]
}

# ---- tls_verify -----------------------------------------------------

@test "tls_verify = false with the right pin: the untrusted relay is used" {
	setup_relay_and_config starttls rogue
	conf_add "tls_verify = false" "tls_fingerprint = \"$(cert_pin rogue)\""
	sendmail bob@example.org <<< "Subject: self-signed"
	run -0 --separate-stderr relayq -v run
	[ "$(received_count)" -eq 1 ]
	queue_is_empty
	[[ "$stderr" == *"(TLS chain NOT VERIFIED, fingerprint pinned)"* ]]
	[ "$(received_json 1 | json_get 'd["tls"]')" = True ]
}

@test "tls_verify = false with a wrong pin: refused all the same" {
	setup_relay_and_config starttls rogue
	conf_add "tls_verify = false" "tls_fingerprint = \"$(cert_pin server)\""
	sendmail bob@example.org <<< "Subject: other key"
	relayq run
	nothing_sent
	state_of "$(queue_files)" | grep -q 'fingerprint mismatch'
}

@test "tls_verify = false without a pin: encrypted, delivered, warned about" {
	setup_relay_and_config starttls rogue
	conf_add "tls_verify = false"
	sendmail bob@example.org <<< "Subject: unverified"
	run -0 --separate-stderr relayq -v run
	[ "$(received_count)" -eq 1 ]
	[[ "$stderr" == *"TLS NOT VERIFIED"* ]]
	[[ "$stderr" == *"relay=127.0.0.1:$RELAY_PORT (TLS NOT VERIFIED)"* ]]
	# Still TLS, and AUTH only under it.
	[ "$(received_json 1 | json_get 'd["tls"]')" = True ]
	events | grep -q '^tls [0-9]* ok '
	run -0 --separate-stderr relayq check
	[[ "$output" == *"  WARNING: tls_verify = false"* ]]
	[[ "$output" == *"NOT VERIFIED (tls_verify = false, no tls_fingerprint)"* ]]
}

@test "tls_verify = true (the default) against the untrusted relay: refused" {
	setup_relay_and_config starttls rogue
	conf_add "tls_verify = true" "tls_fingerprint = \"$(cert_pin rogue)\""
	sendmail bob@example.org <<< "Subject: pin is not enough"
	relayq run
	nothing_sent
	state_of "$(queue_files)" | grep -q 'does not verify'
	# GnuTLS's own sentences end in a space; relayq's lines do not.
	! state_of "$(queue_files)" | grep -q ' $' || false
}

@test "tls_verify = false: the warning is printed by check even when it fails" {
	setup_relay_and_config starttls rogue
	conf_add "tls_verify = false" "tls_fingerprint = \"$(spki_pin server)\""
	run -69 --separate-stderr relayq check
	[[ "$output" == *"  WARNING: tls_verify = false"*"only the tls_fingerprint pin vouches"* ]]
	[[ "$output" == *"  FAILED: TLS fingerprint mismatch"* ]]
}

# ---- tls_priorities -------------------------------------------------

@test "tls_priorities forcing TLS 1.2: delivered over TLSv1.2" {
	setup_relay_and_config starttls
	# The default negotiates 1.3 with this relay, so the next test means
	# something.
	sendmail bob@example.org <<< "Subject: default"
	relayq run
	events | grep -q '^tls 1 ok TLSv1.3$'
	conf_add 'tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2"'
	sendmail bob@example.org <<< "Subject: twelve"
	relayq run
	[ "$(received_count)" -eq 2 ]
	events | grep -q '^tls 2 ok TLSv1.2$'
	run -0 --separate-stderr relayq check
	[[ "$output" == *"  TLS priorities: NORMAL:-VERS-ALL:+VERS-TLS1.2"* ]]
	[[ "$output" == *"  TLS: ok, (TLS1.2)"* ]]
}

@test "a bad tls_priorities string: exit 78 with FILE:LINE" {
	setup_relay_and_config starttls
	conf_add 'tls_priorities = "NORMAL:+NO-SUCH-THING"'
	sendmail bob@example.org <<< "Subject: bad prio"
	# (libconfuse's line numbers drift after comments and blank lines,
	# so the number itself is not checked.)
	run -78 --separate-stderr relayq run
	[[ "$stderr" =~ "$CONF:"[0-9]+": tls_priorities: 'NORMAL:+NO-SUCH-THING': not a valid GnuTLS priority string: error at '+NO-SUCH-THING'" ]]
	run -78 --separate-stderr relayq check
	[[ "$stderr" =~ "$CONF:"[0-9]+": tls_priorities: " ]]
	[[ "$output" != *"smarthost"* ]]
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^connect ' || false
}

@test "tls_priorities cannot go below TLS 1.2" {
	setup_relay_and_config starttls
	conf_add 'tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0"'
	run -78 --separate-stderr relayq run
	[[ "$stderr" == *"$CONF:"*"tls_priorities: "*"leaves no protocol version of TLS 1.2 or later enabled"* ]]
}

# ---- configuration errors -------------------------------------------

@test "bad tls_fingerprint values are config errors (78)" {
	setup_relay_and_config starttls
	good=$(cert_pin server)
	cp "$CONF" "$CONF.orig"
	for bad in "sha1:${good#sha256:}" "${good%:*}" "${good}:00" \
	    "sha256:xyz" "$(spki_pin server)0"; do
		cp "$CONF.orig" "$CONF"
		conf_add "tls_fingerprint = \"$bad\""
		run -78 --separate-stderr relayq run
		[[ "$stderr" == *"$CONF:"*"tls_fingerprint: '$bad' is "* ]]
	done
	# ...and the good ones parse, in every spelling.
	lower=$(printf '%s' "${good#sha256:}" | tr 'A-F' 'a-f')
	for ok in "$good" "${good#sha256:}" "$lower" "SHA256:$lower" \
	    "$(spki_pin server)"; do
		cp "$CONF.orig" "$CONF"
		conf_add "tls_fingerprint = \"$ok\""
		run -0 --separate-stderr relayq run
	done
}

@test "TLS options with tls = none, or a certificate without key: 78" {
	setup_relay_and_config plain
	conf_add "tls_fingerprint = \"$(cert_pin server)\""
	run -78 --separate-stderr relayq run
	[[ "$stderr" == *"need tls = starttls or tls"* ]]
	write_config starttls
	conf_add "tls_cert_file = \"$CERTS/client.crt\""
	run -78 --separate-stderr relayq run
	[[ "$stderr" == *"tls_cert_file and tls_key_file go together"* ]]
	write_config starttls
	conf_add 'tls_key_file = "relative.key"' "tls_cert_file = \"$CERTS/client.crt\""
	run -78 --separate-stderr relayq run
	[[ "$stderr" == *"tls_key_file: 'relative.key' is not an absolute path"* ]]
}

# ---- client certificate ---------------------------------------------

@test "client certificate: presented and accepted by a relay that requires one" {
	start_relay_client_ca starttls
	write_config
	conf_add "tls_cert_file = \"$CERTS/client.crt\"" \
	    "tls_key_file = \"$CERTS/client.key\""
	sendmail bob@example.org <<< "Subject: client cert"
	relayq run
	[ "$(received_count)" -eq 1 ]
	[ "$(received_json 1 | json_get 'd["client_cert"]')" = "CN=relayq test client" ]
	run -0 --separate-stderr relayq check
	[[ "$output" == *"  client certificate: $CERTS/client.crt, key $CERTS/client.key"* ]]
}

@test "client certificate: without one, the relay that requires it gets nothing" {
	start_relay_client_ca tls
	write_config
	sendmail bob@example.org <<< "Subject: no client cert"
	relayq run
	nothing_sent
	events | grep -q '^tls [0-9]* fail '
	[ -n "$(queue_files)" ]
}

@test "client certificate: a key others can read is refused before connecting" {
	setup_relay_and_config starttls
	cp "$CERTS/client.key" "$BATS_TEST_TMPDIR/client.key"
	chmod 0644 "$BATS_TEST_TMPDIR/client.key"
	conf_add "tls_cert_file = \"$CERTS/client.crt\"" \
	    "tls_key_file = \"$BATS_TEST_TMPDIR/client.key\""
	sendmail bob@example.org <<< "Subject: leaky key"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^connect ' || false
	state_of "$(queue_files)" | grep -q "client.key: refusing a secret that others can read"
	chmod 0600 "$BATS_TEST_TMPDIR/client.key"
	relayq flush
	[ "$(received_count)" -eq 1 ]
	[ "$(received_json 1 | json_get 'd["client_cert"]')" = None ]
}
