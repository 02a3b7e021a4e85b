#!/usr/bin/env bats
# What lands in the Maildirs: headers, bytes, names, modes, owners; and what does not
# land when something fails (disk full, quota, I/O error, symlinks, signals).

load helpers

setup_file() {
	setup_users
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
	make_report_relay
}
teardown_file() { teardown_users; }
setup() {
	clear_maildirs
	rm -f "$T"/relay/run.*
}

# One message from alice to the given recipients (default test), body "hello".
send_to() {
	local rcpts=() r
	for r in "${@:-test@tttest.com}"; do rcpts+=("RCPT TO:<$r>"); done
	session "EHLO client.example.org" "MAIL FROM:<alice@example.org>" "${rcpts[@]}" \
		DATA "Subject: hi" "" hello . QUIT
}

# The message text of a delivered file: everything after our 5 trace header lines.
body_of() { tail -n +6 "$1"; }

@test "delivered copy: trace headers, LF line ends, Maildir name with size, mode 0600" {
	run env TCPREMOTEIP=192.0.2.7 "$T/bin/smtp" < <(printf '%s\r\n' \
		"EHLO client.example.org" "MAIL FROM:<alice@example.org>" \
		"RCPT TO:<test@tttest.com>" DATA "Subject: hi" "" "line one" "line two" . QUIT)
	[ "$status" = 0 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	local f
	f=$(delivered test)
	[ "$(echo "$f" | wc -l)" = 1 ]
	# DJB's name: <sec>.M<usec>P<pid>Q<n>.<host>,S=<size>, and S is the real size.
	[[ "$(basename "$f")" =~ ^[0-9]+\.M[0-9]{6}P[0-9]+Q1\.smtp\.tttest\.com,S=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "$(stat -c %s "$f")" ]
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(sed -n 1p "$f")" = "Return-Path: <alice@example.org>" ]
	[ "$(sed -n 2p "$f")" = "Delivered-To: test@tttest.com" ]
	[ "$(sed -n 3p "$f")" = "Received: from client.example.org ([192.0.2.7])" ]
	[[ "$(sed -n 4p "$f")" =~ ^$'\t'"by smtp.tttest.com (smtp-session) with ESMTP id "[0-9A-F]+\.[0-9A-F]+\.1$ ]]
	[[ "$(sed -n 5p "$f")" =~ ^$'\t'"for <test@tttest.com>; "[A-Z][a-z]{2}", "[0-9]{2}" "[A-Z][a-z]{2}" "[0-9]{4}" "[0-9:]{8}" "[-+][0-9]{4}$ ]]
	[ "$(body_of "$f")" = "$(printf 'Subject: hi\n\nline one\nline two')" ]
	! grep -q $'\r' "$f" || false
	[ -z "$(leftovers test)" ]
}

@test "SMTPUTF8: bidi and invisible format characters in the sender are escaped in Return-Path (\\ooo) and in the log ('?'); printable UTF-8 is kept" {
	# U+202E (right-to-left override), U+200B (zero width space), U+FEFF, U+2066,
	# U+061C; then a printable one, U+00E9.
	local from
	from=$(printf 'a\342\200\256b\342\200\213c\357\273\277d\342\201\246e\330\234f\303\251@example.org')
	run session "EHLO client.example.org" "MAIL FROM:<$from> SMTPUTF8" \
		"RCPT TO:<test@tttest.com>" DATA "Subject: hi" "" hello . QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]] || { echo "$output"; false; }
	local f
	f=$(delivered test)
	sed -n 1p "$f" | cat -A
	[ "$(sed -n 1p "$f")" = 'Return-Path: <a\342\200\256b\342\200\213c\357\273\277d\342\201\246e\330\234f'$'\303\251''@example.org>' ]
	# Not a byte of the five is left raw anywhere in the trace fields.
	! head -n 5 "$f" | grep -q $'\342\200\256\|\342\200\213\|\357\273\277\|\342\201\246\|\330\234' || false
	grep -q 'from=<a???b???c???d???e??f??@example.org>' "$T/log"
	! grep -q $'\342\200\256' "$T/log" || false
}

@test "files and created Maildirs belong to the recipient (real uid drop, root only)" {
	[ "$(id -u)" = 0 ] || skip "needs root: as an ordinary user uid_wrapper only pretends to change uid, files keep the real owner"
	send_to test@tttest.com bob@tttest.com
	[ "$(stat -c %u:%g "$(delivered test)")" = "$(uid test):$(uid test)" ]
	[ "$(stat -c %u:%g "$(delivered bob)")" = "$(uid bob):$(uid bob)" ]
	local d
	for d in "" /tmp /new /cur; do
		[ "$(stat -c %u:%a "$T/home/test/Maildir$d")" = "$(uid test):700" ]
	done
}

