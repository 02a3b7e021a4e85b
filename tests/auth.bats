#!/usr/bin/env bats
# ESMTP AUTH through PAM.  A private PAM stack from pam_wrapper: pam_matrix checks
# passwords from a file, pam_debug returns whatever PAM result a test needs, pam_exec
# shows which PAM items the program set.  No root and no real accounts needed, except
# for the one test against the real pam_unix stack.

load helpers

PAM_MODULES=$(pkg-config --variable=modules pam_wrapper 2>/dev/null)
: "${PAM_MODULES:=/usr/lib/x86_64-linux-gnu/pam_wrapper}"
PLAIN_OK=$(printf '\0alice\0secret' | base64)	# AGFsaWNlAHNlY3JldA==

# A PAM service file $T/pam/NAME: alice:secret through pam_matrix, then extra lines.
pam_service() {
	local name=$1
	shift
	echo "alice:secret:$name" >"$T/passdb.$name"
	{
		echo "auth required $PAM_MODULES/pam_matrix.so passdb=$T/passdb.$name"
		echo "account required $PAM_MODULES/pam_matrix.so passdb=$T/passdb.$name"
		printf '%s\n' "$@"
	} >"$T/pam/$name"
}

setup_file() {
	setup_users
	mkdir -p "$T/pam"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam/other"
	pam_service smtp
	pam_service smtp-expired "account required pam_debug.so acct=acct_expired"
	pam_service smtp-newtok "account required pam_debug.so acct=new_authtok_reqd"
	pam_service smtp-locked "account required pam_debug.so acct=perm_denied"
	printf 'auth required pam_debug.so auth=authinfo_unavail\n' >"$T/pam/smtp-unavail"
	# pam_exec runs this with the PAM items in its environment.
	printf '#!/bin/sh\nenv | grep "^PAM_" | sort > %s/items\n' "$T" >"$T/items.sh"
	chmod 755 "$T/items.sh"
	pam_service smtp-items "auth optional pam_exec.so quiet $T/items.sh"
	# A stack where checking a real user's password costs time (as pam_unix's hash
	# does) and an unknown user's does not: pam_exec sleeps for alice only.
	printf '#!/bin/sh\n[ "$PAM_USER" != alice ] || sleep 0.6\nexit 0\n' >"$T/slow.sh"
	chmod 755 "$T/slow.sh"
	{
		echo "auth optional pam_exec.so quiet $T/slow.sh"
		echo "auth required $PAM_MODULES/pam_matrix.so passdb=$T/passdb.smtp"
		echo "account required $PAM_MODULES/pam_matrix.so passdb=$T/passdb.smtp"
	} >"$T/pam/smtp-slow"
	make_server_wrapper smtp-pam libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam"
}

teardown_file() {
	[ -z "${TS_PID:-}" ] || kill "$TS_PID" 2>/dev/null || true
	teardown_users
}

setup() { clear_maildirs; }

pam_session() {
	WRAPPER=smtp-pam session "$@"
}

@test "transcript auth-plain" {
	transcript auth-plain smtp-pam
	grep -q 'with ESMTPA id' "$(delivered test)"	# RFC 3848
	grep -q ': from=<alice@tttest.com> .* user=alice$' "$T/log"
}
@test "transcript auth-plain-challenge" { transcript auth-plain-challenge smtp-pam; }
@test "transcript auth-login" { transcript auth-login smtp-pam; }
@test "transcript auth-errors" { transcript auth-errors smtp-pam; }
@test "transcript auth-plain-malformed" { transcript auth-plain-malformed smtp-pam; }
@test "transcript auth-login-empty-user" { transcript auth-login-empty-user smtp-pam; }
@test "transcript auth-sequence" { transcript auth-sequence smtp-pam; }
@test "transcript auth-long-lines" { transcript auth-long-lines smtp-pam; }
@test "transcript auth-policy-local" { transcript auth-policy-local smtp-pam; }
@test "transcript auth-policy-never" { transcript auth-policy-never smtp-pam; }
@test "transcript require-auth" { transcript require-auth smtp-pam; }
@test "transcript send-after-auth" { transcript send-after-auth smtp-pam; }

