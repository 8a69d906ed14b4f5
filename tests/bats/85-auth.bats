#!/usr/bin/env bats
# SMTP AUTH mechanisms against the test smart host, which does each one's
# server side itself: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 and -PLUS
# (tls-exporter on TLS 1.3, tls-unique on TLS 1.2), XOAUTH2 and
# OAUTHBEARER with a token from password_command.  The choice under
# auth = auto, the TLS rule, and what a refusal does: said loudly, the
# secret nowhere, and no AUTH to that relay until the back-off ends.

load helpers

teardown() {
	common_teardown
}

ALL_MECHS="PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS XOAUTH2 OAUTHBEARER"

# smarthost_set LINE... - add lines to the smarthost section of $CONF.
smarthost_set() {
	local line
	for line in "$@"; do
		sed -i "s|^\( *\)timeout = 5s|\1$line\n&|" "$CONF"
	done
}

# offer MECHS [MORE-JSON] - the mechanisms the relay advertises.
offer() {
	relay_control "{\"auth_mechs\": \"$1\"${2:+, $2}}"
}

state_of() {
	cat "$SPOOL/queue/$(queue_files | head -n1).state"
}

auth_count() {
	events | grep -c '^auth ' || true
}

# delivered_with N MECH - send one message; it is the relay's N-th, and
# came with AUTH MECH.
delivered_with() {
	sendmail bob@example.org <<< "Subject: $2"
	relayq run
	[ "$(received_count)" -eq "$1" ]
	[ "$(received_json "$1" | json_get 'd["auth_mech"]')" = "$2" ]
}

# A token helper: prints the current token from a file the test rewrites.
use_token_helper() {
	TOKEN_FILE="$BATS_TEST_TMPDIR/token"
	printf '%s\n' "$1" > "$TOKEN_FILE"
	sed -i "s|^ *password_file = .*|    password_command = \"cat $TOKEN_FILE\"|" "$CONF"
}

@test "every mechanism delivers, and the relay saw that one" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS"
	cp "$CONF" "$CONF.orig"
	n=0
	for mech in plain login cram-md5 scram-sha-256 scram-sha-256-plus; do
		cp "$CONF.orig" "$CONF"
		smarthost_set "auth = $mech"
		n=$((n + 1))
		delivered_with "$n" "${mech^^}"
		[ "$(received_json "$n" | json_get 'd["auth_user"]')" = alice ]
		queue_is_empty
	done
	# TLS 1.3 with this relay: the binding is the exporter (RFC 9266).
	[ "$(received_json 5 | json_get 'd["auth_cb"]')" = tls-exporter ]
	events | grep -q '^auth 5 alice ok SCRAM-SHA-256-PLUS tls-exporter$'
	run -0 --separate-stderr relayq check
	[[ "$output" == *"  AUTH: accepted for alice with SCRAM-SHA-256-PLUS (tls-exporter channel binding)"* ]]
}

@test "SCRAM-SHA-256-PLUS over TLS 1.2 binds to tls-unique" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS"
	smarthost_set 'tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2"' \
	    'auth = scram-sha-256-plus'
	delivered_with 1 SCRAM-SHA-256-PLUS
	events | grep -q '^tls 1 ok TLSv1.2$'
	[ "$(received_json 1 | json_get 'd["auth_cb"]')" = tls-unique ]
}

