# Shared helpers for relayq's Bats tests.
#
# Every test gets its own spool, config and smart host under
# $BATS_TEST_TMPDIR; certificates are made once per file.  Programs run from
# the build tree under `timeout`, and waits poll with a deadline.

bats_require_minimum_version 1.7.0

: "${RELAYQ_BUILDDIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${RELAYQ_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
PY=/usr/bin/python3
SMARTHOST="$RELAYQ_SRCDIR/tests/smarthost/smarthost.py"
SENDMAIL="$RELAYQ_BUILDDIR/src/sendmail"
RELAYQ="$RELAYQ_BUILDDIR/src/relayq"
RUNNER="$RELAYQ_BUILDDIR/src/relayq-runner"

# Certificates, once per test file.
make_certs() {
	CERTS="$BATS_FILE_TMPDIR/certs"
	if [ ! -f "$CERTS/ca.crt" ]; then
		"$RELAYQ_SRCDIR/tests/smarthost/gen-certs.sh" "$CERTS"
	fi
}

# start_relay [MODE [CERT]] - start the test smart host, AUTH required.
# MODE: starttls (default), tls, plain.  CERT: server (default), rogue,
# wrongname.  RELAY_PORT_WANTED reuses a port.  Sets RELAY_DIR, RELAY_PORT.
start_relay() {
	local mode="${1:-starttls}" cert="${2:-server}" tlsargs=()
	make_certs
	RELAY_DIR="$BATS_TEST_TMPDIR/relay"
	mkdir -p "$RELAY_DIR"
	rm -f "$BATS_TEST_TMPDIR/relay.port"
	if [ "$mode" != plain ]; then
		tlsargs=(--cert "$CERTS/$cert.crt" --key "$CERTS/$cert.key")
		# RELAY_CLIENT_CA=1: the relay asks for a client certificate.
		[ -z "${RELAY_CLIENT_CA:-}" ] ||
		    tlsargs+=(--client-ca "$CERTS/ca.crt")
	fi
	"$PY" "$SMARTHOST" --dir "$RELAY_DIR" \
	    --port-file "$BATS_TEST_TMPDIR/relay.port" \
	    --port "${RELAY_PORT_WANTED:-0}" --mode "$mode" "${tlsargs[@]}" \
	    --auth-user alice --auth-password 's3cret pass' \
	    --max-seconds 300 \
	    3>&- 2>>"$BATS_TEST_TMPDIR/relay.stderr" &
	RELAY_PID=$!
	wait_for 10 test -s "$BATS_TEST_TMPDIR/relay.port"
	RELAY_PORT=$(cat "$BATS_TEST_TMPDIR/relay.port")
	RELAY_MODE=$mode
}

stop_relay() {
	if [ -n "${RELAY_PID:-}" ]; then
		kill "$RELAY_PID" 2>/dev/null || true
		wait "$RELAY_PID" 2>/dev/null || true
		RELAY_PID=
	fi
}

# relay_control JSON - behaviour on cue (see tests/smarthost/README).
relay_control() {
	printf '%s\n' "$1" > "$RELAY_DIR/control.json.tmp"
	mv "$RELAY_DIR/control.json.tmp" "$RELAY_DIR/control.json"
}

# write_config [TLS_MODE] - a config for this test's spool and relay.
write_config() {
	local tls="${1:-${RELAY_MODE:-starttls}}"
	[ "$tls" = plain ] && tls=none
	SPOOL="$BATS_TEST_TMPDIR/spool"
	SECRET="$BATS_TEST_TMPDIR/secret"
	printf 's3cret pass\n' > "$SECRET"
	chmod 0600 "$SECRET"
	CONF="$BATS_TEST_TMPDIR/relayq.conf"
	cat > "$CONF" <<-EOF
	# test configuration
	queue_dir = "$SPOOL"
	domain = "client.example"
	retry_min = 1s
	retry_max = 2s
	smarthost "${RELAY_HOST:-127.0.0.1}" {
	    port = ${RELAY_PORT:-25}
	    tls = $tls
	    tls_trust_file = "$CERTS/ca.crt"
	    user = "alice"
	    password_file = "$SECRET"
	    timeout = 5s
	}
	EOF
	# No background runner unless a test asks for one (use_runner): a
	# runner started by sendmail would race the test's own "relayq run".
	export RELAYQ_CONFIG="$CONF" RELAYQ_RUNNER=/bin/true
	# The spool is made by the runner; an empty run creates it.
	timeout 20 "$RELAYQ" run
}