@test "transcript auth-three-strikes" {
	transcript auth-three-strikes smtp-pam
	grep -q 'end=auth failures$' "$T/log"
	[ "$(grep -c 'auth: PLAIN user=alice client=unknown failed' "$T/log")" = 3 ]
}

@test "--auth local offers AUTH to a loopback client (IPv4 and IPv6), not to others" {
	run env TCPREMOTEIP=127.0.0.1 "$T/bin/smtp-pam" --auth-delay 0 \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
	[[ "$output" == *"250-AUTH PLAIN LOGIN"* ]]
	[[ "$output" == *"235 2.7.0 Authentication successful"* ]]
	run env REMOTE_ADDR=::1 "$T/bin/smtp-pam" < <(printf '%s\r\n' "EHLO h" QUIT)
	[[ "$output" == *"250-AUTH PLAIN LOGIN"* ]]
	run env TCPREMOTEIP=192.0.2.1 "$T/bin/smtp-pam" < <(printf '%s\r\n' "EHLO h" QUIT)
	[[ "$output" != *AUTH* ]]
}

@test "PAM cannot answer (PAM_AUTHINFO_UNAVAIL): 454 4.7.0, not counted as a failure" {
	run "$T/bin/smtp-pam" --auth always --auth-delay 0 --pam-service smtp-unavail \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" "AUTH PLAIN $PLAIN_OK" \
			"AUTH PLAIN $PLAIN_OK" NOOP QUIT)
	[ "$(grep -c '^454 4.7.0 Temporary authentication failure' <<<"$output")" = 3 ]
	[[ "$output" == *"250 2.0.0 Ok"* ]]
	grep -q 'auth: PLAIN user=alice client=unknown unavailable' "$T/log"
}

@test "expired account, expired password, locked account (pam_acct_mgmt): 535 5.7.8" {
	local svc
	for svc in smtp-expired smtp-newtok smtp-locked; do
		run "$T/bin/smtp-pam" --auth always --auth-delay 0 --pam-service "$svc" \
			< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
		[[ "$output" == *"535 5.7.8 Authentication credentials invalid"* ]] ||
			{ echo "$svc: $output"; false; }
	done
	# The same password through the plain stack is fine: only the account check refused.
	run "$T/bin/smtp-pam" --auth always --auth-delay 0 \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
	[[ "$output" == *"235 2.7.0"* ]]
}

@test "PAM items: PAM_RHOST is the client, PAM_RUSER the user, PAM_TTY smtp; --pam-service" {
	run env TCPREMOTEIP=192.0.2.9 "$T/bin/smtp-pam" --auth always --auth-delay 0 \
		--pam-service smtp-items < <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
	[[ "$output" == *"235 2.7.0"* ]]
	grep -qx 'PAM_RHOST=192.0.2.9' "$T/items"
	grep -qx 'PAM_RUSER=alice' "$T/items"
	grep -qx 'PAM_TTY=smtp' "$T/items"
	grep -qx 'PAM_SERVICE=smtp-items' "$T/items"
	grep -qx 'PAM_USER=alice' "$T/items"
}