@test "auto: SCRAM-SHA-256-PLUS when offered, then down the list; never a token mechanism" {
	setup_relay_and_config starttls
	n=0
	for want in SCRAM-SHA-256-PLUS SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN; do
		case $want in
		SCRAM-SHA-256-PLUS) offered="XOAUTH2 LOGIN PLAIN CRAM-MD5 SCRAM-SHA-256 SCRAM-SHA-256-PLUS" ;;
		SCRAM-SHA-256) offered="XOAUTH2 LOGIN PLAIN CRAM-MD5 SCRAM-SHA-256" ;;
		CRAM-MD5) offered="OAUTHBEARER LOGIN PLAIN CRAM-MD5" ;;
		PLAIN) offered="XOAUTH2 LOGIN PLAIN" ;;
		LOGIN) offered="OAUTHBEARER LOGIN" ;;
		esac
		offer "$offered"
		n=$((n + 1))
		delivered_with "$n" "$want"
	done
	offer "XOAUTH2 OAUTHBEARER GSSAPI"
	sendmail bob@example.org <<< "Subject: tokens only"
	relayq run
	[ "$(received_count)" -eq "$n" ]
	[ "$(auth_count)" -eq "$n" ]
	state_of | grep -q 'offers no AUTH mechanism relayq may use here'
	state_of | grep -q 'it offers: XOAUTH2 OAUTHBEARER GSSAPI'
}

@test "a configured mechanism the relay does not offer: temporary, said clearly, no AUTH" {
	setup_relay_and_config starttls
	smarthost_set 'auth = cram-md5'
	sendmail bob@example.org <<< "Subject: not offered"
	relayq run
	[ "$(received_count)" -eq 0 ]
	[ "$(auth_count)" -eq 0 ]
	state_of | grep -q 'does not offer AUTH CRAM-MD5 (auth = CRAM-MD5); it offers: PLAIN LOGIN'
	# Not a refusal: the next flush tries again at once.
	relayq flush
	[ "$(events | grep -c '^ehlo ')" -ge 4 ]
	offer "PLAIN CRAM-MD5"
	relayq flush
	[ "$(received_count)" -eq 1 ]
}

@test "SCRAM with a wrong password: refused, stays queued, the secret nowhere" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS"
	smarthost_set 'auth = scram-sha-256'
	printf 'Wr0ng-Scram-Secret\n' > "$SECRET"
	sendmail bob@example.org <<< "Subject: scram wrong"
	run -0 relayq -v run
	[[ "$output" != *Wr0ng-Scram-Secret* ]]
	[ "$(received_count)" -eq 0 ]
	events | grep -q '^auth 1 alice fail SCRAM-SHA-256$'
	[ -n "$(queue_files)" ]
	state_of | grep -q 'refused the credentials of alice: 535 5.7.8 .*(AUTH SCRAM-SHA-256; the relay says e=invalid-proof)'
	! grep -rq Wr0ng-Scram-Secret "$SPOOL" || false
}

@test "SCRAM-SHA-256-PLUS with another channel on the relay's side fails" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS" '"cb_mismatch": true'
	sendmail bob@example.org <<< "Subject: mitm"
	relayq run
	[ "$(received_count)" -eq 0 ]
	events | grep -q '^auth 1 alice fail SCRAM-SHA-256-PLUS tls-exporter$'
	state_of | grep -q 'channel-bindings-dont-match'
	# And over TLS 1.2 with tls-unique.
	rm -f "$SPOOL"/queue/.auth-refused.*
	smarthost_set 'tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2"'
	relayq flush
	[ "$(received_count)" -eq 0 ]
	events | grep -q '^auth 2 alice fail SCRAM-SHA-256-PLUS tls-unique$'
}

@test "a SCRAM relay that cannot prove it knows the password gets no mail" {
	setup_relay_and_config starttls
	offer "SCRAM-SHA-256" '"scram_bad_verifier": true'
	sendmail bob@example.org <<< "Subject: impostor"
	relayq run
	[ "$(received_count)" -eq 0 ]
	! events | grep -q '^mail ' || false
	state_of | grep -q 'the relay did not prove it knows the password'
	# That is no refusal of ours: no back-off.
	[ -z "$(ls -A "$SPOOL/queue" | grep auth-refused)" ]
}

