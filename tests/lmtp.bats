#!/usr/bin/env bats
# LMTP (--lmtp, RFC 2033): LHLO instead of HELO/EHLO, no SEND/SOML/SAML, and after
# the message one reply per accepted recipient, in RCPT order, each saying whether
# that recipient's mailbox has it.  Over a pipe, over a Unix socket (as lmtp.socket),
# and with a real Postfix instance handing its mail over (local_transport = lmtp:...).

load helpers

setup_file() {
	setup_users
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
}
teardown_file() { teardown_users; }
setup() { clear_maildirs; }
teardown() {
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
	[ -z "${PF:-}" ] || sh "$TOP/tests/pfinst.sh" "$PF" stop 2>/dev/null || true
}

lmtp() { printf '%s\r\n' "$@" | "$T/bin/smtp" --lmtp; }

@test "LHLO, not HELO or EHLO; no SEND, SOML or SAML; Received says LMTP" {
	run lmtp "HELO h" "EHLO h" "LHLO client.example.org" "SEND FROM:<a@example.org>" \
		"SOML FROM:<a@example.org>" "SAML FROM:<a@example.org>" "MAIL FROM:<a@example.org>" \
		"RCPT TO:<test@tttest.com>" DATA "Subject: lmtp" "" hi . QUIT
	[ "$(sed -n 1p <<<"$output")" = $'220 smtp.tttest.com LMTP\r' ]
	[ "$(grep -c '^500 .*Command unrecognized' <<<"$output")" = 5 ]
	[[ "$output" == *"250-PIPELINING"* ]]
	[[ "$output" != *"250-SEND"* ]]
	[[ "$output" == *"250 2.0.0 <test@tttest.com>: Ok: delivered as "* ]]
	grep -q '^	by smtp.tttest.com (smtp-session) with LMTP id ' "$(delivered test)"
}

@test "one reply per recipient, in RCPT order: a failed delivery costs only its own copy" {
	mkdir -p "$T/home/alice"
	: >"$T/home/alice/Maildir"	# a file where the Maildir should be: refused at RCPT
	# bob's disk is full when his copy is synced: only the delivery can tell.
	run env EXTRA_PRELOAD="$T/libfault.so" FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=ENOSPC \
		"$T/bin/smtp" --lmtp < <(printf '%s\r\n' "LHLO h" "MAIL FROM:<a@example.org>" \
		"RCPT TO:<test@tttest.com>" "RCPT TO:<nosuchuser@tttest.com>" \
		"RCPT TO:<alice@tttest.com>" "RCPT TO:<bob@tttest.com>" "RCPT TO:<john.doe@tttest.com>" \
		"RCPT TO:<TEST@localhost>" DATA "Subject: lmtp" "" hi . QUIT)
	[[ "$output" == *"450 4.2.0 <alice@tttest.com>: "* ]]
	local replies
	replies=$(sed -n '/^354 /,/^221 /p' <<<"$output" | sed '1d;$d' | tr -d '\r')
	echo "$replies"
	[[ "$(sed -n 1p <<<"$replies")" == "250 2.0.0 <test@tttest.com>: Ok: delivered as "* ]]
	[ "$(sed -n 2p <<<"$replies")" = "452 4.3.1 <bob@tttest.com>: Insufficient system storage, try again later" ]
	[[ "$(sed -n 3p <<<"$replies")" == "250 2.0.0 <john.doe@tttest.com>: Ok: delivered as "* ]]
	# The same user by a second address: one copy, and its own reply.
	[[ "$(sed -n 4p <<<"$replies")" == "250 2.0.0 <TEST@localhost>: Ok: delivered as "* ]]
	[ "$(wc -l <<<"$replies")" = 4 ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered john.doe | wc -l)" = 1 ]
	[ -z "$(delivered bob)" ]
	[ -z "$(leftovers bob)" ]
}

