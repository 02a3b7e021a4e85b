#!/usr/bin/env bats
# The PROXY protocol (--proxy, HAProxy's proxy-protocol.txt, versions 1 and 2): the
# client a proxy names is the client everywhere (the Received line, the log, the
# loopback test of --auth local), the proxy's health checks (v2 LOCAL, v1 UNKNOWN) get
# a session as usual, and a bad header ends the connection with a log line and no
# reply.  Headers made by hand (tests/proxyclient.py) and by a real HAProxy in front
# of tcpserver and systemd-socket-activate.

load helpers

setup_file() {
	setup_users
	tcpserver_start "$T/bin/smtp" --proxy --timeout 2
	export TS_PID PORT
}
teardown_file() {
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
	[ -z "${HAP_PID:-}" ] || kill "$HAP_PID" 2>/dev/null || true
	teardown_users
}
setup() { clear_maildirs; }

client() { python3 "$TOP/tests/proxyclient.py" "$PORT" "$@"; }

# One message to test through a proxy header; the output is the server's replies.
message() {
	client "$1" "EHLO client.example.org" "MAIL FROM:<a@example.org>" \
		"RCPT TO:<test@tttest.com>" DATA "Subject: proxied" "" hi . QUIT
}

# No reply at all to header $1 (and lines after it), and the log says why ($2).
refused() {
	run client "$1" "${@:3}"
	[ -z "$output" ] || { echo "replies to a bad header ($1): $output"; false; }
	grep -q "PROXY header from 127.0.0.1 refused: $2" "$T/log" ||
		{ echo "no log line '$2' for $1:"; cat "$T/log"; false; }
	: >"$T/log"
}

@test "v1 TCP4: the named client is the client (Received, log); no AUTH and no SEND for it although the proxy is local" {
	run message "v1:PROXY TCP4 192.0.2.7 127.0.0.1 40000 25"
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[[ "$output" != *"AUTH"* ]]	# the header and EHLO came in one write: pipelined
	grep -q '^Received: from client.example.org (\[192.0.2.7\])$' "$(delivered test)"
	grep -q 'connect from 192.0.2.7$' "$T/log"
	# --send (default auth: authenticated or loopback clients): SEND from the remote
	# client behind the local proxy is refused.
	run client "v1:PROXY TCP4 192.0.2.7 127.0.0.1 40000 25" "EHLO h" "SEND FROM:<a@example.org>" QUIT
	[[ "$output" == *"530 5.7.0 "* ]]
}

@test "v2 TCP6 with TLVs, and an IPv4-mapped address; v2 LOCAL, v1 UNKNOWN, UNSPEC and AF_UNIX keep the socket's, without its loopback rights" {
	run message "v2/proxy/tcp6/2001:db8::7,40000/2001:db8::1,25/300"
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	grep -q '(\[IPv6:2001:db8::7\])$' "$(delivered test)"
	run message "v2/proxy/tcp6/::ffff:192.0.2.8,40000/::ffff:192.0.2.1,25"
	grep -q 'connect from 192.0.2.8$' "$T/log"
	: >"$T/log"
	local h
	for h in "v2/local/unspec/-/-" "v1:PROXY UNKNOWN" "v1:PROXY UNKNOWN ffff::1 ffff::2 1 2" \
		"v2/proxy/unspec/-/-" "v2/proxy/unix/-/-"; do
		run client "$h" "EHLO h" QUIT
		[[ "$output" == "220 smtp.tttest.com ESMTP"*"221 2.0.0"* ]] ||
			{ echo "$h: $output"; false; }
		[[ "$output" != *AUTH* ]] || { echo "$h: AUTH offered: $output"; false; }
	done
	[ "$(grep -c 'connect from 127.0.0.1$' "$T/log")" = 5 ]
}

