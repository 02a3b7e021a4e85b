#!/bin/bash
# tests/systemd-live.sh: smtp-session's systemd units under a REAL systemd, on a machine
# whose PID 1 need not be systemd.  Run by tests/systemd-live.bats (as root, once);
# adapted from the checked recipe shared/recipes/real-systemd.sh.
#
# How: a minimal Debian rootfs (mmdebstrap, from this machine's own apt sources, never
# a mirror named here), the checkout's smtp-session installed into it with its own
# "make install DESTDIR=", booted with systemd-nspawn (systemd is the container's PID
# 1) on a private network: the container has only its own loopback, so ports 25 and
# 587 are its own and no host port is used.  Clients (swaks, bash /dev/tcp, python3)
# run here in the container's network namespace (nsenter -n); inspection runs inside
# it (nsenter -a: journalctl, /proc/PID/status, /proc/PID/fd).
#
# Usage: tests/systemd-live.sh OUT   (OUT: a directory for the logs)
# Stdout: one line per check, "PASS <id> <text>" or "FAIL <id> <text>", plus INFO lines;
# the bats file groups the checks by <id>.  Exit status: 0 every check passed, 1 some
# check failed, 2 this machine cannot run the test (the last line, "SKIP <reason>",
# says why: not root, no systemd-nspawn, no mirror, no space...), 3 the project could
# not be installed into the container ("FATAL <reason>").  Everything it started is
# stopped, and the rootfs and its cgroups removed, on any exit (SIGTERM included).
# KEEP=1 leaves the container running for poking around (and says how to stop it).
set -uo pipefail

OUT=${1:?usage: $0 OUTDIR}
TOP=$(cd "$(dirname "$0")/.." && pwd)
PW=secret-$$                      # alice's password inside the throwaway container
HOSTNAME_CT=smtpct                # the container's host name: the greeting's name
T0=$(date +%s)
. "$TOP/tests/container.bash"

mkdir -p "$OUT" || exit 3
: >"$OUT/progress.log"

ct_env_checks
# make and adduser: the container runs "make install" itself, to create the user;
# liblockfile1 (with its setgid dotlockfile): --mailbox mbox's dot-lock.
ct_rootfs make,adduser,libgnutls30,liblockfile1

# ---------------------------------------------------------------- install
# The units' and sysusers' directories as this machine's systemd has them (pkg-config),
# the same for both installs below.
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) || UNITDIR=/lib/systemd/system
SUDIR=$(pkg-config --variable=sysusersdir systemd 2>/dev/null) || SUDIR=/usr/lib/sysusers.d
DIRS=(SYSTEMDUNITDIR="$UNITDIR" SYSUSERSDIR="$SUDIR")
make -C "$TOP" install DESTDIR="$ROOT" "${DIRS[@]}" >"$OUT/make-install-destdir.log" 2>&1 ||
	fatal "make install DESTDIR= failed: $(tail -3 "$OUT/make-install-destdir.log" | tr '\n' ' ')"
[ -f "$ROOT$SUDIR/smtp-session.conf" ] && ! grep -q '^smtp-session:' "$ROOT/etc/passwd" &&
	pass "user make install DESTDIR= installs $SUDIR/smtp-session.conf and creates no user" ||
	fail "user after make install DESTDIR=: $(ls "$ROOT$SUDIR" 2>&1 | tr '\n' ' ')," \
		"passwd: $(grep '^smtp-session:' "$ROOT/etc/passwd")"
# What "make install" needs without a compiler: make -o smtp-session keeps the binary.
mkdir -p "$ROOT/root/proj"
cp -a "$TOP/Makefile" "$TOP/smtp-session" "$TOP/smtp-session.8" "$TOP/units" "$TOP/examples" \
	"$TOP/pam.d" "$TOP/tools" "$ROOT/root/proj/" || fatal "cannot copy the project into the rootfs"
echo "$HOSTNAME_CT" >"$ROOT/etc/hostname"
chroot "$ROOT" useradd -m -s /bin/bash alice || fatal "useradd alice failed"
echo "alice:$PW" | chroot "$ROOT" chpasswd || fatal "chpasswd failed"
# TLS for the three services (issue 11): a certificate made here, the key root's only,
# named in /etc/default/smtp-session, which the units read (EnvironmentFile=).
mkdir -p "$ROOT/etc/ssl/private" && chmod 710 "$ROOT/etc/ssl/private"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=$HOSTNAME_CT" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$ROOT/etc/ssl/private/smtp-live.key" -out "$ROOT/etc/ssl/smtp-live.crt" \
	>"$OUT/openssl.log" 2>&1 || fatal "openssl could not make a certificate"