@test "the password never reaches the log, neither plain nor in base64" {
	local pw=Sup3r-Secret-9 b64 wrong
	echo "alice:$pw:smtp" >"$T/passdb.smtp"
	b64=$(printf '\0alice\0%s' "$pw" | base64)
	wrong=$(printf '\0alice\0%sX' "$pw" | base64)
	run "$T/bin/smtp-pam" --auth always --auth-delay 0 < <(printf '%s\r\n' "EHLO h" \
		"AUTH PLAIN $wrong" "AUTH LOGIN" "$(printf alice | base64)" \
		"$(printf '%s' "$pw" | base64)" QUIT)
	local first=$output
	run "$T/bin/smtp-pam" --auth always --auth-delay 0 < <(printf '%s\r\n' "EHLO h" \
		"AUTH PLAIN $b64" QUIT)
	echo "alice:secret:smtp" >"$T/passdb.smtp"
	[[ "$first" == *"535 5.7.8"*"235 2.7.0"* ]]
	[[ "$output" == *"235 2.7.0"* ]]
	grep -q 'auth: LOGIN user=alice client=unknown ok' "$T/log"
	grep -q 'auth: PLAIN user=alice client=unknown failed' "$T/log"
	! grep -qF "$pw" "$T/log" || false
	! grep -qF "$b64" "$T/log" || false
	! grep -qF "$(printf '%s' "$pw" | base64)" "$T/log" || false
}

@test "a failed AUTH costs --auth-delay; a good one does not" {
	# Load only ever lengthens a session, so each side is checked in the direction
	# load cannot break: a failure must take at least its 700 ms delay, and a good
	# AUTH must not pay a delay at all, shown with a delay of one minute (the most
	# --auth-delay allows) that would hold the session past the 50 s timeout.
	local t0 t1
	t0=$(date +%s%N)
	printf '%s\r\n' "EHLO h" "AUTH PLAIN $(printf '\0alice\0nope' | base64)" QUIT |
		"$T/bin/smtp-pam" --auth always --auth-delay 700 >/dev/null
	t1=$(date +%s%N)
	echo "failed AUTH with --auth-delay 700: $(((t1 - t0) / 1000000)) ms"
	[ $((t1 - t0)) -ge 700000000 ]
	run timeout 50 "$T/bin/smtp-pam" --auth always --auth-delay 60000 \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
	[ "$status" = 0 ]
	[[ "$output" == *"235 2.7.0"*"221 2.0.0"* ]]
	grep -q 'DEFAULT_AUTH_DELAY_MS 2000' "$TOP/common/config.h"	# production default >= 1 s
}

# Milliseconds from sending one AUTH PLAIN for user $1 (a wrong password) to its 535,
# in a session of the server the rest of the arguments start; the start-up of the
# server (slow under valgrind) is not counted.
auth_ms() {
	python3 - "$@" <<'PY'
import base64, subprocess, sys, time
user, cmd = sys.argv[1], sys.argv[2:]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def line():
    got = p.stdout.readline()
    if not got:
        sys.exit("the server closed the connection")
    return got
def send(text):
    p.stdin.write(text + b"\r\n")
    p.stdin.flush()
line()
send(b"EHLO h")
while not line().startswith(b"250 "):
    pass
t0 = time.monotonic()
send(b"AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0wrong"))
answer = line()
t1 = time.monotonic()
assert answer.startswith(b"535 "), answer
send(b"QUIT")
p.stdin.close()
p.stdout.read()
p.wait()
print(int((t1 - t0) * 1000))
PY
}

@test "a failed AUTH takes as long for an unknown user as for a real one: padded to --auth-delay from the start" {
	# PAM takes 600 ms more for alice (smtp-slow), as pam_unix's hash does for a real
	# user.  Each failure is padded to 1000 ms from the start of the check, so both
	# kinds take about 1000 ms.  What load cannot break: every failure takes at least
	# the delay, and the quickest of alice's tries stays under delay + PAM's 600 ms,
	# which every one of them took when the delay came after PAM (load would have to
	# slow down every one of her tries by 600 ms to break it).
	local i real=() unknown=() min_real=999999 max_unknown=0 ms
	for i in 1 2 3 4; do
		real+=("$(auth_ms alice "$T/bin/smtp-pam" --auth always --auth-delay 1000 \
			--pam-service smtp-slow)")
		unknown+=("$(auth_ms nosuchuser "$T/bin/smtp-pam" --auth always --auth-delay 1000 \
			--pam-service smtp-slow)")
	done
	echo "real user: ${real[*]} ms; unknown user: ${unknown[*]} ms"
	for ms in "${real[@]}" "${unknown[@]}"; do [ "$ms" -ge 1000 ]; done
	for ms in "${real[@]}"; do [ "$ms" -ge "$min_real" ] || min_real=$ms; done
	for ms in "${unknown[@]}"; do [ "$ms" -le "$max_unknown" ] || max_unknown=$ms; done
	[ "$min_real" -lt 1600 ]
	grep -c 'auth: PLAIN user=alice client=unknown failed' "$T/log"
}