# The loopback rights of a proxied client (peer_local(), common/peer.c): AUTH without
# TLS (--auth local, the default) and SEND (--send auth, the default).  Through the
# server on [HOST:]PORT $1 with header $2, print "auth" or "noauth", then what SEND and
# its RCPT got: 530 (SEND refused), 450 (the parent allowed the terminal check: nobody
# is logged in), or "none" when the session was ended without a reply.
rights() {
	local out
	out=$(python3 "$TOP/tests/proxyclient.py" "$1" "$2" "EHLO h" "SEND FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" QUIT)
	[[ "$out" == *"250-AUTH PLAIN LOGIN"* ]] && printf 'auth ' || printf 'noauth '
	if [[ "$out" == *"530 5.7.0 Authentication required to send to a terminal"* ]]; then
		echo 530
	elif [[ "$out" == *"450 4.2.1 "* ]]; then
		echo 450
	else
		echo none
	fi
}

# Every header kind through the proxy on loopback: a header naming a loopback client
# (v1 TCP4 127.0.0.1, v2 TCP6 ::1), v1 UNKNOWN, v2 LOCAL, v2 AF_UNIX.
LOOPBACK_HEADERS=("v1:PROXY TCP4 127.0.0.1 127.0.0.1 40000 25" "v2/proxy/tcp6/::1,40000/::1,25")
UNNAMED_HEADERS=("v1:PROXY UNKNOWN" "v2/local/unspec/-/-" "v2/proxy/unix/-/-" "v2/local/tcp4/127.0.0.1,1/127.0.0.1,25")

@test "behind the proxy no client is local: every header kind, no AUTH without TLS, SEND 530, no false 'broke the protocol'" {
	local h got
	for h in "${LOOPBACK_HEADERS[@]}" "${UNNAMED_HEADERS[@]}"; do
		got=$(rights "$PORT" "$h")
		[ "$got" = "noauth 530" ] || { echo "$h: $got"; cat "$T/log"; false; }
	done
	! grep -q 'broke the protocol' "$T/log" || false
}

@test "--proxy-trust-loopback: a header naming a loopback client behind a proxy on loopback is local; UNKNOWN, LOCAL and AF_UNIX still are not" {
	local pid port h got
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp" --proxy --proxy-trust-loopback \
		--timeout 2 >"$T/trust.port" 2>/dev/null 3>&- &
	pid=$!
	for port in $(seq 100); do [ -s "$T/trust.port" ] && break; sleep 0.1; done
	port=$(cat "$T/trust.port")
	for h in "${LOOPBACK_HEADERS[@]}"; do
		got=$(rights "$port" "$h")
		[ "$got" = "auth 450" ] || { echo "$h: $got"; cat "$T/log"; false; }
	done
	for h in "${UNNAMED_HEADERS[@]}" "v1:PROXY TCP4 192.0.2.7 127.0.0.1 40000 25"; do
		got=$(rights "$port" "$h")
		[ "$got" = "noauth 530" ] || { echo "$h: $got"; cat "$T/log"; false; }
	done
	kill "$pid"
	! grep -q 'broke the protocol' "$T/log" || false
	run "$T/bin/smtp" --proxy-trust-loopback </dev/null
	[ "$status" = 100 ]
	grep -q -- "--proxy-trust-loopback without --proxy: add --proxy, or leave it out" "$T/log"
}

@test "a proxy on another address: a header naming 127.0.0.1 is no local client, with or without --proxy-trust-loopback" {
	local addr pid port opt got
	addr=$(ip -o -4 addr show scope global 2>/dev/null | awk '{sub("/.*", "", $4); print $4; exit}')
	[ -n "$addr" ] || skip "this machine has no IPv4 address but loopback"
	for opt in --proxy --proxy-trust-loopback; do
		: >"$T/log"
		tcpserver -1 -R -H -l localhost "$addr" 0 "$T/bin/smtp" --proxy $opt --timeout 2 \
			>"$T/far.port" 2>/dev/null 3>&- &
		pid=$!
		for port in $(seq 100); do [ -s "$T/far.port" ] && break; sleep 0.1; done
		port=$(cat "$T/far.port")
		: >"$T/far.port"
		got=$(rights "$addr:$port" "v1:PROXY TCP4 127.0.0.1 $addr 40000 25")
		kill "$pid"
		[ "$got" = "noauth 530" ] || { echo "$opt: $got"; cat "$T/log"; false; }
		! grep -q 'broke the protocol' "$T/log" || false
	done
}