chmod 600 "$ROOT/etc/ssl/private/smtp-live.key"
echo "TLS=--tls-cert /etc/ssl/smtp-live.crt --tls-key /etc/ssl/private/smtp-live.key" \
	>"$ROOT/etc/default/smtp-session"
systemctl --root="$ROOT" enable smtp.socket submission.socket smtps.socket >"$OUT/enable.log" 2>&1 ||
	fatal "systemctl --root enable failed: $(tr '\n' ' ' <"$OUT/enable.log")"

ct_boot

# ---------------------------------------------------------------- the system user
# At boot systemd-sysusers applies sysusers.d when /etc needs it (ConditionNeedsUpdate).
ct getent passwd smtp-session >"$OUT/user-boot.txt" 2>&1 &&
	info "at boot systemd-sysusers created: $(cat "$OUT/user-boot.txt")" ||
	info "no user smtp-session after boot (systemd-sysusers.service: $(ct systemctl show -p ActiveState,ConditionResult --value systemd-sysusers.service | tr '\n' ' '))"
# The real thing, "make install" without DESTDIR, run inside: first where there is no
# systemd-sysusers (SYSUSERS names none: adduser), then with it; each twice, the
# second time over an existing user.  Stopping at a failure would hide the others.
user_ok() {  # user_ok HOW: the user is a system user without home or shell
	local pw uid min
	pw=$(ct getent passwd smtp-session) || return 1
	uid=$(echo "$pw" | cut -d: -f3)
	min=$(ct awk '$1 == "SYS_UID_MAX" { print $2 }' /etc/login.defs)
	echo "$pw" >>"$OUT/users.txt"
	[ "$uid" -gt 0 ] && [ "$uid" -le "${min:-999}" ] &&
		[ "$(echo "$pw" | cut -d: -f6-)" = "/nonexistent:/usr/sbin/nologin" ] &&
		ct getent group smtp-session >/dev/null &&
		[ "$(ct id -g smtp-session)" = "$(ct getent group smtp-session | cut -d: -f3)" ]
}
container_install() {  # container_install LOG [VAR=VALUE...]
	local log=$1
	shift
	ct make -C /root/proj -o smtp-session install "${DIRS[@]}" "$@" >>"$OUT/$log" 2>&1
}
ct userdel smtp-session >/dev/null 2>&1
if container_install make-install-adduser.log SYSUSERS=/nonexistent/systemd-sysusers &&
	grep -q '^adduser --system' "$OUT/make-install-adduser.log" && user_ok &&
	container_install make-install-adduser.log SYSUSERS=/nonexistent/systemd-sysusers; then
	pass "user make install without systemd-sysusers: adduser --system made it; a second install passes"
else
	fail "user make install with adduser: $(tail -4 "$OUT/make-install-adduser.log" | tr '\n' ' ')"
fi
ct userdel smtp-session >/dev/null 2>&1
if container_install make-install.log && grep -q "^systemd-sysusers $SUDIR/smtp-session.conf" \
	"$OUT/make-install.log" && user_ok && container_install make-install.log &&
	grep -q '^the system user smtp-session exists' "$OUT/make-install.log" &&
	[ "$(ct getent passwd smtp-session | cut -d: -f5)" = "smtp-session privilege separation" ]; then
	pass "user make install: systemd-sysusers made smtp-session from $SUDIR/smtp-session.conf; a second install passes"
else
	fail "user make install with systemd-sysusers: $(tail -4 "$OUT/make-install.log" | tr '\n' ' ')"
fi
SMTP_UID=$(ct id -u smtp-session 2>/dev/null)
SMTP_GID=$(ct id -g smtp-session 2>/dev/null)
ct systemctl daemon-reload

# ---------------------------------------------------------------- checks
# A plain SMTP exchange over bash's /dev/tcp in the container's network: each argument is
# a command line; prints every reply line.  A DATA body is one argument ending in ".".
smtp() {
	local host=$1 port=$2
	shift 2
	ctnet timeout 30 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1; shift 2
		reply() { local l; while IFS= read -r -t 20 l <&3; do l=${l%$'"'\r'"'}; echo "$l"
			[ "${l:3:1}" = - ] || return 0; done; echo "(connection closed)"; return 1; }
		reply || exit 1
		for c in "$@"; do printf "%s\r\n" "$c" >&3; reply || exit 1; done' _ "$host" "$port" "$@"
}
# The listener of a service (its MainPID), and the sessions it runs now (its children).
# (No pgrep in a minbase container: the children from /proc.)
listener() { ct systemctl show -p MainPID --value "$1.service"; }
children() { ct sh -c 'grep -l "^PPid:[[:space:]]*$1\$" /proc/[0-9]*/status' sh "$1" 2>/dev/null |
	cut -d/ -f3; }
