#!/usr/bin/env bats
# smtp-session --listen (listen/listener.c): the listener of a socket unit with
# Accept=no, started as systemd starts it, by systemd-socket-activate without --accept
# (LISTEN_FDS with a listening socket), or with the listening socket on fd 0 (inetd
# "wait").  Each connection a session forked from the listener, which executes itself
# afresh every 100 sessions and after a crash, or with --exec-sessions a fresh exec of
# smtp-session; the per-source and total limits; a flood; SIGTERM; the usage errors.

load helpers

setup_file() { setup_users; }
teardown_file() { teardown_users; }
setup() { clear_maildirs; SSA=; }
teardown() {
	if [ -n "${SSA:-}" ] && kill -0 "$SSA" 2>/dev/null; then
		kill "$SSA" 2>/dev/null || true
		wait "$SSA" 2>/dev/null || true
	fi
}

CLIENT="python3 $BATS_TEST_DIRNAME/listenclient.py"

# systemd-socket-activate without --accept on a free port: it passes the listening
# socket (Accept=no) and execs the program itself at the first connection, so SSA is
# the listener's pid from then on.  Arguments: the listener's options; LISTENER, another
# wrapper than $T/bin/smtp.
start_listener() {
	local i
	PORT=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$PORT" "${LISTENER:-$T/bin/smtp}" --listen "$@" \
		</dev/null >"$T/ssa.log" 2>&1 3>&- &
	SSA=$!
	for i in $(seq 50); do
		grep -q "^Listening on" "$T/ssa.log" && return 0
		sleep 0.1
	done
	return 1
}

# swaks through the listener: one message to test.
send() {
	swaks --server "127.0.0.1:$PORT" --from alice@example.org --to test@tttest.com \
		--body "${1:-through the listener}"
}

# The pids that logged "connect from": one per session.
session_pids() {
	sed -n 's/^smtp-session\[\([0-9]*\)\]: info: connect from.*/\1/p' "$T/log"
}

