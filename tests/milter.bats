#!/usr/bin/env bats
# Mail filters (--milter, the Sendmail milter protocol version 6; issue 24), against
# tests/testmilter.py, a small milter whose answer at each step is set on its command
# line and which logs what it received (the packets and their macros): every protocol
# step, every verdict and modification, and every failure (unreachable, timeout,
# garbage, disconnect mid-message), with DATA, BDAT, LMTP, PROXY and pipelining.
# rspamd and OpenDKIM are in milter-real.bats.

load helpers

setup_file() {
	setup_users
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
}
teardown_file() { teardown_users; }
setup() { clear_maildirs; MILTER_PIDS=(); }
teardown() {
	local p
	for p in "${MILTER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
}

# start_milter NAME [testmilter options]: on $T/NAME.sock, logging to $T/NAME.log.
start_milter() {
	local name=$1
	shift
	rm -f "$T/$name.sock" "$T/$name.log"
	python3 "$TOP/tests/testmilter.py" --unix "$T/$name.sock" --log "$T/$name.log" "$@" &
	MILTER_PIDS+=($!)
	local i
	for i in $(seq 100); do [ -S "$T/$name.sock" ] && return 0; sleep 0.05; done
	return 1
}

# The steps the milter NAME saw, in order, one letter each.
steps() { python3 -c 'import json,sys; print("".join(json.loads(l)["cmd"] for l in open(sys.argv[1])))' "$T/$1.log"; }
# Who the session process is: the privsep user as root, else (single-user mode) us.
session_uid() { if [ "$(id -u)" = 0 ]; then uid smtp-session; else id -u; fi; }
# The JSON record of the first step CMD (a letter) that milter NAME saw.
record() { python3 -c 'import json,sys; print(json.dumps(next(r for r in map(json.loads, open(sys.argv[1])) if r["cmd"] == sys.argv[2])))' "$T/$1.log" "$2"; }
# Field PATH (python subscripts) of that record.
field() { python3 -c 'import json,sys; r=next(r for r in map(json.loads, open(sys.argv[1])) if r["cmd"] == sys.argv[2]); print(eval("r" + sys.argv[3]))' "$T/$1.log" "$2" "$3"; }

msg=(DATA "From: a@example.org" "Subject: milter test" "X-Drop: me" "" "hello" "world" .)
# A session through the wrapper with the options in MOPTS (the milters).
msession() { printf '%s\r\n' "$@" | "$T/bin/smtp" "${MOPTS[@]}"; }
mail_to_test() {
	msession "EHLO client.example.org" "MAIL FROM:<a@example.org> SIZE=100" \
		"RCPT TO:<test@tttest.com>" "${msg[@]}" QUIT
}
# Wait until the milter's log shows the session's end (QUIT or the closed socket).
settled() { local i; for i in $(seq 50); do grep -q '"cmd": "[Q-]"' "$T/$1.log" 2>/dev/null && return 0; sleep 0.1; done; }