@test "XOAUTH2 and OAUTHBEARER: token from password_command, a fresh one each time" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS" '"oauth_token": "ya29.first-token"'
	use_token_helper ya29.first-token
	cp "$CONF" "$CONF.orig"
	smarthost_set 'auth = xoauth2'
	delivered_with 1 XOAUTH2
	# The helper refreshed the token; the relay wants only the new one.
	printf 'ya29.second-token\n' > "$TOKEN_FILE"
	offer "$ALL_MECHS" '"oauth_token": "ya29.second-token"'
	cp "$CONF.orig" "$CONF"
	smarthost_set 'auth = oauthbearer'
	sendmail bob@example.org <<< "Subject: oauthbearer"
	run -0 relayq -v run
	[ "$(received_count)" -eq 2 ]
	[ "$(received_json 2 | json_get 'd["auth_mech"]')" = OAUTHBEARER ]
	[[ "$output" != *ya29.* ]]
	# A stale token: refused, with the relay's own word on why.
	offer "$ALL_MECHS" '"oauth_token": "ya29.third-token"'
	sendmail bob@example.org <<< "Subject: stale"
	run -0 relayq -v run
	[ "$(received_count)" -eq 2 ]
	[[ "$output" == *"CREDENTIALS REFUSED"* ]]
	[[ "$output" != *ya29.* ]]
	state_of | grep -qF 'refused the credentials of alice: 535 5.7.8 Authentication credentials invalid (AUTH OAUTHBEARER; the relay says {"status": "invalid_token"'
	! grep -rq ya29 "$SPOOL" || false
}

@test "535: loud, in the queue listing, the secret nowhere, no AUTH again until the back-off ends" {
	setup_relay_and_config starttls
	sed -i 's|^retry_min = .*|retry_min = 4s|; s|^retry_max = .*|retry_max = 1h|' "$CONF"
	printf 'Hunter2-Do-Not-Log\n' > "$SECRET"
	sendmail bob@example.org <<< "Subject: refused"
	run -0 relayq -v run
	refused_at=$(date +%s)
	[[ "$output" == *"CREDENTIALS REFUSED: relay 127.0.0.1:$RELAY_PORT refused the credentials of alice: 535 5.7.8 Authentication credentials invalid (AUTH PLAIN); relayq tries no AUTH there before "*"(1 refusal in a row)"* ]]
	[[ "$output" != *Hunter2* ]]
	[ "$(auth_count)" -eq 1 ]
	run -0 relayq queue
	[[ "$output" == *"relayq: CREDENTIALS REFUSED: relay 127.0.0.1:$RELAY_PORT refused the credentials of alice"* ]]
	[[ "$output" == *"(relay 127.0.0.1:$RELAY_PORT refused the credentials of alice: 535"* ]]
	[[ "$output" != *Hunter2* ]]
	run -0 relayq show "$(queue_files | head -n1)"
	[[ "$output" == *"refused the credentials of alice"* ]]
	# A flush within the back-off neither connects nor authenticates,
	# and the message's error still says why.
	run -0 relayq -v flush
	[[ "$output" != *Hunter2* ]]
	[ "$(auth_count)" -eq 1 ]
	[ "$(events | grep -c '^connect ')" -eq 1 ]
	state_of | grep -q 'refused the credentials of alice: 535.*relayq tries no AUTH there before'
	# Past it, AUTH is tried again: refused again, the wait doubles.
	while [ $(( $(date +%s) - refused_at )) -le 4 ]; do sleep 0.2; done
	relayq flush
	[ "$(auth_count)" -eq 2 ]
	run -0 relayq queue
	[[ "$output" == *"(2 refusals in a row)"* ]]
	! grep -rq Hunter2 "$SPOOL" "$BATS_TEST_TMPDIR/relay.stderr" || false
}