# Until the listener has N children (sessions not yet reaped count), 10 s at most.
wait_children() {
	local i
	for i in $(seq 100); do
		[ "$(wc -w <"/proc/$SSA/task/$SSA/children")" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# Until the listener has reaped every session (its children, zombies included: pgrep
# leaves those out, and an unreaped one still counts for the limits), 10 s at most.
wait_sessions_gone() {
	local i
	for i in $(seq 100); do
		[ -z "$(cat "/proc/$SSA/task/$SSA/children")" ] && return 0
		sleep 0.1
	done
	return 1
}

# The listener's pid from its "listening" line, and the way it starts sessions.
listener_logged() {
	sed -n "s/^smtp-session\[\([0-9]*\)\]: info: listening: at most 64 sessions, $1 per client address, each session $2\$/\1/p" "$T/log"
}

# A session held open on fd 5: its greeting read, its privileged process's pid in PID.
hold_session() {
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	read -r -t 10 greeting <&5
	[[ "$greeting" == "220 smtp.tttest.com "* ]]
	PID=$(pgrep -n -P "$SSA")	# the newest child: this connection's
	[ -n "$PID" ]
}

# The held session's session process (the unprivileged one, which parses SMTP) crashes
# as a wrong guess at the stack canary makes it (SIGABRT): its parent ends with 128 + 6.
# (SIGABRT rather than SIGSEGV: ASan, in that phase, reports a SIGSEGV.)  Then fd 5 is
# closed.
crash_session_process() {
	local child
	child=$(pgrep -P "$PID" | head -1)
	[ -n "$child" ]
	kill -ABRT "$child"
	exec 5>&-
}

# Where process $1's program is mapped (the start of its first mapping of the file;
# not the first line, which under ASan is its shadow memory at a fixed address): a
# new address-space layout moves it (ASLR).
program_base() {
	grep -m1 " $(readlink "/proc/$1/exe")\$" "/proc/$1/maps" | cut -d- -f1
}

# Does process $1 get a randomized layout?  Not where ASLR is off for it
# (ADDR_NO_RANDOMIZE, personality(2): setarch -R, or ASan on a kernel whose
# randomization it cannot live with): there every layout is the same, and the log
# line is the check.
aslr() {
	(( (0x$(cat "/proc/$1/personality") & 0x0040000) == 0 ))
}

# The listener has executed itself afresh N times in all (its log line), within 5 s;
# and where layouts are randomized its program has moved from BASE.
executed_afresh() {
	local n=$1 base=$2 i
	for i in $(seq 50); do
		[ "$(grep -c 'executing afresh for a new address-space layout' "$T/log")" -ge "$n" ] &&
			break
		sleep 0.1
	done
	[ "$(grep -c 'executing afresh for a new address-space layout' "$T/log")" = "$n" ]
	for i in $(seq 50); do	# the new image maps itself after its line
		! aslr "$SSA" || [ "$(program_base "$SSA")" != "$base" ] && break
		sleep 0.1
	done
	! aslr "$SSA" || [ "$(program_base "$SSA")" != "$base" ]
}

# A listener with --max-per-source 5 and the options given; two messages through it,
# in two sessions of two processes other than the listener, whose "listening" line
# says how it starts them (HOW).
two_sessions() {
	local how=$1 pids
	shift
	start_listener --max-per-source 5 "$@"
	run send "first"
	[ "$status" = 0 ]
	run send "second"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	pids=$(session_pids | sort -u)
	[ "$(echo "$pids" | wc -l)" = 2 ]
	[ "$(listener_logged 5 "$how")" = "$SSA" ]
	! echo "$pids" | grep -qx "$SSA" || false
}

@test "listen: mail delivered; two sessions in a row are two processes forked from the listener, without LISTEN_*" {
	two_sessions forked
	hold_session
	# Forked: the listener's program and layout, not a new exec.
	[ "$(readlink "/proc/$PID/exe")" = "$(readlink "/proc/$SSA/exe")" ]
	[ "$(program_base "$PID")" = "$(program_base "$SSA")" ]
	# SIGPIPE ignored, as an exec'd session has it (a client gone is EPIPE), and
	# nothing blocked.
	local ign
	ign=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$PID/status")
	(( (0x$ign >> 12) & 1 ))
	grep -q "^SigBlk:	0000000000000000$" "/proc/$PID/status"
	# fds 0 and 1 the connection, or /dev/null once the parent gave it up; not the
	# listening socket.
	[ "$(readlink "/proc/$PID/fd/0")" = "$(readlink "/proc/$PID/fd/1")" ] ||
		[ "$(readlink "/proc/$PID/fd/0")" = /dev/null ]
	local lsock
	lsock=$(readlink "/proc/$SSA/fd/"* | grep socket: | head -1)
	! readlink "/proc/$PID/fd/"* | grep -qx "$lsock" || false
	exec 5>&-
	kill "$SSA"
	wait "$SSA"
}

@test "listen: --exec-sessions: two sessions in a row are two fresh processes, exec'd without the listener's options and LISTEN_*" {
	two_sessions "exec'd afresh" --exec-sessions
	# A session held open: its command line and environment, as inetd would give them.
	hold_session
	tr '\0' ' ' <"/proc/$PID/cmdline" >"$T/cmdline"
	cat "$T/cmdline"
	grep -q -- "--hostname smtp.tttest.com" "$T/cmdline"
	! grep -q -- "--listen\|--max-per-source\|--exec-sessions" "$T/cmdline" || false
	! tr '\0' '\n' <"/proc/$PID/environ" | grep -q '^LISTEN_' || false
	! aslr "$SSA" || [ "$(program_base "$PID")" != "$(program_base "$SSA")" ]
	# fds 0 and 1 the connection, nothing but stderr beside them in the privileged
	# parent (the session process's descriptors are its own business).
	[ "$(readlink "/proc/$PID/fd/0")" = "$(readlink "/proc/$PID/fd/1")" ] ||
		[ "$(readlink "/proc/$PID/fd/0")" = /dev/null ]	# the parent gave it up
	exec 5>&-
	kill "$SSA"
	wait "$SSA"
}

@test "listen: after 100 forked sessions the listener executes itself afresh: a new layout, the same pid, socket and live sessions" {
	start_listener --max-sessions 2 --max-per-source 2
	run send "first"
	[ "$status" = 0 ]
	local base
	base=$(program_base "$SSA")
	# A session held open across the new exec: still counted (--max-sessions 2), still
	# reaped, still reached by SIGTERM.
	wait_sessions_gone	# the first one's, so that the one held is the only one
	hold_session
	local held=$PID
	local i
	for i in $(seq 98); do	# 100 forked with "first" and the held one
		run $CLIENT flood "$PORT" 1
		[ "$status" = 0 ]
		[ "$output" = "made 1 refused 0" ]
		wait_children 1	# reaped: the next is not over --max-sessions
	done
	# The 100th started the new exec: the same listener, a new layout, the held
	# session still its child, the limits still counting it.
	executed_afresh 1 "$base"
	grep -q 'executing afresh for a new address-space layout: its sessions reached the limit' "$T/log"
	kill -0 "$SSA"
	tr ' ' '\n' <"/proc/$SSA/task/$SSA/children" | grep -qx "$held"
	run $CLIENT hold "$PORT" 2
	echo "$output"
	grep -qx '0: 220 smtp.tttest.com .*' <<<"$output"
	grep -qx '1: 421 4.3.2 smtp.tttest.com Too many sessions, try again later' <<<"$output"
	[ "$(grep -c 'listening: at most' "$T/log")" = 1 ]
	# The held session is still served, then reaped; mail flows after the new exec.
	printf 'QUIT\r\n' >&5
	read -r -t 10 bye <&5
	[[ "$bye" == "221 "* ]]
	exec 5>&-
	wait_sessions_gone
	run send "after"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	kill "$SSA"
	wait "$SSA"
	grep -q 'stopped: every session has ended' "$T/log"
}

@test "listen: a session killed by a signal: the listener executes itself afresh at once" {
	start_listener
	hold_session	# systemd-socket-activate executes the listener at the first one
	local base
	base=$(program_base "$SSA")
	crash_session_process
	executed_afresh 1 "$base"
	grep -q 'executing afresh for a new address-space layout: a session ended abnormally' "$T/log"
	grep -q "the session process was killed by signal 6" "$T/log"
	grep -q "session $PID from 127.0.0.1 exited with status 134" "$T/log"
	# The privileged process itself killed: the same.
	hold_session
	base=$(program_base "$SSA")
	kill -ABRT "$PID"
	exec 5>&-
	executed_afresh 2 "$base"
	grep -q "session $PID from 127.0.0.1 was killed by signal 6" "$T/log"
	run send "after the crash"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	# --exec-sessions: nothing is shared, nothing to renew.
	kill "$SSA"
	wait "$SSA"
	: >"$T/log"
	start_listener --exec-sessions
	hold_session
	base=$(program_base "$SSA")
	kill -ABRT "$PID"
	exec 5>&-
	sleep 1
	[ "$(program_base "$SSA")" = "$base" ]
	! grep -q 'executing afresh' "$T/log" || false
}

@test "listen: a session's processes end without running the destructors of their libraries (end_process(): GnuTLS's, and under systemd libsystemd's, issue 23)" {
	[[ "$SMTP_SESSION" != *-asan ]] || skip "the ASan build ends with exit(), for LeakSanitizer"
	# A library whose destructor says which process ran it, on stderr (the listener's,
	# $T/ssa.log, which its sessions inherit; the helpers end with _exit() anyway).
	cc -shared -fPIC -o "$T/fini.so" -x c - <<-'EOF'
	#include <stdio.h>
	#include <unistd.h>
	__attribute__((destructor)) static void fini(void)
	{
		char line[32];
		int n = snprintf(line, sizeof line, "fini %ld\n", (long)getpid());
		if (write(2, line, (size_t)n) != n)
			return;
	}
	EOF
	# It works where a process ends with exit().
	run env LD_PRELOAD="$T/fini.so" true
	[[ "$output" == "fini "* ]]
	sed "s|^export LD_PRELOAD=\"\(.*\)\"\$|export LD_PRELOAD=\"\1 $T/fini.so\"|" "$T/bin/smtp" \
		>"$T/bin/smtpfini"
	chmod 755 "$T/bin/smtpfini"
	LISTENER=$T/bin/smtpfini start_listener
	hold_session
	grep -q "$T/fini.so" "/proc/$PID/maps"	# the session has it
	printf 'QUIT\r\n' >&5
	read -r -t 10 bye <&5
	exec 5>&-
	run send "and another"
	[ "$status" = 0 ]
	[ "$(session_pids | wc -l)" = 2 ]
	wait_sessions_gone
	kill "$SSA"
	wait "$SSA"
	# Neither the sessions' processes nor the listener ran it.
	! grep '^fini ' "$T/ssa.log" || false
}

@test "listen: 8 parallel connections from 127.0.0.1 all greeted and served (default --max-per-source 16)" {
	start_listener
	run $CLIENT hold "$PORT" 8
	echo "$output"
	[ "$status" = 0 ]
	[ "$(grep -c '^[0-7]: 220 smtp.tttest.com ' <<<"$output")" = 8 ]
	[ "$(grep -c '^[0-7]: done$' <<<"$output")" = 8 ]
	! grep -q 'reject: connect' "$T/log" || false
}

# A second connection on fd 6, over --max-per-source 1 while the session on fd 5 lives:
# no greeting yet, and no 421 either (it waits, LISTEN_WAIT_MS, 2 s).
connect_waiting() {
	exec 6<>"/dev/tcp/127.0.0.1/$PORT"
	! read -r -t 0.3 line <&6 || false
}

# The session on fd 6: its greeting, then QUIT.
served_on_6() {
	read -r -t 10 greeting <&6
	[[ "$greeting" == "220 smtp.tttest.com "* ]]
	printf 'QUIT\r\n' >&6
	read -r -t 10 bye <&6
	[[ "$bye" == "221 "* ]]
	exec 6>&-
}

@test "listen: a connection over --max-per-source waits, unread, for a session to end, and is served (issue 23: never refused for a session still ending)" {
	start_listener --max-per-source 1
	hold_session
	connect_waiting
	printf 'QUIT\r\n' >&5
	read -r -t 10 bye <&5
	[[ "$bye" == "221 "* ]]
	exec 5>&-
	served_on_6
	! grep -q 'reject: connect' "$T/log" || false
	[ "$(session_pids | wc -l)" = 2 ]
}

@test "listen: a connection waiting when the listener executes itself afresh is served by the new image, not the old" {
	start_listener --max-per-source 1
	hold_session
	local base
	base=$(program_base "$SSA")
	connect_waiting
	# Its slot is free, but no session may be forked from this layout any more.
	crash_session_process
	executed_afresh 1 "$base"
	read -r -t 10 greeting <&6
	[[ "$greeting" == "220 smtp.tttest.com "* ]]
	local newest
	newest=$(pgrep -n -P "$SSA")
	! aslr "$SSA" || [ "$(program_base "$newest")" = "$(program_base "$SSA")" ]
	printf 'QUIT\r\n' >&6
	read -r -t 10 bye <&6
	[[ "$bye" == "221 "* ]]
	exec 6>&-
	! grep -q 'reject: connect' "$T/log" || false
}

@test "listen: a connection waiting when the listener stops gets 421 4.3.2" {
	start_listener --max-per-source 1
	hold_session
	connect_waiting
	kill "$SSA"
	read -r -t 10 line <&6
	[ "$line" = $'421 4.3.2 smtp.tttest.com Service shutting down, try again later\r' ]
	exec 6>&-
	exec 5>&-
	wait "$SSA"
	grep -q 'reject: connect from 127.0.0.1: 421 the listener is stopping' "$T/log"
}

@test "listen: --max-per-source 3: the 4th connection waits, then gets 421 4.7.0 and is closed, the 3 still work" {
	start_listener --max-per-source 3
	run $CLIENT hold "$PORT" 4
	echo "$output"
	[ "$status" = 0 ]
	[ "$(grep -c '^[0-2]: 220 smtp.tttest.com ' <<<"$output")" = 3 ]
	grep -qx '3: 421 4.7.0 smtp.tttest.com Too many connections from your address, try again later' <<<"$output"
	[ "$(grep -c '^[0-2]: done$' <<<"$output")" = 3 ]
	! grep -q '^3: done$' <<<"$output" || false
	grep -q 'reject: connect from 127.0.0.1: 421 too many sessions from this address (--max-per-source)' "$T/log"
}

@test "listen: --max-sessions 2: the 3rd connection waits, then gets 421 4.3.2 and is closed, the 2 still work" {
	start_listener --max-sessions 2
	run $CLIENT hold "$PORT" 3
	echo "$output"
	[ "$status" = 0 ]
	[ "$(grep -c '^[0-1]: 220 smtp.tttest.com ' <<<"$output")" = 2 ]
	grep -qx '2: 421 4.3.2 smtp.tttest.com Too many sessions, try again later' <<<"$output"
	[ "$(grep -c '^[0-1]: done$' <<<"$output")" = 2 ]
	grep -q 'reject: connect from 127.0.0.1: 421 too many sessions (--max-sessions)' "$T/log"
}

@test "listen: 1,000 quick connect/close do not stop it, and the refusals take a few log lines" {
	start_listener
	run send "before"
	[ "$status" = 0 ]
	local start=$SECONDS
	run $CLIENT flood "$PORT" 1000
	echo "$output"
	[ "$output" = "made 1000 refused 0" ]
	local took=$((SECONDS - start))
	wait_sessions_gone
	kill -0 "$SSA"
	run send "after"
	echo "$output" | tail -3
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	# At most one refusal line a second (LISTEN_REFUSAL_LOG_MS), the rest counted.
	local lines
	lines=$(grep -c 'reject: connect from' "$T/log" || true)
	echo "$lines refusal lines in ${took}s"
	[ "$lines" -le $((took + 2)) ]
	# Those not logged are counted: in the next refusal's line, or at the stop.
	kill "$SSA"
	wait "$SSA"
	grep 'reject: connect\|not logged' "$T/log"
	local counted sessions
	counted=$(sed -n 's/.*(\([0-9]*\) more refused, not logged)$/\1/p; s/.*: \([0-9]*\) more connections refused, not logged$/\1/p' "$T/log" |
		awk '{ n += $1 } END { print n + 0 }')
	sessions=$(session_pids | wc -l)
	echo "$sessions sessions, $lines refusals logged, $counted counted"
	[ $((sessions + lines + counted)) = 1002 ]	# the flood and the two messages
	[ "$lines" -le $((took + 2)) ]
	# (in the next refusal's line, or in a line of its own when the listener executes
	# itself afresh, every 100 sessions)
	if [ "$lines" -gt 1 ]; then grep -q 'more refused, not logged\|more connections refused, not logged' "$T/log"; fi
}

@test "listen: SIGTERM: the socket closes at once, a transaction in progress completes, then exit 0" {
	start_listener
	run $CLIENT term "$PORT" "$SSA"
	echo "$output"
	[ "$status" = 0 ]
	grep -q '^greeting: 220 ' <<<"$output"
	grep -q '^MAIL: 250 ' <<<"$output"
	grep -qx 'new: refused' <<<"$output"
	grep -q '^RCPT: 250 ' <<<"$output"
	grep -q '^DATA: 354 ' <<<"$output"
	grep -q '^Subject: 250 2.0.0 Ok: delivered as ' <<<"$output"
	grep -q '^QUIT: 221 ' <<<"$output"
	local rc=0
	wait "$SSA" || rc=$?
	[ "$rc" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q 'info: stopping: no more connections; 1 sessions live' "$T/log"
	grep -q 'info: stopped: every session has ended' "$T/log"
}

@test "listen: SIGTERM: an idle session gets SIGTERM after the drain (421 Shutting down), then exit 0" {
	start_listener
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	read -r -t 10 greeting <&5
	[[ "$greeting" == "220 "* ]]
	kill "$SSA"
	local line
	read -r -t 15 line <&5
	echo "$line"
	# No EHLO yet, so no enhanced status code (RFC 2034).
	[[ "$line" == "421 smtp.tttest.com Shutting down, closing connection"* ]]
	exec 5>&-
	local rc=0
	wait "$SSA" || rc=$?
	[ "$rc" = 0 ]
}

@test "listen: a listening socket on fd 0 (inetd wait), no LISTEN_FDS" {
	PORT=$(free_port)
	$CLIENT stdin-listener "$PORT" "$T/bin/smtp" --listen 3>&- &
	SSA=$!
	wait_port "$PORT"
	run send "from fd 0"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	kill -INT "$SSA"
	local rc=0
	wait "$SSA" || rc=$?
	[ "$rc" = 0 ]
}

# A usage error is one line in the log ("cannot start: ..." for the socket), exit 100.
usage_error() {
	: >"$T/log"
	run "$@"
	cat "$T/log"
	[ "$status" = 100 ]
	[ "$(wc -l <"$T/log")" = 1 ]
}

@test "listen: a Unix socket (the LMTP unit's): no per-source limit, only --max-sessions" {
	local sock=$T/lmtp.sock
	$CLIENT stdin-listener "$sock" "$T/bin/smtp" --lmtp --listen --max-per-source 1 \
		--max-sessions 3 3>&- &
	SSA=$!
	local i
	for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run $CLIENT hold "$sock" 4
	echo "$output"
	[ "$(grep -c '^[0-2]: 220 smtp.tttest.com LMTP' <<<"$output")" = 3 ]
	grep -qx '3: 421 4.3.2 smtp.tttest.com Too many sessions, try again later' <<<"$output"
	grep -q 'reject: connect from local: 421 too many sessions (--max-sessions)' "$T/log"
	kill "$SSA"
	wait "$SSA"
}

@test "listen: usage errors: no listening socket, a connection on fd 0, limits without --listen" {
	usage_error "$T/bin/smtp" --listen </dev/null
	grep -q 'cannot start: --listen: no listening socket: start it from a systemd socket unit with Accept=no, or with a listening socket on fd 0 (inetd wait)$' "$T/log"
	# fd 0 a connection, as inetd nowait or tcpserver give it.
	usage_error python3 -c 'import socket, os, sys
a, b = socket.socketpair()
os.dup2(a.fileno(), 0)
os.execv(sys.argv[1], sys.argv[1:])' "$T/bin/smtp" --listen
	grep -q 'cannot start: --listen: fd 0 is a connection, not a listening socket: leave --listen out (inetd nowait, tcpserver, Accept=yes), or pass a listening socket (Accept=no, inetd wait)$' "$T/log"
	usage_error "$T/bin/smtp" --max-per-source 3 </dev/null
	grep -q -- '--max-sessions, --max-per-source and --exec-sessions without --listen: .*add --listen, or leave them out$' "$T/log"
	usage_error "$T/bin/smtp" --listen --max-sessions 0 </dev/null
	grep -q -- '--max-sessions 0: not a number from 1 to 10000: give one in that range$' "$T/log"
	# On a terminal the same line goes to stderr as well (log_config_error()).
	run script -qec "$T/bin/smtp --max-sessions 5 </dev/null" /dev/null
	[[ "$output" == *"smtp-session: --max-sessions, --max-per-source and --exec-sessions without --listen"* ]]
}

@test "listen: systemd passed a connection (Accept=yes): a usage error with the fix" {
	grep -q '^WITH_SYSTEMD ?= 1$' "$TOP/Makefile" || skip "this build is WITH_SYSTEMD=0"
	PORT=$(free_port)
	systemd-socket-activate -a -l "127.0.0.1:$PORT" "$T/bin/smtp" --listen \
		</dev/null >"$T/ssa.log" 2>&1 3>&- &
	SSA=$!
	wait_port "$PORT"
	local i
	for i in $(seq 50); do grep -q 'Accept=yes' "$T/log" && break; sleep 0.1; done
	cat "$T/log"
	grep -q 'cannot start: --listen: systemd passed a connection (Accept=yes): set Accept=no in the socket unit, or leave --listen out' "$T/log"
}
