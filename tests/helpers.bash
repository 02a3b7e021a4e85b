# Shared set-up for the bats suites: fake users (nss_wrapper), their homes in a
# temporary folder, and wrapper scripts that start smtp-session the way the tests need.
#
# As root the program really drops to the fake users' uids, so file ownership is real.
# As an ordinary user, uid_wrapper makes the program believe it is root and "drop"
# (files then keep the real owner; the tests that check ownership say so and skip).
#
# Environment the caller may set:
#   SMTP_SESSION   the binary under test (default: ../smtp-session)
#   SMTP_WRAP      a command prefix, e.g. valgrind with its options
#   SMTP_PRELOAD   libraries to preload before the wrappers (e.g. libasan for ASan)

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${SMTP_SESSION:=$TOP/smtp-session}"
HOST=smtp.tttest.com
DOMAINS=tttest.com,localhost

# The fake users' ids exist nowhere on this machine: a real account with the same uid
# could signal the tests' processes or own their files, and a real group of the same gid
# would give someone else access.  free_ids FROM STEP COUNT: the first of FROM, FROM+STEP,
# ... that starts COUNT ids none of which is a uid or gid known to the system's NSS
# (nss_wrapper is not loaded here).  Deterministic, so setup_file and every test agree.
free_ids() {
	{ getent passwd; getent group; } | awk -F: -v from="$1" -v step="$2" -v n="$3" '
		{ used[$3] = 1 }
		END {
			for (b = from; b > 0 && b < 60000; b += step) {
				ok = 1
				for (i = 0; i < n; i++) if ((b + i) in used) { ok = 0; break }
				if (ok) { print b; exit }
			}
			exit 1
		}'
}
# PERSON0: persons (uid >= UID_MIN, 1000) are PERSON0+1...; SYSTEM0: system accounts
# (below UID_MIN), the privilege separation user first.
if [ -z "${PERSON0:-}" ]; then
	PERSON0=$(free_ids 41000 100 20) || { echo "no 20 free uids from 41000 on" >&2; exit 1; }
	SYSTEM0=$(free_ids 900 -10 10) || { echo "no 10 free uids below 1000" >&2; exit 1; }
	export PERSON0 SYSTEM0
fi
PRIVSEP_UID=$SYSTEM0

# A fake user's uid (the test's passwd: as an ordinary user the persons have ours).
uid() { awk -F: -v n="$1" '$1 == n { print $3; exit }' "$T/passwd"; }

# One fake user: name uid; home $T/home/name with mode 0755, owned by the user as root.
# As an ordinary user the homes stay ours, so every fake person (uid >= 1000) gets our
# own uid: smtp-session delivers only into a home its user owns (users.c).
add_user() {
	local name=$1 uid=$2 home=$T/home/$1
	if [ "$(id -u)" != 0 ] && [ "$uid" -ge 1000 ]; then uid=$(id -u); fi
	echo "$name:x:$uid:$uid:$name:$home:/bin/sh" >>"$T/passwd"
	echo "$name:x:$uid:" >>"$T/group"
	mkdir -p "$home"
	chmod 755 "$home"
	if [ "$(id -u)" = 0 ]; then chown "$uid:$uid" "$home"; fi
}

# A wrapper script in $T/bin: name, the libraries to preload, then the command.
# SMTP_PRELOAD (ASan's runtime, which must come first) and EXTRA_PRELOAD (the fault
# shim) are read when the wrapper runs.  SMTP_PRELOAD and the sanitizer options are
# also written into the wrapper as they are now, for launchers that pass on only a
# few variables (systemd-socket-activate keeps just PATH, HOME and TERM).
make_wrapper() {
	local name=$1 libs=$2 v
	shift 2
	{
		echo '#!/bin/sh'
		for v in SMTP_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS; do
			if [ -n "${!v:-}" ]; then
				printf '[ -n "${%s+x}" ] || export %s=%q\n' "$v" "$v" "${!v}"
			fi
		done
		echo "export LD_PRELOAD=\"\${SMTP_PRELOAD:+\$SMTP_PRELOAD }\${EXTRA_PRELOAD:+\$EXTRA_PRELOAD }$libs\""
		printf 'exec'
		printf ' %q' "$@"
		echo ' "$@"'
	} >"$T/bin/$name"
	chmod 755 "$T/bin/$name"
}

