#!/usr/bin/env bats
# --mailbox mbox: a file per user in --mbox-dir (RFC 4155, mboxrd quoting), locked with
# liblockfile's dot-lock and fcntl, appended all or nothing, as the user; read back
# with Python's mailbox module (mboxread.py) and formail.

load helpers

setup_file() {
	setup_users
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
	make_report_relay
}
teardown_file() { teardown_users; }

# Each test: an empty spool directory.  As root the fake users (not in /etc/passwd:
# the setgid dotlockfile would not know them) make their dot-locks themselves, so it
# is 1777 like /tmp; the root:mail 2775 case has a test of its own, with a real user.
setup() {
	clear_maildirs
	M=$T/spool
	rm -rf "$M" "$T/varmail"
	mkdir "$M"
	if [ "$(id -u)" = 0 ]; then chmod 1777 "$M"; fi
	MBOX_USER=
}

teardown() {
	if [ -n "${MBOX_USER:-}" ]; then userdel "$MBOX_USER" 2>/dev/null || true; fi
}

# The server in mbox mode with the CRLF lines given (options before them: MBOX_OPTS,
# and MBOX_RELAY: a --relay-command).
mbox_session() {
	# shellcheck disable=SC2086
	printf '%s\r\n' "$@" | "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" ${MBOX_OPTS:-} \
		${MBOX_RELAY:+--relay-command "$MBOX_RELAY"}
}

# One message from alice to the given recipients, body "hello $1".
send_mbox() {
	local body=$1 rcpts=() r
	shift
	for r in "$@"; do rcpts+=("RCPT TO:<$r>"); done
	mbox_session "EHLO client.example.org" "MAIL FROM:<alice@example.org>" "${rcpts[@]}" \
		DATA "Subject: $body" "" "hello $body" . QUIT
}

mbread() { python3 "$TOP/tests/mboxread.py" "$@"; }

# A message of about 200 KB for bob (for the failures in the middle of a copy).
big_for_bob() {
	{
		printf '%s\r\n' "EHLO h" "MAIL FROM:<alice@example.org>" "RCPT TO:<bob@tttest.com>" DATA
		python3 -c 'import sys; sys.stdout.write(("y" * 78 + "\r\n") * 2500)'
		printf '%s\r\n' . QUIT
	} >"$T/big.in"
}

@test "a message with From and >From lines round-trips exactly (Python's mailbox, formail)" {
	local msg=("Subject: quoting" "" "From the start" ">From once quoted" ">>From twice"
		"From" " From not at the start" "Fromage" "From:not a separator" "last line")
	run mbox_session "EHLO client.example.org" "MAIL FROM:<alice@example.org>" \
		"RCPT TO:<bob@tttest.com>" DATA "${msg[@]}" . QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	# On disk: mboxrd, one '>' more on each ^>*From  line and on no other.
	grep -qx '>From the start' "$M/bob"
	grep -qx '>>From once quoted' "$M/bob"
	grep -qx '>>>From twice' "$M/bob"
	grep -qx 'From' "$M/bob"
	grep -qx ' From not at the start' "$M/bob"
	grep -qx 'Fromage' "$M/bob"
	[ "$(grep -c '^From ' "$M/bob")" = 1 ]
	# Read back: one message; unquoted, its text after the 5 trace lines is exactly
	# what was sent.
	[ "$(mbread count "$M/bob")" = 1 ]
	mbread body "$M/bob" 0 >"$T/got"
	[ "$(sed -n 1p "$T/got")" = "Return-Path: <alice@example.org>" ]
	[ "$(sed -n 2p "$T/got")" = "Delivered-To: bob@tttest.com" ]
	tail -n +6 "$T/got" >"$T/text"
	printf '%s\n' "${msg[@]}" | cmp - "$T/text"
	# A second message; formail splits the file into the same two.
	run send_mbox second bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(mbread count "$M/bob")" = 2 ]
	mkdir "$T/split"
	(cd "$T/split" && formail -s sh -c 'cat >"msg.$FILENO"' <"$M/bob")
	[ "$(ls "$T/split" | wc -l)" = 2 ]
	grep -qx '>>From once quoted' "$T/split/msg.000"
	grep -qx 'hello second' "$T/split/msg.001"
	! grep -q 'hello second' "$T/split/msg.000"
}

