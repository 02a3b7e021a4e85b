#!/usr/bin/env bats
# TLS (issue 11): STARTTLS (RFC 3207) and implicit TLS (RFC 8314) with real clients
# over loopback TCP (openssl s_client, swaks, Python's smtplib, curl) under tcpserver,
# and the protocol rules with tests/tlsclient.py, which runs the server on a socketpair
# (so $TCPREMOTEIP can make the client non-loopback) and can start TLS at any step.
# Certificates are made here with openssl: ECDSA P-256 and RSA-2048 with the IP SAN
# 127.0.0.1, an expired one, and a key that belongs to another certificate.

load helpers

PAM_MODULES=$(pkg-config --variable=modules pam_wrapper 2>/dev/null)
: "${PAM_MODULES:=/usr/lib/x86_64-linux-gnu/pam_wrapper}"
PLAIN_OK=$(printf '\0alice\0secret' | base64)

# A self-signed certificate NAME.crt with its key NAME.key in $T/tls: NAME, key type
# (ec or rsa), common name.
mkcert() {
	local n=$1 type=$2 cn=$3 newkey=ec:$T/tls/p256.param
	[ "$type" = rsa ] && newkey=rsa:2048
	openssl req -x509 -newkey "$newkey" -nodes -keyout "$T/tls/$n.key" -out "$T/tls/$n.crt" \
		-days 365 -subj "/CN=$cn" -addext "subjectAltName=IP:127.0.0.1,DNS:$cn" 2>/dev/null
}

# An ECDSA certificate that expired in 2020 (openssl req cannot go back in time; ca can).
mkexpired() {
	local d=$T/tls/ca
	mkdir -p "$d"
	: >"$d/index.txt"
	echo 01 >"$d/serial"
	printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s/index.txt\nnew_certs_dir=%s\nserial=%s/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' \
		"$d" "$d" "$d" >"$d/cnf"
	openssl req -new -key "$T/tls/ec.key" -subj /CN=expired.test -out "$d/csr" 2>/dev/null
	openssl ca -batch -selfsign -config "$d/cnf" -keyfile "$T/tls/ec.key" -in "$d/csr" \
		-startdate 20200101000000Z -enddate 20200102000000Z -out "$T/tls/expired.crt" 2>/dev/null
}

# tcpserver on a free port with the PAM wrapper and the arguments given; sets the
# variable named by $1 to the port.
listen() {
	local var=$1
	shift
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp-pam" --auth-delay 0 "$@" \
		>"$T/$var.port" 2>/dev/null 3>&- &
	echo $! >>"$T/ts.pids"
	local i
	for i in $(seq 100); do [ -s "$T/$var.port" ] && break; sleep 0.1; done
	printf -v "$var" '%s' "$(head -1 "$T/$var.port")"
	export "${var?}"
}

