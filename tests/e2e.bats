#!/usr/bin/env bats
# End to end: smtp-session behind a real one-process-per-connection listener on a free
# loopback port (tcpserver, and systemd-socket-activate --inetd), driven by real
# clients: swaks, Python's smtplib and curl.

load helpers

setup_file() {
	setup_users
	# tcpserver picks a free port itself (port 0) and prints it (-1).
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp" >"$T/ts.port" 2>"$T/ts.log" 3>&- &
	echo $! >"$T/ts.pid"
	local i
	for i in $(seq 50); do [ -s "$T/ts.port" ] && break; sleep 0.1; done
	PORT=$(head -1 "$T/ts.port")
	export PORT
}

teardown_file() {
	kill "$(cat "$T/ts.pid")" 2>/dev/null || true
	teardown_users
}

setup() { clear_maildirs; }

@test "swaks over TCP (tcpserver): delivered, Received names 127.0.0.1" {
	run swaks --server "127.0.0.1:$PORT" --from alice@example.org --to test@tttest.com \
		--helo client.example.org --h-Subject "e2e swaks" --body "hello from swaks"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Received: from client.example.org (\[127.0.0.1\])$' "$(delivered test)"
	grep -q '^Subject: e2e swaks$' "$(delivered test)"
	grep -q '^hello from swaks$' "$(delivered test)"
	grep -q 'connect from 127.0.0.1$' "$T/log"
}

@test "swaks with PIPELINING, and a refused recipient (swaks exit 24)" {
	run swaks --server "127.0.0.1:$PORT" --pipeline --from alice@example.org \
		--to test@tttest.com,bob@tttest.com --body "pipelined"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	run swaks --server "127.0.0.1:$PORT" --from alice@example.org --to nobody@example.org
	[ "$status" = 24 ]
	[[ "$output" == *"550 5.7.1 <nobody@example.org>: Relay access denied"* ]]
}

