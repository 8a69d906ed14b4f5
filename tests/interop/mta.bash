# Real MTAs as relays for tests/bats/90-interop.bats: Postfix (STARTTLS on
# a submission-style port, Cyrus SASL with a sasldb) and Exim (implicit
# TLS, plaintext and cram_md5 authenticators), each delivering to maildirs
# the test reads.  How and why they are set up this way: tests/interop/README.
#
# Every server lives in its own directory MTA_WORK (under /var/tmp, mode
# 0755, because the servers' unprivileged accounts must reach it), runs on
# a free port of 127.0.0.1, and is stopped by mta_stop NAME or by
# mta_teardown, which every test's teardown calls.

: "${RELAYQ_MTA_DIR:=/usr/local/lib/relayq-test/mta}"
POSTFIX_PREFIX="$RELAYQ_MTA_DIR/postfix"
EXIM_PREFIX="$RELAYQ_MTA_DIR/exim4-daemon-light"
MTA_PASSWORD='s3cret pass'	# what write_config puts in the secret file
declare -gA MTA_PID=()		# server name -> pid, for mta_stop

# mta_require NAME FILE - fail, loudly, without the MTA or without root.
mta_require() {
	if [ ! -x "$2" ]; then
		echo "interop: $1 is missing ($2 not found);" \
		    "tools/install-deps unpacks it under $RELAYQ_MTA_DIR" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "interop: $1 must be started as root (accounts, bind" \
		    "mounts, a privileged master process)" >&2
		return 1
	fi
}

# mta_group GROUP, mta_account USER - a system group, or a system account
# with its own group, for a server; made once and kept, like rqtest.
# Another tree's suite may be making it at the same moment.
mta_group() {
	getent group "$1" >/dev/null || groupadd --system "$1" ||
	    getent group "$1" >/dev/null
}

mta_account() {
	local user=$1 group=$1
	mta_group "$group"
	getent passwd "$user" >/dev/null ||
	    useradd --system --gid "$group" --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin "$user" ||
	    getent passwd "$user" >/dev/null
}

mta_free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}

# port_listens PORT - something listens on 127.0.0.1:PORT (read from
# /proc, so that the server sees no probing connection).
port_listens() {
	awk -v want="$(printf '0100007F:%04X' "$1")" \
	    '$2 == want && $4 == "0A" { found = 1 } END { exit !found }' \
	    /proc/net/tcp
}

# mta_workdir - MTA_WORK, with the test certificates the servers present.
mta_workdir() {
	make_certs
	if [ -z "${MTA_WORK:-}" ]; then
		MTA_WORK=$(mktemp -d /var/tmp/relayq-interop.XXXXXX)
		chmod 0755 "$MTA_WORK"
	fi
}

# ---- Postfix ---------------------------------------------------------------