@test "a bad, cut, oversized or late header: no reply, a log line, the connection closed" {
	refused none "no PROXY header" "EHLO h" QUIT
	refused "v1:PROXY TCP4 192.0.2.7 127.0.0.1 99999 25" "version 1: a port that is no number"
	refused "v1:PROXY TCP4 192.0.2.7 127.0.0.1 0400 25" "version 1: a port that is no number"
	refused "v1:PROXY TCP4 2001:db8::1 127.0.0.1 1 25" "version 1: an address that does not match"
	refused "v1:PROXY TCP4  192.0.2.7 127.0.0.1 1 25" "version 1: fields not separated"
	refused "v1:PROXY TCP5 192.0.2.7 127.0.0.1 1 25" "version 1: not TCP4, TCP6 or UNKNOWN"
	refused "v1:PROXY TCP4 192.0.2.7 127.0.0.1 1" "version 1: not TCP4, TCP6 or UNKNOWN"
	refused "v1:PROXY TCP4 $(printf 'x%.0s' $(seq 110))" "version 1: line too long"
	refused "raw:$(printf 'PROXY UNKNOWN\n' | xxd -p)" "version 1: line not ended by CRLF"
	refused "raw:$(printf 'PROXY TCP4 1' | xxd -p)" "connection closed inside the header"
	run client "raw:"
	[ -z "$output" ]
	grep -q "PROXY header from 127.0.0.1 missing: closed before any byte (a TCP check)" "$T/log"
	refused "raw:0d0a0d0a000d0a515549540a3111000c" "version 2: unknown version or command"
	refused "raw:0d0a0d0a000d0a515549540a2311000c" "version 2: unknown version or command"
	refused "raw:0d0a0d0a000d0a515549540b2111000c" "version 2: bad signature"
	refused "v2len:1025" "version 2: header too long"
	refused "v2/proxy/udp4/192.0.2.7,1/192.0.2.1,25" "version 2: not TCP over IPv4 or IPv6"
	refused "raw:0d0a0d0a000d0a515549540a21110008c000020700000000" "version 2: addresses cut short"
	refused "cut:20:v2/proxy/tcp4/192.0.2.7,1/192.0.2.1,25" "no complete header in time"
	# The largest header we take is taken.
	run client "v2len:1024" QUIT
	[[ "$output" == "220 "*"221 "* ]]
}

# A real HAProxy (TCP mode) on two free ports, v1 and v2, in front of the backend on
# port $1; health checks every 200 ms: a plain connect with send-proxy (v1 with the
# socket's addresses) and an SMTP check (EHLO) with send-proxy-v2 (v2 LOCAL).
haproxy_start() {
	FE1=$(free_port) FE2=$(free_port)
	cat >"$T/haproxy.cfg" <<-CFG
	global
	    log stdout format raw local0 info
	resolvers default
	defaults
	    mode tcp
	    log global
	    timeout connect 2s
	    timeout client 10s
	    timeout server 10s
	    timeout check 2s
	frontend fe_v1
	    bind 127.0.0.1:$FE1
	    default_backend be_v1
	frontend fe_v2
	    bind 127.0.0.1:$FE2
	    default_backend be_v2
	backend be_v1
	    server s1 127.0.0.1:$1 send-proxy check inter 200ms
	backend be_v2
	    option smtpchk EHLO haproxy.test
	    server s1 127.0.0.1:$1 send-proxy-v2 check inter 200ms
	CFG
	haproxy -c -q -f "$T/haproxy.cfg"
	haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
	HAP_PID=$!
	wait_port "$FE1" && wait_port "$FE2"
}