@test "Python smtplib: two messages in one connection, one of them to two users" {
	run python3 - "$PORT" <<'EOF'
import smtplib, sys
from email.message import EmailMessage
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example.org") as s:
    s.ehlo()
    assert s.has_extn("pipelining") and s.has_extn("size") and s.has_extn("8bitmime")
    m = EmailMessage()
    m["Subject"] = "from smtplib"
    m.set_content("H\u00e9llo, 8-bit body\n.leading dot\n", cte="8bit")
    refused = s.send_message(m, "alice@example.org", ["test@tttest.com", "bob@tttest.com"])
    assert refused == {}, refused
    s.sendmail("<>", ["alice@tttest.com"], b"Subject: second\r\n\r\nsecond\r\n")
    try:
        s.sendmail("a@example.org", ["ghost@tttest.com"], b"x\r\n")
        raise SystemExit("ghost accepted")
    except smtplib.SMTPRecipientsRefused as e:
        assert e.recipients["ghost@tttest.com"][0] == 550
print("ok")
EOF
	[ "$status" = 0 ]
	[ "$output" = ok ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	grep -q '^H.llo, 8-bit body$' "$(delivered bob)"
	grep -q '^\.leading dot$' "$(delivered bob)"
}

@test "curl smtp:// uploads a message" {
	printf 'Subject: via curl\r\n\r\ncurl body\r\n' >"$T/curl.msg"
	run curl -sS --url "smtp://127.0.0.1:$PORT" --mail-from alice@example.org \
		--mail-rcpt test@tttest.com --upload-file "$T/curl.msg"
	[ "$status" = 0 ]
	grep -q '^curl body$' "$(delivered test)"
}

@test "systemd-socket-activate --inetd: one process per connection, delivered" {
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed (package systemd)"
	local port pid
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	systemd-socket-activate -l "127.0.0.1:$port" --inetd -a "$T/bin/smtp" \
		>"$T/ssa.log" 2>&1 3>&- &
	pid=$!
	local i
	for i in $(seq 50); do
		swaks --server "127.0.0.1:$port" --quit-after CONNECT >/dev/null 2>&1 && break
		sleep 0.1
	done
	run swaks --server "127.0.0.1:$port" --from alice@example.org --to test@tttest.com --body one
	local s1=$status
	run swaks --server "127.0.0.1:$port" --from alice@example.org --to test@tttest.com --body two
	kill "$pid"
	[ "$s1" = 0 ]
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	# Each connection had its own process.
	[ "$(grep -c 'disconnect from 127.0.0.1' "$T/log")" -ge 3 ]
	[ "$(grep -o 'smtp-session\[[0-9]*\]: info: connect' "$T/log" | sort -u | wc -l)" -ge 3 ]
}



# The files the examples name in /etc/smtp-session (issue 22: the one place), made here
# in $T/etc: cert.pem, key.pem and ticket.key.
example_cert() {
	mkdir -p "$T/etc"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-subj /CN=smtp.tttest.com -keyout "$T/etc/key.pem" -out "$T/etc/cert.pem" 2>/dev/null
	(umask 077 && head -c 64 /dev/urandom >"$T/etc/ticket.key")
	chmod 600 "$T/etc/key.pem"
}

# An example's three services are running on 127.0.0.1:$1 (smtp), :$2 (submission)
# and :$4 (submissions, implicit TLS): submission must refuse MAIL before STARTTLS
# and, after it, without AUTH (530, swaks exit 23); submissions must do the handshake
# and refuse MAIL without AUTH; smtp must offer STARTTLS and deliver.  $3 is a word for
# the body.  Sets status and output from the smtp delivery.
smtp_and_submission() {
	run swaks --server "127.0.0.1:$2" --from alice@example.org --to alice@tttest.com
	[ "$status" = 23 ] || { echo "submission: swaks $status: $output"; return 1; }
	[[ "$output" == *"530 5.7.0 Must issue a STARTTLS command first"* ]] || return 1
	run swaks --server "127.0.0.1:$2" --tls --from alice@example.org --to alice@tttest.com
	[ "$status" = 23 ] || { echo "submission with TLS: swaks $status: $output"; return 1; }
	[[ "$output" == *"530 5.7.0 Authentication required"* ]] || return 1
	run swaks --server "127.0.0.1:$4" --tlsc --from alice@example.org --to alice@tttest.com
	[ "$status" = 23 ] || { echo "submissions: swaks $status: $output"; return 1; }
	[[ "$output" == *"530 5.7.0 Authentication required"* ]] || return 1
	run swaks --server "127.0.0.1:$1" --from alice@example.org --to alice@tttest.com \
		--body "via $3"
	[[ "$output" == *"250-STARTTLS"* ]] || return 1
}

@test "systemd-socket-activate --accept: the connection on fd 3 (LISTEN_FDS=1), delivered" {
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed (package systemd)"
	local port pid
	port=$(free_port)
	# stdin and stdout are NOT the connection here: only fd 3 is.
	systemd-socket-activate -l "127.0.0.1:$port" --accept "$T/bin/smtp" \
		</dev/null >"$T/ssa.log" 2>&1 3>&- &
	pid=$!
	wait_port "$port" || { kill "$pid"; false; }
	run swaks --server "127.0.0.1:$port" --from alice@example.org --to test@tttest.com \
		--helo accept.example.org --body "via LISTEN_FDS"
	kill "$pid"
	[ "$status" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Received: from accept.example.org (\[127.0.0.1\])$' "$(delivered test)"
	grep -q 'disconnect from 127.0.0.1 helo=accept.example.org .* end=quit$' "$T/log"
}

@test "examples/tcpserver/run: tcpserver as a supervised service, delivered" {
	local port pid
	port=$(free_port)
	IP=127.0.0.1 PORT=$port SMTP_SESSION=$T/bin/smtp "$TOP/examples/tcpserver/run" \
		>"$T/tcpserver-run.log" 3>&- &
	pid=$!
	wait_port "$port" || { kill "$pid"; false; }
	run swaks --server "127.0.0.1:$port" --from alice@example.org --to bob@tttest.com \
		--body "via examples/tcpserver/run"
	kill "$pid"
	[ "$status" = 0 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	grep -q '^tcpserver: ok ' "$T/tcpserver-run.log"	# its log went to stdout (2>&1)
}

# Issue 22: the 587 line in the example's comment had no --require-tls and no
# certificate, so a remote client was never offered AUTH.  The run script as the
# comment gives it, with our files in place of /etc/smtp-session's, our port and our
# wrapper; the client is this machine's own non-loopback address where it has one
# (so --auth local does not offer AUTH for being on loopback).
@test "examples/tcpserver/run: the comment's port 587 run script offers AUTH after STARTTLS, to a remote client" {
	local port pid ip i
	port=$(free_port)
	example_cert
	ip=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 -E '^[0-9]+(\.[0-9]+){3}$' |
		grep -v '^127\.') || ip=127.0.0.1
	sed -n '/^#     #!\/bin\/sh$/,/^#     .*[^\\]$/ s/^#     //p' "$TOP/examples/tcpserver/run" \
		>"$T/run587.orig"
	cat "$T/run587.orig"
	grep -q '^PORT=587 exec /etc/sv/smtp/run ' "$T/run587.orig"
	sed -e "s|/etc/sv/smtp/run|$TOP/examples/tcpserver/run|" -e "s|^PORT=587 |PORT=$port |" \
		-e "s|/etc/smtp-session/|$T/etc/|g" "$T/run587.orig" >"$T/run587"
	IP=$ip SMTP_SESSION=$T/bin/smtp sh "$T/run587" >"$T/run587.log" 3>&- &
	pid=$!
	for i in $(seq 100); do
		python3 -c 'import socket,sys; socket.create_connection((sys.argv[1],int(sys.argv[2])),1).close()' \
			"$ip" "$port" 2>/dev/null && break
		sleep 0.1
	done
	run python3 - "$ip" "$port" <<'EOF2'
import smtplib, ssl, sys
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname="sub.example.org", timeout=10)
s.ehlo()
print("before TLS: auth=%s starttls=%s" % ("auth" in s.esmtp_features, "starttls" in s.esmtp_features))
print("MAIL before TLS:", *s.mail("alice@example.org"))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo()
print("after TLS: auth=%s" % s.esmtp_features.get("auth"))
print("MAIL after TLS:", *s.mail("alice@example.org"))
s.quit()
EOF2
	kill "$pid"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"before TLS: auth=False starttls=True"* ]]
	[[ "$output" == *"MAIL before TLS: 530 b'5.7.0 Must issue a STARTTLS command first'"* ]]
	[[ "$output" == *"after TLS: auth= PLAIN LOGIN"* ]]
	[[ "$output" == *"MAIL after TLS: 530 b'5.7.0 Authentication required'"* ]]
	grep -q "TLS from $ip: TLSv1.3 " "$T/log"
}