@test "every step reaches the milter in order, with the macros the common milters read" {
	start_milter m
	tcpserver_start "$T/bin/smtp" --milter "unix:$T/m.sock"
	run python3 - "$PORT" <<-'EOF'
		import smtplib, sys
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
		s.ehlo("client.example.org")
		s.sendmail("a@example.org", ["test@tttest.com"], "From: a@example.org\r\nSubject: hi\r\n\r\nbody line\r\n")
		print(s.noop()); s.quit()
	EOF
	settled m
	[ "$(steps m)" = "+OCHMRTLLNBEQ" ]
	# The session process's user (the privsep user), never root, holds the socket.
	[ "$(field m + '["uid"]')" = "$(session_uid)" ]
	[ "$(field m O '["data"][0]')" = 6 ]
	[ "$(field m C '["data"]')" = "['[127.0.0.1]', '4', $(field m C '["macros"]["{client_port}"]'), '127.0.0.1']" ]
	[ "$(field m C '["macros"]["j"]')" = smtp.tttest.com ]
	[ "$(field m C '["macros"]["{daemon_name}"]')" = smtp.tttest.com ]
	[ "$(field m C '["macros"]["{client_addr}"]')" = 127.0.0.1 ]
	[ "$(field m C '["macros"]["_"]')" = "unknown [127.0.0.1]" ]
	[ "$(field m H '["data"]')" = "['client.example.org']" ]
	[ "$(field m M '["data"][0]')" = "<a@example.org>" ]
	[ "$(field m M '["macros"]["{mail_addr}"]')" = a@example.org ]
	[ "$(field m R '["data"]')" = "['<test@tttest.com>']" ]
	[ "$(field m R '["macros"]["{rcpt_addr}"]')" = test@tttest.com ]
	[ "$(field m L '["data"]')" = "['From', 'a@example.org']" ]
	[ "$(field m B '["data"].encode()')" = "b'body line\\r\\n'" ]
	local id
	id=$(field m E '["macros"]["i"]')
	[ -n "$id" ] && [ "$(field m T '["macros"]["i"]')" = "$id" ]
	grep -q "id $id" "$(delivered test)"
}

