#!/usr/bin/env bats
# Configuration errors and where the logs go (issue 22, items 4 and 7).  An error names
# the problem and the fix on one line, once: on stderr where that is not the client's
# connection, and in the log; the usage text only at a terminal.  Without a journal
# and a syslog daemon the logs go to stderr, where that is not the connection, and
# the first line says so.  The TLS files' errors are in tls.bats.

load helpers

setup_file() {
	setup_users
	# A wrapper that logs like a real deployment: no --log-file.
	local wrappers="libnss_wrapper.so" fake_root=()
	if [ "$(id -u)" != 0 ]; then
		wrappers="$wrappers libuid_wrapper.so"
		fake_root=(UID_WRAPPER=1 UID_WRAPPER_ROOT=1)
	fi
	make_wrapper smtp-nolog "$wrappers" env -u JOURNAL_STREAM -u INVOCATION_ID \
		NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		NSS_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1 "${fake_root[@]}" \
		${SMTP_WRAP:-} "$SMTP_SESSION" --hostname "$HOST" --domains "$DOMAINS"
}
teardown_file() { teardown_users; }

# What the shipped units say when TLS= in /etc/default/smtp-session is empty.
NO_CERT='no certificate is configured: set TLS="--tls-cert FILE --tls-key FILE" in /etc/default/smtp-session (the systemd units pass it), or give --tls-cert and --tls-key'

# Run "$@" where no syslog daemon listens: as here when /dev/log is missing; else in a
# private mount namespace with /dev/null over /dev/log (root only), or skip.
no_syslog() {
	if [ ! -e /dev/log ]; then
		"$@"
		return
	fi
	[ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null ||
		skip "/dev/log exists and cannot be hidden here (needs root and unshare)"
	unshare --mount --propagation private sh -c 'mount --bind /dev/null /dev/log && exec "$@"' \
		sh "$@"
}

@test "a usage error under a supervisor: one line with the fix on stderr, the same in the log, no usage text, exit 100" {
	# The submission unit with TLS= empty: it ran "smtp-session --require-auth --require-tls"
	# and said "--require-tls: only with --tls starttls" and then 50 lines of --help.
	run bash -c '"$T/bin/smtp" --require-auth --require-tls </dev/null >"$T/out" 2>"$T/err"'
	[ "$status" = 100 ]
	cat "$T/err"
	[ ! -s "$T/out" ]
	[ "$(cat "$T/err")" = "smtp-session: --require-tls: $NO_CERT" ]
	grep -qF "error: --require-tls: $NO_CERT" "$T/log"
	! grep -q usage "$T/err" "$T/log" || false
	# the smtps unit with TLS= empty
	run bash -c '"$T/bin/smtp" --tls implicit --require-auth </dev/null 2>&1 >/dev/null'
	[ "$status" = 100 ]
	[ "$output" = "smtp-session: --tls implicit: $NO_CERT" ]
	# getopt's own message is not a second line
	run bash -c '"$T/bin/smtp" --bogus </dev/null 2>&1 >/dev/null'
	[ "$status" = 100 ]
	[ "$output" = "smtp-session: --bogus: unknown or ambiguous option, or one that takes no argument: see smtp-session --help or smtp-session(8)" ]
	run bash -c '"$T/bin/smtp" --timeout 0 </dev/null 2>&1 >/dev/null'
	[ "$output" = "smtp-session: --timeout 0: not seconds from 1 to 86400: give one in that range" ]
}

@test "a usage error at a terminal: the line, then the usage text" {
	run python3 - "$T/bin/smtp" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "--require-tls"])
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode().replace("\r\n", "\n"))
print("exit %d" % os.waitstatus_to_exitcode(st))
PY
	echo "$output"
	[ "${lines[0]}" = "smtp-session: --require-tls: $NO_CERT" ]
	[ "${lines[1]}" = "usage: smtp-session [options]   (the connection on stdin/stdout)" ]
	[ "${lines[-1]}" = "exit 100" ]
}

