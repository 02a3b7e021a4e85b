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
	add_user test 1001
	add_user alice 1002
	add_user bob 1003
	add_user john.doe 1004
	# A user name in UTF-8 (useradd allows it; adduser only with --allow-bad-names),
	# for SMTPUTF8 local parts (RFC 6531).
	add_user "j$(printf '\303\274')rgen" 1006
	echo "mail:x:8:alice" >>"$T/group"
	# The privilege separation user: the session process runs as it (as root).
	echo "smtp-session:x:998:998:smtp-session:/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
	echo "smtp-session:x:998:" >>"$T/group"
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
		as=(setpriv --reuid=1003 --regid=1003 --clear-groups)
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
