#!/usr/bin/env bats
# Privilege separation (privsep.h): the session process runs the dialogue as the
# --privsep-user, chrooted and under seccomp, and alone holds the connection; the root
# parent serves only the requests of privsep.h and treats the session process as
# hostile.  Hostile cases run the test build smtp-session-test, which puts
# tests/hostile.py in the session process's place (SMTP_TEST_CHILD) in front of the
# real parent, or makes the session call a forbidden system call (SMTP_TEST_SYSCALL).

load helpers

PAM_MODULES=$(pkg-config --variable=modules pam_wrapper 2>/dev/null)
: "${PAM_MODULES:=/usr/lib/x86_64-linux-gnu/pam_wrapper}"

setup_file() {
	setup_users
	mkdir -p "$T/pam"
	echo "alice:secret:smtp" >"$T/passdb"
	printf '%s required %s/pam_matrix.so passdb=%s\n' auth "$PAM_MODULES" "$T/passdb" \
		account "$PAM_MODULES" "$T/passdb" >"$T/pam/smtp"
	SMTP_SESSION=$TOP/smtp-session-test make_server_wrapper smtp-test libpam_wrapper.so \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam"
}
teardown_file() { teardown_users; }
setup() {
	clear_maildirs
	[ -x "$TOP/smtp-session-test" ] || skip "make smtp-session-test first (make check does)"
}

# Tests of the real binary's own process layout run once, in the plain phase: the
# sanitizer and valgrind builds leave the chroot and the filter out (sandbox.c).
plain_only() {
	[ "$SMTP_SESSION" = "$TOP/smtp-session" ] || skip "runs in the plain phase only"
}



# A hostile stand-in speaks to the real parent; the parent must kill it, log why and
# exit 111, with nothing delivered.  hostile CASE WHY [SERVER-ARGS...]
hostile() {
	local case=$1 why=$2
	shift 2
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE="$case" HOSTILE_DIR="$T" \
		timeout 60 "$T/bin/smtp-test" --auth always --auth-delay 0 --send any "$@" </dev/null
	echo "status $status; log:"
	cat "$T/log"
	[ "$status" = 111 ]
	grep -q "the session process broke the protocol ($why): killed" "$T/log"
	[ -z "$(delivered bob)" ]
}

@test "as root under tcpserver: the session process is the privsep user, confined; the parent holds no descriptor of the connection" {
	plain_only
	[ "$(id -u)" = 0 ] || skip "needs root: the uid change and the chroot are real only as root"
	mkdir -p "$T/empty"
	chmod 755 "$T/empty"
	tcpserver_start "$T/bin/smtp" --privsep-dir "$T/empty"
	run python3 "$TOP/tests/privsep-inspect.py" "$PORT" "$PRIVSEP_UID" "$PRIVSEP_UID" root "$T/empty"
	kill "$TS_PID"
	echo "$output"
	[ "$status" = 0 ]
}

@test "as root without --privsep-dir in place: a fresh directory, removed at once, is the root" {
	plain_only
	[ "$(id -u)" = 0 ] || skip "needs root: the chroot is real only as root"
	tcpserver_start "$T/bin/smtp" --privsep-dir "$T/no-such-dir"
	run python3 "$TOP/tests/privsep-inspect.py" "$PORT" "$PRIVSEP_UID" "$PRIVSEP_UID" root "(deleted)"
	kill "$TS_PID"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"root directory: /tmp/smtp-session."*" (deleted)"* ]]
}

@test "a --privsep-dir that is not empty, or writable by others, is refused: 421, logged" {
	plain_only
	[ "$(id -u)" = 0 ] || skip "needs root: the chroot is real only as root"
	mkdir -p "$T/full" "$T/open"
	touch "$T/full/file"
	chmod 777 "$T/open"
	local d
	for d in full open; do
		: >"$T/log"
		run "$T/bin/smtp" --privsep-dir "$T/$d" < <(printf '%s\r\n' "EHLO h" QUIT)
		echo "$d: $output"
		[ "$status" = 111 ]
		[[ "$output" == "421 $HOST Service not available, closing connection"* ]]
		grep -q "cannot confine the session: chroot into --privsep-dir" "$T/log"
	done
}