@test "HELO gives 'with SMTP'; REMOTE_ADDR names the client; a bogus address is ignored" {
	REMOTE_ADDR=2001:db8::7 session "HELO old.example.org" "MAIL FROM:<>" \
		"RCPT TO:<test@tttest.com>" DATA x . QUIT
	grep -q '^Received: from old.example.org (\[IPv6:2001:db8::7\])$' "$(delivered test)"
	grep -q 'with SMTP id' "$(delivered test)"
	grep -q '^Return-Path: <>$' "$(delivered test)"
	clear_maildirs
	TCPREMOTEIP='1.2.3.4) (forged' session "HELO h" "MAIL FROM:<>" \
		"RCPT TO:<test@tttest.com>" DATA x . QUIT
	grep -q '^Received: from h$' "$(delivered test)"
}

@test "dot-stuffed lines are unstuffed" {
	session "HELO h" "MAIL FROM:<>" "RCPT TO:<test@tttest.com>" DATA \
		"Subject: dots" "" "..leading dot" "..." ". space" "a.b" . QUIT
	[ "$(body_of "$(delivered test)")" = "$(printf 'Subject: dots\n\n.leading dot\n..\n space\na.b')" ]
}

@test "every byte value 1-255 arrives unchanged (8-bit clean)" {
	python3 "$TOP/tests/mkmsg.py" bytes "$T/in" "$T/want"
	run "$T/bin/smtp" < "$T/in"
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	body_of "$(delivered test)" > "$T/got"
	cmp "$T/want" "$T/got"
}

@test "a 20 MB message arrives byte for byte in constant memory" {
	python3 "$TOP/tests/mkmsg.py" big 1 "$T/small" "$T/small.want"
	python3 "$TOP/tests/mkmsg.py" big 20 "$T/in" "$T/want"
	local rss='import resource, subprocess, sys
subprocess.run([sys.argv[1], "--max-size", "30000000"], stdin=open(sys.argv[2], "rb"),
               stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)'
	local small big
	small=$(python3 -c "$rss" "$T/bin/smtp" "$T/small")
	clear_maildirs
	big=$(python3 -c "$rss" "$T/bin/smtp" "$T/in")
	body_of "$(delivered test)" > "$T/got"
	cmp "$T/want" "$T/got"
	echo "peak RSS: 1 MB message ${small} KiB, 20 MB message ${big} KiB"
	# Streaming: 19 MB more message may not cost even 1 MiB more memory.
	[ "$big" -lt $((small + 1024)) ]
}

@test "a 20 MB message in BDAT chunks (1 MB each, or one) arrives byte for byte in constant memory" {
	python3 "$TOP/tests/mkmsg.py" big 1 "$T/small" "$T/small.want"
	python3 "$TOP/tests/mkmsg.py" big 20 "$T/data" "$T/want"
	# The message as sent: the expected text with CRLF (it holds no CR or LF besides).
	python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n"))' \
		"$T/want" >"$T/msg"
	python3 "$TOP/tests/bdat.py" --session alice@example.org test@tttest.com "$T/msg" 1048576 "$T/chunks"
	python3 "$TOP/tests/bdat.py" --session alice@example.org test@tttest.com "$T/msg" 30000000 "$T/one"
	local rss='import resource, subprocess, sys
subprocess.run([sys.argv[1], "--max-size", "30000000"], stdin=open(sys.argv[2], "rb"),
               stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)'
	local small chunks one
	small=$(python3 -c "$rss" "$T/bin/smtp" "$T/small")
	clear_maildirs
	chunks=$(python3 -c "$rss" "$T/bin/smtp" "$T/chunks")
	body_of "$(delivered test)" | cmp "$T/want" -
	clear_maildirs
	one=$(python3 -c "$rss" "$T/bin/smtp" "$T/one")
	body_of "$(delivered test)" | cmp "$T/want" -
	echo "peak RSS: 1 MB by DATA ${small} KiB, 20 MB in 1 MB chunks ${chunks} KiB, in one chunk ${one} KiB"
	# The chunk size does not matter: nothing is kept in memory but ibuf.
	[ "$chunks" -lt $((small + 1024)) ]
	[ "$one" -lt $((small + 1024)) ]
}