@test "the From line: envelope sender and asctime date in UTC, MAILER-DAEMON for <>; an empty line ends each message" {
	mbox_session "EHLO h" "MAIL FROM:<alice@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "Subject: one" "" x . "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" DATA \
		"Subject: two" "" y . QUIT
	local d='[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}'
	[[ "$(sed -n 1p "$M/bob")" =~ ^"From alice@example.org "$d$ ]]
	[[ "$(mbread from "$M/bob" 1)" =~ ^"MAILER-DAEMON "$d$ ]]
	# The day matches today's in UTC (a run across midnight UTC may see yesterday).
	local day
	day=$(sed -n 1p "$M/bob" | awk '{ print $5 }')
	[ "$day" = "$(date -u +%-d)" ] || [ "$day" = "$(date -u -d yesterday +%-d)" ]
	# Each message ends with its text's last line and one empty line.
	[ "$(tail -c 3 "$M/bob" | od -An -c | tr -d ' ')" = 'y\n\n' ]
	grep -B1 -n '^From ' "$M/bob" | sed -n 3p | grep -q -- '-$'
}

@test "a missing mailbox is made, mode 0600, the user's and the directory's group; the next message appends" {
	run send_mbox one bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(stat -c %a "$M/bob")" = 600 ]
	[ "$(stat -c %g "$M/bob")" = "$(stat -c %g "$M")" ]
	if [ "$(id -u)" = 0 ]; then [ "$(stat -c %u "$M/bob")" = "$(uid bob)" ]; fi
	local before
	before=$(stat -c %s "$M/bob")
	cp "$M/bob" "$T/before"
	run send_mbox two bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	cmp -n "$before" "$M/bob" "$T/before"	# appended: what was there stays
	[ "$(mbread count "$M/bob")" = 2 ]
	[ ! -e "$M/bob.lock" ]
}

@test "two sessions at once, 200 messages into one mbox: none lost, none mixed, no lock left" {
	mbread gen s1 100 >"$T/s1.in"
	mbread gen s2 100 >"$T/s2.in"
	"$T/bin/smtp" --mailbox mbox --mbox-dir "$M" <"$T/s1.in" >"$T/s1.out" &
	local p1=$!
	"$T/bin/smtp" --mailbox mbox --mbox-dir "$M" <"$T/s2.in" >"$T/s2.out" &
	local p2=$!
	wait "$p1"
	wait "$p2"
	[ "$(grep -c '^250 2.0.0 Ok: delivered' "$T/s1.out")" = 100 ]
	[ "$(grep -c '^250 2.0.0 Ok: delivered' "$T/s2.out")" = 100 ]
	[ "$(mbread concurrent "$M/bob" s1 s2 100)" = 200 ]
	[ "$(grep -c '^From ' "$M/bob")" = 200 ]
	[ ! -e "$M/bob.lock" ]
	! ls "$M" | grep -v '^bob$'	# no temporary lock files either
}

@test "disk full in the middle of a copy: 452 4.3.1, the file cut back to its old length byte for byte" {
	send_mbox first bob@tttest.com
	cp "$M/bob" "$T/before"
	big_for_bob
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=pwrite FAULT_PATH="$M/bob" FAULT_AFTER=70000 \
		FAULT_ERRNO=ENOSPC run "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" <"$T/big.in"
	[[ "$output" == *"452 4.3.1 Insufficient system storage"* ]]
	cmp "$M/bob" "$T/before"
	[ ! -e "$M/bob.lock" ]
	# An I/O error at the fsync: 451, cut back too.
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH="$M/bob" FAULT_ERRNO=EIO run send_mbox x bob@tttest.com
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	cmp "$M/bob" "$T/before"
	# The retry works.
	run "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" <"$T/big.in"
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(mbread count "$M/bob")" = 2 ]
	[ "$(mbread body "$M/bob" 1 | grep -c '^y\{78\}$')" = 2500 ]
}

@test "one mbox fails: the others keep it, the sender is told; unless the report cannot go: then all are cut back" {
	send_mbox first alice@tttest.com bob@tttest.com test@tttest.com
	local u
	for u in alice bob test; do cp "$M/$u" "$T/$u.before"; done
	# bob's fails (alice's was prepared before it, by name, test's after it); the
	# report cannot be handed on: nothing is kept.
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=pwrite FAULT_PATH="$M/bob" FAULT_ERRNO=ENOSPC \
		MBOX_RELAY="$T/tempfail.sh -f {sender} --" \
		run send_mbox second test@tttest.com bob@tttest.com alice@tttest.com
	[[ "$output" == *"452 4.3.1 Insufficient system storage"* ]]
	for u in alice bob test; do cmp "$M/$u" "$T/$u.before"; done
	# A failure at the last one (test) with a report that goes: alice and bob keep it.
	EXTRA_PRELOAD=$T/libfault.so FAULT_PATH="$M/test" FAULT_ERRNO=EIO \
		MBOX_RELAY="$T/rec.sh -f {sender} --" \
		run send_mbox third test@tttest.com bob@tttest.com alice@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	cmp "$M/test" "$T/test.before"
	[ "$(grep '^Final-Recipient:' "$(reports)")" = "Final-Recipient: rfc822; test@tttest.com" ]
	[ -z "$(ls "$M" | grep lock)" ]
	MBOX_RELAY="$T/rec.sh -f {sender} --" \
		run send_mbox fourth test@tttest.com bob@tttest.com alice@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	for u in alice bob; do [ "$(mbread count "$M/$u")" = 3 ]; done
	[ "$(mbread count "$M/test")" = 2 ]
	[ "$(reports | wc -l)" = 1 ]
}