@test "as root under systemd-socket-activate --inetd: the same layout" {
	plain_only
	[ "$(id -u)" = 0 ] || skip "needs root: the uid change and the chroot are real only as root"
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	local port pid
	port=$(free_port)
	mkdir -p "$T/empty"
	chmod 755 "$T/empty"
	systemd-socket-activate -l "127.0.0.1:$port" --inetd -a "$T/bin/smtp" \
		--privsep-dir "$T/empty" >"$T/ssa.log" 2>&1 3>&- &
	pid=$!
	wait_port "$port"
	run python3 "$TOP/tests/privsep-inspect.py" "$port" "$PRIVSEP_UID" "$PRIVSEP_UID" root "$T/empty"
	kill "$pid"
	echo "$output"
	[ "$status" = 0 ]
}

@test "single-user mode: the same two processes, without the uid change and the chroot" {
	plain_only
	local uid gid
	uid=$(id -u) gid=$(id -g)
	[ "$uid" = 0 ] && uid=$(uid bob) gid=$(uid bob)	# smtp-single runs as bob then
	tcpserver_start "$T/bin/smtp-single"
	run python3 "$TOP/tests/privsep-inspect.py" "$PORT" "$uid" "$gid" single
	kill "$TS_PID"
	echo "$output"
	[ "$status" = 0 ]
}