# start_postfix [MECHANISMS] - Postfix on 127.0.0.1:RELAY_PORT: STARTTLS
# required before AUTH, SASL mechanisms (default "PLAIN LOGIN") from a
# sasldb holding alice's password, recipients @example.org delivered by
# virtual(8) to $PF/vmail/LOCALPART/, reject@example.org refused with 550
# by an access map.  Sets PF (its directory), RELAY_PORT, RELAY_MODE.
start_postfix() {
	local mechs=${1:-PLAIN LOGIN} d
	mta_require Postfix "$POSTFIX_PREFIX/usr/lib/postfix/sbin/master" || return 1
	mta_account rqpostfix
	mta_group rqpostdrop
	mta_workdir
	PF="$MTA_WORK/postfix"
	rm -rf "$PF"
	RELAY_PORT=$(mta_free_port) RELAY_MODE=starttls
	mkdir -p "$PF/conf/sasl" "$PF/queue" "$PF/data" "$PF/vmail"
	install -m 0644 "$CERTS/server.crt" "$PF/conf/server.crt"
	install -m 0600 "$CERTS/server.key" "$PF/conf/server.key"
	cat > "$PF/conf/main.cf" <<-EOF
	compatibility_level = 3.6
	# The unpacked package, not the machine's (absent) Postfix.
	daemon_directory = $POSTFIX_PREFIX/usr/lib/postfix/sbin
	command_directory = $POSTFIX_PREFIX/usr/sbin
	shlib_directory = $POSTFIX_PREFIX/usr/lib/postfix
	meta_directory = $PF/conf
	queue_directory = $PF/queue
	data_directory = $PF/data
	import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C
	    LD_LIBRARY_PATH=$POSTFIX_PREFIX/usr/lib/postfix
	mail_owner = rqpostfix
	setgid_group = rqpostdrop
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	# Loopback only, no DNS, nothing leaves: all we host is example.org.
	myhostname = relay.postfix.test
	mydomain = postfix.test
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mydestination =
	mynetworks =
	alias_maps =
	alias_database =
	default_transport = error:the interop relay sends nothing out
	relay_transport = error:the interop relay sends nothing out
	smtp_dns_support_level = disabled
	smtpd_peername_lookup = no
	local_header_rewrite_clients =
	# A submission server: TLS first, then AUTH, then anything.
	smtpd_tls_security_level = encrypt
	smtpd_tls_auth_only = yes
	smtpd_tls_cert_file = $PF/conf/server.crt
	smtpd_tls_key_file = $PF/conf/server.key
	smtpd_tls_loglevel = 1
	smtpd_sasl_auth_enable = yes
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	cyrus_sasl_config_path = $PF/conf/sasl
	smtpd_sasl_local_domain = postfix.test
	smtpd_relay_restrictions = permit_sasl_authenticated, reject
	smtpd_recipient_restrictions =
	    check_recipient_access texthash:$PF/conf/recipient_access,
	    permit_sasl_authenticated, reject
	virtual_mailbox_domains = example.org
	virtual_mailbox_base = $PF/vmail
	virtual_mailbox_maps = texthash:$PF/conf/vmailbox
	virtual_minimum_uid = 1
	virtual_uid_maps = static:$(id -u nobody)
	virtual_gid_maps = static:$(id -g nobody)
	EOF
	# No chroot: the daemons use the paths above as they are.
	cat > "$PF/conf/master.cf" <<-EOF
	127.0.0.1:$RELAY_PORT inet n - n - - smtpd
	pickup    unix n - n 60 1 pickup
	cleanup   unix n - n - 0 cleanup
	qmgr      unix n - n 300 1 qmgr
	rewrite   unix - - n - - trivial-rewrite
	bounce    unix - - n - 0 bounce
	defer     unix - - n - 0 bounce
	trace     unix - - n - 0 bounce
	verify    unix - - n - 1 verify
	proxymap  unix - - n - - proxymap
	error     unix - - n - - error
	retry     unix - - n - - error
	discard   unix - - n - - discard
	virtual   unix - n n - - virtual
	anvil     unix - - n - 1 anvil
	scache    unix - - n - 1 scache
	postlog   unix-dgram n - n - 1 postlogd
	tlsmgr    unix - - n 1000? 1 tlsmgr
	EOF
	printf 'reject@example.org 550 5.1.1 <reject@example.org>: %s\n' \
	    'rejected by the test relay' > "$PF/conf/recipient_access"
	# reject@ has a mailbox: only the access map can refuse it.
	for d in bob carol sender reject; do
		printf '%s@example.org %s/\n' "$d" "$d"
	done > "$PF/conf/vmailbox"
	cat > "$PF/conf/sasl/smtpd.conf" <<-EOF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: $mechs
	sasldb_path: $PF/sasldb2
	EOF
	printf '%s' "$MTA_PASSWORD" |
	    saslpasswd2 -p -c -f "$PF/sasldb2" -u postfix.test alice
	chown root:rqpostfix "$PF/sasldb2"
	chmod 0640 "$PF/sasldb2"
	# The queue as post-install would make it (we run no postfix-script).
	(
		cd "$PF/queue"
		for d in active bounce corrupt defer deferred flush hold \
		    incoming private saved trace maildrop public; do
			install -d -o rqpostfix -g rqpostfix -m 0700 "$d"
		done
		chgrp rqpostdrop maildrop public
		chmod 0730 maildrop
		chmod 0710 public
		install -d -m 0755 pid
	)
	chown rqpostfix:rqpostfix "$PF/data"
	chown nobody:"$(id -gn nobody)" "$PF/vmail"
	LD_LIBRARY_PATH="$POSTFIX_PREFIX/usr/lib/postfix" \
	    mta_launch postfix "$PF" "$PF/queue/pid/master.pid" \
	    "$POSTFIX_PREFIX/usr/lib/postfix/sbin/master" -d -c "$PF/conf"
}