@test "stderr that is the client's connection (inetd): no error and no log line reaches the client" {
	# inetd gives fds 0, 1 and 2 one socket.  No --log-file, and no syslog daemon: the
	# logs would have gone to stderr, but stderr is the client.
	local script='
import socket, subprocess, sys
def run(args, send):
    a, b = socket.socketpair()
    p = subprocess.Popen(args, stdin=b, stdout=b, stderr=b)
    b.close()
    a.sendall(send)
    a.settimeout(10)
    got = b""
    while True:
        d = a.recv(4096)
        if not d:
            break
        got += d
    print(repr(got))
    print("exit %d" % p.wait(timeout=10))
run(sys.argv[1:] + ["--require-tls"], b"")
run(sys.argv[1:], b"QUIT\r\n")
missing = ["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"]
run(sys.argv[1:] + missing, b"QUIT\r\n")
run(sys.argv[1:] + missing + ["--require-tls"], b"")'
	run no_syslog python3 -c "$script" "$T/bin/smtp-nolog"
	echo "$output"
	[ "${lines[0]}" = "b''" ]
	[ "${lines[1]}" = "exit 100" ]
	[ "${lines[2]}" = "b'220 smtp.tttest.com ESMTP\\r\\n221 smtp.tttest.com Bye\\r\\n'" ]
	[ "${lines[3]}" = "exit 0" ]
	# A certificate that cannot be read, said at start-up: port 25 goes on without
	# STARTTLS, --require-tls answers 421; the client reads the replies and nothing else.
	[ "${lines[4]}" = "b'220 smtp.tttest.com ESMTP\\r\\n221 smtp.tttest.com Bye\\r\\n'" ]
	[ "${lines[5]}" = "exit 0" ]
	[ "${lines[6]}" = "b'421 smtp.tttest.com Service not available, closing connection\\r\\n'" ]
	[ "${lines[7]}" = "exit 111" ]
}

@test "no journal and no syslog daemon: the logs go to stderr (tcpserver), the first line says so" {
	run no_syslog bash -c 'printf "QUIT\r\n" | "$T/bin/smtp-nolog" >"$T/out" 2>"$T/err"'
	[ "$status" = 0 ]
	cat "$T/err"
	[ "$(cat "$T/out")" = $'220 smtp.tttest.com ESMTP\r\n221 smtp.tttest.com Bye\r' ]
	local pid='smtp-session\[[0-9]+\]'
	grep -Eqx "$pid: info: connect from unknown \(logging to stderr: no journal, and no syslog daemon at /dev/log\)" \
		<(sed -n 1p "$T/err")
	grep -Eqx "$pid: info: disconnect from unknown helo=- commands=1 messages=0 rejects=0 end=quit" \
		<(sed -n 2p "$T/err")
	[ "$(grep -c 'logging to stderr' "$T/err")" = 1 ]	# once
	[ "$(wc -l <"$T/err")" = 2 ]
	# A client on a pipe whose stdout and stderr are one: nothing but the replies.
	run no_syslog bash -c 'printf "QUIT\r\n" | "$T/bin/smtp-nolog" 2>&1'
	[ "$output" = $'220 smtp.tttest.com ESMTP\r\n221 smtp.tttest.com Bye\r' ]
	# A configuration error there: the one line, in the log's form, once.
	run no_syslog bash -c '"$T/bin/smtp-nolog" --require-tls </dev/null 2>"$T/err" >/dev/null'
	[ "$status" = 100 ]
	cat "$T/err"
	[ "$(wc -l <"$T/err")" = 1 ]
	grep -Eqx "$pid: error: --require-tls: .*--tls-key \(logging to stderr: .*\)" "$T/err"
}

@test "a --privsep-user that does not exist: the user and the fix, once on stderr and in the log; 421, exit 111" {
	run bash -c 'printf "QUIT\r\n" | "$T/bin/smtp" --privsep-user no-such-user 2>"$T/err"'
	echo "$output"
	[ "$status" = 111 ]
	[[ "$output" == "421 smtp.tttest.com Service not available, closing connection"* ]]
	local msg="cannot start: --privsep-user no-such-user: no such user: create it (make install does: systemd-sysusers with units/smtp-session.sysusers), or give another with --privsep-user"
	[ "$(cat "$T/err")" = "smtp-session: $msg" ]
	[ "$(grep -cF "error: $msg" "$T/log")" = 1 ]
	# and the refusal's line names the client and what was refused: no empty field
	grep -q 'notice: reject: connect from unknown: 421 smtp.tttest.com Service not available' "$T/log"
}