# setup_relay_and_config [MODE [CERT]]
setup_relay_and_config() {
	start_relay "$@"
	write_config
}

# use_runner - let sendmail start the real runner in the background.
use_runner() {
	export RELAYQ_RUNNER="$RUNNER"
}

sendmail() {
	timeout 30 "$SENDMAIL" "$@"
}

relayq() {
	timeout 60 "$RELAYQ" "$@"
}

# wait_for SECONDS COMMAND... - poll until COMMAND succeeds.
wait_for() {
	local limit=$(( $1 * 10 )) i=0
	shift
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -ge "$limit" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

received_count() {
	ls "$RELAY_DIR/messages" 2>/dev/null | grep -c '\.json$' || true
}

has_received() {
	[ "$(received_count)" -ge "$1" ]
}

# received_json N - the envelope of the N-th message (1-based).
received_json() {
	cat "$RELAY_DIR/messages/$(printf '%04d' "$1").json"
}

received_eml() {
	cat "$RELAY_DIR/messages/$(printf '%04d' "$1").eml"
}

json_get() {	# json_get FILE-CONTENT-ON-STDIN EXPR
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

queue_files() {
	ls "$SPOOL/queue" 2>/dev/null | grep -v '\.state$' || true
}

intake_files() {
	ls -A "$SPOOL/intake" 2>/dev/null | grep -vx lock || true
}

# has_state - some queued message has had a delivery attempt.
has_state() {
	ls "$SPOOL/queue" 2>/dev/null | grep -q '\.state$'
}

# queued_file - the first queued message file, after a runner pass has
# moved it from the intake into queue/ (with the relay down, it stays).
queued_file() {
	relayq run >/dev/null 2>&1 || true
	local f
	f=$(queue_files | head -n1)
	[ -n "$f" ] && echo "$SPOOL/queue/$f"
}

queue_is_empty() {
	[ -z "$(queue_files)" ] && [ -z "$(intake_files)" ]
}

# make_test_accounts - the accounts of the scratch installations (root
# only): rqtest (user and group, the runner's) and rqtestdrop (submission).
make_test_accounts() {
	getent group rqtest >/dev/null || groupadd --system rqtest
	getent group rqtestdrop >/dev/null || groupadd --system rqtestdrop
	getent passwd rqtest >/dev/null ||
	    useradd --system --gid rqtest --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin rqtest
}

# Stop any runner that works this test's spool (it holds the lock).
stop_runners() {
	local pid
	if [ -n "${SPOOL:-}" ] && [ -f "$SPOOL/intake/lock" ]; then
		pid=$(cat "$SPOOL/intake/lock" 2>/dev/null)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
}

common_teardown() {
	stop_runners
	stop_relay
}

events() {
	cat "$RELAY_DIR/events.log" 2>/dev/null
}

# privtest_config PRIV - on stdout, the configuration of a scratch
# installation in PRIV that relays to this test's smart host.
privtest_config() {
	cat <<-EOF
	queue_dir = "$1/spool"
	domain = "client.example"
	retry_min = 1s
	retry_max = 2s
	smarthost "127.0.0.1" {
	    port = $RELAY_PORT
	    tls_trust_file = "$1/ca.crt"
	    user = "alice"
	    password_file = "$1/relayq.secret"
	    timeout = 5s
	}
	EOF
}