@test "examples/inetd.conf: openbsd-inetd in the foreground; smtp delivers, submission wants AUTH, lmtp (uncommented) greets" {
	[ -x /usr/sbin/inetd ] && /usr/sbin/inetd -h 2>&1 | grep -q 'usage: inetd \[-dEil\]' ||
		skip "openbsd-inetd is not installed (make check installs it as root)"
	local port port2 port3 port4 pid
	port=$(free_port)
	port2=$(free_port)
	port3=$(free_port)
	port4=$(free_port)
	example_cert
	# The example's IPv4 lines (smtp, submission, submissions, and the commented-out
	# lmtp line, uncommented) on 127.0.0.1 and private ports, with our wrapper as the
	# program, run as ourselves, our certificate and ticket key.
	awk -v ports="$port $port2 $port3 $port4" -v user="$(id -un)" -v prog="$T/bin/smtp" -v t="$T" '
		BEGIN { split(ports, p) }
		/^#127\.0\.0\.1:24\t/ { sub(/^#/, "") }
		!/^#/ && $3 == "tcp" { $1 = "127.0.0.1:" p[++n]; $5 = user; $6 = prog
			gsub("/etc/smtp-session/", t "/etc/")
			print }' \
		"$TOP/examples/inetd.conf" >"$T/inetd.conf"
	/usr/sbin/inetd -d "$T/inetd.conf" >"$T/inetd.log" 2>&1 3>&- &
	pid=$!
	wait_port "$port" || { cat "$T/inetd.log"; kill "$pid"; false; }
	# The submission lines run with --require-auth: MAIL without AUTH is refused.
	local ok=0 lmtp
	smtp_and_submission "$port" "$port2" examples/inetd.conf "$port3" || ok=$?
	# The lmtp line runs with --lmtp.
	lmtp=$(printf 'LHLO h\r\nQUIT\r\n' | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 10)
