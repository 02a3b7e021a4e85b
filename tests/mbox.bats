#!/usr/bin/env bats
# --mailbox mbox: a file per user in --mbox-dir (RFC 4155, mboxrd quoting), locked with
# liblockfile's dot-lock and fcntl, appended all or nothing, as the user; read back
# with Python's mailbox module (mboxread.py) and formail.

load helpers

setup_file() {
	setup_users
	add_user bob.lock $((PERSON0 + 7))	# whose mailbox would be bob's lock file
	gcc -shared -fPIC -O2 -Wall -o "$T/libfault.so" "$TOP/tests/fault.c" -ldl
	make_report_relay
}
teardown_file() { teardown_users; }

# Each test: an empty spool directory.  As root it is Debian's /var/mail, root:mail
# 2775, in which no user may create a file: each helper makes its user's dot-lock and
# mailbox with the mail group it keeps (parent/asuser.c); as an ordinary user, ours.
setup() {
	clear_maildirs
	M=$T/spool
	rm -rf "$M"
	if [ "$(id -u)" = 0 ]; then
		install -d -o root -g mail -m 2775 "$M"
	else
		mkdir "$M"
	fi
}

# As the fake user $1 (uid and own group, no other group), run the rest.
as_user() {
	local u
	u=$(uid "$1")
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# The server as the shipped units run it: no_new_privs (a setgid dotlockfile is then
# powerless) and only the units' CapabilityBoundingSet (no CAP_CHOWN: root could not
# give a mailbox it made to the user).  The lines to send on stdin; UNIT_WRAP: a
# command prefix (strace).
UNIT_CAPS=-all,+setuid,+setgid,+kill,+sys_chroot
as_unit() {
	# shellcheck disable=SC2086
	${UNIT_WRAP:-} setpriv --no-new-privs --bounding-set="$UNIT_CAPS" --inh-caps=-all \
		"$T/bin/smtp" --mailbox mbox --mbox-dir "$M" "$@"
}

# One message from alice to the given recipients, body "hello $1", as the units run it.
send_unit() {
	local body=$1 rcpts=() r
	shift
	for r in "$@"; do rcpts+=("RCPT TO:<$r>"); done
	printf '%s\r\n' "EHLO client.example.org" "MAIL FROM:<alice@example.org>" "${rcpts[@]}" \
		DATA "Subject: $body" "" "hello $body" . QUIT | as_unit
}

# The pid of the stopped process of uid $1 (a delivery helper stopped by the fault
# shim) that serves --mbox-dir $M (the fake users' uids are the same in every suite),
# waited for up to 10 s.
stopped_of() {
	local i p
	for i in $(seq 100); do
		p=$(ps -eo pid=,uid=,stat=,args= |
			awk -v u="$1" -v m="--mbox-dir $M " '$2 == u && $3 ~ /^T/ && index($0, m) { print $1; exit }')
		if [ -n "$p" ]; then echo "$p"; return 0; fi
		sleep 0.1
	done
	return 1
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
	! grep -q 'hello second' "$T/split/msg.000" || false
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
	! ls "$M" | grep -v '^bob$' || false	# no temporary lock files either
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
	! grep -q 'helper killed' "$T/log" || false	# it gave up itself, before the deadline
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

@test "root:mail 2775: another user cannot plant the victim's lock, mailbox or symlink; delivery works" {
	[ "$(id -u)" = 0 ] || skip "needs root: other users' uids and a root:mail directory"
	# alice (not in group mail: her own group only) tries the audit's three attacks.
	# In a 1777 directory each worked: a lock with a live pid of hers (451 for ever),
	# a file or a symlink of hers in bob's mailbox's place (450).
	! as_user alice sh -c 'echo $$ >"$1"' _ "$M/bob.lock" 2>/dev/null || false
	! as_user alice touch "$M/bob" 2>/dev/null || false
	! as_user alice ln -s "$T/home/alice/x" "$M/bob" 2>/dev/null || false
	as_user alice sh -c ': >"$1"' _ "$M/bob" 2>&1 | grep -q 'Permission denied'
	[ -z "$(ls -A "$M")" ]
	# bob's mail goes in (run as the units run it), the mailbox made by his helper:
	# his, group mail, 0600.
	run send_unit one bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(stat -c %u:%G:%a "$M/bob")" = "$(uid bob):mail:600" ]
	grep -q "mailbox of bob: created $M/bob" "$T/log"
	# Once it exists alice still cannot touch it, nor plant the lock.
	! as_user alice sh -c 'echo $$ >"$1"' _ "$M/bob.lock" 2>/dev/null || false
	! as_user alice rm -f "$M/bob" 2>/dev/null || false
	run send_unit two bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	[ "$(mbread count "$M/bob")" = 2 ]
	[ -z "$(ls -A "$M" | grep -vx bob)" ]	# no lock, no temporary lock file left
}

@test "no_new_privs and the units' capabilities: the helper makes the mailbox and the dot-lock itself, no dotlockfile" {
	[ "$(id -u)" = 0 ] || skip "needs root: the units' capability set and a root:mail directory"
	# As the shipped units run it (as_unit); strace (outside) sees every exec.
	# (LeakSanitizer cannot work under ptrace: off here in make check's asan phase.)
	grep -q "^CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_KILL CAP_SYS_CHROOT\$" \
		"$TOP/units/smtp.service"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<alice@example.org>" "RCPT TO:<bob@tttest.com>" \
		"RCPT TO:<test@tttest.com>" DATA "From me" . QUIT |
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		UNIT_WRAP="strace -f -e trace=execve -o $T/strace" as_unit >"$T/out"
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	! grep -q dotlockfile "$T/strace" || false
	[ "$(stat -c %u:%G:%a "$M/bob")" = "$(uid bob):mail:600" ]
	[ "$(stat -c %u:%G:%a "$M/test")" = "$(uid test):mail:600" ]
	[ "$(mbread count "$M/bob")" = 1 ] && [ "$(mbread count "$M/test")" = 1 ]
	grep -qx '>From me' "$M/bob"
	[ -z "$(ls -A "$M" | grep -vx -e bob -e test)" ]	# locks and their temporary files gone
	# And once more, appending: the locks again made and removed by the helpers.
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob@tttest.com>" DATA x . QUIT |
		as_unit >"$T/out"
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	[ "$(mbread count "$M/bob")" = 2 ]
	[ -z "$(ls -A "$M" | grep -vx -e bob -e test)" ]
}

@test "the helper holds the mail group as its saved gid only, and its user cannot trace it, even while it makes the lock" {
	[ "$(id -u)" = 0 ] || skip "needs root: a helper that really changes ids"
	local b mail pid
	MBOX_OPTS="--delivery-timeout 10"	# a failed test's stopped helper goes soon
	b=$(uid bob)
	mail=$(stat -c %g "$M")
	# The helper stops as liblockfile links bob.lock: the mail group is its effective gid.
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=link FAULT_PATH="$M/bob.lock" FAULT_ERRNO=SIGSTOP \
		send_mbox one bob@tttest.com >"$T/out" &
	local client=$!
	pid=$(stopped_of "$b")
	# Real, effective, saved and file-system gid; the supplementary groups: his own only.
	grep -qP "^Gid:\t$b\t$mail\t$mail\t$mail\$" "/proc/$pid/status"
	grep -qP "^Groups:\t$b ?\$" "/proc/$pid/status"
	# bob can neither trace it nor read its memory or descriptors (ptrace's rule: all
	# his gids must equal the target's; and it is not dumpable: /proc/PID/environ is root's).
	! as_user bob strace -p "$pid" -e trace=none -o /dev/null 2>"$T/trace.err" &
	local tracer=$!
	sleep 0.5
	kill "$tracer" 2>/dev/null || true
	grep -q 'Operation not permitted' "$T/trace.err"
	! as_user bob cat "/proc/$pid/environ" >/dev/null 2>&1 || false
	! as_user bob ls "/proc/$pid/fd" >/dev/null 2>&1 || false
	[ "$(stat -c %u "/proc/$pid/environ")" = 0 ]
	kill -CONT "$pid"
	wait "$client"
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	# Between locks the group is back to the saved gid alone.
	EXTRA_PRELOAD=$T/libfault.so FAULT_CALL=pwrite FAULT_PATH="$M/bob" FAULT_ERRNO=SIGSTOP \
		send_mbox two bob@tttest.com >"$T/out" &
	client=$!
	pid=$(stopped_of "$b")
	grep -qP "^Gid:\t$b\t$b\t$mail\t$b\$" "/proc/$pid/status"
	grep -qP "^Groups:\t$b ?\$" "/proc/$pid/status"
	! as_user bob cat "/proc/$pid/environ" >/dev/null 2>&1 || false
	kill -CONT "$pid"
	wait "$client"
	grep -q '^250 2.0.0 Ok: delivered' "$T/out"
	[ "$(mbread count "$M/bob")" = 2 ]
}

@test "a user whose name ends in .lock gets no mailbox: it would be another user's lock file" {
	# bob.lock's mailbox would be bob's dot-lock: a lock without a pid, which stops
	# bob's mail for 5 minutes, and then is broken (unlinked) as stale, mail and all.
	run mbox_session "EHLO h" "MAIL FROM:<>" "RCPT TO:<bob.lock@tttest.com>" QUIT
	[[ "$output" == *"451 4.3.0 <bob.lock@tttest.com>: Temporary lookup failure"* ]]
	[ ! -e "$M/bob.lock" ]
	grep -q 'bob.lock: no mbox (out of memory or a bad name)' "$T/log"
	MBOX_OPTS="--delivery-timeout 2" run send_mbox one bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
}

@test "a --mbox-dir writable by everyone (1777) still works, with a warning that names the fix" {
	chmod 1777 "$M"
	run send_mbox one bob@tttest.com alice@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	grep -q -- "--mbox-dir $M is writable by everyone: .*make it root:mail 2775" "$T/log"
	chmod 2775 "$M"
	: >"$T/log"
	run send_mbox two bob@tttest.com
	[[ "$output" == *"250 2.0.0 Ok: delivered"* ]]
	! grep -q 'writable by everyone' "$T/log" || false
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