@test "a symlinked mbox is refused at RCPT (450 4.2.0) and its target untouched; a dangling one is not created through" {
	echo precious >"$T/target"
	[ "$(id -u)" != 0 ] || chown "$(uid bob):$(uid bob)" "$T/target"
	ln -s "$T/target" "$M/bob"
	ln -s "$T/nowhere" "$M/test"
	run mbox_session "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" \
		"RCPT TO:<test@tttest.com>" "RCPT TO:<alice@tttest.com>" DATA x . QUIT
	[[ "$output" == *"450 4.2.0 <bob@tttest.com>: Mailbox unavailable"* ]]
	[[ "$output" == *"450 4.2.0 <test@tttest.com>: Mailbox unavailable"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]	# alice, alone
	[ "$(cat "$T/target")" = precious ]
	[ ! -e "$T/nowhere" ]
	[ -L "$M/bob" ] && [ -L "$M/test" ]
	grep -q "mailbox of bob: $M/bob: a symlink, not followed" "$T/log"
	[ "$(mbread count "$M/alice")" = 1 ]
}

@test "a FIFO, a second hard link or someone else's file is refused at RCPT (450 4.2.0)" {
	mkfifo "$M/bob"
	: >"$T/other"
	[ "$(id -u)" != 0 ] || chown "$(uid test):$(uid test)" "$T/other"	# test's own
	ln "$T/other" "$M/test" 2>/dev/null || cp "$T/other" "$M/test"	# (another fs: no link)
	run mbox_session "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" QUIT
	[[ "$output" == *"450 4.2.0 <bob@tttest.com>: Mailbox unavailable"* ]]
	if [ "$(stat -c %h "$M/test")" = 2 ]; then
		run mbox_session "EHLO h" "MAIL FROM:<>" "RCPT TO:<test@tttest.com>" QUIT
		[[ "$output" == *"450 4.2.0 <test@tttest.com>: Mailbox unavailable"* ]]
		grep -q "mailbox of test: $M/test: has more than one link" "$T/log"
		[ ! -s "$T/other" ]
	fi
	if [ "$(id -u)" = 0 ]; then
		: >"$M/alice"
		chown "$(uid bob)" "$M/alice"	# bob's, and alice may write it
		chmod 666 "$M/alice"
		run mbox_session "EHLO h" "MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" QUIT
		[[ "$output" == *"450 4.2.0 <alice@tttest.com>: Mailbox unavailable"* ]]
		grep -q "mailbox of alice: $M/alice: owned by someone else" "$T/log"
	fi
}

@test "a helper stopped in the middle of a copy: killed after --delivery-timeout, 451, the file cut back, its dot-lock gone" {
	send_mbox first bob@tttest.com
	cp "$M/bob" "$T/before"
	big_for_bob
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=pwrite FAULT_PATH="$M/bob" FAULT_AFTER=70000 \
		FAULT_ERRNO=SIGSTOP run timeout 60 "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" \
		--delivery-timeout 2 <"$T/big.in"
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	grep -q 'mailbox of bob: no answer to the delivery in time; its helper killed' "$T/log"
	grep -q "mailbox of bob: a killed delivery's copy cut off" "$T/log"
	cmp "$M/bob" "$T/before"
	[ ! -e "$M/bob.lock" ]
	run send_mbox again bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(mbread count "$M/bob")" = 2 ]
}

@test "a dot-lock held by a live process: the delivery waits, then 451 4.3.0 within --delivery-timeout; the lock stays" {
	send_mbox first bob@tttest.com
	cp "$M/bob" "$T/before"
	echo $$ >"$M/bob.lock"	# this shell: alive, so never stale
	[ "$(id -u)" != 0 ] || chown "$(uid bob):$(uid bob)" "$M/bob.lock"
	local t0=$SECONDS
	MBOX_OPTS="--delivery-timeout 2" run send_mbox second bob@tttest.com
	[[ "$output" == *"451 4.3.0 Local error in delivery"* ]]
	[ $((SECONDS - t0)) -lt 10 ]
	grep -q "mailbox of bob: $M/bob.lock held too long" "$T/log"
	! grep -q 'helper killed' "$T/log"	# it gave up itself, before the deadline
	[ "$(cat "$M/bob.lock")" = $$ ]
	cmp "$M/bob" "$T/before"
	# A stale one (its process gone) is broken by liblockfile.
	echo 999999 >"$M/bob.lock"
	run send_mbox third bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ ! -e "$M/bob.lock" ]
}