@test "a fixed password: relayq check says which mechanism and lifts the wait" {
	setup_relay_and_config starttls
	offer "$ALL_MECHS"
	sed -i 's|^retry_min = .*|retry_min = 1h|; s|^retry_max = .*|retry_max = 2h|' "$CONF"
	printf 'wrong\n' > "$SECRET"
	sendmail bob@example.org <<< "Subject: fixed later"
	relayq run
	[ "$(auth_count)" -eq 1 ]
	printf 's3cret pass\n' > "$SECRET"
	relayq flush
	[ "$(auth_count)" -eq 1 ]
	run -0 --separate-stderr relayq check
	[[ "$output" == *"  auth: auto"* ]]
	[[ "$output" == *"  CREDENTIALS REFUSED before: relay 127.0.0.1:$RELAY_PORT"* ]]
	[[ "$output" == *"  AUTH: accepted for alice with SCRAM-SHA-256-PLUS (tls-exporter channel binding)"* ]]
	[[ "$output" == *"  the runner's wait after the refusal is lifted"* ]]
	relayq flush
	[ "$(received_count)" -eq 1 ]
	run -0 relayq queue
	[[ "$output" != *"CREDENTIALS REFUSED"* ]]
}

@test "454 to AUTH: an ordinary temporary failure, tried again at once" {
	setup_relay_and_config starttls
	relay_control '{"auth": "454 4.7.0 Temporary authentication failure", "auth_times": 1}'
	sendmail bob@example.org <<< "Subject: later"
	run -0 relayq -v run
	[[ "$output" != *"CREDENTIALS REFUSED"* ]]
	[ "$(received_count)" -eq 0 ]
	state_of | grep -q 'could not check the credentials of alice now: 454 4.7.0'
	[ -z "$(ls -A "$SPOOL/queue" | grep auth-refused)" ]
	relayq flush
	[ "$(auth_count)" -eq 2 ]
	[ "$(received_count)" -eq 1 ]
}

@test "tls = none: never a cleartext mechanism; CRAM-MD5 or SCRAM only" {
	start_relay plain
	write_config
	offer "PLAIN LOGIN XOAUTH2"
	sendmail bob@example.org <<< "Subject: clear"
	relayq run
	[ "$(received_count)" -eq 0 ]
	[ "$(auth_count)" -eq 0 ]
	state_of | grep -q 'without TLS only SCRAM-SHA-256 and CRAM-MD5'
	offer "PLAIN LOGIN CRAM-MD5"
	relayq flush
	[ "$(received_count)" -eq 1 ]
	[ "$(received_json 1 | json_get 'd["auth_mech"]')" = CRAM-MD5 ]
	[ "$(received_json 1 | json_get 'd["tls"]')" = False ]
	offer "$ALL_MECHS"
	delivered_with 2 SCRAM-SHA-256
	! events | grep -E '^auth [0-9]+ [^ ]+ [a-z]+ (PLAIN|LOGIN|XOAUTH2|OAUTHBEARER)' || false
}

@test "auth errors in the configuration: exit 78 with FILE:LINE" {
	start_relay plain
	write_config
	cp "$CONF" "$CONF.orig"
	for mech in plain login xoauth2 oauthbearer scram-sha-256-plus; do
		cp "$CONF.orig" "$CONF"
		smarthost_set "auth = $mech"
		run -78 --separate-stderr relayq run
		[[ "$stderr" =~ "$CONF:"[0-9]+": smarthost 127.0.0.1: auth = ${mech^^} needs tls = starttls or tls" ]]
	done
	cp "$CONF.orig" "$CONF"
	smarthost_set 'auth = kerberos'
	run -78 --separate-stderr relayq run
	[[ "$stderr" =~ "$CONF:"[0-9]+": auth: 'kerberos' is not one of auto, plain, login, cram-md5" ]]
	cp "$CONF.orig" "$CONF"
	sed -i '/user = /d; /password_file = /d' "$CONF"
	smarthost_set 'auth = cram-md5'
	run -78 --separate-stderr relayq run
	[[ "$stderr" == *"auth needs a user"* ]]
}