# swaks from 127.0.0.5 (any 127/8 address is ours) through port $1, to test.
swaks_via() {
	swaks --server "127.0.0.1:$1" --local-interface 127.0.0.5 --helo client.example.org \
		--from a@example.org --to test@tttest.com --header "Subject: via $1"
}

# The proxy's health checks reach the backend as LOCAL (v2) sessions with EHLO, and as
# v1 headers of the proxy's own connection: wait for a few of each.
checks_pass() {
	local i
	for i in $(seq 100); do
		[ "$(grep -c 'helo=haproxy.test' "$T/log")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(grep -c 'helo=haproxy.test' "$T/log")" -ge 3 ]
	! grep -q 'is DOWN' "$T/haproxy.log" || { cat "$T/haproxy.log"; false; }
	! grep -q 'PROXY header .* refused' "$T/log" || { cat "$T/log"; false; }
}

@test "HAProxy send-proxy and send-proxy-v2 in front of tcpserver: the client's address, health checks pass" {
	command -v haproxy >/dev/null || skip "haproxy is not installed (make check installs it as root)"
	haproxy_start "$PORT"
	run swaks_via "$FE1"
	[ "$status" = 0 ] || { echo "$output"; false; }
	run swaks_via "$FE2"
	[ "$status" = 0 ] || { echo "$output"; false; }
	[ "$(delivered test | wc -l)" = 2 ]
	local f
	for f in $(delivered test); do
		grep -q '^Received: from client.example.org (\[127.0.0.5\])$' "$f"
	done
	checks_pass
	kill "$HAP_PID"
	wait "$HAP_PID" 2>/dev/null || true
	HAP_PID=
}

@test "HAProxy send-proxy-v2 in front of systemd-socket-activate --inetd" {
	command -v haproxy >/dev/null || skip "haproxy is not installed (make check installs it as root)"
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed"
	local be
	be=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$be" --inetd -a "$T/bin/smtp" --proxy \
		2>"$T/ssa.log" &
	local ssa=$!
	wait_port "$be"
	haproxy_start "$be"
	run swaks_via "$FE2"
	[ "$status" = 0 ] || { echo "$output"; false; }
	grep -q '^Received: from client.example.org (\[127.0.0.5\])$' "$(delivered test)"
	checks_pass
	kill "$HAP_PID" "$ssa"
	wait "$HAP_PID" "$ssa" 2>/dev/null || true
	HAP_PID=
}

@test "--proxy with --tls implicit: the header first, then the TLS handshake on the untouched bytes" {
	command -v openssl >/dev/null || skip "openssl is not installed (make check installs it as root)"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/px.key" \
		-out "$T/px.crt" -days 2 -subj /CN=smtp.tttest.com 2>/dev/null
	local pid port
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp" --proxy --tls implicit \
		--tls-cert "$T/px.crt" --tls-key "$T/px.key" >"$T/tls.port" 2>/dev/null 3>&- &
	pid=$!
	for port in $(seq 100); do [ -s "$T/tls.port" ] && break; sleep 0.1; done
	port=$(cat "$T/tls.port")
	# The header and the TLS ClientHello in one go (the proxy sends both at once).
	run python3 - "$port" <<'PY'
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"PROXY TCP4 192.0.2.9 127.0.0.1 41000 465\r\n")
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
t = ctx.wrap_socket(s)
f = t.makefile("rwb")
out = [f.readline()]
f.write(b"EHLO client.example.org\r\nQUIT\r\n"); f.flush()
while True:
    l = f.readline()
    if not l:
        break
    out.append(l)
print(t.version(), b"".join(out).decode().replace("\r", ""))
PY
	kill "$pid"
	echo "$output"
	[[ "$output" == "TLSv1."*"220 smtp.tttest.com ESMTP"*"221 2.0.0"* ]]
	grep -q 'connect from 192.0.2.9$' "$T/log"
}
