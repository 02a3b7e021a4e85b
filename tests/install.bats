#!/usr/bin/env bats
# Deployment: the man page, the systemd units, and make install / uninstall.

load helpers

setup_file() { setup_users; }
teardown_file() { teardown_users; }

MAN=smtp-session.8

# The long options --help prints, one per line, without the dashes.
help_options() {
	"$SMTP_SESSION" --help | grep -o -- '--[a-z][a-z-]*' | sed 's/^--//' | sort -u
}

@test "man page: mandoc -T lint and groff -ww find nothing" {
	command -v mandoc >/dev/null || skip "mandoc is not installed (make check installs it as root)"
	# Only the page's own messages: mandoc also complains about the machine's
	# mandoc.db, and "referenced manual not found" depends on what is installed.
	run bash -c "mandoc -T lint -W style '$TOP/$MAN' 2>&1 | grep '^mandoc: .*$MAN:' |
		grep -v 'referenced manual not found'"
	echo "$output"
	[ -z "$output" ]
	if command -v groff >/dev/null; then
		run groff -mandoc -ww -z "$TOP/$MAN"
		echo "$output"
		[ "$status" = 0 ] && [ -z "$output" ]
	fi
}

@test "man page: every option of --help is documented, and nothing else" {
	local opt missing= extra=
	for opt in $(help_options); do
		grep -q "^\.It Fl \\\\-${opt//-/\\\\-}\( \|$\)" "$TOP/$MAN" || missing="$missing --$opt"
	done
	[ -z "$missing" ] || { echo "not in $MAN:$missing"; false; }
	# The other way round: each option the page lists (.It Fl \-name) exists.
	for opt in $(sed -n 's/^\.It Fl \\-\([a-z\\-]*\).*/\1/p' "$TOP/$MAN" | sed 's/\\//g'); do
		help_options | grep -qx -- "$opt" || extra="$extra --$opt"
	done
	[ -z "$extra" ] || { echo "documented but not in --help:$extra"; false; }
	# The sections the issue asks for.
	local s
	for s in Options "Reply policy" ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -q "^\.S[hs] $s$" "$TOP/$MAN" || { echo "no section $s"; false; }
	done
}

# Issue 22: the SYNOPSIS left out --tls, --tls-cert, --tls-key, --require-tls,
# --tls-ticket-key and --delivery-timeout.  The source of truth is the program's own
# table of long options (common/options.c), not --help, which is prose too.
@test "man page: every option in common/options.c is in the SYNOPSIS and in the option list" {
	local opts opt missing= extra=
	opts=$(sed -n 's/^\t{ "\([a-z-]*\)", *\(no\|required\)_argument,.*/\1/p' "$TOP/common/options.c")
	[ "$(echo "$opts" | wc -l)" -ge 40 ] || { echo "options.c's table not found: $opts"; false; }
	# the SYNOPSIS, from .Sh SYNOPSIS to the next .Sh: each "Fl \-name" or "| \-name"
	local syn
	syn=$(awk '/^\.Sh SYNOPSIS$/ { f = 1; next } /^\.Sh / { f = 0 } f' "$TOP/$MAN" |
		grep -o '\\-[a-z][a-z\\-]*' | sed 's/\\//g; s/^-//' | sort -u)
	for opt in $opts; do
		echo "$syn" | grep -qx -- "$opt" || missing="$missing --$opt"
		grep -q "^\.It Fl \\\\-${opt//-/\\\\-}\( \|$\)" "$TOP/$MAN" ||
			missing="$missing --$opt(not in the list)"
	done
	[ -z "$missing" ] || { echo "not in $MAN's SYNOPSIS or option list:$missing"; false; }
	for opt in $syn; do
		echo "$opts" | grep -qx -- "$opt" || extra="$extra --$opt"
	done
	[ -z "$extra" ] || { echo "in the SYNOPSIS but not in options.c:$extra"; false; }
}

