#!/usr/bin/env bats
# Process hygiene of the set-id programs, and what an ordinary user cannot
# make them do, on the scratch installation of priv.bash (see
# 40-privilege.bats).  "daemon" is a second ordinary user; "the planter"
# is daemon holding sendmail's own group (rqtestdrop), the most a user who
# broke into a sendmail process could hold: what it drops into intake/
# must not fool the runner, and every test ends by showing that another
# user's mail is still delivered.

load helpers
load priv

setup() {
	priv_setup
	# A directory ordinary users may use ($BATS_TEST_TMPDIR is closed
	# to them), on the file system of the spool.
	W="$PRIV/w"
	rm -rf "$W"
	mkdir -p "$W"
	chmod 0777 "$W"
}

teardown() {
	local pid
	for pid in ${BG_PIDS:-}; do
		kill "$pid" 2>/dev/null || true
	done
	priv_teardown
	find "$PRIV/spool/intake" "$PRIV/spool/corrupt" -mindepth 1 \
	    ! -path "$PRIV/spool/intake/lock" -exec rm -rf {} + 2>/dev/null || true
	rm -rf "$PRIV/xdir" "$PRIV/groupsecret" "$PRIV/runnersecret" "$W"
}

as_daemon() {
	setpriv --reuid=daemon --regid=daemon --clear-groups --reset-env "$@"
}

as_planter() {
	setpriv --reuid=daemon --regid=daemon --groups=rqtestdrop --reset-env "$@"
}

# still_delivered TAG - nobody submits; the runner it starts delivers it.
still_delivered() {
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: still delivered $1"
	wait_for 30 delivered "still delivered $1"
}

