#!/usr/bin/env bats
# Delivery Status Notifications (issue 25): the DSN extension's parameters (RFC 3461:
# RET, ENVID, NOTIFY, ORCPT; RFC 6533's utf-8 ORCPT) from real clients (smtplib's
# mail and rcpt options: Debian's swaks 20201014 has no DSN options), the reports
# (RFC 3464 in RFC 6522's multipart/report) read with Python's email package, the
# parameters handed on to a private Postfix instance's sendmail (-N, -R, -V: postcat
# shows them in its queue file), and LMTP.  The transcript dsn-params.t has the
# replies to malformed parameters.

load helpers

setup_file() {
	setup_users
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
	make_report_relay
	printf 'fwd: x@remote.example\nmix: test, y@remote.example\n' >"$T/aliases"
	chmod 644 "$T/aliases"
	REC="$T/rec.sh -f {sender} --"
	RECDSN="$T/rec.sh -f {sender} {dsn} --"
	export REC RECDSN
}

teardown_file() {
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
	[ ! -e "$T/pf/spool/pid/master.pid" ] || sh "$TOP/tests/pfinst.sh" "$T/pf" stop 2>/dev/null ||
		true
	teardown_users
}

setup() {
	clear_maildirs
	rm -f "$T"/relay/run.*
}

teardown() {
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
	TS_PID=
}

MSG=$'Subject: the plan\nMessage-ID: <plan.1@example.org>\n\nbody line\n'

# smtplib against the server under tcpserver, with these server arguments: dsn ARGS --
# CLIENT-ARGS (dsnclient.py's: FROM 'MAIL-OPTIONS' 'RCPT OPTIONS'...).
dsn() {
	local server=()
	while [ "$1" != -- ]; do server+=("$1"); shift; done
	shift
	tcpserver_start "$T/bin/smtp" --aliases "$T/aliases" "${server[@]}"
	# tcpserver_start waits 10 s for the port; on a loaded machine it may need more.
	local i
	for i in $(seq 300); do [ -n "$PORT" ] && break; sleep 0.1; PORT=$(cat "$T/ts.port"); done
	run python3 "$TOP/tests/dsnclient.py" "$PORT" "$@" <<<"$MSG"
	kill "$TS_PID"
	TS_PID=
	echo "$output"
}

# The one report the relay command took, read by Python's email package.
report() {
	[ "$(reports | wc -l)" = 1 ] || { echo "reports: $(reports | wc -l)"; cat "$T/log"; false; }
	python3 "$TOP/tests/dsnreport.py" "$(reports)"
}

@test "NOTIFY=SUCCESS: one report for the message, a multipart/report Python's email package reads, with ENVID, ORCPT, Reporting-MTA and Arrival-Date" {
	dsn --relay-command "$REC" -- alice@example.org "RET=HDRS ENVID=QQ+2B314159" \
		"bob@tttest.com NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+40tttest.com" \
		"test@tttest.com NOTIFY=FAILURE" "john.doe@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "dsn offered" ]
	[[ "${lines[5]}" == "250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered bob | wc -l)$(delivered test | wc -l)$(delivered john.doe | wc -l)" = 111 ]
	# From <> to the sender (RFC 3461 6.2, RFC 5321 4.5.5).
	[ "$(tr '\0' ' ' <"$(reports | sed 's/msg$/argv/')")" = "-f  -- alice@example.org " ]
	run report
	echo "$output"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "type multipart/report report-type delivery-status" ]
	[ "${lines[1]}" = "to alice@example.org" ]
	[ "${lines[2]}" = "part text/plain" ]
	[ "${lines[3]}" = "part message/delivery-status" ]
	[ "${lines[4]}" = "message Original-Envelope-Id: QQ+314159" ]
	[ "${lines[5]}" = "message Reporting-MTA: dns; $HOST" ]
	[[ "${lines[6]}" == "message Arrival-Date: "*", "*" "*" "*" "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]" "[+-][0-9][0-9][0-9][0-9] ]]
	# Both SUCCESS recipients, test (FAILURE only) not; ORCPT decoded (RFC 3464 2.3.1).
	[ "${lines[7]}" = "recipient Original-Recipient: rfc822; Bob@tttest.com; Final-Recipient: rfc822; bob@tttest.com; Action: delivered; Status: 2.0.0" ]
	[ "${lines[8]}" = "recipient Final-Recipient: rfc822; john.doe@tttest.com; Action: delivered; Status: 2.0.0" ]
	# A success report quotes the header only (RFC 3461 4.3).
	[ "${lines[9]}" = "part text/rfc822-headers" ]
	[ "${lines[10]}" = "quoted headers Subject: the plan" ]
	grep -q 'delivery of 2 recipients reported to <alice@example.org> (NOTIFY=SUCCESS)' "$T/log"
}