@test "BDAT LAST also gets one reply per recipient; a refused message, each recipient's refusal" {
	run lmtp "LHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" "BDAT 12 LAST" "Subject: x" QUIT
	[ "$(grep -c '^250 2.0.0 <.*>: Ok: delivered as ' <<<"$output")" = 2 ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	run "$T/bin/smtp" --lmtp --max-size 100 < <(printf '%s\r\n' "LHLO h" \
		"MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" "RCPT TO:<bob@tttest.com>" \
		DATA "$(printf 'x%.0s' $(seq 300))" . QUIT)
	[ "$(grep -c '^552 5.3.4 <.*>: Message size exceeds fixed maximum message size' <<<"$output")" = 2 ]
}

@test "over a Unix socket, as lmtp.socket runs it (systemd-socket-activate --inetd)" {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	systemd-socket-activate -l "$T/lmtp.sock" --inetd -a "$T/bin/smtp" --lmtp 2>"$T/ssa.log" &
	local pid=$! i
	for i in $(seq 100); do [ -S "$T/lmtp.sock" ] && break; sleep 0.1; done
	run python3 - "$T/lmtp.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"LHLO h\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@tttest.com>\r\n"
          b"DATA\r\nSubject: unix\r\n\r\nhi\r\n.\r\nQUIT\r\n")
s.shutdown(socket.SHUT_WR)
print(s.makefile("rb").read().decode())
PY
	kill "$pid"
	[[ "$output" == *"250 2.0.0 <test@tttest.com>: Ok: delivered as "* ]]
	[ "$(delivered test | wc -l)" = 1 ]
}

@test "Postfix hands its mail over by LMTP: two delivered, the broken Maildir deferred, then delivered" {
	[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
	command -v postfix >/dev/null || skip "postfix is not installed (make check installs it as root)"
	tcpserver_start "$T/bin/smtp" --lmtp
	PF=$T/pf
	local pf=$PF lport=$PORT
	sh "$TOP/tests/pfinst.sh" "$pf" create "$(free_port)" 'mydestination = localhost' \
		"local_transport = lmtp:inet:127.0.0.1:$lport"
	sh "$TOP/tests/pfinst.sh" "$pf" start
	mkdir -p "$T/home/bob"
	: >"$T/home/bob/Maildir"	# broken
	printf 'Subject: via postfix lmtp\n\nhello\n' |
		/usr/sbin/sendmail -C "$pf/etc" -i -f sender@example.org -- \
		test@localhost alice@localhost bob@localhost
	# bob's RCPT is refused (450) before the message is sent for the others: wait for
	# all three outcomes, not only the first one logged.
	local i
	for i in $(seq 300); do
		grep -q 'to=<bob@localhost>.*status=deferred' "$pf/log/maillog" &&
			grep -q 'to=<test@localhost>.*status=sent' "$pf/log/maillog" &&
			grep -q 'to=<alice@localhost>.*status=sent' "$pf/log/maillog" && break
		sleep 0.1
	done
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	grep -q 'to=<test@localhost>.*relay=127.0.0.1.*status=sent (250 2.0.0 <test@localhost>: Ok: delivered' "$pf/log/maillog"
	grep -q 'to=<bob@localhost>.*status=deferred' "$pf/log/maillog" || { cat "$pf/log/maillog"; false; }
	# Mended, and retried: Postfix delivers the third copy.
	rm "$T/home/bob/Maildir"
	postqueue -c "$pf/etc" -f
	local ok=0
	sh "$TOP/tests/pfinst.sh" "$pf" drain 30 || ok=$?
	[ "$ok" = 0 ] || { cat "$pf/log/maillog"; false; }
	[ "$(delivered bob | wc -l)" = 1 ]
	grep -q '^Subject: via postfix lmtp' "$(delivered bob)"
	grep -q 'with LMTP id' "$(delivered bob)"
	[ "$(delivered test | wc -l)" = 1 ]	# no second copy for the others
}