@test "MAIL refused: the milter's 550; DATA tempfailed: 451; RCPT's reply code refuses that recipient only" {
	start_milter m --on mail=reject
	MOPTS=(--milter "unix:$T/m.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n550 5.7.1 Command rejected\r'* ]]
	[ -z "$(delivered test)" ]
	start_milter d --on data=tempfail
	MOPTS=(--milter "unix:$T/d.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.7.1 Service unavailable, try again later\r'* ]]
	[ -z "$(delivered test)" ]
	start_milter r --reject-rcpt alice
	MOPTS=(--milter "unix:$T/r.sock")
	run msession "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<alice@tttest.com>" \
		"RCPT TO:<test@tttest.com>" "${msg[@]}" QUIT
	echo "$output"
	[[ "$output" == *$'\r\n550 5.1.1 <alice@tttest.com> filtered\r\n250 2.1.5 Ok\r\n'* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	[ -n "$(delivered test)" ] && [ -z "$(delivered alice)" ]
}

@test "end of message: headers added, inserted at the top, changed and deleted are in the stored message" {
	start_milter m --on "eom=insert:0:Authentication-Results:smtp.tttest.com; dkim=none" \
		--on "eom=add:X-Spam:no" --on "eom=change:1:Subject:changed" \
		--on "eom=change:1:X-Drop:" --on "eom=add:X-Folded:one"$'\n'"two"
	MOPTS=(--milter "unix:$T/m.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	local f
	f=$(delivered test)
	cat "$f"
	# Our trace fields, then the message's header as the milter made it, then the body.
	diff <(sed -n '/^Authentication-Results/,$p' "$f") <(printf '%s\n' \
		"Authentication-Results: smtp.tttest.com; dkim=none" "From: a@example.org" \
		"Subject: changed" "X-Spam: no" "X-Folded: one" $'\ttwo' "" hello world)
	[ "$(sed -n 1p "$f")" = "Return-Path: <a@example.org>" ]
	# A message without a header: the field added gets its empty line before the body.
	clear_maildirs
	start_milter n --on "eom=add:X-Added:yes"
	MOPTS=(--milter "unix:$T/n.sock")
	run msession "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" DATA \
		"no header here" "second line" . QUIT
	diff <(sed -n '/^X-Added/,$p' "$(delivered test)") <(printf '%s\n' "X-Added: yes" "" \
		"no header here" "second line")
}

@test "header changes with the spool in \$TMPDIR: the changed message is spooled there too, not in a memfd; nothing is left there" {
	mkdir -p "$T/spooldir"
	chmod 1777 "$T/spooldir"	# the session process (the privsep user) opens it
	start_milter m --on "eom=add:X-Spooled:disk"
	MOPTS=(--milter "unix:$T/m.sock")
	# No memfd for a spool (tests/fault.c): without TMPDIR no message can be taken.
	unset TMPDIR
	export EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=memfd_create FAULT_PATH=smtp-session-spool
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.3.0 Local error, try again later\r'* ]]
	[ -z "$(delivered test)" ]
	# With TMPDIR (session/spool.c): the message and the milter's rewrite of it are
	# both on the disk.  Two messages in one session, the first the longer, so that a
	# spool reused without being emptied would show in the second.
	start_milter n --on "eom=add:X-Spooled:disk"
	MOPTS=(--milter "unix:$T/n.sock")
	local long
	mapfile -t long < <(printf 'line %04d of the first message\n' $(seq 200))
	export TMPDIR=$T/spooldir
	run msession "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" DATA \
		"Subject: one" "" "${long[@]}" . \
		"MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" DATA "Subject: two" "" \
		"short" . QUIT
	unset TMPDIR
	echo "$output"
	[ "$(grep -c "250 2.0.0 Ok: delivered as" <<<"$output")" = 2 ]
	local one two
	one=$(grep -l "^Subject: one$" $(delivered test))
	two=$(grep -l "^Subject: two$" $(delivered test))
	diff <(sed -n '/^Subject/,$p' "$one") <(printf '%s\n' "Subject: one" "X-Spooled: disk" "" "${long[@]}")
	diff <(sed -n '/^Subject/,$p' "$two") <(printf '%s\n' "Subject: two" "X-Spooled: disk" "" short)
	[ -z "$(ls -A "$T/spooldir")" ]
	[ -z "$(leftovers test)" ]
}

@test "end of message: the milter's reply code, tempfail, discard (250, nothing delivered, logged), quarantine" {
	start_milter a --on "eom=reply:554 5.7.0 Spam detected"
	MOPTS=(--milter "unix:$T/a.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n554 5.7.0 Spam detected\r'* ]]
	settled a
	[ "$(steps a)" = "+OCHMRTLLLNBEAQ" ]	# ABORT after the refused end
	start_milter b --on eom=tempfail
	MOPTS=(--milter "unix:$T/b.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.7.1 Service unavailable, try again later\r'* ]]
	start_milter c --on eom=discard
	MOPTS=(--milter "unix:$T/c.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n250 2.0.0 Ok: '* ]]
	[[ "$output" != *"delivered as"* ]]
	grep -q "discarded by a milter, not delivered" "$T/log"
	[ -z "$(delivered test)" ]
	[ -z "$(leftovers test)" ]
	start_milter q --on "eom=quarantine:looks odd"
	MOPTS=(--milter "unix:$T/q.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	grep -q "^X-Quarantine: looks odd$" "$(delivered test)"
}

@test "a milter's reply never leaves the SMTP grammar: only 4xx/5xx, printable text, its own lines" {
	start_milter a --on "eom=reply:250 2.0.0 all fine"
	MOPTS=(--milter "unix:$T/a.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.7.1 Mail filter unavailable, try again later\r'* ]]
	grep -q "milter unix:$T/a.sock: malformed reply code: default action tempfail" "$T/log"
	start_milter b --on "eom=reply:550-5.7.1 first"$'\r\n'"550 5.7.1 second"$'\x1b'"[2J"
	MOPTS=(--milter "unix:$T/b.sock")
	run mail_to_test
	echo "$output"
	[[ "$output" == *$'\r\n550-5.7.1 first\r\n550 5.7.1 second?[2J\r\n221 '* ]]
	start_milter c --on "eom=reply:550 5.7.1 x"$'\r\n'"250 2.0.0 injected"
	MOPTS=(--milter "unix:$T/c.sock")
	run mail_to_test
	[[ "$output" != *"250 2.0.0 injected"* ]]
	[[ "$output" == *$'\r\n451 4.7.1 Mail filter unavailable'* ]]
	[ -z "$(delivered test)" ]
}

@test "an unreachable milter: 451 at MAIL and nothing delivered; accept or reject as --milter-default-action says" {
	MOPTS=(--milter "unix:$T/nobody-here.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.7.1 Mail filter unavailable, try again later\r'* ]]
	[ -z "$(delivered test)" ]
	grep -q "milter unix:$T/nobody-here.sock: cannot connect: No such file or directory: default action tempfail" "$T/log"
	MOPTS=(--milter "inet:127.0.0.1:$(free_port)" --milter-default-action reject)
	run mail_to_test
	[[ "$output" == *$'\r\n550 5.7.1 Mail filter failed, message refused\r'* ]]
	[ -z "$(delivered test)" ]
	MOPTS=(--milter "unix:$T/nobody-here.sock" --milter-default-action accept)
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
}

@test "failures mid-session: a timeout, garbage, a huge length, a disconnect in the body, a change not negotiated: 451, nothing delivered" {
	local case
	for case in "eom=sleep:5" "rcpt=garbage" "helo=biglen" "body=close" "eom=chgfrom:<x@y>" "data=close"; do
		start_milter m --on "$case"
		MOPTS=(--milter "unix:$T/m.sock" --milter-timeout 1)
		SECONDS=0
		run mail_to_test
		echo "$case: $output"
		[ "$SECONDS" -lt 5 ]
		[[ "$output" == *$'\r\n451 4.7.1 Mail filter unavailable, try again later\r'* ]]
		[ -z "$(delivered test)" ]
		[ -z "$(leftovers test)" ]
	done
	grep -q "timeout waiting for a reply: default action tempfail" "$T/log"
	grep -q "bad packet length" "$T/log"
	grep -q "connection closed" "$T/log"
	grep -q "unexpected reply 'e'" "$T/log"
}

@test "negotiated steps: no headers and no body when asked, no-reply flags, SKIP ends the body" {
	start_milter m --proto 30	# SMFIP_NOBODY | SMFIP_NOHDRS
	MOPTS=(--milter "unix:$T/m.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled m
	[ "$(steps m)" = "+OCHMRTNEQ" ]
	# no reply to connect, HELO, MAIL, RCPT, DATA, headers, EOH, body: only EOM answers
	start_milter n --proto ff080
	MOPTS=(--milter "unix:$T/n.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled n
	[ "$(steps n)" = "+OCHMRTLLLNBEQ" ]
	# A body of three chunks; SKIP after the first.
	start_milter s --proto 400 --on body=skip
	MOPTS=(--milter "unix:$T/s.sock")
	python3 -c 'print("Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 2500, end="")' >"$T/big"
	run python3 - "$T/big" "$T/bin/smtp" --milter "unix:$T/s.sock" <<-'EOF2'
		import subprocess, sys
		body = open(sys.argv[1], "rb").read()
		lines = b"EHLO h\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@tttest.com>\r\nDATA\r\n" + body + b".\r\nQUIT\r\n"
		print(subprocess.run(sys.argv[2:], input=lines, capture_output=True).stdout.decode())
	EOF2
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled s
	[ "$(steps s)" = "+OCHMRTLNBEQ" ]
}

@test "RSET and a message we refuse ourselves abort the milter's transaction; accept at connect ends its steps" {
	start_milter m
	MOPTS=(--milter "unix:$T/m.sock")
	run msession "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" RSET \
		"MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" "${msg[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled m
	[ "$(steps m)" = "+OCHMRAMRTLLLNBEQ" ]
	# A message we refuse ourselves (over --max-size) never reaches the end: ABORT.
	start_milter big
	MOPTS=(--milter "unix:$T/big.sock" --max-size 20)
	run msession "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" "${msg[@]}" QUIT
	[[ "$output" == *$'\r\n552 5.3.4 '* ]]
	settled big
	[ "$(steps big)" = "+OCHMRTAQ" ]
	start_milter a --on connect=accept
	MOPTS=(--milter "unix:$T/a.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled a
	[ "$(steps a)" = "+OCQ" ]
	clear_maildirs
	# refused at connect: MAIL gets the milter's reply; HELO is still answered
	start_milter r --on "connect=reply:554 5.7.1 go away"
	MOPTS=(--milter "unix:$T/r.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n554 5.7.1 go away\r'* ]]
	[ -z "$(delivered test)" ]
}

@test "two milters in the order given: the first's refusal stops the second; both change the message" {
	start_milter one --on "eom=add:X-One:1"
	start_milter two --on "eom=add:X-Two:2"
	MOPTS=(--milter "unix:$T/one.sock" --milter "unix:$T/two.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	[ "$(grep -n '^X-' "$(delivered test)" | cut -d: -f2 | tr '\n' ' ')" = "X-Drop X-One X-Two " ]
	clear_maildirs
	start_milter r1 --on mail=reject
	start_milter r2
	MOPTS=(--milter "unix:$T/r1.sock" --milter "unix:$T/r2.sock")
	run mail_to_test
	[[ "$output" == *$'\r\n550 5.7.1 Command rejected\r'* ]]
	settled r2
	[ "$(steps r2)" = "+OCHQ" ]
}

@test "BDAT with a milter: the header changes are stored; a refusal at the first chunk" {
	start_milter m --on "eom=add:X-Bdat:yes"
	MOPTS=(--milter "unix:$T/m.sock")
	run python3 - "$T/bin/smtp" --milter "unix:$T/m.sock" <<-'EOF2'
		import subprocess, sys
		m = b"Subject: chunks\r\n\r\nhello\r\n"
		lines = b"EHLO h\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@tttest.com>\r\nBDAT 10\r\n" + m[:10] + b"BDAT %d LAST\r\n" % (len(m) - 10) + m[10:] + b"QUIT\r\n"
		print(subprocess.run(sys.argv[1:], input=lines, capture_output=True).stdout.decode())
	EOF2
	echo "$output"
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	grep -q "^X-Bdat: yes$" "$(delivered test)"
	clear_maildirs
	start_milter d --on "data=reply:550 5.7.1 no chunks"
	run python3 - "$T/bin/smtp" --milter "unix:$T/d.sock" <<-'EOF2'
		import subprocess, sys
		lines = b"EHLO h\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@tttest.com>\r\nBDAT 5 LAST\r\nhello" + b"NOOP\r\nQUIT\r\n"
		print(subprocess.run(sys.argv[1:], input=lines, capture_output=True).stdout.decode())
	EOF2
	echo "$output"
	[[ "$output" == *$'\r\n550 5.7.1 no chunks\r\n250 2.0.0 Ok\r\n'* ]]
	[ -z "$(delivered test)" ]
}

@test "LMTP with a milter: its verdict is each recipient's reply; its headers are stored; a discard is logged once" {
	start_milter m --on "eom=reply:550 5.7.1 spam"
	run bash -c "printf '%s\r\n' 'LHLO h' 'MAIL FROM:<a@example.org>' 'RCPT TO:<test@tttest.com>' 'RCPT TO:<alice@tttest.com>' DATA 'Subject: x' '' hi . QUIT | '$T/bin/smtp' --lmtp --milter unix:$T/m.sock"
	echo "$output"
	[[ "$output" == *$'\r\n550 5.7.1 <test@tttest.com>: spam\r\n550 5.7.1 <alice@tttest.com>: spam\r\n'* ]]
	[ -z "$(delivered test)" ]
	start_milter a --on "eom=add:X-Lmtp:yes"
	run bash -c "printf '%s\r\n' 'LHLO h' 'MAIL FROM:<a@example.org>' 'RCPT TO:<test@tttest.com>' 'RCPT TO:<alice@tttest.com>' DATA 'Subject: x' '' hi . QUIT | '$T/bin/smtp' --lmtp --milter unix:$T/a.sock"
	[[ "$output" == *"250 2.0.0 <alice@tttest.com>: Ok: delivered as"* ]]
	grep -q "^X-Lmtp: yes$" "$(delivered test)"
	grep -q "^X-Lmtp: yes$" "$(delivered alice)"
	# A discard: 250 for each recipient, nothing delivered, the one log line SMTP
	# writes (deliver.c), and the message counted in the summary.
	clear_maildirs
	: >"$T/log"
	start_milter d --on eom=discard
	run bash -c "printf '%s\r\n' 'LHLO h' 'MAIL FROM:<a@example.org>' 'RCPT TO:<test@tttest.com>' 'RCPT TO:<alice@tttest.com>' DATA 'Subject: x' '' hi . QUIT | '$T/bin/smtp' --lmtp --milter unix:$T/d.sock"
	echo "$output"
	[[ "$output" == *$'\r\n250 2.0.0 <test@tttest.com>: Ok: '*$'\r\n250 2.0.0 <alice@tttest.com>: Ok: '* ]]
	[[ "$output" != *"delivered as"* ]]
	[ -z "$(delivered test)" ] && [ -z "$(delivered alice)" ]
	cat "$T/log"
	[ "$(grep -c "discarded by a milter, not delivered" "$T/log")" = 1 ]
	grep -q "disconnect from .* messages=1 " "$T/log"
}

@test "behind a PROXY header the milter sees the real client; inet: sockets work" {
	rm -f "$T/m.log" "$T/m.port"
	python3 "$TOP/tests/testmilter.py" --port-file "$T/m.port" --log "$T/m.log" &
	MILTER_PIDS+=($!)
	local i
	for i in $(seq 100); do [ -s "$T/m.port" ] && break; sleep 0.05; done
	tcpserver_start "$T/bin/smtp" --proxy --milter "inet:127.0.0.1:$(cat "$T/m.port")"
	run python3 "$TOP/tests/proxyclient.py" "$PORT" "v1:PROXY TCP4 192.0.2.7 192.0.2.1 5555 25" \
		"EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" DATA "Subject: p" "" hi . QUIT
	echo "$output"
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled m
	[ "$(field m C '["macros"]["{client_addr}"]')" = 192.0.2.7 ]
	[ "$(field m C '["data"][3]')" = 192.0.2.7 ]
	# An inet: milter too is connected to as the privsep user, never as root.
	[ "$(field m + '["uid"]')" = "$(session_uid)" ]
}

@test "usage errors: a bad socket, a fifth milter, a bad action or timeout" {
	run "$T/bin/smtp" --milter foo </dev/null
	[ "$status" = 100 ]
	grep -q -- "--milter foo: not unix:/PATH, inet:HOST:PORT or inet6:HOST:PORT" "$T/log"
	run "$T/bin/smtp" --milter unix:relative </dev/null
	[ "$status" = 100 ]
	run "$T/bin/smtp" --milter unix:/a --milter unix:/b --milter unix:/c --milter unix:/d --milter unix:/e </dev/null
	[ "$status" = 100 ]
	grep -q -- "--milter: more than 4" "$T/log"
	run "$T/bin/smtp" --milter-default-action maybe </dev/null
	[ "$status" = 100 ]
	run "$T/bin/smtp" --milter-timeout 0 </dev/null
	[ "$status" = 100 ]
}

@test "a socket the privsep user reaches only through a supplementary group (Debian's OpenDKIM: adduser smtp-session opendkim)" {
	[ "$(id -u)" = 0 ] || skip "as root only: ownership"
	local gid=$((PRIVSEP_UID + 9))
	grep -q "^milt:" "$T/group" || echo "milt:x:$gid:smtp-session" >>"$T/group"
	mkdir -p "$T/run"
	start_milter run/g --on "eom=add:X-Group:yes"
	chown "root:$gid" "$T/run" "$T/run/g.sock"
	chmod 750 "$T/run"
	chmod 660 "$T/run/g.sock"
	MOPTS=(--milter "unix:$T/run/g.sock")
	run mail_to_test
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	grep -q "^X-Group: yes$" "$(delivered test)"
	# Without the group: refused by the socket's permissions, so the default action.
	sed -i '/^milt:/d' "$T/group"
	clear_maildirs
	run mail_to_test
	[[ "$output" == *$'\r\n451 4.7.1 Mail filter unavailable'* ]]
	grep -q "cannot connect: Permission denied" "$T/log"
}

@test "STARTTLS: the milter hears HELO again after the handshake, and {tls_version} and {cipher}" {
	mkdir -p "$T/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls/k.pem" -out "$T/tls/c.pem" \
		-days 30 -subj /CN=smtp.tttest.com 2>/dev/null
	chmod 600 "$T/tls/k.pem"
	start_milter m
	tcpserver_start "$T/bin/smtp" --tls-cert "$T/tls/c.pem" --tls-key "$T/tls/k.pem" \
		--milter "unix:$T/m.sock"
	run python3 - "$PORT" <<-'EOF2'
		import smtplib, ssl, sys
		c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
		s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
		s.starttls(context=c)
		s.sendmail("a@example.org", ["test@tttest.com"], "Subject: tls\r\n\r\nbody\r\n")
		s.quit()
	EOF2
	echo "$output"
	settled m
	[ "$(steps m)" = "+OCHHMRTLNBEQ" ]
	[[ "$(field m M '["macros"]["{tls_version}"]')" == TLS* ]]
	[ -n "$(field m M '["macros"]["{cipher}"]')" ]
	[ -n "$(delivered test)" ]
}

@test "SMTPUTF8: the milter gets the UTF-8 paths and the MAIL parameters as they came" {
	start_milter m
	MOPTS=(--milter "unix:$T/m.sock")
	local u="j$(printf '\303\274')rgen"
	run msession "EHLO h" "MAIL FROM:<$u@example.org> SMTPUTF8 BODY=8BITMIME" "RCPT TO:<$u@tttest.com>" \
		DATA "Subject: utf8" "" "gr$(printf '\303\274')n" . QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled m
	[ "$(field m M '["data"]')" = "['<$u@example.org>', 'SMTPUTF8', 'BODY=8BITMIME']" ]
	[ "$(field m R '["data"]')" = "['<$u@tttest.com>']" ]
}

@test "AUTH: the milter gets {auth_type} and {auth_authen} with MAIL" {
	local mods
	mods=$(pkg-config --variable=modules pam_wrapper 2>/dev/null || true)
	: "${mods:=/usr/lib/x86_64-linux-gnu/pam_wrapper}"
	[ -e "$mods/pam_matrix.so" ] || skip "pam_wrapper's modules are not installed"
	mkdir -p "$T/pam"
	echo "alice:secret:smtp" >"$T/passdb.smtp"
	printf 'auth required %s/pam_matrix.so passdb=%s\naccount required %s/pam_matrix.so passdb=%s\n' \
		"$mods" "$T/passdb.smtp" "$mods" "$T/passdb.smtp" >"$T/pam/smtp"
	make_server_wrapper smtp-pam libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam"
	start_milter m
	run bash -c "printf '%s\r\n' 'EHLO h' 'AUTH PLAIN AGFsaWNlAHNlY3JldA==' 'MAIL FROM:<alice@tttest.com>' \
		'RCPT TO:<test@tttest.com>' DATA 'Subject: auth' '' hi . QUIT | '$T/bin/smtp-pam' --auth always --milter unix:$T/m.sock"
	echo "$output"
	[[ "$output" == *"235 2.7.0 Authentication successful"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	settled m
	[ "$(field m M '["macros"]["{auth_authen}"]')" = alice ]
	[ "$(field m M '["macros"]["{auth_type}"]')" = PLAIN ]
}