@test "an AUTH user name with a newline and ESC, quotes, a space or bad UTF-8: 535 5.7.8, PAM never sees it, the log escapes it" {
	local name
	for name in $'alice\n\e[2Jroot' 'ali"ce' "ali'ce" 'ali\ce' 'ali ce' $'ali\xffce' \
		$'ali\u202ece'; do
		rm -f "$T/items"
		run "$T/bin/smtp-pam" --auth always --auth-delay 0 --pam-service smtp-items \
			< <(printf '%s\r\n' "EHLO h" \
				"AUTH PLAIN $(printf '\0%s\0secret' "$name" | base64 -w0)" \
				"AUTH LOGIN $(printf '%s' "$name" | base64 -w0)" \
				"$(printf secret | base64)" QUIT)
		[ "$(grep -c '^535 5.7.8 Authentication credentials invalid' <<<"$output")" = 2 ] ||
			{ echo "$name: $output"; false; }
		[ ! -e "$T/items" ] || { echo "$name reached PAM"; cat "$T/items"; false; }
	done
	grep -qF 'auth: PLAIN user=alice\x0A\x1B[2Jroot client=unknown failed: unsafe user name, not passed to PAM' "$T/log"
	grep -qF 'user=ali\xFFce' "$T/log"
	! grep -q $'\e' "$T/log" || false
	# A name in well-formed, printable UTF-8 does reach PAM (EHLO offers SMTPUTF8).
	run "$T/bin/smtp-pam" --auth always --auth-delay 0 --pam-service smtp-items \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $(printf '\0jürgen\0secret' | base64)" QUIT)
	[[ "$output" == *"535 5.7.8"* ]]
	grep -qx 'PAM_USER=jürgen' "$T/items"
}

@test "real clients over loopback TCP: swaks PLAIN and LOGIN, smtplib login(), curl --user" {
	tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp-pam" --auth-delay 0 \
		>"$T/ts.port" 2>/dev/null 3>&- &
	TS_PID=$!
	local i port
	for i in $(seq 50); do [ -s "$T/ts.port" ] && break; sleep 0.1; done
	port=$(head -1 "$T/ts.port")
	# Default policy (local): loopback clients are offered AUTH.
	run swaks --server "127.0.0.1:$port" --auth PLAIN --auth-user alice \
		--auth-password secret --from alice@tttest.com --to test@tttest.com --body plain
	[ "$status" = 0 ]
	run swaks --server "127.0.0.1:$port" --auth LOGIN --auth-user alice \
		--auth-password secret --from alice@tttest.com --to bob@tttest.com --body login
	[ "$status" = 0 ]
	run swaks --server "127.0.0.1:$port" --auth PLAIN --auth-user alice \
		--auth-password wrong --from alice@tttest.com --to bob@tttest.com
	[ "$status" = 28 ]
	run python3 - "$port" <<'EOF'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example.org") as s:
    s.login("alice", "secret")
    s.sendmail("alice@tttest.com", ["alice@tttest.com"], b"Subject: smtplib\r\n\r\nx\r\n")
print("ok")
EOF
	[ "$output" = ok ]
	printf 'Subject: curl\r\n\r\nvia curl\r\n' >"$T/msg"
	run curl -sS --url "smtp://127.0.0.1:$port" --user alice:secret --login-options AUTH=PLAIN \
		--mail-from alice@tttest.com --mail-rcpt john.doe@tttest.com --upload-file "$T/msg"
	[ "$status" = 0 ]
	kill "$TS_PID"
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	[ "$(delivered john.doe | wc -l)" = 1 ]
	grep -q 'with ESMTPA id' "$(delivered alice)"
	[ "$(grep -c 'auth: .* user=alice client=127.0.0.1 ok' "$T/log")" = 4 ]
}