s.sendall(sys.stdin.buffer.read()); s.shutdown(socket.SHUT_WR)
print(s.makefile("rb").read().decode())' "$port4")
	kill "$pid"
	[ "$ok" = 0 ]
	[[ "$lmtp" == "220 smtp.tttest.com LMTP"* ]] || { echo "lmtp: $lmtp"; false; }
	cat "$T/inetd.log"
	[ "$(grep -c "^ADD: 127.0.0.1:.* proto=tcp, wait.max=0.1000 " "$T/inetd.log")" = 4 ]
	[ "$status" = 0 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	# fds 0, 1 and 2 are the client's socket: nothing but SMTP may reach it.
	[[ "$output" != *smtp-session* ]]
}

@test "examples/xinetd.d/smtp: xinetd in the foreground; smtp delivers, submission wants AUTH" {
	command -v xinetd >/dev/null ||
		skip "xinetd is not installed (it conflicts with openbsd-inetd, which the suite installs)"
	local port port2 port3 pid
	port=$(free_port)
	port2=$(free_port)
	port3=$(free_port)
	example_cert
	{
		printf 'defaults\n{\n\tlog_type = FILE %s\n}\n' "$T/xinetd-svc.log"
		# The example's services (smtp, submission, submissions) on private ports,
		# which need type = UNLISTED, with our wrapper as the server, run as
		# ourselves, with our certificate.
		awk -v ports="$port $port2 $port3" -v prog="$T/bin/smtp" -v user="$(id -un)" -v t="$T" '
			BEGIN { split(ports, p) }
			/^service / { n++ }
			/^}/ { print "\ttype = UNLISTED\n\tport = " p[n] "\n\tbind = 127.0.0.1" }
			$1 == "server" { $3 = prog }
			$1 == "user" { $3 = user }
			{ gsub("/etc/smtp-session/", t "/etc/") }
			{ print }' "$TOP/examples/xinetd.d/smtp"
	} >"$T/xinetd.conf"
	xinetd -dontfork -filelog "$T/xinetd.log" -f "$T/xinetd.conf" -pidfile "$T/xinetd.pid" \
		>/dev/null 2>&1 3>&- &
	pid=$!
	wait_port "$port" || { cat "$T/xinetd.log"; kill "$pid"; false; }
	# The submission service runs with --require-auth: MAIL without AUTH is refused.
	local ok=0
	smtp_and_submission "$port" "$port2" examples/xinetd.d/smtp "$port3" || ok=$?
	kill "$pid"
	[ "$ok" = 0 ]
	cat "$T/xinetd.log"
	! grep -q 'ERROR' "$T/xinetd.log" || false
	grep -q 'Started working: 3 available services' "$T/xinetd.log"
	[ "$status" = 0 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	[[ "$output" != *smtp-session* ]]
}