@test "no NOTIFY=SUCCESS, no report; and none to the null sender, none about a report" {
	dsn --relay-command "$REC" -- alice@example.org "" "bob@tttest.com NOTIFY=FAILURE,DELAY" \
		"test@tttest.com"
	[ "$status" = 0 ]
	[ -z "$(reports)" ]
	dsn --relay-command "$REC" -- "" "" "bob@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ -z "$(reports)" ]
	MSG=$'Subject: a report\nContent-Type: multipart/report; report-type=delivery-status;\n\tboundary="b"\n\n--b--\n'
	dsn --relay-command "$REC" -- alice@example.org "" "bob@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[ "$(delivered bob | wc -l)" = 3 ]
	[ -z "$(reports)" ]
}

@test "a success report the relay command does not take: still delivered (250), logged" {
	dsn --relay-command "$T/tempfail.sh -f {sender} --" -- alice@example.org "" \
		"bob@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered bob | wc -l)" = 1 ]
	grep -q 'the success report to <alice@example.org> was not taken (the message is delivered)' "$T/log"
}

# A delivery in which bob's helper is stopped: his copy fails after the others', and
# the failure is reported (parent/report.c).
stopped_bob() {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		dsn --delivery-timeout 2 --relay-command "$REC" -- "$@"
}

@test "a failure after 250 with RET=FULL: the report quotes the whole message (message/rfc822), with ENVID, ORCPT and the status" {
	stopped_bob alice@example.org "RET=FULL ENVID=list-42" \
		"bob@tttest.com ORCPT=rfc822;bob@tttest.com" "test@tttest.com"
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	run report
	echo "$output"
	[ "${lines[4]}" = "message Original-Envelope-Id: list-42" ]
	[ "${lines[7]}" = "recipient Original-Recipient: rfc822; bob@tttest.com; Final-Recipient: rfc822; bob@tttest.com; Action: failed; Status: 4.3.0; Diagnostic-Code: X-Local; the mailbox's delivery did not finish in time or failed" ]
	[ "${lines[8]}" = "part message/rfc822" ]
	[ "${lines[9]}" = "quoted subject the plan" ]
	[ "${lines[10]}" = "quoted body body line" ]
}

@test "RET=FULL of a message over REPORT_FULL_MAX: its header only, and the report says so; RET=HDRS: the header" {
	MSG="Subject: the plan"$'\n\n'"$(head -c 60000 /dev/zero | tr '\0' x | fold -w 70)"
	stopped_bob alice@example.org "RET=FULL" "bob@tttest.com" "test@tttest.com"
	[ "$status" = 0 ]
	run report
	echo "$output"
	[[ "$output" == *"part text/rfc822-headers"* && "$output" != *"part message/rfc822"* ]]
	grep -q 'The message is over 50000 bytes: only its header is quoted below.' "$(reports)"
	rm -f "$T"/relay/run.*
	MSG=$'Subject: the plan\n\nshort\n'
	stopped_bob alice@example.org "RET=HDRS" "bob@tttest.com" "test@tttest.com"
	run report
	[[ "$output" == *"part text/rfc822-headers"* && "$output" != *"part message/rfc822"* ]]
	! grep -q '^short' "$(reports)" || false
}