sessions() { local l; l=$(listener "$1"); [ "${l:-0}" != 0 ] && children "$l"; }

log "socket units"
st=$(ct systemctl is-active smtp.socket submission.socket smtps.socket | sort -u)
check sockets "smtp.socket, submission.socket and smtps.socket are active (listening)" '[ "$st" = active ]'
for s in smtp submission smtps; do
	v=$(ct systemctl show -p TriggerLimitIntervalUSec --value "$s.socket")
	check trigger "$s.socket: TriggerLimitIntervalUSec=$v (no trigger limit)" '[ "$v" = 0 ]'
done
ct systemctl status --no-pager smtp.socket submission.socket smtps.socket >"$OUT/sockets-status.txt" 2>&1

g=$(smtp 127.0.0.1 25 QUIT 2>&1 | head -1)
check greeting "127.0.0.1:25 greets: '$g'" '[ "${g#220 $HOSTNAME_CT }" != "$g" ]'
g=$(smtp ::1 25 QUIT 2>&1 | head -1)
check greeting "[::1]:25 greets too (BindIPv6Only=both): '$g'" '[ "${g#220 $HOSTNAME_CT }" != "$g" ]'
g=$(smtp 127.0.0.1 587 QUIT 2>&1 | head -1)
check greeting "127.0.0.1:587 greets: '$g'" '[ "${g#220 $HOSTNAME_CT }" != "$g" ]'

log "mail to alice on port 25 with swaks"
ctnet swaks --server 127.0.0.1:25 --helo client.example.org --from tester@example.org \
	--to alice@localhost --header "Subject: systemd-live test $$" >"$OUT/swaks-25.txt" 2>&1
rc=$?
check delivery "swaks to alice on 25: $(grep -m1 '^<-  250 2.0.0' "$OUT/swaks-25.txt" | sed 's/^<-  //') (rc $rc)" \
	'grep -q "^<-  250 2.0.0 Ok: delivered" "$OUT/swaks-25.txt"'
f=$(ct find /home/alice/Maildir/new -type f 2>/dev/null)
if [ "$(echo "$f" | grep -c .)" = 1 ] && ct grep -q "^Subject: systemd-live test $$" "$f"; then
	pass "delivery in alice's Maildir: $f ($(ct stat -c '%U:%G %a' "$f"))"
	check delivery "the copy is owned by alice: delivered as alice" '[ "$(ct stat -c %U "$f")" = alice ]'
else
	fail "delivery alice's Maildir/new holds: '$f'"
fi
# The units name no --postmaster: postmaster's mail is refused (550), and the journal
# says why; root's home stays read-only and empty.
smtp 127.0.0.1 25 "HELO client.example.org" "MAIL FROM:<a@example.org>" \
	"RCPT TO:<postmaster@localhost>" QUIT >"$OUT/smtp-postmaster.txt" 2>&1
grep -q '^550 .*<postmaster@localhost>: No mailbox here: no postmaster is configured' \
	"$OUT/smtp-postmaster.txt" && [ -z "$(ct find /root/Maildir -type f 2>/dev/null)" ] &&
	ct journalctl --no-pager -t smtp-session | grep -q 'mail for postmaster refused: .*--postmaster USER' &&
	pass "delivery postmaster without --postmaster: 550 5.1.1 and a journal line" ||
	fail "delivery postmaster: $(tr '\n' ' ' <"$OUT/smtp-postmaster.txt")"

log "submission on port 587: STARTTLS, then AUTH through PAM (pam_unix, /etc/shadow) under the sandbox"
ctnet swaks --server 127.0.0.1:587 --tls --from alice@localhost --to alice@localhost \
	--auth PLAIN --auth-user alice --auth-password "$PW" --header "Subject: submitted $$" \
	>"$OUT/swaks-587-auth.txt" 2>&1
rc=$?
# swaks marks what went over TLS with ~ instead of -: "<~  235".
grep -q '^<~  235 ' "$OUT/swaks-587-auth.txt" && [ $rc = 0 ] &&
	grep -q '^<~  250 2.0.0 Ok: delivered' "$OUT/swaks-587-auth.txt" &&
	pass "auth STARTTLS and AUTH PLAIN as alice on 587: 235, then delivered" ||
	fail "auth submission with AUTH (rc $rc): $(grep -E '^(<~?\*|\*\*\*)|^<-  [45]' "$OUT/swaks-587-auth.txt" | tr '\n' ' ')"
ctnet swaks --server 127.0.0.1:587 --tls --from alice@localhost --to alice@localhost --auth PLAIN \
	--auth-user alice --auth-password "wrong-$PW" >"$OUT/swaks-587-badpw.txt" 2>&1