# postfix_log - what Postfix logged.
postfix_log() {
	cat "$PF/maillog"
}

# ---- Exim ------------------------------------------------------------------

# start_exim [MECHANISMS] - Exim on 127.0.0.1:RELAY_PORT with TLS from the
# first byte, AUTH (default "PLAIN LOGIN"; CRAM-MD5 also possible) for
# alice only after TLS, recipients @example.org delivered to
# $EX/mail/LOCALPART/ (maildir), reject@example.org refused with 550 by the
# RCPT ACL.  Sets EX (its directory), RELAY_PORT, RELAY_MODE.
start_exim() {
	local mechs=${1:-PLAIN LOGIN} m
	mta_require Exim "$EXIM_PREFIX/usr/sbin/exim4" || return 1
	mta_account rqexim
	mta_workdir
	EX="$MTA_WORK/exim"
	rm -rf "$EX"
	RELAY_PORT=$(mta_free_port) RELAY_MODE=tls
	mkdir -p "$EX/spool" "$EX/log" "$EX/mail"
	chown rqexim:rqexim "$EX/spool" "$EX/log" "$EX/mail"
	install -m 0644 "$CERTS/server.crt" "$EX/server.crt"
	install -o root -g rqexim -m 0640 "$CERTS/server.key" "$EX/server.key"
	# Debian's Exim looks its account up by the name compiled into it,
	# Debian-exim, which only the exim4 package would create: its own
	# mount namespace sees a passwd and group where that name is rqexim.
	cp /etc/passwd "$EX/passwd"
	cp /etc/group "$EX/group"
	printf 'Debian-exim:x:%s:%s::/nonexistent:/usr/sbin/nologin\n' \
	    "$(id -u rqexim)" "$(id -g rqexim)" >> "$EX/passwd"
	printf 'Debian-exim:x:%s:\n' "$(id -g rqexim)" >> "$EX/group"
	{
		# Macros for the paths, so the rest needs no shell quoting.
		cat <<-EOF
		WORK = $EX
		PORT = $RELAY_PORT
		PASSWORD = $MTA_PASSWORD
		exim_path = $EXIM_PREFIX/usr/sbin/exim4
		EOF
		cat <<-'EOF'
		keep_environment =
		spool_directory = WORK/spool
		log_file_path = WORK/log/%slog
		pid_file_path = WORK/exim.pid
		primary_hostname = relay.exim.test
		qualify_domain = exim.test
		local_interfaces = <; 127.0.0.1
		daemon_smtp_ports = PORT
		tls_on_connect_ports = PORT
		host_lookup =
		rfc1413_hosts =
		domainlist local_domains = example.org
		tls_advertise_hosts = *
		tls_certificate = WORK/server.crt
		tls_privatekey = WORK/server.key
		auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}
		acl_smtp_mail = acl_check_mail
		acl_smtp_rcpt = acl_check_rcpt
		log_selector = +tls_cipher +received_recipients

		begin acl
		acl_check_mail:
		  deny    message = authentication required
		          !authenticated = *
		  accept
		acl_check_rcpt:
		  deny    message = <$local_part@$domain>: rejected by the test relay
		          recipients = reject@example.org
		  accept  authenticated = *
		          domains = +local_domains
		  deny    message = relay not permitted

		begin routers
		local_maildir:
		  driver = accept
		  domains = +local_domains
		  local_parts = bob : carol : sender : reject
		  transport = maildir

		begin transports
		maildir:
		  driver = appendfile
		  directory = WORK/mail/$local_part_data
		  maildir_format
		  create_directory
		  user = rqexim
		  group = rqexim
		  mode = 0600
		  return_path_add
		  envelope_to_add
		  delivery_date_add

		begin retry
		*  *  F,1m,10s

		begin authenticators
		EOF
		for m in $mechs; do
			case $m in
			PLAIN) cat <<-'EOF' ;;
			plain:
			  driver = plaintext
			  public_name = PLAIN
			  server_prompts = :
			  server_condition = ${if and {{eq{$auth2}{alice}}{eq{$auth3}{PASSWORD}}}}
			  server_set_id = $auth2
			EOF
			LOGIN) cat <<-'EOF' ;;
			login:
			  driver = plaintext
			  public_name = LOGIN
			  server_prompts = Username:: : Password::
			  server_condition = ${if and {{eq{$auth1}{alice}}{eq{$auth2}{PASSWORD}}}}
			  server_set_id = $auth1
			EOF
			CRAM-MD5) cat <<-'EOF' ;;
			cram_md5:
			  driver = cram_md5
			  public_name = CRAM-MD5
			  server_secret = ${if eq{$auth1}{alice}{PASSWORD}fail}
			  server_set_id = $auth1
			EOF
			*)	echo "start_exim: no authenticator for $m" >&2
				return 1 ;;
			esac
		done
	} > "$EX/exim.conf"
	chmod 0644 "$EX/exim.conf"
	# -C: root may name its own configuration.  Deliveries then run as
	# rqexim ("lost privilege for using -C"), which owns the maildirs.
	mta_launch exim "$EX" "$EX/exim.pid" \
	    unshare -m --propagation private sh -c '
	    mount --bind "$1/passwd" /etc/passwd &&
	    mount --bind "$1/group" /etc/group &&
	    exec "$2" -C "$1/exim.conf" -bdf' sh "$EX" "$EXIM_PREFIX/usr/sbin/exim4"
}