@test "hostile child: the control, a well-formed delivery, is served" {
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=good timeout 60 \
		"$T/bin/smtp-test" </dev/null
	cat "$T/log"
	[ "$status" = 0 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	grep -q '^X-Hostile: good$' "$(delivered bob)"
}

@test "hostile child: a delivery to a user no lookup returned ends the session" {
	hostile unlooked "recipient never looked up"
}

@test "hostile child: a message id that is not letters, digits and dots ends the session" {
	hostile bad-id "malformed message id"
}

@test "hostile child: DSN parameters a client could not have given (NOTIFY=NEVER with SUCCESS, a line break in ORCPT or ENVID, an unknown RET or NOTIFY bit) end the session" {
	local c
	for c in dsn-notify dsn-orcpt dsn-envid dsn-ret dsn-accept; do
		: >"$T/log"
		hostile "$c" "malformed DSN parameters"
	done
}

@test "hostile child: a mailbox check of a user no lookup returned ends the session" {
	hostile check-unlooked "mailbox check for a user never looked up"
}

@test "hostile child: a mailbox check over --max-size or amid pending recipients ends the session" {
	hostile check-size "mailbox check over --max-size"
	: >"$T/log"
	hostile check-pending "malformed or out-of-order mailbox check"
}

@test "hostile child: the same recipient twice in one delivery ends the session" {
	hostile twice "the same recipient twice"
}

@test "hostile child: a delivery shorter than the progress announced fails, and nothing is kept" {
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=overannounced timeout 60 \
		"$T/bin/smtp-test" </dev/null
	cat "$T/log"
	[ "$status" = 0 ]
	[ -z "$(delivered bob)$(leftovers bob)" ]
}

@test "hostile child: progress without a begun message, or a delivery of another one, ends the session" {
	hostile more-unbegun "malformed or out-of-order progress"
	: >"$T/log"
	hostile begun-other "delivery of another message than the one begun"
	[ -z "$(leftovers bob)" ]	# the begun copy was dropped with its helper
}

@test "hostile child: a fourth AUTH after three failures ends the session" {
	hostile auth4 "AUTH after too many failures"
	[ "$(grep -c 'broke the protocol' "$T/log")" = 1 ]
}

@test "hostile child: more terminal children than TTY_CHILDREN_MAX end the session" {
	hostile ttymany "too many terminal children"
}

@test "hostile child: a terminal request for a remote client that did not authenticate ends the session (--send auth)" {
	TCPREMOTEIP=192.0.2.1 hostile ttyremote "terminal request --send does not allow this client" \
		--send auth
	# The same requests from a loopback client are served.
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=ttyremote TCPREMOTEIP=127.0.0.1 \
		timeout 60 "$T/bin/smtp-test" --send auth </dev/null
	[ "$status" = 0 ]
	[ "$(grep -c 'broke the protocol' "$T/log")" = 1 ]
}

# hostile_tty CASE: the stand-in asks the parent to write CASE's text onto bob's
# terminal, a real pseudo-terminal that tests/ptyrun.py logs bob in on.
hostile_tty() {
	rm -rf "$T/out"
	run python3 "$TOP/tests/ptyrun.py" --utmp "$T/utmp" --out "$T/out" \
		--tty "name=b,user=bob,uid=$(uid bob)" -- \
		env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE="$1" HOSTILE_DIR="$T" \
		timeout 60 "$T/bin/smtp-test" --send any --utmp "$T/utmp" </dev/null
	echo "status $status; the terminal got:"
	cat -A "$T/out/b"
}

@test "hostile child: a title, a clear screen, a fake banner or an OSC 52 write never reach the terminal; the session ends" {
	hostile_tty ttygood	# the control: text as the renderer makes it is written
	[ "$status" = 0 ]
	grep -q $'^| hello bob\r$' "$T/out/b"
	for c in ttytitle ttyclear ttybanner ttyosc52; do
		: >"$T/log"
		hostile_tty $c
		[ "$status" = 111 ]
		grep -q "the session process broke the protocol (terminal text .*): killed" "$T/log"
		[ ! -s "$T/out/b" ] || { echo "$c reached the terminal"; false; }
	done
}

@test "hostile child: the parent answers a failed AUTH no sooner than --auth-delay, known user or not" {
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=authtime HOSTILE_DIR="$T" \
		timeout 60 "$T/bin/smtp-test" --auth always --auth-delay 700 </dev/null
	[ "$status" = 0 ]
	read -r unknown known <"$T/authtime"
	echo "as the session process sees it: unknown user $unknown ms, alice $known ms"
	[ "$unknown" -ge 700 ] && [ "$known" -ge 700 ]
}

@test "hostile child: an AUTH user name with a newline and ESC ends the session before PAM" {
	hostile badname "unsafe user name in AUTH"
}

@test "hostile child: a frame over its size bound ends the session" {
	hostile oversize "malformed, oversized, unknown or cut-short frame"
}

@test "hostile child: a frame cut short ends the session" {
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=truncated timeout 60 \
		"$T/bin/smtp-test" </dev/null
	cat "$T/log"
	[ "$status" = 111 ]
	grep -q 'broke the protocol (malformed, oversized, unknown or cut-short frame)' "$T/log"
}

@test "hostile child: an unknown frame type ends the session" {
	hostile unknown "malformed, oversized, unknown or cut-short frame"
}

@test "hostile child: an answer type sent as a request ends the session" {
	hostile answer "malformed, oversized, unknown or cut-short frame"
}

@test "hostile child: bytes left after the last field end the session" {
	hostile leftover "malformed or out-of-order lookup"
}

@test "hostile child: a lookup outside a transaction (no PS_MAIL) ends the session" {
	hostile lookup-no-mail "malformed or out-of-order lookup"
}

@test "hostile child: accepting another domain's recipient the parent refused ends the session" {
	hostile relay-unauthenticated "malformed or out-of-order accept"
}

@test "hostile child: after AUTH, relaying to an address literal is refused by the parent too; accepting it ends the session" {
	hostile relay-literal "malformed or out-of-order accept"
}

@test "hostile child: a FIFO as the spool ends the session" {
	hostile fifo "spool is not a regular file"
}

@test "hostile child: a directory as the spool ends the session" {
	hostile dir "spool is not a regular file"
}

@test "hostile child: a spool smaller than declared ends the session" {
	hostile small "spool smaller than declared"
}

@test "hostile child: an unsealed memfd as the spool ends the session" {
	hostile unsealed "spool memfd not sealed"
}

@test "hostile child: a delivery without a spool descriptor ends the session" {
	hostile no-spool "delivery without a spool"
}

@test "the seccomp filter is real: a forbidden system call kills the session with SIGSYS, logged, nothing delivered" {
	plain_only
	run env SMTP_TEST_SYSCALL=1 timeout 60 "$T/bin/smtp-test" < <(printf '%s\r\n' "EHLO h" \
		"MAIL FROM:<a@example.org>" "RCPT TO:<bob@tttest.com>" DATA "Subject: x" "" body . QUIT)
	echo "$output"
	cat "$T/log"
	[ "$status" = 159 ]	# 128 + SIGSYS
	grep -q 'the session process was killed by signal 31 (Bad system call)' "$T/log"
	[ -z "$(delivered bob)" ]
	# The same session without the hook delivers: the filter allows what a session needs.
	run timeout 60 "$T/bin/smtp-test" < <(printf '%s\r\n' "EHLO h" \
		"MAIL FROM:<a@example.org>" "RCPT TO:<bob@tttest.com>" DATA "Subject: x" "" body . QUIT)
	[ "$status" = 0 ]
	[ "$(delivered bob | wc -l)" = 1 ]
}

@test "a crash of the session process is logged and passed on as 128+n" {
	plain_only	# ASan would catch the SIGSEGV and report it as its own finding
	local out=$T/crash.out pid child=
	{ printf 'EHLO h\r\n'; sleep 30; } | "$T/bin/smtp" >"$out" &
	pid=$!
	for _ in $(seq 100); do grep -q '^250 ' "$out" 2>/dev/null && break; sleep 0.1; done
	# The session process: the child of this server (the wrapper execs it, so $pid is
	# the parent); by name alone, another suite's session running beside this one
	# could be the one hit.
	child=$(pgrep -P "$pid" smtp-session | head -n 1)
	[ -n "$child" ]
	kill -SEGV "$child"
	local st=0
	wait "$pid" || st=$?
	cat "$T/log"
	[ "$st" = 139 ]
	grep -q 'the session process was killed by signal 11 (Segmentation fault)' "$T/log"
}

@test "an unknown --privsep-user: 421, logged, exit 111, nothing read" {
	run "$T/bin/smtp" --privsep-user nosuchuser < <(printf '%s\r\n' "EHLO h" QUIT)
	if [ "$(id -u)" != 0 ] && ! grep -q UID_WRAPPER "$T/bin/smtp"; then
		skip "single-user mode has no privsep user"
	fi
	[ "$status" = 111 ]
	[[ "$output" == "421 $HOST Service not available, closing connection"* ]]
	[[ "$output" != *250* ]]
	grep -q 'cannot start: --privsep-user nosuchuser: no such user: create it' "$T/log"
}

@test "after 235 no copy of the password is left in either process, the AUTH line split across reads" {
	plain_only
	[ "$(id -u)" = 0 ] || skip "needs root: a real user for pam_unix, and reading /proc/PID/mem"
	command -v useradd >/dev/null || skip "useradd is not installed"
	local user=smtpm$$ svc=smtp-session-mem-$$ pw=Mem-scan-pw-$$-Zq
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$user"
	echo "$user:$pw" | chpasswd
	printf '@include common-auth\n@include common-account\n' >"/etc/pam.d/$svc"
	tcpserver_start "$SMTP_SESSION" --auth always --auth-delay 0 --pam-service "$svc" \
		--log-file "$T/log"
	run python3 "$TOP/tests/privsep-memscan.py" "$PORT" "$user" "$pw"
	kill "$TS_PID"
	userdel "$user" 2>/dev/null
	rm -f "/etc/pam.d/$svc"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"scanned"*"session process"* ]]
	[[ "$output" == *"scanned"*"privileged parent"* ]]
}