check auth "a wrong password: 535" 'grep -q "^<~\* 535 " "$OUT/swaks-587-badpw.txt"'
ctnet swaks --server 127.0.0.1:587 --from x@example.org --to alice@localhost \
	>"$OUT/swaks-587-noauth.txt" 2>&1
check auth "MAIL without STARTTLS on 587: 530 5.7.0" 'grep -q "^<\*\* 530 5.7.0 Must issue a STARTTLS" "$OUT/swaks-587-noauth.txt"'
ctnet swaks --server 127.0.0.1:587 --tls --from x@example.org --to alice@localhost \
	>"$OUT/swaks-587-tls-noauth.txt" 2>&1
check auth "MAIL after STARTTLS without AUTH on 587: 530" 'grep -q "^<~\* 530 5.7.0 Authentication required" "$OUT/swaks-587-tls-noauth.txt"'
log "submission over implicit TLS on port 465"
ctnet swaks --server 127.0.0.1:465 --tlsc --from alice@localhost --to alice@localhost \
	--auth PLAIN --auth-user alice --auth-password "$PW" --header "Subject: smtps $$" \
	>"$OUT/swaks-465-auth.txt" 2>&1
rc=$?
f=$(ct grep -l "^Subject: smtps $$" -r /home/alice/Maildir/new 2>/dev/null | head -1)
[ $rc = 0 ] && [ -n "$f" ] && ct grep -q 'with ESMTPSA id' "$f" &&
	pass "auth implicit TLS and AUTH PLAIN on 465: delivered, Received says ESMTPSA" ||
	fail "auth smtps on 465 (rc $rc): $(grep -E '^(<~?\*|\*\*\*)|^<-  [45]' "$OUT/swaks-465-auth.txt" | tr '\n' ' ')"

# ---------------------------------------------------------------- a live session
log "a live session of smtp.service, held open after EHLO"
ctnet bash -c 'exec 3<>/dev/tcp/127.0.0.1/25 || exit 1
	IFS= read -r -t 30 l <&3 && echo "$l" && printf "EHLO client.example.org\r\n" >&3 &&
	while IFS= read -r -t 60 l <&3; do echo "$l"; done' >"$OUT/held-connection.txt" 2>&1 &