@test "Python smtplib with SMTPUTF8: a UTF-8 sender and recipient, UTF-8 header fields, into the Maildir" {
	run python3 - "$PORT" <<'EOF2'
import email.policy, smtplib, sys
from email.message import EmailMessage
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example.org") as s:
    s.ehlo()
    assert s.has_extn("smtputf8") and s.has_extn("chunking"), s.esmtp_features
    m = EmailMessage()
    m["From"] = "Jörg <jörg@bücher.example>"
    m["To"] = "Jürgen <jürgen@tttest.com>"
    m["Subject"] = "Grüße"
    m.set_content("Straße\n", cte="8bit")
    refused = s.sendmail("jörg@bücher.example", ["jürgen@tttest.com"],
                         m.as_bytes(policy=email.policy.SMTPUTF8),
                         mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}, refused
    # send_message() adds SMTPUTF8 itself for such addresses: then it comes twice.
    refused = s.send_message(m, "jörg@bücher.example", ["jürgen@tttest.com"],
                             mail_options=["SMTPUTF8"])
    assert refused == {}, refused
    # Without the parameter the same address is refused (RFC 6531 3.5).
    s.command_encoding = "utf-8"
    code, _ = s.mail("alice@example.org")
    assert code == 250
    code, msg = s.rcpt("jürgen@tttest.com")
    assert (code, msg[:5]) == (553, b"5.6.7"), (code, msg)
print("ok")
EOF2
	[ "$status" = 0 ]
	[ "$output" = ok ]
	local m
	m=$(delivered "j$(printf '\303\274')rgen" | head -n 1)
	[ "$(delivered "j$(printf '\303\274')rgen" | wc -l)" = 2 ]
	grep -q '^Subject: Grüße$' "$m"
	grep -q '^Return-Path: <jörg@bücher.example>$' "$m"
	grep -Pq '^\tby smtp.tttest.com \(smtp-session\) with UTF8SMTP id ' "$m"
	grep -q '^Straße$' "$m"
}

@test "curl with UTF-8 addresses: it sends SMTPUTF8 and the message arrives" {
	printf 'Subject: curl utf8\r\n\r\nüber\r\n' >"$T/curl.msg"
	run curl -sS --url "smtp://127.0.0.1:$PORT" --mail-from 'jörg@bücher.example' \
		--mail-rcpt 'jürgen@tttest.com' --upload-file "$T/curl.msg"
	[ "$status" = 0 ]
	local m
	m=$(delivered "j$(printf '\303\274')rgen")
	[ "$(wc -l <<<"$m")" = 1 ]
	grep -q '^Subject: curl utf8$' "$m"
	grep -q 'with UTF8SMTP id' "$m"
}

@test "swaks with a UTF-8 recipient and no SMTPUTF8 parameter: 553 5.6.7, nothing delivered" {
	run swaks --server "127.0.0.1:$PORT" --from alice@example.org --to 'jürgen@tttest.com' \
		--body x
	[ "$status" != 0 ]
	[[ "$output" == *"553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter on MAIL"* ]]
	[ -z "$(delivered "j$(printf '\303\274')rgen")" ]
}

@test "a BDAT client over TCP (tests/bdat.py): chunks of 1000 octets, delivered byte for byte" {
	python3 -c 'import sys
lines = [b"Subject: bdat over tcp", b""] + [b"line %05d " % i + b"x" * (i % 70) for i in range(2000)]
sys.stdout.buffer.write(b"".join(l + b"\r\n" for l in lines))' >"$T/bdat.msg"
	run python3 "$TOP/tests/bdat.py" 127.0.0.1 "$PORT" alice@example.org bob@tttest.com \
		"$T/bdat.msg" 1000
	[ "$status" = 0 ]
	[[ "$output" == "250 2.0.0 Ok: delivered as "* ]]
	body_of() { sed '1,/^\tfor /d' "$1"; }
	tr -d '\r' <"$T/bdat.msg" | cmp - <(body_of "$(delivered bob)")
}
