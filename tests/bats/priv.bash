# The scratch set-id installation shared by 40-privilege.bats and
# 45-hygiene.bats: copies of the set-id programs built with their paths
# pointing at $PRIV, installed with real owners and modes, real accounts
# (rqtest, rqtestdrop), and an ordinary user (nobody) who submits.  Needs
# root to set up; CI runs as root.
#
# Both files install into the one $PRIV that the programs have compiled
# in, so each holds an exclusive lock on $PRIV.lock from setup_file to its
# end: when make runs them in parallel, one waits for the other.
#
# Loading this file defines setup_file, teardown_file, setup and teardown;
# a test file may define its own setup and teardown after the load, around
# priv_setup and priv_teardown.

PRIV=${RELAYQ_PRIVTEST_DIR:?run through make check}

as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env "$@"
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	# Inherited by every test of the file, released when it ends.
	exec {PRIV_LOCK_FD}>>"$PRIV.lock"
	flock -w 1200 "$PRIV_LOCK_FD"
	make_test_accounts
	rm -rf "$PRIV"
	mkdir -p "$PRIV"
	chmod 0755 "$PRIV"
	install -o root -g rqtestdrop -m 2755 \
	    "$RELAYQ_BUILDDIR/tests/priv/sendmail-privtest" "$PRIV/sendmail"
	install -o rqtest -g rqtest -m 6755 \
	    "$RELAYQ_BUILDDIR/tests/priv/relayq-runner-privtest" \
	    "$PRIV/relayq-runner"
	install -d -o rqtest -g rqtest -m 0751 "$PRIV/spool"
	install -d -o rqtest -g rqtestdrop -m 3770 "$PRIV/spool/intake"
	for d in queue failed corrupt; do
		install -d -o rqtest -g rqtest -m 0750 "$PRIV/spool/$d"
	done
}

teardown_file() {
	local pid
	if [ -f "$PRIV/spool/intake/lock" ]; then
		pid=$(cat "$PRIV/spool/intake/lock")
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	fi
}

# priv_setup - a relay, the secret and the compiled-in configuration.
priv_setup() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root to create accounts and set-id files"
	fi
	start_relay starttls
	install -o root -g root -m 0644 "$CERTS/ca.crt" "$PRIV/ca.crt"
	printf 's3cret pass\n' > "$PRIV/relayq.secret"
	chown root:rqtest "$PRIV/relayq.secret"
	chmod 0640 "$PRIV/relayq.secret"
	privtest_config "$PRIV" > "$PRIV/relayq.conf"
	chmod 0644 "$PRIV/relayq.conf"
	SPOOL="$PRIV/spool"
	unset RELAYQ_CONFIG RELAYQ_RUNNER
}

priv_teardown() {
	common_teardown
	rm -f "$PRIV"/spool/queue/* "$PRIV"/spool/intake/[mt].* \
	    "$PRIV"/spool/failed/* "$PRIV"/spool/corrupt/*
}

setup() {
	priv_setup
}

teardown() {
	priv_teardown
}
