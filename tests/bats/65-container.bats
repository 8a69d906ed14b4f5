#!/usr/bin/env bats
# The container recipe of doc/container.md, without Docker: PHP running as
# www-data in a fresh PID and mount namespace (no init system, nothing
# started before PHP), mail() submitting through the set-group-id sendmail,
# the set-user-id runner it starts relaying with a secret that www-data
# cannot read, and a spool "volume" that outlives the container.
#
# The set-id programs are the scratch copies of 40-privilege.bats (paths
# compiled in under $RELAYQ_PRIVTEST_DIR, accounts rqtest and rqtestdrop).
# So that the two files never see each other's installation when make runs
# them side by side, each "container" mounts a fresh tmpfs (without nosuid)
# over the directory that holds $RELAYQ_PRIVTEST_DIR and installs its own
# copies there.  Over the parent, not over $RELAYQ_PRIVTEST_DIR itself:
# 40-privilege.bats removes and recreates that directory, and removing a
# mount point from another mount namespace detaches the mount in ours.
# When the container's first process ends, the kernel kills every other
# process in its PID namespace, the runner included: nothing outlives a test.

load helpers

PRIV=${RELAYQ_PRIVTEST_DIR:?run through make check}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	make_test_accounts
}

setup() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root for namespaces, accounts and set-id files"
	fi
	# The image: what the Dockerfile would copy in, staged where the
	# container can still reach it once the tmpfs hides the parent of
	# $PRIV.
	IMAGE="$BATS_TEST_TMPDIR/image"
	case "$IMAGE/" in "$(dirname "$PRIV")"/*)
		echo "BATS_TEST_TMPDIR must not be under $(dirname "$PRIV")" >&2
		return 1
	esac
	start_relay starttls
	mkdir -p "$IMAGE" "$BATS_TEST_TMPDIR/volume"
	cp "$RELAYQ_BUILDDIR/tests/priv/sendmail-privtest" "$IMAGE/sendmail"
	cp "$RELAYQ_BUILDDIR/tests/priv/relayq-runner-privtest" \
	    "$IMAGE/relayq-runner"
	cp "$CERTS/ca.crt" "$IMAGE/ca.crt"
	printf 's3cret pass\n' > "$IMAGE/relayq.secret"
	privtest_config "$PRIV" > "$IMAGE/relayq.conf"
	export PRIV IMAGE VOLUME="$BATS_TEST_TMPDIR/volume" RELAY_DIR
	unset RELAYQ_CONFIG RELAYQ_RUNNER
}

teardown() {
	stop_relay
}

# In the container: install the image as a Dockerfile would (owners and
# modes of doc/container.md), with the spool on the volume.
container_boot() {
	set -eu
	mount -t tmpfs -o mode=0755 relayq-container "$(dirname "$PRIV")"
	mkdir -p "$PRIV"
	install -o root -g rqtestdrop -m 2755 "$IMAGE/sendmail" "$PRIV/sendmail"
	install -o rqtest -g rqtest -m 6755 "$IMAGE/relayq-runner" \
	    "$PRIV/relayq-runner"
	install -o root -g root -m 0644 "$IMAGE/relayq.conf" "$PRIV/relayq.conf"
	install -o root -g root -m 0644 "$IMAGE/ca.crt" "$PRIV/ca.crt"
	install -o root -g rqtest -m 0640 "$IMAGE/relayq.secret" \
	    "$PRIV/relayq.secret"
	# The volume: a fresh one gets the spool's owners and modes, a used
	# one keeps its mail.
	mkdir -p "$PRIV/spool"
	mount --bind "$VOLUME" "$PRIV/spool"
	if [ ! -d "$PRIV/spool/intake" ]; then
		chown rqtest:rqtest "$PRIV/spool"
		chmod 0751 "$PRIV/spool"
		install -d -o rqtest -g rqtestdrop -m 3770 "$PRIV/spool/intake"
		for d in queue hold failed corrupt; do
			install -d -o rqtest -g rqtest -m 0750 "$PRIV/spool/$d"
		done
	fi
}

as_www_data() {
	setpriv --reuid=www-data --regid=www-data --init-groups --reset-env "$@"
}

# php_mail SUBJECT - what a PHP page does, with php.ini's sendmail_path.
php_mail() {
	as_www_data php -n -d sendmail_path="$PRIV/sendmail -t -i" \
	    -r 'exit(mail("bob@example.org", $argv[1], "Thanks.") ? 0 : 1);' \
	    "$1"
}

# wait_in SECONDS COMMAND... - wait_for, inside the container.
wait_in() {
	local i=0 limit=$(($1 * 10))
	shift
	until "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -lt "$limit" ] || { echo "timed out: $*" >&2; return 1; }
		sleep 0.1
	done
}

queued_state() {
	ls "$PRIV/spool/queue" | grep -q '\.state$'
}

runner_pid() {
	cat "$PRIV/spool/intake/lock"
}

export -f container_boot as_www_data php_mail wait_in queued_state runner_pid

# container SCRIPT - run SCRIPT as the container's processes: PID 1 is its
# shell, which boots the image and then plays PHP-FPM.
container() {
	timeout -k 5 90 unshare --pid --kill-child --mount-proc --mount \
	    --propagation private bash -c "container_boot; $1"
}

# in_container SCRIPT - container; a failure shows what it printed.
in_container() {
	run container "$1"
	if [ "$status" -ne 0 ]; then
		printf 'container exited %s:\n%s\n' "$status" "$output" >&2
		return 1
	fi
}

@test "PHP's mail() as www-data: the runner sendmail starts relays with the secret" {
	in_container '
	    php_mail "order 42"
	    wait_in 20 test -s "$PRIV/spool/intake/lock"
	    # The runner sendmail started works as the relay account, not
	    # as www-data.
	    pid=$(runner_pid)
	    [ "$(ps -o euser= -p "$pid" | tr -d " ")" = rqtest ]
	    # PID 1 waits for the delivery, as a container stays up.
	    wait_in 20 test -s "$RELAY_DIR/messages/0001.json"'
	received_json 1 | json_get 'd["auth_user"]' | grep -qx alice
	received_json 1 | json_get 'd["tls"]' | grep -qx True
	received_json 1 | json_get 'd["mail_from"]' | grep -qx www-data@client.example
	received_eml 1 | tr -d '\r' | grep -qx 'Subject: order 42'
}

@test "www-data can read neither the secret nor mail deferred in the queue" {
	relay_control '{"data": "451 4.3.0 try later", "data_times": 1000}'
	in_container '
	    php_mail "deferred order"
	    wait_in 20 queued_state
	    id=$(ls "$PRIV/spool/queue" | grep -v "\.state$")
	    ! as_www_data cat "$PRIV/relayq.secret" || exit 11
	    ! as_www_data cat "$PRIV/spool/queue/$id" || exit 12
	    ! as_www_data ls "$PRIV/spool/queue" || exit 13
	    ! as_www_data "$PRIV/sendmail" -bp || exit 14
	    # The runner stays while the mail is deferred, and sends it
	    # once the smart host takes it.
	    pid=$(runner_pid)
	    sleep 3
	    kill -0 "$pid"
	    echo "{}" > "$RELAY_DIR/control.json.tmp"
	    mv "$RELAY_DIR/control.json.tmp" "$RELAY_DIR/control.json"
	    wait_in 20 test -s "$RELAY_DIR/messages/0001.json"
	    [ "$(runner_pid)" = "$pid" ]'
	[ "$(events | grep -c '^data .* 451')" -ge 2 ]
	received_eml 1 | tr -d '\r' | grep -qx 'Subject: deferred order'
}

@test "mail deferred when the container stops is sent after a restart by relayq run --daemon" {
	relay_control '{"data": "451 4.3.0 try later", "data_times": 1000}'
	in_container '
	    php_mail "before restart"
	    wait_in 20 queued_state'
	# The container is gone, its runner with it; the mail is on the
	# volume.
	ls "$VOLUME/queue" | grep -q '\.state$'
	[ "$(received_count)" -eq 0 ]
	relay_control '{}'
	in_container '
	    "$PRIV/relayq-runner" --daemon &
	    wait_in 20 test -s "$RELAY_DIR/messages/0001.json"
	    wait_in 10 bash -c "[ -z \"\$(ls $PRIV/spool/queue)\" ]"'
	received_eml 1 | tr -d '\r' | grep -qx 'Subject: before restart'
	[ "$(received_count)" -eq 1 ]
}