@test "NOTIFY=NEVER, or SUCCESS without FAILURE: no failure report; the log says the copy is lost" {
	stopped_bob alice@example.org "" "bob@tttest.com NOTIFY=NEVER" "test@tttest.com"
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ -z "$(reports)" ]
	grep -q 'user=bob did not get it (.*); its NOTIFY asked for no report: that copy is lost' "$T/log"
	: >"$T/log"
	stopped_bob alice@example.org "" "bob@tttest.com NOTIFY=SUCCESS" "test@tttest.com"
	[ "$status" = 0 ]
	[ -z "$(reports)" ]	# not delivered: no success either
	grep -q 'its NOTIFY asked for no report' "$T/log"
}

@test "a forwarded recipient: {dsn} hands NOTIFY, RET and ENVID to the relay command as -N, -R and -V, and no 'relayed' report" {
	dsn --relay-command "$RECDSN" -- alice@example.org "RET=HDRS ENVID=id+20one" \
		"fwd@tttest.com NOTIFY=SUCCESS,DELAY ORCPT=rfc822;fwd@tttest.com"
	[ "$status" = 0 ]
	[ "$(reports | wc -l)" = 1 ]	# the message handed on; no report of ours
	[ "$(tr '\0' ' ' <"$(reports | sed 's/msg$/argv/')")" = "-f alice@example.org -N success,delay -R hdrs -V id one -- x@remote.example " ]
	rm -f "$T"/relay/run.*
	# Without parameters {dsn} is no word at all.
	dsn --relay-command "$RECDSN" -- alice@example.org "" "fwd@tttest.com"
	[ "$(tr '\0' ' ' <"$(reports | sed 's/msg$/argv/')")" = "-f alice@example.org -- x@remote.example " ]
}

@test "a relay command without {dsn}: NOTIFY=SUCCESS is answered with Action: relayed (RFC 3464 2.3.3), beside the delivered mailbox" {
	dsn --relay-command "$REC" -- alice@example.org "" "mix@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[ "$(reports | wc -l)" = 2 ]	# the forwarded copy, and the report
	local r
	r=$(grep -l '^Content-Type: multipart/report' $(reports))
	[ "$(tr '\0' ' ' <"${r%.msg}.argv")" = "-f  -- alice@example.org " ]
	run python3 "$TOP/tests/dsnreport.py" "$r"
	echo "$output"
	[ "${lines[6]}" = "recipient Final-Recipient: rfc822; mix@tttest.com; Action: delivered; Status: 2.0.0" ]
	[ "${lines[7]}" = "recipient Final-Recipient: rfc822; y@remote.example; Action: relayed; Status: 2.1.5" ]
}

@test "LMTP: LHLO offers DSN, the same parameters, a report per delivered recipient that asked" {
	dsn --lmtp --relay-command "$REC" -- --lmtp alice@example.org "ENVID=lmtp-1" \
		"bob@tttest.com NOTIFY=SUCCESS" "test@tttest.com NOTIFY=NEVER" \
		"nosuch@tttest.com NOTIFY=SUCCESS"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "dsn offered" ]
	[[ "${lines[4]}" == "550 5.1.1"* ]]
	[[ "${lines[6]}" == "250 2.0.0"* && "${lines[7]}" == "250 2.0.0"* ]]
	run report
	echo "$output"
	[ "${lines[4]}" = "message Original-Envelope-Id: lmtp-1" ]
	[ "${lines[7]}" = "recipient Final-Recipient: rfc822; bob@tttest.com; Action: delivered; Status: 2.0.0" ]
	[ "${#lines[@]}" = 10 ]
}