setup_file() {
	setup_users
	mkdir -p "$T/tls" "$T/pam"
	openssl ecparam -name prime256v1 -out "$T/tls/p256.param"
	mkcert ec ec mx.tttest.com
	mkcert rsa rsa mx.tttest.com
	mkcert other ec other.test
	mkexpired
	head -c 64 /dev/urandom >"$T/tls/ticket.key"
	chmod 600 "$T"/tls/*.key "$T/tls/ticket.key"	# only root may read them
	echo "alice:secret:smtp" >"$T/passdb"
	printf 'auth required %s/pam_matrix.so passdb=%s\naccount required %s/pam_matrix.so passdb=%s\n' \
		"$PAM_MODULES" "$T/passdb" "$PAM_MODULES" "$T/passdb" >"$T/pam/smtp"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam/other"
	make_server_wrapper smtp-pam libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam"
	# the test build, for a hostile stand-in of the session process (tests/hostile.py)
	SMTP_SESSION=$TOP/smtp-session-test make_server_wrapper smtp-test ""
	printf 'Subject: tls test\r\nFrom: alice@tttest.com\r\n\r\nhello over TLS\r\n' >"$T/msg.eml"
	EC=(--tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/ec.key")
	BOTH=("${EC[@]}" --tls-cert "$T/tls/rsa.crt" --tls-key "$T/tls/rsa.key")
	listen PORT "${BOTH[@]}"
	listen PORT_I "${BOTH[@]}" --tls implicit --tls-ticket-key "$T/tls/ticket.key"
}

teardown_file() {
	local p
	for p in $(cat "$T/ts.pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	teardown_users
}

setup() {
	clear_maildirs
	EC=(--tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/ec.key")
}

# tlsclient.py against a fresh server on a socketpair; the client is 192.0.2.1 (not
# loopback) unless CLIENT_IP says otherwise.  Steps, then -- and the server's options.
tlsclient() {
	local steps=()
	while [ "$1" != -- ]; do steps+=("$1"); shift; done
	shift
	env TCPREMOTEIP="${CLIENT_IP:-192.0.2.1}" python3 "$TOP/tests/tlsclient.py" \
		"${steps[@]}" -- "$T/bin/smtp-pam" --auth-delay 0 "$@"
}

# The one delivered message of user test has come over TLS; $1: ESMTPS or ESMTPSA.
delivered_tls() {
	local f
	f=$(delivered test)
	[ "$(echo "$f" | wc -l)" = 1 ] && [ -n "$f" ]
	grep -q "with $1 id" "$f"
	grep -Eq '^	\(using TLSv1\.[23] with cipher [A-Z0-9_]+ \((128|256)/(128|256) bits\)\)$' "$f"
	grep -q '^hello over TLS' "$f"
}

# ------------------------------------------------------------------- real clients

@test "openssl s_client -starttls smtp: delivered with ESMTPS and the cipher in Received" {
	printf 'EHLO client.test\nMAIL FROM:<alice@tttest.com>\nRCPT TO:<test@tttest.com>\nDATA\nSubject: s\n\nhello over TLS\n.\nQUIT\n' |
		timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" -name client.test \
		-quiet -crlf >"$T/out" 2>/dev/null
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	! grep -q STARTTLS "$T/out" || false	# RFC 3207 4.2: not offered again
	delivered_tls ESMTPS
	grep -q 'TLS from 127.0.0.1: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)$' "$T/log"
	grep -q 'end=quit tls=TLSv1.3$' "$T/log"
}

@test "openssl s_client, implicit TLS (--tls implicit): the greeting comes after the handshake" {
	printf 'EHLO client.test\nMAIL FROM:<alice@tttest.com>\nRCPT TO:<test@tttest.com>\nDATA\n\nhello over TLS\n.\nQUIT\n' |
		timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -quiet -crlf >"$T/out" 2>/dev/null
	head -1 "$T/out" | grep -q '^220 smtp.tttest.com ESMTP'
	! grep -q STARTTLS "$T/out" || false
	delivered_tls ESMTPS
}

@test "swaks --tls (STARTTLS) with AUTH PLAIN: ESMTPSA" {
	run swaks --server "127.0.0.1:$PORT" --tls --auth PLAIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to test@tttest.com --body "hello over TLS"
	[ "$status" = 0 ]
	delivered_tls ESMTPSA
}

@test "swaks --tlsc (implicit TLS) with AUTH LOGIN: ESMTPSA" {
	run swaks --server "127.0.0.1:$PORT_I" --tlsc --auth LOGIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to test@tttest.com --body "hello over TLS"
	[ "$status" = 0 ]
	delivered_tls ESMTPSA
}

@test "Python smtplib starttls() and login(), SMTP_SSL and login()" {
	python3 -c 'import smtplib,ssl,sys
s=smtplib.SMTP("127.0.0.1",int(sys.argv[1]),timeout=10,local_hostname="py.example.org"); s.starttls(context=ssl._create_unverified_context())
s.login("alice","secret"); s.sendmail("alice@tttest.com",["test@tttest.com"],open(sys.argv[2],"rb").read()); s.quit()' \
		"$PORT" "$T/msg.eml"
	delivered_tls ESMTPSA
	clear_maildirs
	python3 -c 'import smtplib,ssl,sys
s=smtplib.SMTP_SSL("127.0.0.1",int(sys.argv[1]),context=ssl._create_unverified_context(),timeout=10,local_hostname="py.example.org")
s.login("alice","secret"); s.sendmail("alice@tttest.com",["test@tttest.com"],open(sys.argv[2],"rb").read()); s.quit()' \
		"$PORT_I" "$T/msg.eml"
	delivered_tls ESMTPSA
}

@test "curl --ssl-reqd smtp:// and smtps://, the certificate verified (IP SAN)" {
	curl -sS --ssl-reqd --cacert "$T/tls/ec.crt" --url "smtp://127.0.0.1:$PORT" --user alice:secret \
		--mail-from alice@tttest.com --mail-rcpt test@tttest.com -T "$T/msg.eml"
	delivered_tls ESMTPSA
	clear_maildirs
	curl -sS -k --url "smtps://127.0.0.1:$PORT_I" --user alice:secret \
		--mail-from alice@tttest.com --mail-rcpt test@tttest.com -T "$T/msg.eml"
	delivered_tls ESMTPSA
}

@test "the handshake picks the ECDSA or the RSA certificate, as the client supports" {
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -sigalgs ECDSA+SHA256 \
		>"$T/out" 2>&1
	grep -q 'Peer signature type: ECDSA' "$T/out"
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -sigalgs RSA-PSS+SHA256 \
		>"$T/out" 2>&1
	grep -q 'Peer signature type: RSA-PSS' "$T/out"
}

@test "protocol probes: no TLS 1.0 or 1.1, no CBC or RSA key exchange; TLS 1.2 AEAD with ECDHE" {
	local v
	# OpenSSL 3's s_client exits 0 when the handshake fails: what it says is the check.
	for v in -tls1 -tls1_1; do
		echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" "$v" >"$T/out" 2>&1 || true
		grep -q 'Cipher is (NONE)' "$T/out"
	done
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -tls1_2 \
		-cipher 'ECDHE-ECDSA-AES128-SHA:AES128-SHA:AES256-SHA256:AES128-GCM-SHA256' >"$T/out" 2>&1 || true
	grep -q 'Cipher is (NONE)' "$T/out"
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -tls1_2 >"$T/out" 2>&1
	grep -q 'Cipher is ECDHE-ECDSA-AES256-GCM-SHA384' "$T/out"
	grep -q 'Compression: NONE' "$T/out"
}

@test "TLS 1.2 renegotiation asked for by the client is refused" {
	{ sleep 0.5; echo R; sleep 1; } | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" \
		-tls1_2 -crlf >"$T/out" 2>&1 || true
	grep -q RENEGOTIATING "$T/out"
	grep -q 'ssl3_read_bytes:no renegotiation' "$T/out"	# our no_renegotiation alert
}

@test "RFC 5077 tickets: a second process resumes the session of the first (--tls-ticket-key)" {
	# -ign_eof: wait for the server to close after QUIT, so the ticket (sent after the
	# handshake) has surely been read
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -ign_eof -crlf \
		-sess_out "$T/sess" >"$T/out1" 2>&1
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -ign_eof -crlf \
		-sess_in "$T/sess" >"$T/out2" 2>&1
	grep -q '^Reused, TLSv1.3' "$T/out2"
	grep -q 'TLS from 127.0.0.1: TLSv1.3 .* (resumed)$' "$T/log"
}

@test "RFC 5077 tickets in TLS 1.2: a second process resumes the session of the first (--tls-ticket-key)" {
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -tls1_2 -ign_eof -crlf \
		-sess_out "$T/sess12" >"$T/out1" 2>&1
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_I" -tls1_2 -ign_eof -crlf \
		-sess_in "$T/sess12" >"$T/out2" 2>&1
	grep -q 'TLS session ticket:' "$T/out1"
	grep -q '^Reused, TLSv1.2' "$T/out2"
	grep -q 'TLS from 127.0.0.1: TLSv1.2 .* (resumed)$' "$T/log"
}

# Issue 22: without a ticket key nothing can be resumed (a process per connection has
# no session cache), so no ticket may be issued in either version and a reconnect is
# a full handshake.  (GnuTLS still puts a session ID in a TLS 1.2 ServerHello: it has
# no way to leave it empty, see session/tls.c.)
@test "without --tls-ticket-key: no ticket in TLS 1.2 or 1.3, and a reconnect is a full handshake" {
	local v
	for v in 1_2 1_3; do
		rm -f "$T/sess.none"
		echo QUIT | timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" \
			-tls$v -ign_eof -crlf -sess_out "$T/sess.none" >"$T/out1.$v" 2>&1
		grep -q "^New, TLSv${v/_/.}" "$T/out1.$v"
		! grep -q 'TLS session ticket' "$T/out1.$v" || false
		! grep -q 'New Session Ticket' "$T/out1.$v" || false
		if [ "$v" = 1_3 ]; then
			# no ticket, so openssl has no session to keep at all
			[ ! -e "$T/sess.none" ]
			continue
		fi
		# TLS 1.2: the client keeps the session ID and offers it: a full handshake
		echo QUIT | timeout 10 openssl s_client -starttls smtp -connect "127.0.0.1:$PORT" \
			-tls$v -ign_eof -crlf -sess_in "$T/sess.none" >"$T/out2.$v" 2>&1
		grep -q "^New, TLSv1.2" "$T/out2.$v" || { cat "$T/out2.$v"; false; }
	done
}

@test "tickets are resumed within their period only: each period's ticket key is another (issue 21)" {
	[ -x "$TOP/smtp-session-test" ] || skip "make smtp-session-test first (make check does)"
	[ -z "${SMTP_WRAP:-}" ] || skip "valgrind cannot run the test build: it has the seccomp filter"
	local port shift i pid
	# (the test build's SMTP_TEST_TICKET_SHIFT moves the parent's clock on)
	for shift in 0 0 3600; do
		tcpserver -1 -R -H -l localhost 127.0.0.1 0 env SMTP_TEST_TICKET_SHIFT="$shift" \
			"$T/bin/smtp-test" --tls implicit "${EC[@]}" --tls-ticket-key "$T/tls/ticket.key" \
			>"$T/shift.port" 2>/dev/null 3>&- &
		pid=$!
		echo "$pid" >>"$T/ts.pids"	# teardown_file stops it if the test fails
		for i in $(seq 100); do [ -s "$T/shift.port" ] && break; sleep 0.1; done
		port=$(head -1 "$T/shift.port")
		: >"$T/shift.port"
		if [ ! -s "$T/sess.period" ]; then	# the first: a new session, its ticket kept
			echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$port" -ign_eof -crlf \
				-sess_out "$T/sess.period" >"$T/out" 2>&1
		else
			echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$port" -ign_eof -crlf \
				-sess_in "$T/sess.period" >"$T/out.$shift" 2>&1
		fi
		kill "$pid"
		wait "$pid" || true
	done
	cat "$T/out.0" "$T/out.3600"
	grep -q '^Reused, TLSv1.3' "$T/out.0"	# another process, the same period
	grep -q '^New, TLSv1.3' "$T/out.3600"	# the next period: a full handshake
}

@test "single-user mode: the parent, the user, holds the key and signs for the session" {
	[ "$(id -u)" = 0 ] || skip "needs root: files of bob's"
	cp "$T/tls/ec.crt" "$T/tls/bob.crt"
	cp "$T/tls/ec.key" "$T/tls/bob.key"
	chown "$(uid bob)" "$T/tls/bob.key"
	chmod 600 "$T/tls/bob.key"
	run env TCPREMOTEIP=192.0.2.1 python3 "$TOP/tests/tlsclient.py" "S:EHLO x" S:STARTTLS T \
		"S:EHLO y" S:QUIT -- "$T/bin/smtp-single" --tls-cert "$T/tls/bob.crt" \
		--tls-key "$T/tls/bob.key"
	echo "$output"
	[[ "$output" == *"TLS: TLSv1.3"*"250-smtp.tttest.com"*"221 "* ]]
	grep -qx "exit 0" <<<"$output"
	# root's 0600 key is not the user's to read: it cannot be opened, so no TLS, and
	# under --require-tls no session
	run env TCPREMOTEIP=192.0.2.1 python3 "$TOP/tests/tlsclient.py" R W -- "$T/bin/smtp-single" \
		"${EC[@]}" --require-tls
	grep -q "^421 " <<<"$output"	# the server's stderr may come first
	grep -q "cannot start: TLS: --tls-key $T/tls/ec.key: Permission denied" "$T/log"
}

@test "a renewed certificate is used by the next connection, with no reload" {
	cp "$T/tls/ec.crt" "$T/tls/live.crt"
	cp "$T/tls/ec.key" "$T/tls/live.key"
	listen PORT_R --tls implicit --tls-cert "$T/tls/live.crt" --tls-key "$T/tls/live.key"
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_R" >"$T/out" 2>&1
	grep -q 'subject=CN = mx.tttest.com' "$T/out"
	cp "$T/tls/other.crt" "$T/tls/live.crt"	# as certbot would
	cp "$T/tls/other.key" "$T/tls/live.key"
	echo QUIT | timeout 10 openssl s_client -connect "127.0.0.1:$PORT_R" >"$T/out" 2>&1
	grep -q 'subject=CN = other.test' "$T/out"
}

# ---------------------------------------------------------------- RFC 3207 rules

@test "CVE-2011-0411: a command pipelined in the same write as STARTTLS is never run" {
	run tlsclient "S:EHLO x" 'P:STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.org>\r\n' R T \
		"S:EHLO y" S:QUIT -- "${EC[@]}"
	echo "$output"
	[ "${lines[-1]}" = "exit 0" ]
	# after 220 and the handshake, the first reply is EHLO's, not RSET's or MAIL's
	[[ "$output" == *$'220 2.0.0 Ready to start TLS\nTLS: TLSv1.3\n250-smtp.tttest.com\n'* ]]
	! grep -q 'evil' "$T/log" || false
	[[ "$output" != *"2.1.0"* ]]
}

@test "STARTTLS: with an argument 501 5.5.4; twice 503 5.5.1; MAIL after TLS before EHLO 503 5.5.1" {
	run tlsclient "S:EHLO x" "S:STARTTLS now" S:STARTTLS T "S:MAIL FROM:<a@tttest.com>" \
		"S:EHLO y" S:STARTTLS S:QUIT -- "${EC[@]}"
	echo "$output"
	[[ "$output" == *"250-STARTTLS"* ]]
	[[ "$output" == *"501 5.5.4 Syntax: STARTTLS"* ]]
	[[ "$output" == *$'TLS: TLSv1.3\n503 5.5.1 Send HELO or EHLO first'* ]]
	[[ "$output" == *"503 5.5.1 TLS already active"* ]]
	[ "$(grep -c 250-STARTTLS <<<"$output")" = 1 ]	# not offered after the handshake
}

@test "STARTTLS resets AUTH: a loopback client authenticated before TLS must again" {
	CLIENT_IP=127.0.0.1 run tlsclient "S:EHLO x" "S:AUTH PLAIN $PLAIN_OK" S:STARTTLS T "S:EHLO y" \
		"S:MAIL FROM:<a@tttest.com>" "S:AUTH PLAIN $PLAIN_OK" S:QUIT -- "${EC[@]}" --require-auth
	echo "$output"
	[[ "$output" == *"235 2.7.0"*"TLS: "*"530 5.7.0 Authentication required"*"235 2.7.0"* ]]
}

@test "STARTTLS is not there with TLS off (502), nor inside a transaction (503)" {
	run tlsclient "S:EHLO x" S:STARTTLS S:QUIT --
	[[ "$output" != *"250-STARTTLS"* ]]
	[[ "$output" == *"502 5.5.1 STARTTLS not available"* ]]
	run tlsclient "S:EHLO x" "S:MAIL FROM:<a@tttest.com>" S:STARTTLS S:QUIT -- "${EC[@]}"
	[[ "$output" == *"503 5.5.1 STARTTLS not allowed in a mail transaction"* ]]
}

@test "AUTH from a non-loopback client: 538 5.7.11 before TLS, offered and accepted after" {
	run tlsclient "S:EHLO x" "S:AUTH PLAIN $PLAIN_OK" S:STARTTLS T "S:EHLO y" \
		"S:AUTH PLAIN $PLAIN_OK" S:QUIT -- "${EC[@]}"
	echo "$output"
	[[ "$output" == *"538 5.7.11 Encryption required for requested authentication mechanism"* ]]
	[[ "$output" == *"TLS: TLSv1.3"*"250-AUTH PLAIN LOGIN"*"235 2.7.0"* ]]
	[ "$(grep -c '250-AUTH' <<<"$output")" = 1 ]	# not before TLS
}

@test "--require-tls: MAIL, SEND and AUTH get 530 5.7.0 before STARTTLS, and work after" {
	CLIENT_IP=127.0.0.1 run tlsclient "S:EHLO x" "S:MAIL FROM:<a@tttest.com>" \
		"S:SEND FROM:<a@tttest.com>" "S:AUTH PLAIN $PLAIN_OK" S:STARTTLS T "S:EHLO y" \
		"S:AUTH PLAIN $PLAIN_OK" "S:MAIL FROM:<alice@tttest.com>" S:QUIT -- "${EC[@]}" --require-tls
	echo "$output"
	[ "$(grep -c '^530 5.7.0 Must issue a STARTTLS command first$' <<<"$output")" = 3 ]
	[ "$(grep -c '^250-AUTH' <<<"$output")" = 1 ]	# offered after TLS only, even to loopback
	[[ "$output" == *"235 2.7.0"*"250 2.1.0 Ok"* ]]
}

@test "a failed handshake is logged with the client and the reason; no reply follows" {
	run tlsclient "S:EHLO x" S:STARTTLS 'G:this is no ClientHello\r\n' W -- "${EC[@]}"
	echo "$output"
	[[ "$output" == *"220 2.0.0 Ready to start TLS"* ]]
	! sed '1,/^220 2.0.0/d' <<<"$output" | grep -Eq '^[0-9]{3}' || false	# no reply after it
	[ "${lines[-1]}" = "exit 0" ]
	grep -q 'TLS handshake failed from 192.0.2.1: handshake: ' "$T/log"
	grep -q 'end=TLS handshake failed$' "$T/log"
}

@test "a client that stalls in the handshake is dropped at the idle timeout" {
	SECONDS=0
	run tlsclient "S:EHLO x" S:STARTTLS W -- "${EC[@]}" --timeout 1
	echo "$output"
	[ "$SECONDS" -lt 5 ]
	[[ "$output" == *$'220 2.0.0 Ready to start TLS\nclosed'* ]]
	grep -q 'TLS handshake failed from 192.0.2.1: timeout$' "$T/log"
	grep -q 'end=TLS handshake timeout$' "$T/log"
}

# ------------------------------------------------------------------- start-up

# Issue 22: a certificate that cannot be used must not stop port 25.  RFC 3207 4: a
# publicly-referenced server must not require TLS, so --tls starttls alone serves on
# without STARTTLS (as Postfix does) and says so, with the file and the fix, once per
# session; --require-tls (587) and implicit TLS (465) cannot go on: 421, or silence.
TLS_FIX="fix TLS= in /etc/default/smtp-session (or --tls-cert and --tls-key): the files must exist and be readable by root"

@test "an expired certificate: logged with the fix when a client asks for TLS; STARTTLS 454 (port 25 goes on, --require-tls 530), silence (implicit)" {
	# TLS is made ready when the client asks for it (issue 23): a session that never
	# says STARTTLS decodes nothing, and the certificate is checked then.
	run tlsclient "S:EHLO x" S:QUIT -- --tls-cert "$T/tls/expired.crt" --tls-key "$T/tls/ec.key"
	echo "$output"
	[[ "$output" == *"250-STARTTLS"* ]]
	! grep -q 'cannot start TLS' "$T/log" || false
	run tlsclient "S:EHLO x" S:STARTTLS "S:EHLO y" "S:MAIL FROM:<a@b.example>" S:QUIT -- \
		--tls-cert "$T/tls/expired.crt" --tls-key "$T/tls/ec.key"
	echo "$output"
	grep -q "^220 smtp.tttest.com ESMTP" <<<"$output"
	[ "$(grep -c "^250-STARTTLS" <<<"$output")" = 1 ]	# offered, then no more
	[[ "$output" == *"454 4.7.0 TLS not available due to temporary reason"* ]]
	[[ "$output" == *"250 2.1.0 Ok"* ]]
	grep -qx "exit 0" <<<"$output"
	# Found in the session process, in its sandbox: the log has it, never stderr
	# (which under inetd is the client's connection).
	! grep -q '^smtp-session: cannot start TLS' <<<"$output" || false
	grep -qF "cannot start TLS: certificate and key 1: the certificate has expired: $TLS_FIX" "$T/log"
	[ "$(grep -c 'cannot start TLS' "$T/log")" = 1 ]	# once
	: >"$T/log"
	run tlsclient "S:EHLO x" S:STARTTLS "S:MAIL FROM:<a@b.example>" S:QUIT -- --require-tls \
		--tls-cert "$T/tls/expired.crt" --tls-key "$T/tls/ec.key"
	echo "$output"
	[[ "$output" == *"454 4.7.0 TLS not available due to temporary reason"* ]]
	[[ "$output" == *"530 5.7.0 Must issue a STARTTLS command first"* ]]
	[[ "$output" != *"250 2.1.0 Ok"* ]]
	grep -qF "cannot start TLS: certificate and key 1: the certificate has expired: $TLS_FIX" "$T/log"
	: >"$T/log"
	run tlsclient --implicit W -- --tls implicit --tls-cert "$T/tls/expired.crt" --tls-key "$T/tls/ec.key"
	echo "$output"
	grep -q "^TLS failed: " <<<"$output"
	[[ "$output" != *"220 "* && "$output" != *"421 "* ]]
	grep -qF "cannot start TLS: certificate and key 1: the certificate has expired: $TLS_FIX" "$T/log"
}

@test "a key that does not match, or a certificate or key that cannot be read: the file and the fix; port 25 without STARTTLS" {
	run tlsclient "S:EHLO x" S:STARTTLS S:QUIT -- --tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/other.key"
	echo "$output"
	grep -q "^220 " <<<"$output"
	[[ "$output" == *"454 4.7.0 TLS not available due to temporary reason"* ]]
	grep -qF "cannot start TLS: certificate and key 1: the key does not match the certificate: $TLS_FIX" "$T/log"
	local f file
	for f in cert key; do
		: >"$T/log"
		local args=(--tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/ec.key")
		[ $f = cert ] && file=$T/tls/missing.crt || file=$T/tls/missing.key
		[ $f = cert ] && args[1]=$file || args[3]=$file
		# port 25: one mistyped path, and the mail still comes (without STARTTLS)
		run tlsclient "S:EHLO x" S:QUIT -- "${args[@]}"
		echo "$output"
		grep -q "^220 " <<<"$output" && [[ "$output" != *"250-STARTTLS"* ]]
		grep -qx "exit 0" <<<"$output"
		local msg="TLS: --tls-$f $file: No such file or directory: serving without STARTTLS: $TLS_FIX"
		grep -qF "$msg" "$T/log"
		[ "$(grep -c 'No such file' "$T/log")" = 1 ]	# once in the log...
		[ "$(grep -c "^smtp-session: $msg\$" <<<"$output")" = 1 ]	# ...and on stderr
		# 587: no session without TLS: 421, and the log names the file and the fix
		: >"$T/log"
		run tlsclient W -- --require-tls "${args[@]}"
		echo "$output"
		grep -q "^421 smtp.tttest.com Service not available" <<<"$output"
		grep -qx "exit 111" <<<"$output"
		grep -qF "cannot start: TLS: --tls-$f $file: No such file or directory: $TLS_FIX" "$T/log"
		# the refusal's log line has every field: the client, what was refused
		grep -q "reject: connect from 192.0.2.1: 421 smtp.tttest.com Service not available" "$T/log"
	done
}

@test "a private key others can read is refused at start-up: the file and the fix, 421, exit 100" {
	[ "$(id -u)" = 0 ] || skip "needs root: files of root's and of another user"
	cp "$T/tls/ec.key" "$T/tls/open.key"
	chmod 644 "$T/tls/open.key"
	run tlsclient R W -- --tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/open.key"
	echo "$output"
	grep -q "^421 " <<<"$output"	# stderr's line may come first
	grep -qx "exit 100" <<<"$output"
	local msg="--tls-key $T/tls/open.key: readable by others (mode 0644, uid 0): run chmod 600 $T/tls/open.key"
	[[ "$output" == *"smtp-session: cannot start: TLS: $msg"* ]]	# stderr
	grep -qF "cannot start: TLS: $msg" "$T/log"
	# group-readable: only for a file of root's (Debian's 0640 root:ssl-cert)
	chmod 640 "$T/tls/open.key"
	chown nobody "$T/tls/open.key"
	run tlsclient R W -- --tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/open.key"
	grep -qx "exit 100" <<<"$output"
	[[ "$output" == *"--tls-key $T/tls/open.key: not owned by root (mode 0640, uid 65534): run chown root $T/tls/open.key"* ]]
	chown root:nogroup "$T/tls/open.key"
	run tlsclient S:QUIT -- --tls-cert "$T/tls/ec.crt" --tls-key "$T/tls/open.key"
	echo "$output"
	grep -q "^220 " <<<"$output"
	grep -qx "exit 0" <<<"$output"
}

@test "a ticket key others could write or own is refused at start-up; a 0600 key of root's works" {
	[ "$(id -u)" = 0 ] || skip "needs root: files of root's and of another user"
	head -c 64 /dev/urandom >"$T/tls/weak.ticket"
	local m
	for m in 620 602 660; do
		chmod "$m" "$T/tls/weak.ticket"
		run tlsclient R W -- "${EC[@]}" --tls-ticket-key "$T/tls/weak.ticket"
		echo "$output"
		grep -q "^421 " <<<"$output"	# stderr's line may come first
		grep -qx "exit 100" <<<"$output"
		[[ "$output" == *"smtp-session: cannot start: TLS: --tls-ticket-key $T/tls/weak.ticket: "*"writable by "*"(mode 0$m, uid 0): run chmod 600 $T/tls/weak.ticket"* ]]
	done
	chmod 600 "$T/tls/weak.ticket"
	chown nobody "$T/tls/weak.ticket"
	run tlsclient R W -- "${EC[@]}" --tls-ticket-key "$T/tls/weak.ticket"
	grep -qx "exit 100" <<<"$output"
	grep -qF "cannot start: TLS: --tls-ticket-key $T/tls/weak.ticket: not owned by root (mode 0600, uid 65534): run chown root $T/tls/weak.ticket" "$T/log"
	chown root "$T/tls/weak.ticket"
	run tlsclient "S:EHLO x" S:QUIT -- "${EC[@]}" --tls-ticket-key "$T/tls/weak.ticket"
	echo "$output"
	[[ "$output" == *"250-STARTTLS"* ]]
	grep -qx "exit 0" <<<"$output"
}

@test "TLS options: usage errors" {
	run "$SMTP_SESSION" --tls implicit
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --tls-cert a.crt
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --tls sometimes --tls-cert a --tls-key b
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --tls-cert a --tls-key b --tls-cert c --tls-key d --tls-cert e --tls-key f
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --require-tls
	[ "$status" = 100 ]
}

# ---------------------------------------------------------------- a real MTA

@test "Postfix as the client (smtp_tls_security_level = encrypt) relays a message: ESMTPS" {
	[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
	command -v postfix >/dev/null || skip "postfix is not installed (make check installs it as root)"
	local pf=$T/pf smtpd_port
	smtpd_port=$(free_port)
	sh "$TOP/tests/pfinst.sh" "$pf" create "$smtpd_port" "relayhost = [127.0.0.1]:$PORT" \
		'smtp_tls_security_level = encrypt' 'smtp_tls_loglevel = 1'
	sh "$TOP/tests/pfinst.sh" "$pf" start
	printf 'Subject: via postfix\n\nhello over TLS from postfix\n' |
		/usr/sbin/sendmail -C "$pf/etc" -i -f alice@example.org -- test@tttest.com
	local ok=0
	sh "$TOP/tests/pfinst.sh" "$pf" drain 20 || ok=$?
	sh "$TOP/tests/pfinst.sh" "$pf" stop
	cat "$pf/log/maillog"
	[ "$ok" = 0 ]
	grep -q 'TLS connection established to 127.0.0.1' "$pf/log/maillog"
	grep -q 'status=sent' "$pf/log/maillog"
	local f
	f=$(delivered test)
	grep -q 'with ESMTPS id' "$f"
	grep -q '^hello over TLS from postfix' "$f"
}

@test "no key material in the session process, ECDSA and RSA; the parent keeps no ticket key file octets" {
	[ "$SMTP_SESSION" = "$TOP/smtp-session" ] || skip "runs in the plain phase only"
	[ "$(id -u)" = 0 ] || skip "needs root: reading /proc/PID/mem"
	# one session with TLS 1.3 (ECDSA), one with TLS 1.2 ECDHE-RSA: the private
	# exponent, primes and CRT values of the RSA key, the ECDSA scalar, the PEM text
	# and the ticket key file's octets are searched for (issue 21)
	run python3 "$TOP/tests/tls-memscan.py" "$PORT_I" "$T/tls/ticket.key" "$T/tls/ec.key" \
		"$T/tls/rsa.key"
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *"TLSv1.3"*"scanned"*"session process"*"TLSv1.2, ECDHE-RSA"*"scanned"*"session process"* ]]
	# the scan does find a key where one is: the parent holds them and signs
	[[ "$output" == *"(as expected) found $T/tls/rsa.key prime1"*"in the privileged parent"* ]]
	[[ "$output" == *"(as expected) found $T/tls/ec.key priv"*"in the privileged parent"* ]]
}

# A hostile stand-in of the session process (tests/hostile.py) asks the real parent
# for signatures; the parent must kill it, log why and exit 111.  CASE WHY [ARGS...]
sign_hostile() {
	local case=$1 why=$2
	shift 2
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE="$case" HOSTILE_DIR="$T" \
		timeout 60 "$T/bin/smtp-test" "$@" </dev/null
	echo "$case: status $status; log:"
	cat "$T/log"
	[ "$status" = 111 ]
	grep -qF "the session process broke the protocol ($why): killed" "$T/log"
	: >"$T/log"
}

@test "a hostile session process gets TLS_SIGN_MAX handshake signatures of its pair's kind, no more" {
	[ -x "$TOP/smtp-session-test" ] || skip "make smtp-session-test first (make check does)"
	run env SMTP_TEST_CHILD="$TOP/tests/hostile.py" HOSTILE_CASE=sign-good \
		timeout 60 "$T/bin/smtp-test" "${EC[@]}" </dev/null
	echo "$output"
	[ "$status" = 0 ]	# the control: a handshake's signature is made
	sign_hostile sign-many "more signatures than a TLS handshake makes" "${EC[@]}"
	sign_hostile sign-raw "a signature the key does not make for TLS" "${EC[@]}"
	sign_hostile sign-length "a signature the key does not make for TLS" "${EC[@]}"
	sign_hostile sign-curve "a signature the key does not make for TLS" "${EC[@]}"
	sign_hostile sign-pair "a signature with a key there is not" "${EC[@]}"
	sign_hostile sign-keys-twice "malformed or repeated TLS keys request" "${EC[@]}"
	sign_hostile sign-pending "a signature asked for with recipients pending" "${EC[@]}"
	sign_hostile sign-no-tls "a TLS request where TLS is off"
}

@test "GnuTLS is made ready only where TLS is configured, once, before the fork" {
	[ "$SMTP_SESSION" = "$TOP/smtp-session" ] || skip "runs in the plain phase only"
	command -v strace >/dev/null || skip "strace is not installed"
	local parent trace=openat,newfstatat,execve
	printf 'QUIT\r\n' | strace -f -qq -e trace=$trace -o "$T/st.off" "$T/bin/smtp" >/dev/null
	printf 'QUIT\r\n' | strace -f -qq -e trace=$trace -o "$T/st.on" "$T/bin/smtp" "${EC[@]}" \
		>/dev/null
	parent=$(grep -F "execve(\"$SMTP_SESSION\"" "$T/st.on" | awk '{print $1}')
	[ -n "$parent" ]
	! grep -q libgnutls "$T/st.off" || false
	if grep -q libgnutls "$T/st.on"; then	# TLS_STATIC=0: dlopen()ed
		# opened once, by the process that ran the program (the parent to be), so
		# that the parent (which holds the keys) and the session share it
		[ "$(grep -c 'libgnutls.so.30' "$T/st.on")" = 1 ]
		grep libgnutls "$T/st.on" | grep -q "^$parent "
	else	# TLS_STATIC=1: linked in; no PKCS #11 library either (p11-kit-none.c)
		! grep -qE 'libp11-kit|libffi|libnettle' "$T/st.on" || false
		# gnutls_global_init() looks for its system-wide priority file: only where
		# TLS is configured (GNUTLS_SKIP_GLOBAL_INIT, keys.c), in the parent to be
		! grep -q /etc/gnutls/config "$T/st.off" || false
		grep /etc/gnutls/config "$T/st.on" | grep -q "^$parent "
		! grep /etc/gnutls/config "$T/st.on" | grep -vq "^$parent " || false
	fi
}

@test "over TLS: a 1 MB message (many records, many reads) and BDAT chunks arrive whole" {
	python3 -c 'import smtplib,ssl,sys
body = "".join("line %06d %s\r\n" % (i, "x" * 60) for i in range(14000))
msg = "Subject: big\r\n\r\n" + body
s=smtplib.SMTP("127.0.0.1",int(sys.argv[1]),timeout=20,local_hostname="py.example.org"); s.starttls(context=ssl._create_unverified_context())
s.sendmail("alice@example.org",["test@tttest.com"],msg); s.quit()' "$PORT"
	local f
	f=$(delivered test)
	grep -q 'with ESMTPS id' "$f"
	[ "$(grep -c '^line [0-9]\{6\} x\{60\}$' "$f")" = 14000 ]
	clear_maildirs
	run tlsclient "S:EHLO x" S:STARTTLS T "S:EHLO y" "S:MAIL FROM:<a@example.org>" \
		"S:RCPT TO:<test@tttest.com>" 'P:BDAT 17\r\nSubject: b\r\n\r\nhel' R \
		'P:BDAT 4 LAST\r\nlo\r\n' R S:QUIT -- "${EC[@]}"
	echo "$output"
	[[ "$output" == *"250 2.0.0 17 octets received"*"250 2.0.0 Ok: delivered"* ]]
	grep -q '^hello$' "$(delivered test)"
}