HELPER_PIDS+=($!)
# Only once the program has answered has it set itself up.
for i in $(seq 100); do grep -q '^250 ' "$OUT/held-connection.txt" && break; sleep 0.2; done
unit=smtp.service
lpid=$(listener smtp)
if grep -q '^250 ' "$OUT/held-connection.txt" && [ "${lpid:-0}" != 0 ]; then
	pass "sandbox $unit running after EHLO, its listener MainPID $lpid ($(ct cat "/proc/$lpid/comm"))"
	# The connection's socket, as the server holds it: its inode, and the client's port.
	conn=$(ctnet ss -tnHe state established '( sport = :25 )')
	ino=$(echo "$conn" | sed -n 's/.* ino:\([0-9]*\) .*/\1/p' | head -1)
	cport=$(echo "$conn" | awk '{print $4}' | sed 's/.*://' | head -1)
	cg=$(ct systemctl show -p ControlGroup --value "$unit")
	procs=$(ct cat "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null | tr '\n' ' ')
	# Where the unit's cgroup cannot be read (this systemd nested in a container that
	# has no cgroup of its own, as under make check-fresh), its processes are the
	# listener and its descendants.
	if [ -z "$procs" ]; then
		procs="$lpid"
		for c in $(children "$lpid"); do procs="$procs $c $(children "$c" | tr '\n' ' ')"; done
		info "the unit's cgroup cannot be read here: its processes are the listener $lpid and its descendants"
	fi
	# Which processes of the instance hold the connection.
	holders=
	for p in $procs; do
		ct find "/proc/$p/fd" -lname "socket:\[$ino\]" 2>/dev/null | grep -q . && holders="$holders $p"
	done
	holders=${holders# }
	info "unit processes: $procs; connection socket inode ${ino:-?}, held by: ${holders:-nobody}"
	# The session's root parent: the holder's parent (the holder is its session child).
	mpid=
	case $holders in *" "*|"") ;; *) mpid=$(ct awk '$1 == "PPid:" { print $2 }' "/proc/$holders/status") ;; esac
	mpid=${mpid:-$lpid}
	for p in $procs; do
		ct cat "/proc/$p/status" >"$OUT/instance-status-$p.txt" 2>&1
		ct cat "/proc/$p/limits" >"$OUT/instance-limits-$p.txt" 2>&1
		ct ls -l "/proc/$p/fd" >"$OUT/instance-fd-$p.txt" 2>&1
	done
	ct cat "/proc/$mpid/mountinfo" >"$OUT/instance-mountinfo.txt"
	ct cat "/proc/$mpid/cmdline" | tr '\0' ' ' >"$OUT/session-cmdline.txt"
	check_session_exec() { check greeting "the listener started this connection's session: forked from the listener (pid $mpid, parent $(field PPid "$mpid"), its program $(ct readlink "/proc/$mpid/exe"))" \
		'[ "$(field PPid "$mpid")" = "$lpid" ] && [ "$mpid" != "$lpid" ] &&
		 [ "$(ct readlink "/proc/$mpid/exe")" = /usr/local/sbin/smtp-session ] &&
		 grep -q "^/usr/local/sbin/smtp-session --listen " "$OUT/session-cmdline.txt"'; }
	ct systemctl status --no-pager "$unit" >"$OUT/instance-unit-status.txt" 2>&1
	field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$OUT/instance-status-$2.txt"; }
	check_session_exec

	# The sandbox systemd builds, on the root parent (MainPID).
	check sandbox "CapBnd $(field CapBnd "$mpid") = CAP_KILL CAP_SETGID CAP_SETUID CAP_SYS_CHROOT only" \
		'[ "$(field CapBnd "$mpid")" = 00000000000400e0 ]'
	check sandbox "NoNewPrivs $(field NoNewPrivs "$mpid"), Seccomp $(field Seccomp "$mpid") ($(field Seccomp_filters "$mpid") filters)" \
		'[ "$(field NoNewPrivs "$mpid")/$(field Seccomp "$mpid")" = 1/2 ]'
	m=$OUT/instance-mountinfo.txt
	# The options of the last mount on a path (fields 5 and 6 of mountinfo), and its root.
	opts() { awk -v m="$1" '$5 == m { o = $6 } END { print o }' "$m"; }
	mroot() { awk -v m="$1" '$5 == m { r = $4 } END { print r }' "$m"; }
	[[ $(opts /) == ro,* && $(opts /home) == rw,* && $(opts /root) == rw,* ]] &&
		[[ $(opts /usr) != rw,* && $(mroot /tmp) == *systemd-private-*/tmp ]] &&
		awk '$5 == "/proc"' "$m" | tail -1 | grep -q 'hidepid=invisible,subset=pid' &&
		pass "sandbox mounts: / read-only, /home and /root writable, private /tmp, /proc hidepid=invisible,subset=pid" ||
		fail "sandbox mounts of the instance: see instance-mountinfo.txt"
	[ "$(ct readlink "/proc/$mpid/ns/mnt")" != "$(ct readlink /proc/1/ns/mnt)" ] &&
		[ "$(ct readlink "/proc/$mpid/ns/ipc")" != "$(ct readlink /proc/1/ns/ipc)" ] &&
		[ "$(ct readlink "/proc/$mpid/ns/uts")" != "$(ct readlink /proc/1/ns/uts)" ] &&
		pass "sandbox own mount, IPC and UTS namespaces (PrivateMounts/PrivateIPC/ProtectHostname)" ||
		fail "sandbox namespaces not separate"
	check sandbox "the accepted connection has SO_KEEPALIVE (KeepAlive=yes)" \
		'[ "${conn#*keepalive}" != "$conn" ]'
	# IPAddressDeny=any: a process put into the instance's cgroup cannot reach even the
	# container's own port 25 (its SYN is dropped: connect() hangs or fails), while the
	# same connect() from outside the cgroup works, as does the passed-in connection.
	ct timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/25' >"$OUT/ipaddressdeny.txt" 2>&1
	rc0=$?
	ct timeout 3 bash -c 'echo $$ >"/sys/fs/cgroup$1/cgroup.procs" || exit 90
		exec 3<>/dev/tcp/127.0.0.1/25' _ "$cg" >>"$OUT/ipaddressdeny.txt" 2>&1
	rc=$?
	if [ $rc = 90 ]; then
		info "IPAddressDeny= not checked: cannot move a process into $cg"
	else
		check sandbox "IPAddressDeny=any: connect() to 127.0.0.1:25 from outside the instance's cgroup: status $rc0, from inside: $rc (124: timed out)" \
			'[ $rc0 = 0 ] && [ $rc != 0 ]'
	fi

	# Privilege separation: the connection is held by the session child only, which runs
	# as smtp-session with nothing: no capability, no_new_privs, a seccomp filter of its
	# own on top of systemd's, the empty root-owned --privsep-dir make install made, no core,
	# few files.  The root parent holds no descriptor of the connection.
	child=
	case $holders in
	"") fail "privsep no process of $unit holds the connection (socket inode ${ino:-?})" ;;
	*" "*) fail "privsep several processes hold the connection: $holders" ;;
	"$mpid") fail "privsep the root parent ($mpid) itself holds the connection: no session child" ;;
	*) child=$holders ;;
	esac
	if [ -n "$child" ]; then
		pass "privsep the connection is held by $child ($(ct cat "/proc/$child/comm")), a child of the session's root parent $(field PPid "$child"), not by it nor by the listener $lpid"
		check privsep "the listener holds no descriptor of the connection socket" \
			'! ct ls -l "/proc/$lpid/fd" | grep -q "socket:\[$ino\]"' 
		check privsep "the root parent holds no descriptor of the connection socket" \
			'! grep -q "socket:\[$ino\]" "$OUT/instance-fd-$mpid.txt"'
		check privsep "the session child's parent is the root parent (Uid $(field Uid "$mpid"))" \
			'[ "$(field PPid "$child")" = "$mpid" ] && [ "$(field Uid "$mpid")" = "0 0 0 0" ]'
		check privsep "Uid: $(field Uid "$child" | tr -s '\t ' ' '), Gid: $(field Gid "$child" | tr -s '\t ' ' '): all smtp-session ($SMTP_UID:$SMTP_GID)" \
			'[ "$(field Uid "$child")" = "$SMTP_UID $SMTP_UID $SMTP_UID $SMTP_UID" ] &&
			[ "$(field Gid "$child")" = "$SMTP_GID $SMTP_GID $SMTP_GID $SMTP_GID" ] &&
			[ -n "$SMTP_UID" ] && [ "$SMTP_UID" != 0 ]'
		groups=$(field Groups "$child")
		check privsep "supplementary groups: '$groups' (none but smtp-session's)" \
			'[ -z "${groups// /}" ] || [ "${groups// /}" = "$SMTP_GID" ]'
		check privsep "CapEff $(field CapEff "$child"), CapPrm $(field CapPrm "$child"): no capability" \
			'[ "$(field CapEff "$child")/$(field CapPrm "$child")" = 0000000000000000/0000000000000000 ]'
		check privsep "NoNewPrivs $(field NoNewPrivs "$child"), Seccomp $(field Seccomp "$child")" \
			'[ "$(field NoNewPrivs "$child")/$(field Seccomp "$child")" = 1/2 ]'
		fc=$(field Seccomp_filters "$child") fp=$(field Seccomp_filters "$mpid")
		check privsep "a seccomp filter of its own: $fc filters, the parent $fp" \
			'[ -n "$fc" ] && [ -n "$fp" ] && [ "$fc" -gt "$fp" ]'
		r=$(ct readlink "/proc/$child/root")
		l=$(ct ls -A "/proc/$child/root/" 2>&1)
		o=$(ct stat -L -c '%u:%g %a' "/proc/$child/root/" 2>&1)
		check privsep "its root is '$r', empty and root-owned ($o)" \
			'[ "$r" = /var/lib/smtp-session/empty ] && [ -z "$l" ] && [ "${o%% *}" = 0:0 ]'
		core=$(awk '/^Max core file size/ { print $5 "/" $6 }' "$OUT/instance-limits-$child.txt")
		nc=$(awk '/^Max open files/ { print $5 }' "$OUT/instance-limits-$child.txt")
		np=$(awk '/^Max open files/ { print $5 }' "$OUT/instance-limits-$mpid.txt")
		check privsep "RLIMIT_CORE $core, RLIMIT_NOFILE hard $nc (the parent's $np): setrlimit passed the unit's filter" \
			'[ "$core" = 0/0 ] && [ -n "$nc" ] && [ -n "$np" ] && [ "$nc" != unlimited ] && [ "$nc" -lt "$np" ]'
	fi

	# systemctl stop: SIGTERM to the listener (KillMode=mixed), which stops accepting,
	# gives the sessions 5 s, then SIGTERM: the held session answers 421.
	ct systemctl stop "$unit"
	wait "${HELPER_PIDS[-1]}" 2>/dev/null
	check sandbox "systemctl stop smtp.service: the held client got '$(grep -m1 '^421 ' "$OUT/held-connection.txt" | tr -d '\r')', the unit is $(ct systemctl is-active "$unit")" \
		'grep -q "^421 " "$OUT/held-connection.txt" && [ "$(ct systemctl is-active "$unit")" = inactive ]'
	g=$(smtp 127.0.0.1 25 QUIT 2>&1 | head -1)
	check sandbox "the next connection starts smtp.service again (the socket stays): '$g'" \
		'[ "${g#220 $HOSTNAME_CT }" != "$g" ] && [ "$(ct systemctl is-active "$unit")" = active ]'