setup_users() {
	T=$(mktemp -d /tmp/smtp-test.XXXXXX)
	chmod 755 "$T"
	mkdir -p "$T/home" "$T/bin"
	chmod 755 "$T/home"
	: >"$T/passwd"
	: >"$T/group"
	add_user root 0
	SELF=$(id -un)
	# First: as an ordinary user the fake persons share our uid (add_user), and
	# getpwuid() must still find us (single-user mode asks it who we are).
	if [ "$(id -u)" != 0 ]; then add_user "$SELF" "$(id -u)"; fi
	add_user test $((PERSON0 + 1))
	add_user alice $((PERSON0 + 2))
	add_user bob $((PERSON0 + 3))
	add_user john.doe $((PERSON0 + 4))
	# A user name in UTF-8 (useradd allows it; adduser only with --allow-bad-names),
	# for SMTPUTF8 local parts (RFC 6531).
	add_user "j$(printf '\303\274')rgen" $((PERSON0 + 6))
	echo "mail:x:8:alice" >>"$T/group"
	# The privilege separation user: the session process runs as it (as root).
	echo "smtp-session:x:$PRIVSEP_UID:$PRIVSEP_UID:smtp-session:/nonexistent:/usr/sbin/nologin" \
		>>"$T/passwd"
	echo "smtp-session:x:$PRIVSEP_UID:" >>"$T/group"
	: >"$T/log"
	chmod 666 "$T/log"	# single-user mode writes it as another user
	if ! grep -q '^nobody:' "$T/passwd"; then
		echo "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
		echo "nogroup:x:65534:" >>"$T/group"
	fi
	export T SELF

	make_server_wrapper smtp ""
	# Single-user mode: really unprivileged.  As root that is bob (setpriv, no PAM);
	# otherwise the user running the tests.
	local as=()
	SINGLE=$SELF
	if [ "$(id -u)" = 0 ]; then
		as=(setpriv --reuid="$(uid bob)" --regid="$(uid bob)" --clear-groups)
		SINGLE=bob
	fi
	export SINGLE
	local nss=(NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group"
		NSS_WRAPPER_DISABLE_DEEPBIND=1)
	# shellcheck disable=SC2086
	make_wrapper smtp-single libnss_wrapper.so env "${nss[@]}" "${as[@]}" \
		${SMTP_WRAP:-} "$SMTP_SESSION" --hostname "$HOST" --domains "$DOMAINS" \
		--log-file "$T/log"
}

# A wrapper $T/bin/NAME that starts smtp-session as root (really, or through
# uid_wrapper), with the fake users, our test names and log, more libraries to preload
# (e.g. "libpam_wrapper.so") and more environment (NAME=VALUE arguments).
make_server_wrapper() {
	local name=$1 libs=$2
	shift 2
	local preload="${libs:+$libs }libnss_wrapper.so" fake_root=()
	if [ "$(id -u)" != 0 ]; then
		preload="$preload libuid_wrapper.so"
		fake_root=(UID_WRAPPER=1 UID_WRAPPER_ROOT=1)
	fi
	# shellcheck disable=SC2086
	make_wrapper "$name" "$preload" env NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" NSS_WRAPPER_DISABLE_DEEPBIND=1 \
		UID_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 \
		"${fake_root[@]}" "$@" ${SMTP_WRAP:-} "$SMTP_SESSION" \
		--hostname "$HOST" --domains "$DOMAINS" --log-file "$T/log"
}

teardown_users() {
	if [ -n "${T:-}" ]; then rm -rf "$T"; fi
}

# Run tests/transcripts/NAME.t through the server wrapper (default: smtp).
transcript() {
	python3 "$TOP/tests/transcript.py" "$T/bin/${2:-smtp}" "$TOP/tests/transcripts/$1.t"
}

# The messages in a user's Maildir/new, one path per line.
delivered() {
	find "$T/home/$1/Maildir/new" -type f 2>/dev/null | sort
}

# Files left in a user's Maildir/tmp (there must never be any after a session).
leftovers() {
	find "$T/home/$1/Maildir/tmp" -type f 2>/dev/null
}

# The relay commands of the tests of delivery status reports (parent/report.c):
# $T/rec.sh keeps its argv (NUL-separated, run.*.argv) and its stdin (run.*.msg) in
# $T/relay; $T/tempfail.sh answers "try again later" (EX_TEMPFAIL).
make_report_relay() {
	mkdir -p "$T/relay"
	chmod 1777 "$T/relay"	# the command runs as --relay-user
	cat >"$T/rec.sh" <<-EOF
		#!/bin/sh
		f=\$(mktemp $T/relay/run.XXXXXX) || exit 75
		printf '%s\0' "\$@" >"\$f.argv"
		cat >"\$f.msg"
		exit 0
	EOF
	printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >"$T/tempfail.sh"
	chmod 755 "$T/rec.sh" "$T/tempfail.sh"
}

# The messages make_report_relay's rec.sh took, one file per run.
reports() { find "$T/relay" -name 'run.*.msg' 2>/dev/null | sort; }

# Empty every Maildir, so each test starts from nothing.
clear_maildirs() {
	rm -rf "$T"/home/*/Maildir "$T"/home/*/Mail
	: >"$T/log"
}

# Send CRLF lines (the arguments) through the server wrapper in one batch.
session() {
	local w=${WRAPPER:-smtp}
	printf '%s\r\n' "$@" | "$T/bin/$w"
}

# The same through the single-user wrapper.
session_single() {
	WRAPPER=smtp-single session "$@"
}

# A free loopback port (systemd-socket-activate refuses port 0).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait until something accepts connections on 127.0.0.1:$1 (10 s at most).
wait_port() {
	local i
	for i in $(seq 100); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' "$1" \
			2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# tcpserver on a free loopback port running the command given (one process per
# connection, as a super-server would); sets TS_PID and PORT.
tcpserver_start() {
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$@" >"$T/ts.port" 2>/dev/null 3>&- &
	TS_PID=$!
	local i
	for i in $(seq 100); do [ -s "$T/ts.port" ] && break; sleep 0.1; done
	PORT=$(cat "$T/ts.port")
}