delivered() {	# delivered SUBJECT - the relay has a message with it
	grep -q "^Subject: $1"$'\r'"\?\$" "$RELAY_DIR"/messages/*.eml
}

new_id() {
	printf '%013X%07X' "$(date +%s%6N)" $(( (RANDOM << 15 | RANDOM) & 0xFFFFFFF ))
}

# craft UID ID [TRAILER_LENGTH] - a queue file as sendmail writes it.
craft() {
	"$PY" - "$@" <<-'EOF'
	import sys, time
	uid, qid = sys.argv[1:3]
	head = ("relayq 1\nI %s\nU %s\nA %d\nF forger@client.example\n"
	        "T bob@example.org\n\n" % (qid, uid, time.time())).encode()
	body = b"Subject: crafted\n\ncrafted\n"
	n = int(sys.argv[3]) if len(sys.argv) > 3 else len(body)
	sys.stdout.buffer.write(head + body + b"relayq-end %020d\n" % n)
	EOF
}

# plant NAME [COMMAND...] - the planter makes intake/NAME (by default a
# crafted file of its own uid; else COMMAND runs with the path as $1).
plant() {
	local name=$1
	shift
	if [ $# -eq 0 ]; then
		craft "$(id -u daemon)" "${name#m.}" | as_planter sh -c \
		    'cat > "$1"' sh "$PRIV/spool/intake/$name"
	else
		as_planter sh -c "$*" sh "$PRIV/spool/intake/$name"
	fi
}

corrupt_has() {
	[ -e "$PRIV/spool/corrupt/$1" ] || [ -L "$PRIV/spool/corrupt/$1" ]
}

# start_waiting_sendmail [ARGS...] - as nobody, a sendmail that reads its
# message from a FIFO we hold open; sets SM_PID.
start_waiting_sendmail() {
	mkfifo "$W/in"
	chmod 0666 "$W/in"
	as_nobody sh -c 'cd "$1" && echo $$ > pid && shift && exec "$@" < in' \
	    sh "$W" "$PRIV/sendmail" "$@" 7>"$W/leak" &
	BG_PIDS="${BG_PIDS:-} $!"
	exec 5<>"$W/in"		# read-write: never blocks
	wait_for 10 test -s "$W/pid"
	SM_PID=$(cat "$W/pid")
	wait_for 10 bash -c "[ \"\$(readlink /proc/$SM_PID/exe)\" = '$PRIV/sendmail' ]"
}

# ---- the process ----------------------------------------------------

@test "sendmail: not dumpable, no core limit, no inherited descriptor, umask 077" {
	start_waiting_sendmail bob@example.org
	# Not dumpable: its /proc files belong to root, not to the caller.
	[ "$(stat -c %u "/proc/$SM_PID/environ")" -eq 0 ]
	run ! as_nobody cat "/proc/$SM_PID/environ"
	grep -Eq '^Max core file size +0 +0 ' "/proc/$SM_PID/limits"
	grep -q '^Umask:.*0077' "/proc/$SM_PID/status"
	# Descriptor 7, open on the caller's file, was closed.
	run -0 ls "/proc/$SM_PID/fd"
	! echo "$output" | grep -qx 7 || false
	# The caller may signal it (its own process): SIGQUIT dumps no core.
	as_nobody kill -QUIT "$SM_PID"
	exec 5>&-
	wait_for 10 bash -c "! kill -0 $SM_PID"
	[ -z "$(ls "$W" | grep '^core')" ]
	if [ "$(cat /proc/sys/kernel/core_pattern)" = core ]; then
		# The control: the same signal to an ordinary program
		# leaves a core file here.
		(cd "$W" && ulimit -c unlimited && exec sleep 30) &
		local pid=$!
		sleep 0.5
		kill -QUIT "$pid"
		wait "$pid" || true
		wait_for 10 bash -c "ls '$W' | grep -q '^core'"
	fi
	still_delivered sigquit
}

@test "sendmail -odi stays non-dumpable while it raises and lowers its group" {
	relay_control '{"greeting_delay": 3}'
	start_waiting_sendmail -odi bob@example.org
	printf 'Subject: odi\n\nwaiting\n' >&5
	exec 5>&-
	# Queued: now it polls for the runner's report, raising its group
	# for each look.
	wait_for 10 bash -c "ls '$PRIV/spool/intake' | grep -q '^w\.'"
	for _ in 1 2 3 4 5; do
		[ "$(stat -c %u "/proc/$SM_PID/environ")" -eq 0 ]
		sleep 0.2
	done
	wait_for 20 has_received 1
}

@test "sendmail with descriptors 0, 1 and 2 closed: nothing strays into the queue file" {
	run -0 as_nobody sh -c 'exec "$1" -v bob@example.org >&- 2>&-' sh \
	    "$PRIV/sendmail" <<< "Subject: closed fds"
	wait_for 20 has_received 1
	received_eml 1 | grep -q '^Subject: closed fds'
	! received_eml 1 | grep -q 'queued as' || false
	# All three closed: the message is empty, and is taken or refused
	# cleanly, never by a crash.
	run as_nobody sh -c 'exec "$1" bob@example.org <&- >&- 2>&-' sh "$PRIV/sendmail"
	[ "$status" -eq 0 ] || [ "$status" -ge 64 -a "$status" -le 78 ]
	[ -z "$(ls "$PRIV/spool/corrupt")" ]
	still_delivered fds
}

@test "sendmail refuses an empty argument list, and argv[0] only picks mailq or newaliases" {
	# Linux since 5.18 passes "" as argv[0] then; older kernels and
	# other systems pass nothing at all, which sendmail refuses.
	run -64 as_nobody "$RELAYQ_BUILDDIR/tests/priv/exec-noargv" "$PRIV/sendmail" <<< "Subject: argc 0"
	[[ "$output" == *"without a program name"* || "$output" == *"no recipients given"* ]]
	[ -z "$(intake_files)" ]
	# Any other name is sendmail itself; mailq lists, which needs rights.
	run -0 as_nobody bash -c 'exec -a "/x/mailq/../sendmail-$(printf "\e")" "$1" bob@example.org' \
	    sh "$PRIV/sendmail" <<< "Subject: odd name"
	run -77 as_nobody bash -c 'exec -a mailq "$1"' sh "$PRIV/sendmail"
	wait_for 20 has_received 1
}

# ---- reading what is not theirs --------------------------------------

@test "another user cannot read a queued message: files, mailq, relayq show" {
	relay_control '{"data": "451 4.3.0 later", "data_times": 1000}'
	as_nobody "$PRIV/sendmail" bob@example.org <<< "Subject: private-7Q"
	wait_for 15 bash -c "ls '$PRIV/spool/queue' | grep -q '\.state\$'"
	id=$(ls "$PRIV/spool/queue" | grep -v '\.state$')
	run ! as_daemon cat "$PRIV/spool/queue/$id"
	run ! as_daemon ls "$PRIV/spool/queue"
	run ! as_daemon ls "$PRIV/spool/intake"
	run ! as_daemon cat "$PRIV/relayq.secret"
	# Postfix's mailq shows anyone the id, size, time, sender and
	# recipients; relayq shows an ordinary user nothing at all.
	run -77 as_daemon "$PRIV/sendmail" -bp
	[[ "$output" != *"$id"* && "$output" != *bob@* ]]
	ln -s "$PRIV/sendmail" "$W/mailq"
	run -77 as_daemon "$W/mailq"
	[[ "$output" != *"$id"* ]]
	run ! as_daemon "$RELAYQ" -C "$PRIV/relayq.conf" show "$id"
	[[ "$output" != *private-7Q* && "$output" != *bob@* ]]
	run ! as_daemon "$RELAYQ" -C "$PRIV/relayq.conf" queue
	[[ "$output" != *"$id"* ]]
	# Nor the submitter, once sendmail has exited.
	run ! as_nobody "$RELAYQ" -C "$PRIV/relayq.conf" show "$id"
	[[ "$output" != *private-7Q* ]]
}

@test "-C and RELAYQ_CONFIG read nothing with the group: not a file it could read" {
	printf 'queue_dir = "TOPSECRET-1"\nTOPSECRET-2\n' > "$PRIV/groupsecret"
	chown root:rqtestdrop "$PRIV/groupsecret"
	chmod 0640 "$PRIV/groupsecret"
	cp "$PRIV/groupsecret" "$PRIV/runnersecret"
	chown root:rqtest "$PRIV/runnersecret"
	run -78 as_nobody "$PRIV/sendmail" -C "$PRIV/groupsecret" bob@example.org <<< "x"
	[[ "$output" == *"Permission denied"* && "$output" != *TOPSECRET* ]]
	run -78 as_nobody env RELAYQ_CONFIG="$PRIV/groupsecret" "$PRIV/sendmail" -bp
	[[ "$output" != *TOPSECRET* ]]
	run -78 as_nobody env RELAYQ_CONFIG="$PRIV/groupsecret" "$PRIV/sendmail" -bi
	[[ "$output" != *TOPSECRET* ]]
	# The runner, with its own group's file.
	run -78 as_nobody env RELAYQ_CONFIG="$PRIV/runnersecret" "$PRIV/relayq-runner"
	[[ "$output" != *TOPSECRET* ]]
	# A configuration of the user's own whose aliases file is the secret.
	as_nobody mkdir "$W/spool"
	printf 'queue_dir = "%s"\naliases = "%s"\n' "$W/spool" "$PRIV/groupsecret" > "$W/my.conf"
	run as_nobody "$PRIV/sendmail" -C "$W/my.conf" -bi
	[ "$status" -ne 0 ]
	[[ "$output" != *TOPSECRET* ]]
	run as_nobody "$PRIV/sendmail" -C "$W/my.conf" root <<< "x"
	[ "$status" -ne 0 ]
	[[ "$output" != *TOPSECRET* ]]
	still_delivered config
}

@test "a configuration of the user's own gets no privilege, whatever its queue_dir" {
	# The real spool: the group is gone, so intake/ is closed.
	printf 'queue_dir = "%s"\nsmarthost "127.0.0.1" {\n port = %s\n}\n' \
	    "$PRIV/spool" "$RELAY_PORT" > "$W/real.conf"
	run -73 as_nobody "$PRIV/sendmail" -C "$W/real.conf" bob@example.org <<< "x"
	run ! as_nobody env RELAYQ_CONFIG="$W/real.conf" "$PRIV/relayq-runner"
	[ -z "$(intake_files)" ]
	[ -z "$(ls "$PRIV/spool/queue")" ]
	# A spool of their own: it works, as the user, and the runner it
	# names runs as the user too.
	printf 'queue_dir = "%s"\nsmarthost "127.0.0.1" {\n port = %s\n}\n' \
	    "$W/spool" "$RELAY_PORT" > "$W/own.conf"
	printf '#!/bin/sh\nid -u > %s/id.u; id -g > %s/id.g; id -G > %s/id.G\n' \
	    "$W" "$W" "$W" > "$W/probe"
	chmod 0755 "$W/probe"
	as_nobody env RELAYQ_CONFIG="$W/own.conf" "$RELAYQ" run
	run -0 as_nobody env RELAYQ_CONFIG="$W/own.conf" RELAYQ_RUNNER="$W/probe" \
	    "$PRIV/sendmail" bob@example.org <<< "Subject: own queue"
	wait_for 10 test -s "$W/id.G"
	[ "$(cat "$W/id.u")" -eq "$(id -u nobody)" ]
	[ "$(cat "$W/id.g")" -eq "$(getent group nogroup | cut -d: -f3)" ]
	! grep -qw "$(getent group rqtestdrop | cut -d: -f3)" "$W/id.G" || false
	f=$(ls "$W/spool/intake" | grep '^m\.')
	[ "$(stat -c %U:%G "$W/spool/intake/$f")" = nobody:nogroup ]
}

@test "-X, -O and -o options make sendmail write no file; -L cannot forge a log line" {
	install -d -o root -g rqtestdrop -m 0770 "$PRIV/xdir"
	run -0 as_nobody "$PRIV/sendmail" -X "$PRIV/xdir/traffic" \
	    -O "QueueDirectory=$PRIV/xdir" -oQ"$PRIV/xdir" -O LogFile=/etc/passwd \
	    bob@example.org <<< "Subject: options"
	wait_for 20 has_received 1
	[ -z "$(ls -A "$PRIV/xdir")" ]
	run -64 as_nobody "$PRIV/sendmail" -L $'tag\nrelayq[1]: forged' bob@example.org <<< "x"
	run -64 as_nobody "$PRIV/sendmail" -L "$(printf 'a%.0s' {1..40})" bob@example.org <<< "x"
	run -0 as_nobody "$PRIV/sendmail" -L cron-job.daily bob@example.org <<< "Subject: tagged"
	wait_for 20 has_received 2
}

# ---- the intake as hostile input -------------------------------------

@test "a forged submitter uid is refused; the true owner's is kept" {
	id=$(new_id)
	craft 0 "$id" | as_planter sh -c 'cat > "$1"' sh "$PRIV/spool/intake/m.$id"
	good=$(new_id)
	plant "m.$good"
	still_delivered forged
	wait_for 10 corrupt_has "m.$id"
	# The crafted file in the planter's own name goes, as the planter's.
	wait_for 20 delivered crafted
	[ "$(received_count)" -eq 2 ]
	for n in 1 2; do
		received_json $n | json_get 'd["mail_from"]'
	done | grep -qx forger@client.example
}

@test "symbolic links and hard links in intake/ are not followed" {
	sum=$(sha256sum /etc/shadow)
	plant "m.$(new_id)" 'ln -s /etc/shadow "$1"'
	plant "m.$(new_id)" 'ln -s ../queue "$1"'
	plant "t.$(new_id)" 'ln -s /etc/shadow "$1"'
	# A hard link to a sound message of the planter's own.
	id=$(new_id)
	craft "$(id -u daemon)" "$id" > "$W/linked"
	chown daemon "$W/linked"
	plant "m.$id" "ln '$W/linked' \"\$1\""
	still_delivered links
	wait_for 10 corrupt_has "m.$id"
	[ "$(ls "$PRIV/spool/corrupt" | wc -l)" -ge 3 ]
	[ "$(sha256sum /etc/shadow)" = "$sum" ]
	[ "$(received_count)" -eq 1 ]
}

@test "a FIFO in intake/ blocks nothing" {
	plant "m.$(new_id)" 'mkfifo "$1"'
	plant "t.$(new_id)" 'mkfifo "$1"'
	still_delivered fifo
	[ "$(received_count)" -eq 1 ]
}

@test "a huge, a growing and a badly ended file in intake/ block nothing" {
	huge=$(new_id)
	plant "m.$huge" 'truncate -s 20G "$1"'
	grow=$(new_id)
	as_planter sh -c 'exec timeout 20 sh -c "while :; do cat /etc/services; sleep 0.05; done" > "$1"' \
	    sh "$PRIV/spool/intake/m.$grow" &
	BG_PIDS="${BG_PIDS:-} $!"
	bad=$(new_id)
	craft "$(id -u daemon)" "$bad" 999 | as_planter sh -c 'cat > "$1"' sh "$PRIV/spool/intake/m.$bad"
	still_delivered big
	wait_for 10 corrupt_has "m.$huge"
	wait_for 10 corrupt_has "m.$bad"
	[ "$(received_count)" -eq 1 ]
}

@test "directories named like messages and thousands of junk files block nothing" {
	plant "m.$(new_id)" 'mkdir "$1"'
	plant "t.$(new_id)" 'mkdir "$1"'
	plant "junk" '
		cd "$(dirname "$1")" || exit 1
		i=0
		while [ $i -lt 3000 ]; do
			printf "junk %d\n" $i > "m.$(printf %020X $i)"
			: > "junk-$i"
			i=$((i + 1))
		done'
	still_delivered junk
	[ "$(received_count)" -eq 1 ]
}

@test "a user's stalled sendmail holding its file locked blocks nothing" {
	start_waiting_sendmail bob@example.org
	printf 'Subject: half\n\nhalf a messa' >&5
	wait_for 10 bash -c "ls '$PRIV/spool/intake' | grep -q '^t\.'"
	run ! as_daemon flock -n -s "$PRIV/spool/intake/lock" true
	still_delivered stalled
	# Finished later, it goes too.
	printf 'ge\n' >&5
	exec 5>&-
	wait_for 20 delivered half
}