@test "single-user mode: mbox in a directory of the user's" {
	[ "$(id -u)" != 0 ] || chown "$(uid bob):$(uid bob)" "$M"
	run bash -c 'printf "%s\r\n" "EHLO h" "MAIL FROM:<a@example.org>" \
		"RCPT TO:<$SINGLE@tttest.com>" DATA "From here" . QUIT |
		"$1" --mailbox mbox --mbox-dir "$2"' _ "$T/bin/smtp-single" "$M"
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(mbread count "$M/$SINGLE")" = 1 ]
	grep -qx '>From here' "$M/$SINGLE"
	[ ! -e "$M/$SINGLE.lock" ]
}

@test "as root, a root:mail 2775 spool and a real user: the dot-lock is made by the setgid dotlockfile" {
	[ "$(id -u)" = 0 ] || skip "needs root: a real user (dotlockfile reads the real passwd) and a root:mail directory"
	[ -g /usr/bin/dotlockfile ]
	getent group mail >/dev/null
	local u=smtpmbox$$ uid gid
	! getent passwd "$u" >/dev/null
	useradd -M -N -d "$T/home/$u" -s /usr/sbin/nologin "$u"
	MBOX_USER=$u
	uid=$(id -u "$u")
	gid=$(id -g "$u")
	install -d -o "$uid" -g "$gid" -m 755 "$T/home/$u"
	echo "$u:x:$uid:$gid:$u:$T/home/$u:/bin/sh" >>"$T/passwd"
	M=$T/varmail
	install -d -o root -g mail -m 2775 "$M"
	# The user cannot make a file there, so a lock only dotlockfile can make.
	! setpriv --reuid="$uid" --regid="$gid" --clear-groups touch "$M/$u.lock" 2>/dev/null
	run mbox_session "EHLO h" "MAIL FROM:<alice@example.org>" "RCPT TO:<$u@tttest.com>" \
		DATA "From me" . QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(stat -c %U:%G:%a "$M/$u")" = "$u:mail:600" ]
	[ "$(mbread count "$M/$u")" = 1 ]
	[ -z "$(ls "$M" | grep -v "^$u\$")" ]	# the lock and its temporary files gone
	# Once more under strace: the helper ran dotlockfile to lock and to unlock.
	# (LeakSanitizer cannot work under ptrace: off here in make check's asan phase.)
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<$u@tttest.com>" DATA x . QUIT |
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -s 256 -e trace=execve -o "$T/strace" "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" \
		>"$T/out"
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	grep -q "execve(\"/usr/bin/dotlockfile\", \[\"/usr/bin/dotlockfile\", \"-l\", .*\"$M/$u.lock\"" "$T/strace"
	grep -q "execve(\"/usr/bin/dotlockfile\", \[\"/usr/bin/dotlockfile\", \"-u\", .*\"$M/$u.lock\"" "$T/strace"
	[ "$(mbread count "$M/$u")" = 2 ]
	[ -z "$(ls "$M" | grep -v "^$u\$")" ]
}

@test "a co-recipient's helper stopped in the middle of its copy: the others have it, bob's file cut back, the sender told" {
	send_mbox first bob@tttest.com
	cp "$M/bob" "$T/before"
	rm -f "$T"/relay/run.*
	# Given as test, bob, alice; written in name order (alice, bob, test): the
	# report must still name bob.
	{
		printf '%s\r\n' "EHLO h" "MAIL FROM:<carol@example.org>" "RCPT TO:<test@tttest.com>" \
			"RCPT TO:<bob@tttest.com>" "RCPT TO:<alice@tttest.com>" DATA
		python3 -c 'import sys; sys.stdout.write(("y" * 78 + "\r\n") * 2500)'
		printf '%s\r\n' . QUIT
	} >"$T/three.in"
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=pwrite FAULT_PATH="$M/bob" FAULT_AFTER=70000 \
		FAULT_ERRNO=SIGSTOP run timeout 60 "$T/bin/smtp" --mailbox mbox --mbox-dir "$M" \
		--delivery-timeout 2 --relay-command "$T/rec.sh -f {sender} --" <"$T/three.in"
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	cmp "$M/bob" "$T/before"
	[ ! -e "$M/bob.lock" ]
	[ "$(mbread count "$M/alice")" = 1 ]
	[ "$(mbread count "$M/test")" = 1 ]
	[ "$(reports | wc -l)" = 1 ]
	[ "$(grep '^Final-Recipient:' "$(reports)")" = "Final-Recipient: rfc822; bob@tttest.com" ]
}