@test "the real pam_unix stack with a temporary real user (root only)" {
	[ "$(id -u)" = 0 ] || skip "needs root: creates a real user and /etc/pam.d file, and pam_unix checks other users' passwords only as root"
	command -v useradd >/dev/null || skip "useradd is not installed"
	local user=smtpt$$ svc=smtp-session-test-$$ pw=Re4l-pw-$$ out
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$user"
	echo "$user:$pw" | chpasswd
	printf '@include common-auth\n@include common-account\n' >"/etc/pam.d/$svc"
	out=$(printf '%s\r\n' "EHLO h" "AUTH PLAIN $(printf '\0%s\0%s' "$user" "$pw" | base64)" \
		"AUTH PLAIN x" QUIT | "$SMTP_SESSION" --auth always --auth-delay 0 \
		--pam-service "$svc" --log-file "$T/log" 2>&1)
	local bad
	bad=$(printf '%s\r\n' "EHLO h" "AUTH PLAIN $(printf '\0%s\0wrong' "$user" | base64)" QUIT |
		"$SMTP_SESSION" --auth always --auth-delay 0 --pam-service "$svc" \
		--log-file "$T/log" 2>&1)
	# Timing through pam_unix: a wrong password for the real user (a yescrypt hash)
	# and an unknown user, each padded to --auth-delay from the start of the check.
	local i real=() unknown=() ms
	for i in 1 2 3; do
		real+=("$(auth_ms "$user" "$SMTP_SESSION" --auth always --auth-delay 500 \
			--pam-service "$svc" --log-file "$T/log")")
		unknown+=("$(auth_ms "nosuch$$" "$SMTP_SESSION" --auth always --auth-delay 500 \
			--pam-service "$svc" --log-file "$T/log")")
	done
	userdel "$user" 2>/dev/null
	rm -f "/etc/pam.d/$svc"
	echo "pam_unix, --auth-delay 500: real user ${real[*]} ms; unknown user ${unknown[*]} ms"
	[[ "$out" == *"235 2.7.0 Authentication successful"* ]]
	[[ "$bad" == *"535 5.7.8 Authentication credentials invalid"* ]]
	for ms in "${real[@]}" "${unknown[@]}"; do [ "$ms" -ge 500 ]; done
}

@test "libpam is not linked: only a session that uses AUTH loads it" {
	! ldd "$SMTP_SESSION" | grep -q libpam || false
	# LD_DEBUG=files names every library the loader maps (on stderr, into a file here).
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld.plain" "$T/bin/smtp" < <(printf '%s\r\n' "EHLO h" \
		"MAIL FROM:<>" "RCPT TO:<test@tttest.com>" DATA x . QUIT) >/dev/null
	! cat "$T"/ld.plain.* | grep -q 'file=libpam\.so' || false
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld.auth" "$T/bin/smtp" --auth always --auth-delay 0 \
		< <(printf '%s\r\n' "EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT) >/dev/null
	cat "$T"/ld.auth.* | grep -q 'file=libpam\.so\.0'
}

@test "--proxy: PAM_RHOST is the client the PROXY header names, not the proxy" {
	run env TCPREMOTEIP=127.0.0.1 "$T/bin/smtp-pam" --proxy --auth always --auth-delay 0 \
		--pam-service smtp-items < <(printf '%s\r\n' "PROXY TCP4 192.0.2.44 127.0.0.1 5000 25" \
		"EHLO h" "AUTH PLAIN $PLAIN_OK" QUIT)
	[[ "$output" == *"235 2.7.0"* ]]
	grep -qx 'PAM_RHOST=192.0.2.44' "$T/items"
}