@test "100 recipients get one copy each; the 101st gets 452 4.5.3" {
	local i cmds=()
	for i in $(seq -w 1 101); do
		grep -q "^u$i:" "$T/passwd" || add_user "u$i" $((2000 + 10#$i))
		cmds+=("RCPT TO:<u$i@tttest.com>")
	done
	run session "EHLO h" "MAIL FROM:<>" "${cmds[@]}" DATA "Subject: many" "" x . QUIT
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = 100 ]
	[ "$(grep -c '^452 4.5.3 Too many recipients' <<<"$output")" = 1 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	for i in $(seq -w 1 100); do
		[ "$(delivered "u$i" | wc -l)" = 1 ] || { echo "u$i has no copy"; false; }
		grep -q "^Delivered-To: u$i@tttest.com$" "$(delivered "u$i")"
	done
	[ -z "$(delivered u101)" ]
}

@test "the same user twice (two addresses) gets one copy" {
	send_to test@tttest.com test@localhost TEST@tttest.com
	[ "$(delivered test | wc -l)" = 1 ]
}

@test "postmaster goes to --postmaster" {
	printf '%s\r\n' "HELO h" "MAIL FROM:<>" "RCPT TO:<PostMaster@tttest.com>" DATA x . QUIT |
		"$T/bin/smtp" --postmaster alice
	[ "$(delivered alice | wc -l)" = 1 ]
	grep -q '^Delivered-To: PostMaster@tttest.com$' "$(delivered alice)"
	[ -z "$(delivered root)" ]
}

@test "two messages in one session make two files" {
	session "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" DATA one . \
		"MAIL FROM:<b@example.org>" "RCPT TO:<test@tttest.com>" DATA two . QUIT
	[ "$(delivered test | wc -l)" = 2 ]
	grep -l '^one$' $(delivered test) | grep -q Q1
	grep -l '^two$' $(delivered test) | grep -q Q2
}

@test "--maildir: a relative path below each home is created, mode 0700" {
	printf '%s\r\n' "HELO h" "MAIL FROM:<>" "RCPT TO:<test@tttest.com>" DATA x . QUIT |
		"$T/bin/smtp" --maildir Mail/inbox
	[ "$(find "$T/home/test/Mail/inbox/new" -type f | wc -l)" = 1 ]
	[ "$(stat -c %a "$T/home/test/Mail")" = 700 ]
	[ -d "$T/home/test/Mail/inbox/cur" ]
}

@test "a symlinked Maildir or new/ is never followed: 450 at RCPT" {
	mkdir -p "$T/home/bob/Maildir/new" "$T/home/bob/Maildir/tmp" "$T/home/bob/Maildir/cur"
	ln -s "$T/home/bob/Maildir" "$T/home/alice/Maildir"
	run send_to alice@tttest.com
	[[ "$output" == *"450 4.2.0 <alice@tttest.com>: Mailbox unavailable (not a directory)"* ]]
	[ -z "$(find "$T/home/bob/Maildir" -type f)" ]
	rm "$T/home/alice/Maildir"
	mkdir -p "$T/home/test/Maildir/tmp" "$T/home/test/Maildir/cur" "$T/elsewhere"
	ln -s "$T/elsewhere" "$T/home/test/Maildir/new"
	run send_to test@tttest.com
	[[ "$output" == *"450 4.2.0 <test@tttest.com>: Mailbox unavailable (not a directory)"* ]]
	[ -z "$(find "$T/elsewhere" "$T/home/test/Maildir/tmp" -type f)" ]
	grep -q 'mailbox of test: Not a directory' "$T/log"	# O_NOFOLLOW|O_DIRECTORY
}

# A Maildir of user $1 owned by them, made before the session.
own_maildir() {
	mkdir -p "$T/home/$1/Maildir/tmp" "$T/home/$1/Maildir/new" "$T/home/$1/Maildir/cur"
	if [ "$(id -u)" = 0 ]; then
		chown -R "$(awk -F: -v u="$1" '$1 == u { print $3 ":" $4 }' "$T/passwd")" \
			"$T/home/$1/Maildir"
	fi
}

@test "one helper per recipient user for the whole session, as the user with the primary group only" {
	[ "$(id -u)" = 0 ] || skip "needs root: uid_wrapper only pretends to change uid"
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	"$T/bin/smtp" <"$T/fifo" >"$T/out" &
	local pid=$! i helper=
	exec 5>"$T/fifo"
	# alice is also in group mail (8): initgroups() would have given her helper that.
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" DATA one . \
		"MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" DATA two . NOOP >&5
	for i in $(seq 200); do
		grep -q '^250 2.0.0 Ok' "$T/out" && [ "$(grep -c '^250 2.0.0 Ok: delivered' "$T/out")" = 2 ] && break
		sleep 0.1
	done
	a=$(uid alice)
	helper=$(ps -o pid=,uid= --ppid "$pid" | awk -v a="$a" '$2 == a { print $1 }')
	[ "$(echo "$helper" | wc -w)" = 1 ]	# one for both messages
	grep -E "^Uid:\s+$a\s+$a\s+$a\s+$a\$" "/proc/$helper/status"
	grep -E "^Groups:\s*$a\s*\$" "/proc/$helper/status"
	printf '%s\r\n' QUIT >&5
	exec 5>&-
	wait "$pid"
	[ "$(delivered alice | wc -l)" = 2 ]
	# Both copies were written by the same helper: the P<pid> of their names.
	[ "$(delivered alice | sed -E 's/.*P([0-9]+)Q.*/\1/' | sort -u)" = "$helper" ]
}

@test "more recipient users in one session than HELPERS_MAX (100): the least recently used helpers end, all mail arrives" {
	local i lines=("EHLO h")
	for i in $(seq 1 120); do
		grep -q "^many$i:" "$T/passwd" || add_user "many$i" $((20000 + i))
	done
	for i in 1 61; do	# two messages of 60 distinct users each
		lines+=("MAIL FROM:<>")
		for u in $(seq "$i" $((i + 59))); do lines+=("RCPT TO:<many$u@tttest.com>"); done
		lines+=(DATA "Subject: many" "" "to 60" .)
	done
	lines+=("MAIL FROM:<>" "RCPT TO:<many1@tttest.com>" DATA again . QUIT)
	run timeout 120 "$T/bin/smtp" < <(printf '%s\r\n' "${lines[@]}")
	[ "$status" = 0 ]
	[ "$(grep -c '250 2.0.0 Ok: delivered' <<<"$output")" = 3 ]
	for i in $(seq 1 120); do
		[ "$(delivered "many$i" | wc -l)" = "$([ "$i" = 1 ] && echo 2 || echo 1)" ]
	done
	! grep -q 'killed\|did not end' "$T/log" || false	# the evicted ones ended when told
	# many1's helper was ended to make room, so its second copy has another writer.
	[ "$(delivered many1 | sed -E 's/.*P([0-9]+)Q.*/\1/' | sort -u | wc -l)" = 2 ]
}

@test "a broken co-recipient's mailbox gets 450 4.2.0 at RCPT; the others still get the message" {
	own_maildir test
	chmod 000 "$T/home/test/Maildir"
	own_maildir bob
	rmdir "$T/home/bob/Maildir/new"
	mkfifo "$T/home/bob/Maildir/new"
	own_maildir john.doe
	rmdir "$T/home/john.doe/Maildir/new"
	: >"$T/home/john.doe/Maildir/new"
	run send_to test@tttest.com alice@tttest.com bob@tttest.com john.doe@tttest.com
	chmod 700 "$T/home/test/Maildir"
	[[ "$output" == *"450 4.2.0 <test@tttest.com>: Mailbox unavailable (not writable)"* ]]
	[[ "$output" == *"450 4.2.0 <bob@tttest.com>: Mailbox unavailable (not a directory)"* ]]
	[[ "$output" == *"450 4.2.0 <john.doe@tttest.com>: Mailbox unavailable (not a directory)"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered alice | wc -l)" = 1 ]
	[ -z "$(delivered test)$(leftovers test)$(leftovers bob)$(leftovers john.doe)" ]
	[ -p "$T/home/bob/Maildir/new" ]	# left as it was
	grep -q 'mailbox of test: Permission denied' "$T/log"
}

@test "a mailbox the user cannot write (root-owned tmp/) gets 450 4.2.0" {
	[ "$(id -u)" = 0 ] || skip "needs root: a directory of another owner"
	own_maildir test
	chown 0:0 "$T/home/test/Maildir/tmp"
	chmod 755 "$T/home/test/Maildir/tmp"
	run send_to test@tttest.com
	[[ "$output" == *"450 4.2.0 <test@tttest.com>: Mailbox unavailable (not writable)"* ]]
	[[ "$output" == *"503 5.5.1 No valid recipients"* ]]
}

@test "a full mailbox gets 452 4.2.2 at RCPT; the others still get the message" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=statvfs FAULT_PATH=/home/bob/Maildir/tmp \
		run send_to alice@tttest.com bob@tttest.com
	[[ "$output" == *"452 4.2.2 <bob@tttest.com>: Mailbox full, try again later"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered alice | wc -l)" = 1 ]
	[ -z "$(delivered bob)$(leftovers bob)" ]
	grep -q 'mailbox of bob: no room for 0 bytes' "$T/log"
}

@test "MAIL's SIZE= is checked against the free space at RCPT (452 4.2.2 for 1 TiB)" {
	run session "EHLO h" "MAIL FROM:<> SIZE=1099511627776" "RCPT TO:<test@tttest.com>" \
		"MAIL FROM:<> SIZE=1000" QUIT
	[[ "$output" != *"452 4.2.2"* ]]	# over --max-size: refused at MAIL already
	printf '%s\r\n' "EHLO h" "MAIL FROM:<> SIZE=1099511627776" "RCPT TO:<test@tttest.com>" \
		RSET "MAIL FROM:<> SIZE=1000" "RCPT TO:<test@tttest.com>" QUIT |
		"$T/bin/smtp" --max-size 1099511627776 >"$T/out"
	grep -q '^452 4.2.2 <test@tttest.com>: Mailbox full' "$T/out"
	grep -q '^250 2.1.5 Ok' "$T/out"
	grep -q 'mailbox of test: no room for 1099511627776 bytes' "$T/log"
}

@test "a large message is written into tmp/ while it arrives, then moved to new/" {
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	"$T/bin/smtp" <"$T/fifo" >"$T/out" &
	local pid=$! i size=0
	exec 5>"$T/fifo"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" \
		"RCPT TO:<alice@tttest.com>" DATA >&5
	python3 -c 'import sys; sys.stdout.write(("x" * 78 + "\r\n") * 20000)' >&5
	# Before the final dot, each recipient's copy in tmp/ already holds most of it.
	for i in $(seq 300); do
		size=$(find "$T/home/bob/Maildir/tmp" "$T/home/alice/Maildir/tmp" -type f \
			-size +1000k 2>/dev/null | wc -l)
		[ "$size" = 2 ] && break
		sleep 0.1
	done
	[ -z "$(delivered bob)" ]
	printf '%s\r\n' . QUIT >&5
	exec 5>&-
	wait "$pid"
	[ "$size" = 2 ]
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	[ "$(body_of "$(delivered bob)" | wc -l)" = 20000 ]
	cmp <(body_of "$(delivered bob)") <(body_of "$(delivered alice)")
	[ -z "$(leftovers bob)$(leftovers alice)" ]
}

@test "single-user mode: the mailbox is checked at RCPT, the copy written while the message arrives" {
	local md=$T/home/$SINGLE/Maildir i size=0
	mkdir -p "$md"
	: >"$md/new"
	[ "$(id -u)" != 0 ] || chown -R "$(uid bob):$(uid bob)" "$md"
	run session_single "EHLO h" "MAIL FROM:<>" "RCPT TO:<$SINGLE@tttest.com>" QUIT
	[[ "$output" == *"450 4.2.0 <$SINGLE@tttest.com>: Mailbox unavailable (not a directory)"* ]]
	rm "$md/new"
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	"$T/bin/smtp-single" <"$T/fifo" >"$T/out" &
	local pid=$!
	exec 5>"$T/fifo"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<$SINGLE@tttest.com>" DATA >&5
	python3 -c 'import sys; sys.stdout.write(("x" * 78 + "\r\n") * 20000)' >&5
	for i in $(seq 300); do
		size=$(find "$md/tmp" -type f -size +1000k 2>/dev/null | wc -l)
		[ "$size" = 1 ] && break
		sleep 0.1
	done
	printf '%s\r\n' . QUIT >&5
	exec 5>&-
	wait "$pid"
	[ "$size" = 1 ]
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	[ "$(body_of "$(delivered "$SINGLE")" | wc -l)" = 20000 ]
	[ -z "$(leftovers "$SINGLE")" ]
}

@test "a message refused after its copies were begun leaves nothing in tmp/" {
	# A bare LF (550 after the dot) after 400 KB, a BDAT transaction abandoned with RSET.
	python3 -c 'import sys; sys.stdout.write(
		"EHLO h\r\nMAIL FROM:<>\r\nRCPT TO:<bob@tttest.com>\r\nDATA\r\n"
		+ ("x" * 98 + "\r\n") * 4000 + "bare\nlf\r\n.\r\n"
		+ "MAIL FROM:<>\r\nRCPT TO:<bob@tttest.com>\r\nBDAT 3\r\nabc"
		+ "RSET\r\nMAIL FROM:<>\r\nRCPT TO:<bob@tttest.com>\r\nDATA\r\ny\r\n.\r\nQUIT\r\n")' \
		>"$T/in"
	run "$T/bin/smtp" <"$T/in"
	[[ "$output" == *"550 5.6.0 Bare CR or LF"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(body_of "$(delivered bob)")" = y ]
	[ -z "$(leftovers bob)" ]
}

@test "a stopped delivery helper, alone: 451 4.3.0 after --delivery-timeout, nothing kept anywhere" {
	# The helper stops itself (SIGSTOP) at the fsync of bob's copy in tmp/, as bob may.
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		run timeout 60 "$T/bin/smtp" --delivery-timeout 2 < <(printf '%s\r\n' \
		"EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" \
		DATA x . "MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" DATA y . QUIT)
	[ "$status" = 0 ]
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	[[ "$output" == *"221 2.0.0"* ]]
	grep -q 'mailbox of bob: no answer to the delivery in time; its helper killed' "$T/log"
	# Nothing of the first message anywhere, its tmp/ file removed; the second
	# message (alice alone) still goes through.
	[ -z "$(delivered bob)$(leftovers bob)" ]
	[ "$(delivered alice | wc -l)" = 1 ]
	[ "$(body_of "$(delivered alice)")" = y ]
}

@test "a co-recipient's stopped helper costs only bob's copy: 250, the others have it once, the sender gets a report" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		run timeout 60 "$T/bin/smtp" --delivery-timeout 2 --relay-command "$T/rec.sh -f {sender} --" \
		< <(printf '%s\r\n' "EHLO h" "MAIL FROM:<carol@example.org>" "RCPT TO:<alice@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" "RCPT TO:<test@tttest.com>" DATA "Subject: the plan" "" x . QUIT)
	[ "$status" = 0 ]
	# One 250 and no 4xx: the client has no reason to send it again.
	[ "$(grep -c '^250 2.0.0 Ok: delivered' <<<"$output")" = 1 ]
	! grep -q '^4' <<<"$output" || false
	grep -q 'mailbox of bob: no answer to the delivery in time; its helper killed' "$T/log"
	[ "$(delivered alice | wc -l)" = 1 ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(body_of "$(delivered alice)")" = "$(printf 'Subject: the plan\n\nx')" ]
	[ -z "$(delivered bob)$(leftovers bob)$(leftovers alice)$(leftovers test)" ]
	grep -q 'to=<bob@tttest.com> user=bob not delivered (the others were)' "$T/log"
	grep -q 'to=<alice@tttest.com> user=alice delivered' "$T/log"
	grep -q '1 recipient did not get it; reported to <carol@example.org>' "$T/log"
	# One report, from <> to the sender (RFC 3464: multipart/report).
	[ "$(reports | wc -l)" = 1 ]
	local r
	r=$(reports)
	[ "$(tr '\0' ' ' <"${r%.msg}.argv")" = "-f  -- carol@example.org " ]
	grep -q '^Content-Type: multipart/report; report-type=delivery-status;' "$r"
	grep -q '^Auto-Submitted: auto-replied' "$r"
	grep -q '^To: <carol@example.org>' "$r"
	grep -q '^Content-Type: message/delivery-status' "$r"
	grep -q '^Reporting-MTA: dns; smtp.tttest.com' "$r"
	grep -q '^Final-Recipient: rfc822; bob@tttest.com' "$r"
	[ "$(grep -c '^Final-Recipient:' "$r")" = 1 ]
	grep -q '^Action: failed' "$r"
	grep -q '^Status: 4.3.0' "$r"
	grep -q '^Content-Type: text/rfc822-headers' "$r"
	grep -q '^Subject: the plan' "$r"
	! grep -qx x "$r" || false	# the headers are quoted, not the body
}

@test "a co-recipient's stopped helper, null sender: the others have it, no report (RFC 5321 6.1), logged" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		run timeout 60 "$T/bin/smtp" --delivery-timeout 2 --relay-command "$T/rec.sh -f {sender} --" \
		< <(printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" DATA x . QUIT)
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered alice | wc -l)" = 1 ]
	[ -z "$(delivered bob)$(leftovers bob)" ]
	[ -z "$(reports)" ]
	grep -q 'user=bob did not get it (.*); the null sender gets no report' "$T/log"
}

@test "a co-recipient's stopped helper and a report the relay command refuses: 451, nothing kept anywhere" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		run timeout 60 "$T/bin/smtp" --delivery-timeout 2 \
		--relay-command "$T/tempfail.sh -f {sender} --" < <(printf '%s\r\n' "EHLO h" \
		"MAIL FROM:<carol@example.org>" "RCPT TO:<alice@tttest.com>" "RCPT TO:<bob@tttest.com>" \
		DATA x . QUIT)
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	grep -q 'the failure report to <carol@example.org> was not taken: nothing is delivered' "$T/log"
	[ -z "$(delivered alice)$(delivered bob)$(leftovers alice)$(leftovers bob)" ]
}

@test "a helper stopped during the RCPT check: 451 4.3.0 for that recipient after --delivery-timeout" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=statvfs FAULT_PATH=/home/bob/Maildir/tmp \
		FAULT_ERRNO=SIGSTOP run timeout 60 "$T/bin/smtp" --delivery-timeout 2 < <(printf '%s\r\n' \
		"EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" "RCPT TO:<alice@tttest.com>" \
		DATA x . QUIT)
	[ "$status" = 0 ]
	[[ "$output" == *"451 4.3.0 <bob@tttest.com>: Cannot check the mailbox, try again"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	grep -q 'mailbox of bob: no answer to the check in time; its helper killed' "$T/log"
	[ "$(delivered alice | wc -l)" = 1 ]
	[ -z "$(delivered bob)$(leftovers bob)" ]
}

@test "SIGTERM while a delivery helper is stopped: the session ends within --delivery-timeout" {
	rm -f "$T/fifo"
	mkfifo "$T/fifo"
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=SIGSTOP \
		"$T/bin/smtp" --delivery-timeout 5 <"$T/fifo" >"$T/out" &
	local pid=$! i stopped=
	exec 5>"$T/fifo"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" DATA x . >&5
	for i in $(seq 200); do	# until bob's helper has stopped itself
		stopped=$(ps -o pid=,stat= --ppid "$pid" | awk '$2 ~ /^T/ { print $1 }')
		[ -n "$stopped" ] && break
		sleep 0.1
	done
	[ -n "$stopped" ]
	kill -TERM "$pid"
	run timeout 60 tail --pid="$pid" -f /dev/null	# ends on its own, or fails here
	exec 5>&-
	[ "$status" = 0 ]
	grep -q '^451 4.3.0' "$T/out"
	grep -q '^421 4.3.2' "$T/out"
	[ -z "$(delivered bob)$(leftovers bob)" ]
}

@test "disk full at one recipient: the others have it, the sender is told 4.2.2; disk full at all: 452 4.3.1, nothing kept" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/bob/Maildir/tmp/ FAULT_ERRNO=ENOSPC \
		run "$T/bin/smtp" --relay-command "$T/rec.sh -f {sender} --" < <(printf '%s\r\n' \
		"EHLO client.example.org" "MAIL FROM:<alice@example.org>" "RCPT TO:<alice@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" "RCPT TO:<test@tttest.com>" DATA "Subject: hi" "" hello . QUIT)
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$( (delivered alice; delivered test) | wc -l)" = 2 ]
	[ -z "$(delivered bob)$(leftovers alice)$(leftovers bob)$(leftovers test)" ]
	grep -q '^Status: 4.2.2' "$(reports)"
	grep -q '^<bob@tttest.com>: the mailbox is full' "$(reports)"
	clear_maildirs
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/Maildir/tmp/ FAULT_ERRNO=ENOSPC \
		run send_to alice@tttest.com bob@tttest.com test@tttest.com
	[[ "$output" == *"452 4.3.1 Insufficient system storage"* ]]
	[ -z "$(delivered alice)$(delivered bob)$(delivered test)" ]
	[ -z "$(leftovers alice)$(leftovers bob)$(leftovers test)" ]
	run send_to alice@tttest.com bob@tttest.com test@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$( (delivered alice; delivered bob; delivered test) | wc -l)" = 3 ]
}

@test "quota exceeded gives 452 4.3.1, an I/O error 451 4.3.0; nothing kept" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/test/Maildir/tmp/ FAULT_ERRNO=EDQUOT \
		run send_to test@tttest.com
	[[ "$output" == *"452 4.3.1 Insufficient system storage"* ]]
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH=/home/test/Maildir/tmp/ FAULT_ERRNO=EIO \
		run send_to test@tttest.com
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	[ -z "$(delivered test)$(leftovers test)" ]
}

@test "a failure between the final renames gives a duplicate on retry, never a loss" {
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=rename FAULT_PATH=/home/bob/Maildir/new/ FAULT_ERRNO=EIO \
		run send_to alice@tttest.com bob@tttest.com
	[[ "$output" == *"451 4.3.0"* ]]
	[ "$(delivered alice | wc -l)" = 1 ]	# committed before bob's rename failed
	[ -z "$(delivered bob)$(leftovers bob)$(leftovers alice)" ]
	run send_to alice@tttest.com bob@tttest.com	# the client retries
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered alice | wc -l)" = 2 ]
	[ "$(delivered bob | wc -l)" = 1 ]
}