# Issue 22: the inetd example said "lines for /etc/inetd.conf" and added seven, an LMTP
# listener among them; and the README, the man page and the examples named three
# places for the certificate.  Each example adds what its first comment says, and every
# TLS file named in the examples and the man page is /etc/smtp-session's.
@test "examples: inetd.conf and xinetd.d/smtp add what their comment says; TLS files only in /etc/smtp-session" {
	local ex=$TOP/examples
	head -3 "$ex/inetd.conf" | sed 's/^# *//' | tr '\n' ' ' | grep -q 'six service lines .*SMTP on port 25, mail submission on 587 and on 465, each on IPv4 (tcp) and IPv6 (tcp6)'
	run bash -c "grep -v '^#' '$ex/inetd.conf' | grep -v '^\$' | awk '{ print \$1, \$3 }' | sort"
	[ "$output" = "smtp tcp
smtp tcp6
submission tcp
submission tcp6
submissions tcp
submissions tcp6" ]
	head -2 "$ex/xinetd.d/smtp" | sed 's/^# *//' | tr '\n' ' ' | grep -q 'three services, SMTP on port 25 (smtp), mail submission on 587 (submission) and on 465 (submissions)'
	run bash -c "grep '^service ' '$ex/xinetd.d/smtp' | sort"
	[ "$output" = "service smtp
service submission
service submissions" ]
	# every --tls-cert, --tls-key and --tls-ticket-key, with the file after it
	run bash -c "cat '$ex/inetd.conf' '$ex/xinetd.d/smtp' '$ex/tcpserver/run' '$TOP/$MAN' |
		sed 's/\\\\-/-/g' | grep -o -- '--tls-\(cert\|key\|ticket-key\) [^ ]*' | sort | uniq -c"
	echo "$output"
	[ -n "$output" ]
	[ -z "$(echo "$output" | grep -v ' --tls-cert /etc/smtp-session/cert.pem$' |
		grep -v ' --tls-key /etc/smtp-session/key.pem$' |
		grep -v ' --tls-ticket-key /etc/smtp-session/ticket.key$')" ]
}

# make install into $1 as the real prefix (no DESTDIR), so that the units' ExecStart
# names a program that exists: systemd-analyze verify insists on that.  Not the
# system user: tests/systemd-live.bats checks its creation in a container.
install_into() {
	make -s -C "$TOP" install PREFIX="$1" SYSCONFDIR="$1/etc" SYSTEMDUNITDIR="$1/units" \
		SYSUSERSDIR="$1/sysusers.d" CREATE_USER=0
}

# Issue 22: the units' comments said the delivery helper calls initgroups(); it keeps
# its own group only (parent/asuser.c, DROP_PRIMARY_GROUP: setgroups(1, &gid)).  If
# that policy changes, change these comments with it.
@test "units: the comments say what the delivery helper does, its own group only, never initgroups" {
	! grep -n initgroups "$TOP"/units/* || false
	local u
	for u in smtp.service submission.service smtps.service lmtp@.service; do
		tr '\n' ' ' <"$TOP/units/$u" | sed 's/ # / /g' |
			grep -q 'forks a child that drops to that user (its own group only, then its uid)' ||
			{ echo "units/$u"; false; }
	done
	grep -q 'drop_privileges(pw->pw_uid, pw->pw_gid, pw->pw_name, DROP_PRIMARY_GROUP)' \
		"$TOP/parent/asuser.c"
	grep -q 'case DROP_PRIMARY_GROUP:' "$TOP/common/drop.c"
}

@test "units: systemd-analyze verify passes on the installed units" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (package systemd)"
	install_into "$T/inst" >/dev/null
	local relay="--relay-socket /run/smtp-session/relay.sock \$OPTIONS \$TLS"
	grep -qx "ExecStart=$T/inst/sbin/smtp-session --listen $relay" "$T/inst/units/smtp.service"
	grep -qx "ExecStart=$T/inst/sbin/smtp-session --listen --require-auth --require-tls $relay" \
		"$T/inst/units/submission.service"
	grep -qx "ExecStart=$T/inst/sbin/smtp-session --listen --tls implicit --require-auth $relay" \
		"$T/inst/units/smtps.service"
	# The relay unit: the MTA's sendmail -bs on the socket the sessions name, as the
	# relay user, and nothing that implies no_new_privs (it would disarm sendmail).
	grep -qx 'ListenStream=/run/smtp-session/relay.sock' "$T/inst/units/smtp-relay.socket"
	grep -qx 'SocketMode=0600' "$T/inst/units/smtp-relay.socket"
	grep -qx 'SocketUser=smtp-session' "$T/inst/units/smtp-relay.socket"
	grep -qx 'ExecStart=/usr/sbin/sendmail -bs' "$T/inst/units/smtp-relay@.service"
	grep -qx 'User=smtp-session' "$T/inst/units/smtp-relay@.service"
	! grep -E '^(NoNewPrivileges|SystemCallFilter|RestrictAddressFamilies|PrivateDevices|Protect(Kernel|Clock|Hostname)|RestrictSUIDSGID|LockPersonality|MemoryDenyWriteExecute|RestrictRealtime|RestrictNamespaces)' \
		"$T/inst/units/smtp-relay@.service" || false
	# PID 1 is not systemd here (nor in CI): verify loads the units in a test manager.
	# --man=no: Documentation=man:smtp-session(8) is not in the system's man path.
	run systemd-analyze verify --man=no "$T"/inst/units/*
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	# The exposure score systemd computes from the hardening (0 best, 10 worst) is
	# 2.2 today, with root, CAP_SETUID/CAP_SETGID/CAP_KILL/CAP_SYS_CHROOT and chroot()
	# as privilege separation needs; it must not get worse (--threshold counts in tenths).
	local u
	for u in smtp.service submission.service smtps.service lmtp@.service; do
		run systemd-analyze security --offline=yes --threshold=22 "$T/inst/units/$u"
		[ "$status" = 0 ] || { echo "$output" | tail -25; false; }
	done
}

@test "units: Accept=no sockets on 25, 587 and 465 for smtp-session --listen; the same below ExecStart; LMTP Accept=yes" {
	local u=$TOP/units
	grep -qx 'ListenStream=25' "$u/smtp.socket"
	grep -qx 'ListenStream=587' "$u/submission.socket"
	grep -qx 'ListenStream=465' "$u/smtps.socket"
	for s in smtp submission smtps; do
		grep -qx 'EnvironmentFile=-/etc/default/smtp-session' "$u/$s.service"
		grep -q '^ExecStart=/usr/local/sbin/smtp-session --listen .*--relay-socket /run/smtp-session/relay.sock \$OPTIONS \$TLS$' "$u/$s.service"
		grep -qx 'Accept=no' "$u/$s.socket"
		grep -qx 'TriggerLimitIntervalSec=0' "$u/$s.socket"
		# the listener's limits, not systemd's (Accept=yes only)
		! grep -q '^MaxConnections' "$u/$s.socket" || false
		grep -qx "Requires=$s.socket" "$u/$s.service"
		# SIGTERM to the listener alone: it drains, then stops the sessions
		grep -qx 'KillMode=mixed' "$u/$s.service"
		! grep -q '^StandardInput=socket' "$u/$s.service" || false
		grep -qx 'StandardError=journal' "$u/$s.service"
		! grep -q '^User=' "$u/$s.service" || false	# root, to change to each recipient
	done
	# The settings (not the comments) below ExecStart must agree; lmtp@ (Accept=yes,
	# one instance per connection) but for the lines of that difference.
	diff <(sed '1,/^ExecStart=/d; /^#/d' "$u/smtp.service") \
		<(sed '1,/^ExecStart=/d; /^#/d' "$u/submission.service")
	diff <(sed '1,/^ExecStart=/d; /^#/d' "$u/smtp.service") \
		<(sed '1,/^ExecStart=/d; /^#/d' "$u/smtps.service")
	local listener_only='^(StandardInput|StandardOutput|KillMode|Restart|RestartPreventExitStatus|TasksMax)='
	diff <(sed '1,/^ExecStart=/d; /^#/d' "$u/smtp.service" | grep -Ev "$listener_only") \
		<(sed '1,/^ExecStart=/d; /^#/d' "$u/lmtp@.service" | grep -Ev "$listener_only")
	# LMTP: a Unix socket, --lmtp.
	grep -qx 'ListenStream=/run/smtp-session/lmtp.sock' "$u/lmtp.socket"
	grep -qx 'Accept=yes' "$u/lmtp.socket"
	grep -qx 'ExecStart=/usr/local/sbin/smtp-session --lmtp' "$u/lmtp@.service"
}

@test "units: the service's capabilities and a read-only system are enough to deliver" {
	[ "$(id -u)" = 0 ] || skip "needs root: the capability bounding set and a mount namespace"
	# What systemd would impose, done by hand: the bounding set from the unit (root's
	# capabilities after exec are exactly that set), no_new_privs, and everything
	# read-only but the homes (ReadWritePaths) and the spool directory (PrivateTmp).
	local caps
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$TOP/units/smtp.service" |
		tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -)
	[ "$caps" = "+setuid,+setgid,+kill,+sys_chroot" ]
	mkdir -p "$T/spool"
	chmod 1777 "$T/spool"
	mountpoint -q "$T" && skip "$T is a mount point already"
	unshare --mount --propagation private true 2>/dev/null ||
		skip "cannot create a private mount namespace here (a container without CAP_SYS_ADMIN?)"
	# In a private mount namespace: $T/home, $T/spool and the log stay writable, all
	# else (/, /tmp and $T with the fake passwd) becomes read-only.
	local script='mount --bind "$T" "$T" || exit 90
		for d in "$T/home" "$T/spool" "$T/log"; do mount --bind "$d" "$d" || exit 90; done
		mount -o remount,bind,ro / && mount -o remount,bind,ro "$T" || exit 90
		if mountpoint -q /tmp; then mount -o remount,bind,ro /tmp || exit 90; fi
		if touch "$T/probe" /tmp/smtp-probe.$$ 2>/dev/null; then exit 91; fi
		printf "%s\r\n" "EHLO h" "MAIL FROM:<alice@example.org>" "RCPT TO:<test@tttest.com>" \
			"RCPT TO:<bob@tttest.com>" "RCPT TO:<postmaster>" DATA "Subject: hardened" "" x . QUIT |
			TMPDIR="$T/spool" setpriv --bounding-set "-all,$CAPS" --inh-caps -all \
				--no-new-privs "$T/bin/smtp" --postmaster john.doe'
	run unshare -m --propagation private env T="$T" CAPS="$caps" bash -c "$script"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(delivered john.doe | wc -l)" = 1 ]
	[ "$(stat -c %u "$(delivered bob)")" = "$(uid bob)" ]
}

@test "make install DESTDIR=... PREFIX=/usr: the tree, the paths inside; uninstall empties it" {
	local d=$T/dest
	run make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
	[ "$status" = 0 ]
	run bash -c "cd '$d' && find . \( -type f -o -type l \) -printf '%m %p\n' | sort -k2"
	[ "$output" = "644 ./etc/pam.d/smtp
644 ./lib/systemd/system/lmtp.socket
644 ./lib/systemd/system/lmtp@.service
644 ./lib/systemd/system/smtp-relay.socket
644 ./lib/systemd/system/smtp-relay@.service
644 ./lib/systemd/system/smtp.service
644 ./lib/systemd/system/smtp.socket
644 ./lib/systemd/system/smtps.service
644 ./lib/systemd/system/smtps.socket
644 ./lib/systemd/system/submission.service
644 ./lib/systemd/system/submission.socket
644 ./usr/lib/sysusers.d/smtp-session.conf
755 ./usr/sbin/smtp-session
644 ./usr/share/doc/smtp-session/examples/inetd.conf
755 ./usr/share/doc/smtp-session/examples/tcpserver/run
644 ./usr/share/doc/smtp-session/examples/xinetd.d/smtp
644 ./usr/share/man/man8/smtp-session.8" ]
	# Every copy names where the program really is, and none names /usr/local.
	grep -qx 'ExecStart=/usr/sbin/smtp-session --listen --relay-socket /run/smtp-session/relay.sock $OPTIONS $TLS' "$d/lib/systemd/system/smtp.service"
	grep -q 'nowait.1000	root	/usr/sbin/smtp-session	smtp-session --tls-cert ' \
		"$d/usr/share/doc/smtp-session/examples/inetd.conf"
	grep -q '/usr/sbin/smtp-session' "$d/usr/share/doc/smtp-session/examples/xinetd.d/smtp"
	grep -q '/usr/sbin/smtp-session' "$d/usr/share/doc/smtp-session/examples/tcpserver/run"
	grep -q '^\.It Pa /usr/share/doc/smtp-session/examples/$' "$d/usr/share/man/man8/smtp-session.8"
	! grep -rq /usr/local "$d" || false
	cmp "$TOP/pam.d/smtp" "$d/etc/pam.d/smtp"
	"$d/usr/sbin/smtp-session" --version
	# The administrator's PAM file survives a reinstall and the uninstall.
	echo "# changed" >>"$d/etc/pam.d/smtp"
	run make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
	[[ "$output" == *"keeping $d/etc/pam.d/smtp"* ]]
	grep -q '^# changed$' "$d/etc/pam.d/smtp"
	run make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
	[ "$status" = 0 ]
	[ "$(cd "$d" && find . -type f)" = "./etc/pam.d/smtp" ]
	# Unchanged, it goes too, and nothing of ours is left: no file, no doc directory.
	cp "$TOP/pam.d/smtp" "$d/etc/pam.d/smtp"
	make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system
	[ -z "$(cd "$d" && find . ! -type d)" ]
	[ ! -e "$d/usr/share/doc/smtp-session" ]
}

@test "make install: PREFIX defaults to /usr/local, SYSCONFDIR to /etc; units and sysusers below PREFIX" {
	run make -s -n -C "$TOP" install DESTDIR=/nonexistent
	[[ "$output" == *"/nonexistent/usr/local/sbin/smtp-session"* ]]
	[[ "$output" == *"/nonexistent/usr/local/share/man/man8/smtp-session.8"* ]]
	[[ "$output" == *"/nonexistent/etc/pam.d/smtp"* ]]
	[[ "$output" == *">/nonexistent/usr/local/lib/systemd/system/\$u"* ]]
	[[ "$output" == *" /nonexistent/usr/local/lib/sysusers.d/smtp-session.conf"* ]]
}

# Issue 22: make install PREFIX=/usr/local wrote the units into dpkg's directory
# (pkg-config's /lib/systemd/system), where a package's files would overwrite them or
# they a package's.  Only PREFIX=/usr, a package's own, takes pkg-config's directories.
@test "make install DESTDIR=... PREFIX=/usr/local: units and sysusers below /usr/local, none in dpkg's directories" {
	local d=$T/dest-local u
	run make -s -C "$TOP" install DESTDIR="$d" PREFIX=/usr/local
	[ "$status" = 0 ]
	for u in smtp.socket smtp.service submission.socket submission.service smtps.socket \
		smtps.service lmtp.socket lmtp@.service; do
		[ -f "$d/usr/local/lib/systemd/system/$u" ] || { echo "no $u"; false; }
	done
	[ -f "$d/usr/local/lib/sysusers.d/smtp-session.conf" ]
	# nothing outside /usr/local but /etc/pam.d/smtp
	[ "$(cd "$d" && find . -type f ! -path './usr/local/*')" = "./etc/pam.d/smtp" ]
	# and systemd loads units from there (in its own search path on Debian 12)
	! command -v systemd-analyze >/dev/null ||
		systemd-analyze unit-paths | grep -qx /usr/local/lib/systemd/system
	make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/usr/local
	[ ! -e "$d/usr/local/lib/systemd/system/smtp.socket" ]
	# PREFIX=/usr (a package): pkg-config's directories
	local unitdir sysusersdir
	unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) || true
	sysusersdir=$(pkg-config --variable=sysusersdir systemd 2>/dev/null) || true
	run make -s -n -C "$TOP" install DESTDIR=/nonexistent PREFIX=/usr
	[[ "$output" == *">/nonexistent${unitdir:-/usr/lib/systemd/system}/\$u"* ]]
	[[ "$output" == *" /nonexistent${sysusersdir:-/usr/lib/sysusers.d}/smtp-session.conf"* ]]
}

@test "make install: /etc/default/smtp-session names the postmaster /etc/aliases gives root, the one TLS place, a 0600 ticket key; nothing is overwritten" {
	[ "$(id -u)" = 0 ] || skip "needs root: tools/install-config leaves an ordinary user's files alone"
	local etc=$T/cfg/etc
	# The test's users (nss_wrapper): test and bob are persons, with login uids.
	cfg() { LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" "$TOP/tools/install-config" "$@"; }
	mkdir -p "$etc"
	printf '# test\npostmaster: root\nroot: "%s"\n' test >"$etc/aliases"
	run cfg "$etc"
	[ "$status" = 0 ] || { echo "$output"; false; }
	echo "$output"
	grep -qx "OPTIONS=--postmaster test" "$etc/default/smtp-session"
	grep -qx "TLS=--tls-cert $etc/smtp-session/cert.pem --tls-key $etc/smtp-session/key.pem --tls-ticket-key $etc/smtp-session/ticket.key" \
		"$etc/default/smtp-session"
	[ "$(stat -c '%U %a %s' "$etc/smtp-session/ticket.key")" = "root 600 64" ]
	# Run again: every file kept as it is.
	local sum; sum=$(cat "$etc/smtp-session/ticket.key" "$etc/default/smtp-session" | md5sum)
	run cfg "$etc"
	[[ "$output" == *"keeping $etc/smtp-session/ticket.key"* ]]
	[[ "$output" == *"keeping $etc/default/smtp-session"* ]]
	[ "$(cat "$etc/smtp-session/ticket.key" "$etc/default/smtp-session" | md5sum)" = "$sum" ]
	# Without a person in the aliases: OPTIONS= empty, and the output says what to set.
	rm -rf "$etc/default" "$etc/smtp-session"
	printf 'postmaster: root\n' >"$etc/aliases"
	run cfg "$etc"
	[[ "$output" == *"until you set OPTIONS=--postmaster NAME there, mail to postmaster is refused"* ]]
	grep -qx 'OPTIONS=' "$etc/default/smtp-session"
	# An older file with TLS= only gains OPTIONS=, its TLS= stays.
	printf 'TLS=--tls-cert /x --tls-key /y\n' >"$etc/default/smtp-session"
	printf 'root: %s\n' bob >"$etc/aliases"
	run cfg "$etc"
	grep -qx 'TLS=--tls-cert /x --tls-key /y' "$etc/default/smtp-session"
	[ "$(grep -c '^TLS=' "$etc/default/smtp-session")" = 1 ]
	grep -qx "OPTIONS=--postmaster bob" "$etc/default/smtp-session"
}