else
	fail "sandbox no smtp.service session answering EHLO: $(tr '\r\n' '  ' <"$OUT/held-connection.txt")"
	fail "privsep no live instance to look at"
fi

log "--max-per-source 16 (the listener's default): seventeen connections at once from 127.0.0.1"
ctnet timeout 90 bash -c 'fds=()
	for i in $(seq 17); do exec {fd}<>/dev/tcp/127.0.0.1/25; fds+=($fd); sleep 0.1; done
	for fd in "${fds[@]}"; do
		if IFS= read -r -t 20 l <&$fd; then echo "${l%$'"'\r'"'}"; else echo "dropped"; fi
	done' >"$OUT/maxconn.txt" 2>&1
check sandbox "--max-per-source 16: 16 of 17 connections greeted, the 17th refused with 421 4.7.0 ($(cut -c1-3 "$OUT/maxconn.txt" | sort | uniq -c | tr -s '\n ' '  '))" \
	'[ "$(grep -c "^220 " "$OUT/maxconn.txt")" = 16 ] &&
	 [ "$(tail -1 "$OUT/maxconn.txt")" = "421 4.7.0 $HOSTNAME_CT Too many connections from your address, try again later" ]'
# The sessions end when their clients have closed.
for i in $(seq 100); do [ -z "$(sessions smtp)" ] && break; sleep 0.2; done