@test "a client gone before the reply: delivered anyway, no death by SIGPIPE" {
	run python3 "$TOP/tests/epipe.py" "$T/bin/smtp"
	[ "$output" = 0 ]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(delivered alice | wc -l)" = 1 ]
	grep -q 'disconnect from .* messages=1 ' "$T/log"
}

@test "single-user mode: mail for that user and postmaster only, no uid change" {
	run session_single "EHLO h" "MAIL FROM:<>" "RCPT TO:<$SINGLE@tttest.com>" \
		"RCPT TO:<test@tttest.com>" "RCPT TO:<postmaster>" DATA x . QUIT
	[[ "$output" == *"550 5.1.1 <test@tttest.com>: No such user here"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(delivered "$SINGLE" | wc -l)" = 1 ]
	[ -z "$(delivered test)$(delivered root)" ]
	[ "$(stat -c %u "$(delivered "$SINGLE")")" = "$(awk -F: -v u="$SINGLE" '$1 == u { print $3 }' "$T/passwd")" ]
}

@test "--maildir absolute: fine in single-user mode, refused (421, exit 111) as root" {
	mkdir -p "$T/abs"
	[ "$(id -u)" != 0 ] || chown "$(uid bob)" "$T/abs"
	printf '%s\r\n' "HELO h" "MAIL FROM:<>" "RCPT TO:<$SINGLE@tttest.com>" DATA x . QUIT |
		"$T/bin/smtp-single" --maildir "$T/abs/Box"
	[ "$(find "$T/abs/Box/new" -type f | wc -l)" = 1 ]
	run "$T/bin/smtp" --maildir "$T/abs/Box" </dev/null
	[ "$status" = 111 ]
	[ "$output" = $'421 smtp.tttest.com Service not available, closing connection\r' ]
	grep -q 'absolute --maildir needs single-user mode' "$T/log"
}

@test "a pipelined session costs one read and one write" {
	command -v strace >/dev/null || skip "strace is not installed (make deps installs it)"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<test@tttest.com>" "RCPT TO:<bob@tttest.com>" \
		DATA "Subject: x" "" body . NOOP QUIT > "$T/in"
	# LeakSanitizer cannot work under ptrace: off here when the binary has it (make check's asan phase).
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=read,write -o "$T/strace" "$T/bin/smtp" < "$T/in" > "$T/out"
	[ "$(grep -c '^250 2.0.0 Ok: delivered' "$T/out")" = 1 ]
	[ "$(grep -c 'write(1, ' "$T/strace")" = 1 ]
	[ "$(grep -c 'read(0, ' "$T/strace")" = 1 ]
}

@test "logs: connection, message, recipients, rejections and a summary; syslog facility mail by default" {
	send_to test@tttest.com nosuchuser@tttest.com
	grep -q 'info: connect from unknown$' "$T/log"
	grep -q ': from=<alice@example.org> size=[0-9]* nrcpt=1 nrelay=0 client=unknown helo=client.example.org$' "$T/log"
	grep -q ': to=<test@tttest.com> user=test delivered$' "$T/log"
	grep -q 'reject: RCPT from unknown: 550 <nosuchuser@tttest.com>: No such user here$' "$T/log"
	grep -q 'disconnect from unknown helo=client.example.org commands=6 messages=1 rejects=1 end=quit$' "$T/log"
	grep -q 'LOG_MAIL' "$TOP/common/log.c"
}

@test "options: --help and --version on stdout; a bad option is a usage error (100)" {
	run "$SMTP_SESSION" --help
	[ "$status" = 0 ]
	[[ "$output" == *"--max-recipients N"* ]]
	run "$SMTP_SESSION" --version
	[ "$output" = "smtp-session 0.1.0" ]
	run "$SMTP_SESSION" --bogus
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --max-size 0
	[ "$status" = 100 ]
	run "$SMTP_SESSION" --timeout x
	[ "$status" = 100 ]
}

@test "defaults: hostname from the system, local domains are it and localhost" {
	run env NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		LD_PRELOAD="${SMTP_PRELOAD:+$SMTP_PRELOAD }libnss_wrapper.so" NSS_WRAPPER_DISABLE_DEEPBIND=1 \
		"$SMTP_SESSION" --log-file "$T/log" --user "$SINGLE" \
		< <(printf '%s\r\n' "HELO h" "MAIL FROM:<>" "RCPT TO:<$SINGLE@$(hostname)>" \
			"RCPT TO:<$SINGLE@localhost>" "RCPT TO:<$SINGLE@tttest.com>" QUIT)
	[[ "${lines[0]}" == "220 $(hostname) ESMTP"* ]]
	[[ "${lines[3]}" == "250 Ok"* ]]
	[[ "${lines[4]}" == "250 Ok"* ]]
	[[ "${lines[5]}" == "550 <$SINGLE@tttest.com>: Relay access denied"* ]]
}
