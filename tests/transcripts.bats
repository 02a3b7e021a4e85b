#!/usr/bin/env bats
# Every transcript in tests/transcripts/, each piped through smtp-session, plus what
# the transcripts imply for the Maildirs (delivered or not, nothing left in tmp/).

load helpers

setup_file() { setup_users; }
teardown_file() { teardown_users; }
setup() { clear_maildirs; }

# Nothing may be delivered or left behind anywhere.
nothing_kept() {
	local u
	for u in test alice bob root; do
		[ -z "$(delivered "$u")" ] || { echo "delivered to $u"; return 1; }
		[ -z "$(leftovers "$u")" ] || { echo "left in $u's tmp/"; return 1; }
	done
}

@test "every transcript has a test (here or in another .bats file)" {
	local t missing=
	for t in "$TOP"/tests/transcripts/*.t; do
		t=$(basename "$t" .t)
		grep -q "^@test \"transcript $t\"" "$TOP"/tests/*.bats || missing="$missing $t"
	done
	[ -z "$missing" ] || { echo "no test for:$missing"; false; }
}

@test "transcript seed" {
	transcript seed
	[ "$(delivered test | wc -l)" = 1 ]
}

@test "transcript ehlo" { transcript ehlo; }
@test "transcript helo" { transcript helo; }
@test "transcript sequence" { transcript sequence; }
@test "transcript verbs" { transcript verbs; }
@test "transcript long-lines" { transcript long-lines; }
@test "transcript mail-params" { transcript mail-params; }
@test "transcript dsn-params" { transcript dsn-params; }
@test "transcript mail-syntax" { transcript mail-syntax; }
@test "transcript rcpt" { transcript rcpt; }
@test "transcript proxy" { transcript proxy; }
@test "transcript max-recipients" { transcript max-recipients; }
@test "transcript rcpt-repeat" { transcript rcpt-repeat; }
@test "transcript too-many-errors" {
	transcript too-many-errors
	grep -q 'end=errors$' "$T/log"
}

@test "--max-errors defaults to 20: the 20th refused RCPT gets its 550, then 421 4.7.0" {
	local i cmds=("EHLO h" "MAIL FROM:<>")
	for i in $(seq 25); do cmds+=("RCPT TO:<nosuch$i@tttest.com>"); done
	run "$T/bin/smtp" < <(printf '%s\r\n' "${cmds[@]}")
	[ "$(grep -c '^550 5.1.1' <<<"$output")" = 20 ]
	[[ "${lines[-1]}" == "421 4.7.0 smtp.tttest.com Too many errors, closing connection"* ]]
	grep -q 'DEFAULT_MAX_ERRORS 20$' "$TOP/common/config.h"
}

@test "transcript trickle" {
	transcript trickle
	grep -q 'end=timeout' "$T/log"
}

@test "transcript session-timeout" {
	transcript session-timeout
	grep -q 'end=session timeout' "$T/log"
}

@test "transcript pipelining" {
	transcript pipelining
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(delivered alice | wc -l)" = 1 ]
}

@test "transcript size-limit" {
	transcript size-limit
	# Only the small second message arrived.
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: small$' "$(delivered test)"
}

@test "transcript text-lines" {
	transcript text-lines
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: long line$' "$(delivered test)"
}

@test "transcript bare-lf-cr" {
	transcript bare-lf-cr
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: clean$' "$(delivered test)"
}

@test "transcript smuggle-lf-dot-lf" { transcript smuggle-lf-dot-lf; nothing_kept; }
@test "transcript smuggle-lf-dot-crlf" { transcript smuggle-lf-dot-crlf; nothing_kept; }
@test "transcript smuggle-crlf-dot-lf" { transcript smuggle-crlf-dot-lf; nothing_kept; }
@test "transcript smuggle-cr-dot-cr" { transcript smuggle-cr-dot-cr; nothing_kept; }
@test "transcript smuggle-crlf-dot-cr" { transcript smuggle-crlf-dot-cr; nothing_kept; }

@test "transcript timeout" {
	transcript timeout
	grep -q 'end=timeout' "$T/log"
}

@test "transcript timeout-data" {
	transcript timeout-data
	nothing_kept
}

@test "transcript sigterm-data" {
	transcript sigterm-data
	nothing_kept
	grep -q 'end=SIGTERM' "$T/log"
}

@test "transcript send-sequence" {
	transcript send-sequence
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: saml, nobody logged in$' "$(delivered test)"
	grep -q ': from=<alice@example.org> .* verb=SAML$' "$T/log"
}

@test "transcript send-policy" {
	transcript send-policy
	[ "$(delivered test | wc -l)" = 2 ]
	grep -q 'SOML from unknown: no terminal for this client, the mailbox only' "$T/log"
	! grep -q 'verb=S' "$T/log" || false
}

@test "--send: auth, local, any, never, and --no-send as never; anything else is a usage error" {
	local p
	for p in auth local any never; do
		run "$T/bin/smtp" --send "$p" < <(printf '%s\r\n' "EHLO h" QUIT)
		[ "$status" = 0 ]
	done
	[[ "$output" != *SEND* ]]
	run "$T/bin/smtp" --send sometimes </dev/null
	[ "$status" = 100 ]
	grep -q -- "--send sometimes: no such policy: give auth, local, any or never" "$T/log"
	# A loopback client may by default; with --send local too; a remote one neither.
	run env TCPREMOTEIP=127.0.0.1 "$T/bin/smtp" --utmp /dev/null \
		< <(printf '%s\r\n' "EHLO h" "SEND FROM:<>" QUIT)
	[[ "$output" == *"250 2.1.0 Ok"* ]]
	run env TCPREMOTEIP=::1 "$T/bin/smtp" --send local < <(printf '%s\r\n' "EHLO h" "SEND FROM:<>" QUIT)
	[[ "$output" == *"250 2.1.0 Ok"* ]]
	run env TCPREMOTEIP=192.0.2.1 "$T/bin/smtp" --send local \
		< <(printf '%s\r\n' "EHLO h" "SEND FROM:<>" QUIT)
	[[ "$output" == *"550 5.7.1 Terminal messages only from local clients"* ]]	# no AUTH helps
	run env TCPREMOTEIP=192.0.2.1 "$T/bin/smtp" < <(printf '%s\r\n' "EHLO h" "SEND FROM:<>" QUIT)
	[[ "$output" == *"530 5.7.0 Authentication required to send to a terminal"* ]]
	run env TCPREMOTEIP=192.0.2.1 "$T/bin/smtp" --send any --utmp /dev/null \
		< <(printf '%s\r\n' "EHLO h" "SEND FROM:<>" QUIT)
	[[ "$output" == *"250 2.1.0 Ok"* ]]
}

@test "transcript no-send" {
	transcript no-send
	[ "$(delivered test | wc -l)" = 1 ]
}

@test "transcript disconnect-data" {
	transcript disconnect-data
	nothing_kept
	grep -q 'end=lost connection' "$T/log"
}

@test "transcript smtputf8" {
	transcript smtputf8
	local m
	m=$(delivered "j$(printf '\303\274')rgen")
	[ "$(wc -l <<<"$m")" = 1 ]
	# Stored as sent: the UTF-8 header fields, the envelope in the trace fields, and
	# RFC 6531 3.7.3's UTF8SMTP in the Received line.
	grep -q '^Subject: Grüße, 你好$' "$m"
	grep -q '^Straße$' "$m"
	grep -q '^Return-Path: <jörg@bücher.example>$' "$m"
	grep -q '^Delivered-To: jürgen@tttest.com$' "$m"
	grep -Pq '^\tby smtp.tttest.com \(smtp-session\) with UTF8SMTP id ' "$m"
	grep -Pq '^\tfor <jürgen@tttest.com>; ' "$m"
}

@test "transcript smtputf8-bad" { transcript smtputf8-bad; nothing_kept; }
@test "transcript smtputf8-bad-domain" { transcript smtputf8-bad-domain; nothing_kept; }
@test "transcript idna-ulabel" { transcript idna-ulabel; }
@test "transcript idna-alabel" { transcript idna-alabel; }

@test "--domains: one IDNA2008 refuses is a usage error; libidn2 is loaded only for such a domain" {
	run "$T/bin/smtp" --domains 'tttest.com,☃.example' </dev/null
	[ "$status" = 100 ]
	grep -q -- "--domains: ???.example is too long or not valid IDNA2008: give the domains" "$T/log"
	run "$T/bin/smtp" --domains 'tttest.com,BÜCHER.example' </dev/null
	[ "$status" = 100 ]
	# LD_DEBUG=files names every library the loader maps (in a file per process).
	! ldd "$SMTP_SESSION" | grep -q libidn2 || false
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld.ascii" "$T/bin/smtp" < <(printf '%s\r\n' \
		"EHLO h" "MAIL FROM:<a@b.example> SMTPUTF8" "RCPT TO:<test@bücher.example>" QUIT) \
		>/dev/null
	! cat "$T"/ld.ascii.* | grep -q 'file=libidn2' || false
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld.idn" "$T/bin/smtp" --domains bücher.example \
		</dev/null >/dev/null
	cat "$T"/ld.idn.* | grep -q 'file=libidn2\.so\.0'
}

@test "transcript bdat" {
	transcript bdat
	# The chunks as one message, CRLF as LF (also across chunks), dots untouched.
	[ "$(delivered test | wc -l)" = 1 ]
	sed '1,/^$/d' "$(delivered test)" >"$T/got"
	printf 'line\n.\n..\nQUIT\nend\n' | cmp - "$T/got"
	grep -q '^Subject: chunks$' "$(delivered test)"
	grep -Pq '^\tby smtp.tttest.com \(smtp-session\) with ESMTP id ' "$(delivered test)"
	[ "$(delivered bob | wc -l)" = 1 ]
	grep -q '^été$' "$(delivered bob)"
	[ -z "$(delivered alice)" ]
}

@test "transcript bdat-size" {
	transcript bdat-size
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: limit$' "$(delivered test)"
}

@test "transcript bdat-bare" {
	transcript bdat-bare
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Subject: clean$' "$(delivered test)"
	[ -z "$(delivered bob)" ]
}

@test "transcript bdat-pipelining" {
	transcript bdat-pipelining
	[ "$(delivered test | wc -l)" = 1 ]
	printf 'Subject: piped\nHello\nWorld!\n' | cmp - <(sed '1,/^\tfor /d' "$(delivered test)")
	[ "$(delivered bob | wc -l)" = 1 ]
}

@test "transcript bdat-malformed" { transcript bdat-malformed; nothing_kept; }

@test "BDAT with a size that cannot be read: 501, then 421 and the end (each form)" {
	local size out
	for size in "" " " "-5" "+5" "0x10" "1e3" "9223372036854775808" "99999999999999999999" " 5"; do
		out=$(printf 'EHLO h\r\nMAIL FROM:<>\r\nRCPT TO:<test@tttest.com>\r\nBDAT%s\r\nRSET\r\n' "${size:+ $size}" |
			"$T/bin/smtp")
		[ "$(tail -n 2 <<<"$out")" = $'501 5.5.4 Syntax: BDAT <size> [LAST]\r\n421 4.5.0 smtp.tttest.com Cannot tell where the BDAT data ends, closing connection\r' ] ||
			{ echo "BDAT '$size': $out"; false; }
	done
	# 2^63 - 1 is a size: the chunk is read (here cut short by the end of input).
	out=$(printf 'EHLO h\r\nBDAT 9223372036854775807\r\nRSET\r\n' | "$T/bin/smtp")
	[[ "$out" != *"501 5.5.4"* ]]
	nothing_kept
}

@test "transcript bdat-timeout" {
	transcript bdat-timeout
	nothing_kept
	grep -q 'session ends during BDAT, message discarded' "$T/log"
}

@test "transcript max-messages" {
	transcript max-messages
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q 'end=too many messages' "$T/log"
}

@test "transcript bdat-lines" {
	transcript bdat-lines
	[ "$(delivered test | wc -l)" = 1 ]
	local m
	m=$(delivered test)
	grep -q '^Subject: lines$' "$m"
	[ "$(grep -c '^x\{500\}z\{498\}$' "$m")" = 1 ]
	# The line end it lacked was added.
	[ "$(tail -c 13 "$m")" = $'\nno line end' ]
	[ "$(tail -c 1 "$m" | od -An -c | tr -d ' ')" = '\n' ]
}