log "SEND (RFC 821) onto alice's terminal: /dev/pts under PrivateDevices, utmp"
ct systemd-run --quiet --collect --unit=alice-tty sh -c \
	'(echo "mesg y"; sleep 120) | script -qfc "login -f alice" /run/alice-tty.log' >/dev/null 2>&1
for i in $(seq 100); do ct who 2>/dev/null | grep -q '^alice ' && break; sleep 0.2; done
for i in $(seq 50); do   # until the shell has run "mesg y": the pty is group-writable
	l=$(ct who 2>/dev/null | awk '$1 == "alice" { print $2; exit }')
	[ -n "$l" ] && [ $(($(ct stat -c %#a "/dev/$l") & 020)) != 0 ] && break
	sleep 0.2
done
smtp 127.0.0.1 25 "HELO client.example.org" "SEND FROM:<bob@example.org>" \
	"RCPT TO:<alice@localhost>" DATA $'Subject: lunch\r\n\r\nlunch at noon? '$$$'\r\n.' QUIT \
	>"$OUT/smtp-send.txt" 2>&1
for i in $(seq 25); do ct grep -q "lunch at noon? $$" /run/alice-tty.log 2>/dev/null && break; sleep 0.2; done
check sandbox "SEND: the text reached alice's terminal (${l:-no tty})" \
	'ct grep -q "lunch at noon? $$" /run/alice-tty.log'
ct systemctl stop alice-tty 2>/dev/null

log "the journal"
ct journalctl --no-pager -t smtp-session -o verbose >"$OUT/journal-smtp-session-verbose.txt" 2>&1
ct journalctl --no-pager -o short-precise -u 'smtp*' -u 'submission*' >"$OUT/journal-units.txt" 2>&1
ct journalctl --no-pager -b -p warning >"$OUT/journal-warnings.txt" 2>&1
missing=
for k in SMTP_CLIENT SMTP_HELO SMTP_FROM SMTP_RCPT SMTP_MSGID SMTP_USER; do
	grep -q "^    $k=" "$OUT/journal-smtp-session-verbose.txt" || missing="$missing $k"
done
check journal "journalctl -t smtp-session has SMTP_CLIENT/HELO/FROM/RCPT/MSGID/USER${missing:+; missing:$missing}" \
	'[ -z "$missing" ]'
check journal "entries carry _SYSTEMD_UNIT=smtp.service and submission.service" \
	'grep -q _SYSTEMD_UNIT=submission.service "$OUT/journal-smtp-session-verbose.txt" &&
	 grep -q _SYSTEMD_UNIT=smtp.service "$OUT/journal-smtp-session-verbose.txt"'
check journal "the listener's refusal: 'reject: connect from 127.0.0.1: 421 ...' with SMTP_CLIENT" \
	'grep -q "reject: connect from 127.0.0.1: 421 " "$OUT/journal-units.txt"'
failed=$(ct systemctl list-units --failed --plain --no-legend 2>&1)
check journal "no failed units (every session exited 0)${failed:+: $failed}" '[ -z "$failed" ]'
ct systemd-analyze security --no-pager smtp.service >"$OUT/security.txt" 2>&1
info "$(tail -1 "$OUT/security.txt")"

# Last: a flood of connections costs the listener an accept and a close each, and
# takes neither the socket nor the listener down.
log "600 quick connect+close on each socket"
for s in smtp:25 submission:587; do
	u=${s%:*}.socket port=${s#*:}
	l0=$(listener "${s%:*}") b0=$(date +%s.%N)
	ctnet timeout 120 python3 -c 'import socket, sys
for i in range(600):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10).close()
    except OSError as e:
        sys.exit("refused at connection %d: %s" % (i + 1, e))' "$port" >"$OUT/burst-$port.txt" 2>&1
	rc=$?
	secs=$(awk -v a="$b0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	# Let the burst's sessions end: they would count against --max-per-source.
	for i in $(seq 150); do [ -z "$(sessions "${s%:*}")" ] && break; sleep 0.2; done
	st=$(ct systemctl show -p ActiveState -p Result "$u" | sort | tr '\n' ' ')
	l1=$(listener "${s%:*}")
	check trigger "$u is active after 600 connections in $secs s (${st% }), the same listener runs ($l0, $l1)" \
		'[ $rc = 0 ] && [ "$(ct systemctl is-active "$u")" = active ] && [ "$l0" = "$l1" ] &&
		 [ "$(ct systemctl is-active "${s%:*}.service")" = active ]'
	[ $rc = 0 ] || info "burst on $port: $(cat "$OUT/burst-$port.txt")"
done
ct journalctl --no-pager -o short-precise -u smtp.socket -u submission.socket >"$OUT/journal-sockets-after-burst.txt"
ctnet swaks --server 127.0.0.1:25 --from a@example.org --to alice@localhost \
	--header "Subject: after the bursts $$" >"$OUT/swaks-after-burst.txt" 2>&1
check trigger "a message is still delivered on 25 after the bursts" \
	'grep -q "^<-  250 2.0.0 Ok: delivered" "$OUT/swaks-after-burst.txt"'
check trigger "... and is in alice's Maildir" \
	'ct grep -rlq "^Subject: after the bursts $$" /home/alice/Maildir/new'
g=$(smtp 127.0.0.1 587 QUIT 2>&1 | head -1)
check trigger "587 still greets after the bursts: '$g'" '[ "${g#220 $HOSTNAME_CT }" != "$g" ]'

log "--mailbox mbox in Debian's /var/mail under the units"
# The same smtp unit with --mailbox mbox (a drop-in): /var/mail as Debian has it,
# root:mail 2775, in which alice may create nothing.  Her delivery child makes her
# mailbox and its dot-lock itself, with group mail as its saved gid: root has no
# CAP_CHOWN here, and the setgid dotlockfile is powerless under NoNewPrivileges.
mkdir -p "$ROOT/etc/systemd/system/smtp.service.d"
printf '[Service]\nExecStart=\nExecStart=/usr/local/sbin/smtp-session --listen --mailbox mbox $TLS\n' \
	>"$ROOT/etc/systemd/system/smtp.service.d/mbox.conf"
ct systemctl daemon-reload
ct systemctl restart smtp.service	# the listener's options are read at its start
ct rm -f /var/mail/alice /var/mail/alice.lock
vm=$(ct stat -c '%U:%G %a' /var/mail)
check mbox "/var/mail is '$vm'" '[ "$vm" = "root:mail 2775" ]'
ctnet swaks --server 127.0.0.1:25 --from a@example.org --to alice@localhost \
	--header "Subject: mbox $$" >"$OUT/swaks-mbox.txt" 2>&1
check mbox "swaks to alice with --mailbox mbox: $(grep -E '^<(-|\*\*) ' "$OUT/swaks-mbox.txt" | grep -v ' 221 ' | tail -1 | cut -c5-)" \
	'grep -q "^<-  250 2.0.0 Ok: delivered" "$OUT/swaks-mbox.txt"'
mo=$(ct stat -c '%U:%G %a' /var/mail/alice 2>&1)
check mbox "/var/mail/alice made by her delivery child: '$mo'" '[ "$mo" = "alice:mail 600" ]'
check mbox "... and holds the message" 'ct grep -q "^Subject: mbox $$" /var/mail/alice'
left=$(ct ls -A /var/mail | grep -vx alice | tr '\n' ' ')
check mbox "no lock and no temporary lock file left in /var/mail: '$left'" '[ -z "$left" ]'
ct journalctl --no-pager -t smtp-session >"$OUT/journal-mbox.txt" 2>&1
check mbox "the journal has no 'cannot make /var/mail/alice.lock'" \
	'! grep -q "cannot make /var/mail/alice.lock" "$OUT/journal-mbox.txt"'
rm -r "$ROOT/etc/systemd/system/smtp.service.d"
ct systemctl daemon-reload
ct systemctl restart smtp.service

log "total before cleanup: $(($(date +%s) - T0)) s"
[ "$NFAIL" = 0 ]