exim_log() {
	cat "$EX/log/mainlog"
}

# ---- both --------------------------------------------------------------

# mta_launch NAME DIR PIDFILE COMMAND... - run the server COMMAND in its
# own session, output to DIR/daemon.out, until RELAY_PORT listens; its pid
# (from PIDFILE, the server's own word) in MTA_PID[NAME].
mta_launch() {
	local name=$1 dir=$2 pidfile=$3
	shift 3
	setsid "$@" </dev/null >>"$dir/daemon.out" 2>&1 3>&- &
	MTA_PID[$name]=$!
	if ! wait_for 20 port_listens "$RELAY_PORT"; then
		echo "interop: $name did not start:" >&2
		cat "$dir/daemon.out" >&2
		"${name}_log" >&2 2>/dev/null
		return 1
	fi
	MTA_PID[$name]=$(tr -d ' \n' < "$pidfile")
}

# mta_stop NAME - end that server, and with it its process group if it
# leads one (setsid made it the leader of its own): daemons it started and
# that outlived it.  Never a group it does not lead, such as the test's.
mta_stop() {
	local pid=${MTA_PID[$1]:-} pgid
	[ -n "$pid" ] || return 0
	unset "MTA_PID[$1]"
	pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')
	kill -TERM "$pid" 2>/dev/null || true
	wait_for 10 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
	if [ "$pgid" = "$pid" ]; then
		kill -TERM -- "-$pgid" 2>/dev/null || true
		wait_for 5 eval "! kill -0 -- -$pgid" ||
		    kill -KILL -- "-$pgid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

# mta_teardown - stop whatever ran, show its logs if the test failed, and
# remove its directory.
mta_teardown() {
	local name
	for name in "${!MTA_PID[@]}"; do
		mta_stop "$name"
	done
	if [ -n "${MTA_WORK:-}" ]; then
		if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
			for f in "$MTA_WORK"/postfix/maillog "$MTA_WORK"/exim/log/*; do
				[ -f "$f" ] || continue
				echo "--- $f" >&2
				tail -n 40 "$f" >&2
			done
		fi
		rm -rf "$MTA_WORK"
		MTA_WORK=
	fi
}

# maildir_files DIR - the messages delivered into maildir DIR, one a line.
maildir_files() {
	ls "$1"/new/* 2>/dev/null || true
}

maildir_count() {
	maildir_files "$1" | grep -c . || true
}

# as_submitted FILE - a delivered message without the trace fields the
# relay puts on top (Return-Path, Delivered-To, X-Original-To,
# Envelope-to, Delivery-date, Received): what relayq sent.
as_submitted() {
	awk 'top && /^[ \t]/ { next }
	    top && tolower($0) ~ /^(return-path|delivered-to|x-original-to|envelope-to|delivery-date|received):/ { next }
	    { top = 0; print }' top=1 "$1"
}