@test "a relayed recipient's NOTIFY, RET and ENVID reach a private Postfix instance's sendmail: postcat shows them in its queue file" {
	[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
	command -v postfix >/dev/null || skip "postfix is not installed (make check installs it as root)"
	PF=$T/pf
	# smtp deferred: the message stays in the queue for postcat.
	sh "$TOP/tests/pfinst.sh" "$PF" create "$(free_port)" "defer_transports = smtp" \
		"relayhost = [127.0.0.1]:9"
	sh "$TOP/tests/pfinst.sh" "$PF" start
	# The session in a mount namespace where sendmail -C $PF/etc works for every user
	# (pfsendmail.sh); the command runs as nobody.
	tcpserver_start sh "$TOP/tests/pfsendmail.sh" "$PF/etc" "$T/bin/smtp" --aliases "$T/aliases" \
		--relay-user nobody --relay-command "/usr/sbin/sendmail -C $PF/etc -i -f {sender} {dsn} --"
	run python3 "$TOP/tests/dsnclient.py" "$PORT" alice@example.org "RET=HDRS ENVID=QQ314159" \
		"fwd@tttest.com NOTIFY=SUCCESS,FAILURE" <<<"$MSG"
	kill "$TS_PID"
	TS_PID=
	echo "$output"
	[[ "${lines[3]}" == "250 2.0.0 Ok: queued as "* ]] || { cat "$T/log"; false; }
	local f i
	for i in $(seq 300); do
		f=$(find "$PF/spool/deferred" -type f | head -1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	run postcat -c "$PF/etc" -e "$f"
	sh "$TOP/tests/pfinst.sh" "$PF" stop
	echo "$output"
	# Postfix's values (src/global/dsn_mask.h): RET=HDRS is 2; NOTIFY SUCCESS 2 and
	# FAILURE 4.  ORCPT has no sendmail(1) option: Postfix records the argument.
	[[ "$output" == *"named_attribute: envelope_id=QQ314159"* ]]
	[[ "$output" == *"named_attribute: ret_flags=2"* ]]
	[[ "$output" == *"named_attribute: notify_flags=6"* ]]
	[[ "$output" == *"named_attribute: dsn_orig_rcpt=rfc822;x@remote.example"* ]]
	[[ "$output" == *"recipient: x@remote.example"* ]]
}

# A --relay-socket server (dsnserver.py) that offers DSN or not; its command lines in
# $T/sock.log.
sock_server() {
	rm -f "$T"/sock.log* "$T/relay.sock"
	python3 "$TOP/tests/dsnserver.py" "$T/relay.sock" "$T/sock.log" "$@" 3>&- &
	echo $! >"$T/sock.pid"
	local i
	for i in $(seq 100); do [ -S "$T/relay.sock" ] && break; sleep 0.1; done
}

@test "--relay-socket to a server that offers DSN: NOTIFY, RET and ENVID (as xtext) go on MAIL and RCPT; no 'relayed' report" {
	sock_server
	dsn --relay-socket "$T/relay.sock" --relay-command "$REC" -- alice@example.org \
		"RET=FULL ENVID=a+2Bb+20c" "fwd@tttest.com NOTIFY=SUCCESS,FAILURE"
	kill "$(cat "$T/sock.pid")"
	cat "$T/sock.log"
	[[ "${lines[3]}" == "250 2.0.0 Ok: queued as "* ]]
	grep -qx 'MAIL FROM:<alice@example.org> BODY=8BITMIME RET=FULL ENVID=a+2Bb+20c' "$T/sock.log"
	grep -qx 'RCPT TO:<x@remote.example> NOTIFY=SUCCESS,FAILURE' "$T/sock.log"
	[ -z "$(reports)" ]
}

@test "--relay-socket to a server without DSN: the message is taken, and NOTIFY=SUCCESS gets Action: relayed" {
	sock_server --no-dsn
	dsn --relay-socket "$T/relay.sock" --relay-command "$REC" -- alice@example.org \
		"ENVID=e1" "fwd@tttest.com NOTIFY=SUCCESS"
	kill "$(cat "$T/sock.pid")"
	cat "$T/sock.log"
	[[ "${lines[3]}" == "250 2.0.0 Ok: queued as "* ]]
	grep -qx 'MAIL FROM:<alice@example.org> BODY=8BITMIME' "$T/sock.log"
	grep -qx 'RCPT TO:<x@remote.example>' "$T/sock.log"
	grep -q 'relay to=<x@remote.example> .* queued (exit 9: taken, without DSN parameters)' "$T/log"
	# The report goes the same way, from <>: the server's second message.
	grep -qx 'MAIL FROM:<> BODY=8BITMIME' "$T/sock.log"
	run python3 "$TOP/tests/dsnreport.py" "$T/sock.log.2.msg"
	echo "$output"
	[ "${lines[4]}" = "message Original-Envelope-Id: e1" ]
	[ "${lines[7]}" = "recipient Final-Recipient: rfc822; x@remote.example; Action: relayed; Status: 2.1.5" ]
}
