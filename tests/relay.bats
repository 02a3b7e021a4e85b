#!/usr/bin/env bats
# Forwarding and relaying (issue 13): --relay-command (the sendmail(1) interface),
# --relay-user, --aliases, ~/.forward, --any-sender, and the loop checks.  The relay
# command is a real MTA client where the test is about the hand-off (msmtp speaking
# SMTP to a second smtp-session; a private Postfix instance's sendmail, as root), and
# a small script where the test is about the command's behaviour (its argv, its exit
# status, its stderr, a command that hangs).  AUTH goes through pam_wrapper's
# pam_matrix (alice:secret), as in auth.bats.

load helpers

PAM_MODULES=$(pkg-config --variable=modules pam_wrapper 2>/dev/null)
: "${PAM_MODULES:=/usr/lib/x86_64-linux-gnu/pam_wrapper}"
PLAIN_ALICE=$(printf '\0alice\0secret' | base64)

setup_file() {
	setup_users
	mkdir -p "$T/pam" "$T/relay"
	chmod 1777 "$T/relay"	# the relay commands run as --relay-user and write here
	echo "alice:secret:smtp" >"$T/passdb"
	{
		echo "auth required $PAM_MODULES/pam_matrix.so passdb=$T/passdb"
		echo "account required $PAM_MODULES/pam_matrix.so passdb=$T/passdb"
	} >"$T/pam/smtp"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam/other"
	make_server_wrapper smtp-pam libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam"
	# The aliases every test may use (aliases(5): "name: target, target").
	cat >"$T/aliases" <<-EOF
		# forwarding tests (relay.bats)
		fwd: x@remote.example
		mix: test, y@remote.example
		a1: b1
		b1: test
		c1: c2
		c2: c1
		ali: alice
		pipe: |/bin/touch $T/piped
		postmaster: root
		root: test
		daemon: bob
		staff: test, bob, ali
	EOF
	chmod 644 "$T/aliases"
	# The transcript's server: the PAM wrapper with these aliases.
	printf '#!/bin/sh\nexec %q --aliases %q "$@"\n' "$T/bin/smtp-pam" "$T/aliases" \
		>"$T/bin/smtp-aliases"
	chmod 755 "$T/bin/smtp-aliases"
	# Relay commands.  They get no environment of ours (PATH and HOME only), so every
	# path is written in.  rec.sh keeps its argv (NUL-separated) and its stdin.
	cat >"$T/rec.sh" <<-EOF
		#!/bin/sh
		f=\$(mktemp $T/relay/run.XXXXXX) || exit 75
		printf '%s\0' "\$@" >"\$f.argv"
		cat >"\$f.msg"
		id -u >"\$f.uid"
		exit 0
	EOF
	printf '#!/bin/sh\ncat >/dev/null\nexit 75\n' >"$T/tempfail.sh"
	printf '#!/bin/sh\ncat >/dev/null\necho "relay: no route to remote.example (test)" >&2\necho "a second line" >&2\nexit 1\n' \
		>"$T/fail.sh"
	# Hangs with a child in its group, and stops itself: only SIGKILL to the group ends it.
	printf '#!/bin/sh\nsleep 1000 &\necho "$$ $!" >%s/relay/hang.pids\nkill -STOP $$\n' "$T" \
		>"$T/hang.sh"
	chmod 755 "$T"/*.sh
	REC="$T/rec.sh -f {sender} --"
	export REC
}

teardown_file() {
	local f
	for f in "$T"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	# A Postfix instance left by a failed test (the test's PF is not seen here).
	[ ! -e "$T/pf/spool/pid/master.pid" ] || sh "$TOP/tests/pfinst.sh" "$T/pf" stop 2>/dev/null ||
		true
	teardown_users
}

setup() {
	clear_maildirs
	rm -f "$T"/relay/* "$T/piped" "$T/pwned" "$T/pwned2"
	rm -f "$T"/home/*/.forward
}

# A session on stdin: server arguments, then "--", then the client's lines (CRLF).
# AUTH is offered (--auth always), the aliases file and rec.sh are the defaults; a
# later --relay-command or --aliases among the arguments wins.
rsession() {
	local args=()
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	printf '%s\r\n' "$@" | "$T/bin/smtp-pam" --auth always --auth-delay 0 \
		--aliases "$T/aliases" --relay-command "$REC" "${args[@]}"
}

# The runs of rec.sh: one .argv file per run.
runs() { find "$T/relay" -name 'run.*.argv' | sort; }
# The words of a run's argv, one per line (the argv file is NUL-separated).
argv_of() { tr '\0' '\n' <"$1"; }

MSG=("Subject: relayed" "From: alice@tttest.com" "" "line one" "..dot" "last line" ".")
# What the command must get after our header lines: the message as sent, LF ends, the
# dot-stuffing undone.
msg_text() { printf 'Subject: relayed\nFrom: alice@tttest.com\n\nline one\n.dot\nlast line\n'; }

# The file's bytes after the header lines we put before the message (Delivered-To,
# Received with its continuation lines): everything from the message's first line.
after_trace() { awk 'f || /^Subject: relayed$/ { f = 1; print }' "$1"; }

# ---- 5. who may relay, and as whom ----

@test "no AUTH: a remote recipient is 550 5.7.1 Relay access denied, nothing run" {
	run rsession -- "EHLO h" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" QUIT
	[[ "$output" == *"550 5.7.1 <x@remote.example>: Relay access denied"* ]]
	[ -z "$(runs)" ]
}

@test "AUTH: a remote recipient is 250 2.1.5, the message handed to the command after DATA" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
		"RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" =~ 250\ 2\.0\.0\ Ok:\ queued\ as\ ([^[:space:]]+) ]]
	local id=${BASH_REMATCH[1]}
	[ "$(runs | wc -l)" = 1 ]
	local f; f=$(runs)
	# sendmail(1): -f sender, then "--", then the recipients.
	[ "$(argv_of "$f")" = "$(printf '%s\n' -f alice@tttest.com -- x@remote.example)" ]
	local m=${f%.argv}.msg
	# Our Received line first (no Return-Path: that is for final delivery, RFC 5321
	# 4.4), with the RFC 3848 protocol and our id; then the message as it was sent.
	head -1 "$m" | grep -q '^Received: from h'
	grep -q "by $HOST (smtp-session) with ESMTPA id $id" "$m"
	! grep -q '^Return-Path:' "$m" || false
	[ "$(after_trace "$m")" = "$(msg_text)" ]
	cmp <(after_trace "$m") <(msg_text)
	# Not delivered locally.
	[ -z "$(delivered alice)" ]
}

@test "AUTH: an address literal is never relayed: 550 5.7.1, nothing run; a domain in the same transaction is" {
	local lit
	for lit in "x@[127.0.0.1]" "x@[192.0.2.9]" "x@[IPv6:::1]" "x@[IPv6:2001:db8::1]"; do
		run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
			"RCPT TO:<$lit>" "RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
		[[ "$output" == *"550 5.7.1 <$lit>: Address literals are not relayed"* ]] ||
			{ echo "$lit: $output"; false; }
		[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
		[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f alice@tttest.com -- x@remote.example)" ]
		rm -f "$T"/relay/*
	done
	# Without AUTH the usual refusal comes first.
	run rsession -- "EHLO h" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@[127.0.0.1]>" QUIT
	[[ "$output" == *"550 5.7.1 <x@[127.0.0.1]>: Relay access denied"* ]]
	[ -z "$(runs)" ]
}

@test "the relay command's environment is PATH and HOME=/ only (a Python command sees LC_CTYPE from Python itself, PEP 538)" {
	printf '#!/bin/sh\ntr "\\0" "\\n" </proc/$$/environ >%s/relay/env\ncat >/dev/null\n' "$T" \
		>"$T/env.sh"
	printf '#!/usr/bin/python3\nimport os, sys\nsys.stdin.read()\nopen("%s/relay/pyenv", "w").write(os.environ.get("LC_CTYPE", "-"))\n' \
		"$T" >"$T/env.py"
	chmod 755 "$T/env.sh" "$T/env.py"
	run rsession --relay-command "$T/env.sh --" -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" \
		"MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]] || { echo "$output"; cat "$T/log"; false; }
	cat "$T/relay/env"
	[ "$(cat "$T/relay/env")" = "$(printf 'PATH=/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/')" ]
	LC_CTYPE=de_DE.UTF-8 LANG=de_DE.UTF-8 run rsession --relay-command "$T/env.py --" -- "EHLO h" \
		"AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(cat "$T/relay/pyenv")" = C.UTF-8 ]	# Python's coercion of the C locale, not ours
}

@test "AUTH: MAIL FROM must be the user's own address (553 5.7.1), or an alias of the user, or <>" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<bob@tttest.com>" RSET \
		"MAIL FROM:<alice@example.org>" RSET "MAIL FROM:<alice@localhost>" RSET \
		"MAIL FROM:<ali@tttest.com>" RSET "MAIL FROM:<>" QUIT
	[[ "$output" == *"553 5.7.1 <bob@tttest.com>: Sender address not owned by user alice"* ]]
	[[ "$output" == *"553 5.7.1 <alice@example.org>: Sender address not owned by user alice"* ]]
	# alice@localhost (a local domain), ali (an alias of alice) and <>: 250 each.
	[ "$(grep -c '^250 2.1.0 Ok' <<<"$output")" = 3 ]
}

@test "--any-sender: an authenticated client may use any MAIL FROM; it is the command's -f" {
	run rsession --any-sender -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" \
		"MAIL FROM:<bob@example.org>" "RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.0 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f bob@example.org -- x@remote.example)" ]
}

@test "the null sender <> is passed to the command as an empty word after -f" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<>" \
		"RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f '' -- x@remote.example)" ]
}

@test "the command runs as --relay-user (default: --privsep-user), in a clean environment" {
	[ "$(id -u)" = 0 ] || skip "needs root: not as root the command runs as the user running the tests"
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
		"RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[ "$(cat "$T"/relay/run.*.uid)" = "$PRIVSEP_UID" ]	# smtp-session in the test's passwd
	rm -f "$T"/relay/*
	run rsession --relay-user nobody -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" \
		"MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" DATA "${MSG[@]}" QUIT
	[ "$(cat "$T"/relay/run.*.uid)" = 65534 ]
}

# ---- 3. the command's exit status, stderr and the deadline ----

@test "relay command exits 75 (EX_TEMPFAIL): 451 4.4.0 after DATA" {
	run rsession --relay-command "$T/tempfail.sh -f {sender} --" -- "EHLO h" \
		"AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *$'\n451 4.4.0 '* ]]
	[[ "$output" != *"delivered as"* ]]
}

@test "relay command exits 1 with a message on stderr: 554 5.3.0, its first line in the log" {
	run rsession --relay-command "$T/fail.sh -f {sender} --" -- "EHLO h" \
		"AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *$'\n554 5.3.0 '* ]]
	grep -qF 'relay: no route to remote.example (test)' "$T/log"
	! grep -qF 'a second line' "$T/log" || false
}

@test "relay command that hangs (stopped, with a child): 451 4.4.0 after --delivery-timeout, its group killed" {
	local t0=$SECONDS
	run rsession --delivery-timeout 2 --relay-command "$T/hang.sh -f {sender} --" -- "EHLO h" \
		"AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *$'\n451 4.4.0 '* ]]
	[ $((SECONDS - t0)) -ge 2 ]
	[[ "$output" == *"221 2.0.0"* ]]	# the session went on
	local p
	for p in $(cat "$T/relay/hang.pids"); do
		# Gone, or at most a zombie waiting for its reaper.
		[ ! -e "/proc/$p" ] || [ "$(awk '{print $3}' "/proc/$p/stat")" = Z ]
	done
}

# ---- 4. addresses cannot change the command ----

@test "addresses that look like options or shell code are single argv words after --, nothing run" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
		"RCPT TO:<-oQ/tmp@remote.example>" \
		"RCPT TO:<\"a;touch\${IFS}$T/pwned\"@remote.example>" \
		"RCPT TO:<\"\$(touch\${IFS}$T/pwned2)\"@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(runs | wc -l)" = 1 ]
	local want
	want=$(printf '%s\n' -f alice@tttest.com -- -oQ/tmp@remote.example \
		"\"a;touch\${IFS}$T/pwned\"@remote.example" \
		"\"\$(touch\${IFS}$T/pwned2)\"@remote.example")
	[ "$(argv_of "$(runs)")" = "$want" ] || { argv_of "$(runs)"; echo "$output"; false; }
	[ "$(tr -cd '\0' <"$(runs)" | wc -c)" = 6 ]	# six words, no more
	[ ! -e "$T/pwned" ] && [ ! -e "$T/pwned2" ]
}

# ---- 6. aliases ----

@test "transcript alias-forward" { transcript alias-forward smtp-aliases; }

@test "alias to remote addresses only: 251, relayed with Delivered-To of the alias" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"251 2.1.5 User not local; will forward to <x@remote.example>"* ]]
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f someone@example.org -- x@remote.example)" ]
	local m; m=$(runs); m=${m%.argv}.msg
	# RFC 9228: Delivered-To names the recipient as given in RCPT, first.
	head -1 "$m" | grep -Eq '^Delivered-To: <?fwd@tttest\.com>?$'
	grep -q "by $HOST (smtp-session) with ESMTP id " "$m"
	cmp <(after_trace "$m") <(msg_text)
}

@test "alias to a local user and a remote address: 250, the Maildir and the command both get it" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<mix@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered test | wc -l)" = 1 ]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f someone@example.org -- y@remote.example)" ]
	cmp <(after_trace "$(delivered test)") <(msg_text)
}

@test "alias to a local user whose relay fails: 451, and the local copy is not kept alone" {
	run rsession --relay-command "$T/tempfail.sh -f {sender} --" -- "EHLO h" \
		"MAIL FROM:<someone@example.org>" "RCPT TO:<mix@tttest.com>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *$'\n451 4.4.0 '* ]]
	# 250 only when both took it; the client will retry, so no copy may stay behind
	# (a duplicate on a rare commit failure is allowed, not on every retry).
	[ -z "$(delivered test)" ]
	[ -z "$(leftovers test)" ]
}

@test "alias chain a1 -> b1 -> test: delivered to test" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<a1@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered test | wc -l)" = 1 ]
	[ -z "$(runs)" ]
}

@test "alias cycle c1 -> c2 -> c1: refused at RCPT with a 5xx" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<c1@tttest.com>" QUIT
	[ "${lines[0]:0:3}" = 220 ]
	local rcpt
	rcpt=$(grep -v '^250[- ]' <<<"$output" | sed -n 2p)	# after the greeting and EHLO/MAIL
	[[ "$rcpt" =~ ^5[0-9][0-9]\ 5\. ]] || { echo "RCPT: $rcpt"; false; }
	# Refused for the loop, not as an unknown user: the log says so.
	[[ "$rcpt" != *"No such user"* ]]
	grep -Eqi 'loop|cycle' "$T/log"
	[ -z "$(runs)" ]
}

@test "alias to |command: refused, logged, never run" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<pipe@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" != *"250 2.1.5"* ]] && [[ "$output" != *"251 2.1.5"* ]]
	grep -Eq '^5[0-9]{2} 5\.' <<<"$output"
	grep -q 'piped' "$T/log"	# the log line names the command
	[ ! -e "$T/piped" ]
	[ -z "$(runs)" ]
}

# ---- 7. ~/.forward ----

# bob's ~/.forward with these lines, bob's and mode 0644 unless given.
forward() {
	local mode=$1
	shift
	printf '%s\n' "$@" >"$T/home/bob/.forward"
	chmod "$mode" "$T/home/bob/.forward"
	if [ "$(id -u)" = 0 ]; then chown "$(uid bob):$(uid bob)" "$T/home/bob/.forward"; fi
}

@test "~/.forward to a remote address only: 251, relayed" {
	forward 644 z@remote.example
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"251 2.1.5 User not local; will forward to <z@remote.example>"* ]]
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ -z "$(delivered bob)" ]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f someone@example.org -- z@remote.example)" ]
}

@test "~/.forward with \\bob: a local copy as well as the forward" {
	forward 644 '\bob' z@remote.example
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f someone@example.org -- z@remote.example)" ]
}

@test "~/.forward writable by group or others: ignored (delivered locally) and logged" {
	local mode
	for mode in 664 646; do
		clear_maildirs
		rm -f "$T"/relay/*
		forward "$mode" z@remote.example
		run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
			DATA "${MSG[@]}" QUIT
		[[ "$output" == *"250 2.1.5 Ok"* ]] || { echo "mode $mode: $output"; false; }
		[ "$(delivered bob | wc -l)" = 1 ]
		[ -z "$(runs)" ]
		grep -q 'forward' "$T/log"
	done
}

@test "~/.forward owned by another user: ignored (delivered locally) and logged" {
	[ "$(id -u)" = 0 ] || skip "needs root to give the file another owner"
	forward 644 z@remote.example
	chown "$(uid alice):$(uid alice)" "$T/home/bob/.forward"	# alice's
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ -z "$(runs)" ]
	grep -q 'forward' "$T/log"
}

# ---- 8. loops ----

@test "a message that already has Delivered-To: the forwarded recipient: 554 5.4.6" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" \
		DATA "Delivered-To: fwd@tttest.com" "${MSG[@]}" QUIT
	[[ "$output" == *$'\n554 5.4.6 '* ]]
	[ -z "$(runs)" ]
}

@test "hop count: 50 Received lines pass, 51 are 554 5.4.6 (RFC 5321 6.3)" {
	local rec=() i
	for i in $(seq 50); do rec+=("Received: from hop$i by hop$i; Thu, 1 Jan 2026 00:00:00 +0000"); done
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" \
		DATA "${rec[@]}" "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(runs | wc -l)" = 1 ]
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" \
		DATA "Received: from hop0 by hop0; Thu, 1 Jan 2026 00:00:00 +0000" "${rec[@]}" \
		"${MSG[@]}" QUIT
	[[ "$output" == *$'\n554 5.4.6 '* ]]
	[ "$(runs | wc -l)" = 1 ]
}

# ---- 1. msmtp as the relay command, into a second smtp-session ----

# A listener on a free loopback port: NAME, then the command (tcpserver, one process
# per connection); sets NAME_PORT and records the pid in $T/NAME.pid (teardown_file
# stops what a failed test left).  Each test its own NAME.
listen() {
	local name=$1
	shift
	"$@" >"$T/$name.port" 2>"$T/$name.err" 3>&- &
	echo $! >"$T/$name.pid"
	local i
	for i in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.1; done
	printf -v "${name}_PORT" '%s' "$(head -1 "$T/$name.port")"
}

# Host B: an smtp-session for whom remote.example is local (into the same test homes).
start_b() {
	listen B tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp" --domains remote.example
}

@test "msmtp relays to a second smtp-session: swaks and smtplib with AUTH, the message byte for byte" {
	command -v msmtp >/dev/null || skip "msmtp is not installed (make check installs it as root)"
	start_b
	local cmd="/usr/bin/msmtp -C /dev/null --host=127.0.0.1 --port=$B_PORT"
	# msmtp adds From, Date and Message-ID where missing and drops Bcc: not here.
	cmd="$cmd --domain=$HOST --set-from-header=off --set-date-header=off"
	cmd="$cmd --set-msgid-header=off --remove-bcc-headers=off -f {sender} --"
	listen A tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp-pam" --auth-delay 0 \
		--aliases "$T/aliases" --relay-command "$cmd"
	printf 'Subject: via msmtp\nFrom: alice@tttest.com\n\nbody line 1\n.dot line\nlast\n' >"$T/m1"
	run swaks --server "127.0.0.1:$A_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to bob@remote.example --helo client.example.org \
		--data "@$T/m1"
	[ "$status" = 0 ] || { echo "$output"; false; }
	[ "$(delivered bob | wc -l)" = 1 ]
	local f; f=$(delivered bob)
	grep -q "by $HOST (smtp-session) with ESMTPA id " "$f"	# A's trace line
	grep -q '^Received: from client.example.org (\[127.0.0.1\])$' "$f"
	grep -q '^Return-Path: <alice@tttest.com>$' "$f"	# B's, from msmtp's MAIL FROM
	# Everything from the Subject on is what swaks sent: --data, and the empty line
	# swaks itself puts before the final dot.
	cmp <(awk 'f || /^Subject: via msmtp$/ { f = 1; print }' "$f") <(cat "$T/m1"; echo) ||
		{ cat "$f"; false; }
	# smtplib, with a null sender.
	clear_maildirs
	run python3 - "$A_PORT" <<-'EOF'
		import smtplib, sys
		with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example.org") as s:
		    s.login("alice", "secret")
		    s.sendmail("<>", ["bob@remote.example", "test@tttest.com"],
		               b"Subject: via msmtp 2\r\n\r\nfrom smtplib\r\n")
	EOF
	[ "$status" = 0 ] || { echo "$output"; false; }
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(delivered test | wc -l)" = 1 ]
	grep -q '^Return-Path: <>$' "$(delivered bob)"
	[ "$(tail -1 "$(delivered bob)")" = "from smtplib" ]
	kill "$(cat "$T/A.pid")" "$(cat "$T/B.pid")"
	rm -f "$T/A.pid" "$T/B.pid"
}

# Host B on a Unix socket, started per connection as smtp-relay.socket starts the MTA.
start_b_unix() {
	systemd-socket-activate -l "$T/relay.sock" --inetd -a "$T/bin/smtp" --domains remote.example \
		>"$T/Bu.log" 2>&1 3>&- &
	echo $! >"$T/Bu.pid"
	local i
	for i in $(seq 100); do [ -S "$T/relay.sock" ] && break; sleep 0.1; done
	chmod 666 "$T/relay.sock"	# the relay child runs as the --relay-user
}

@test "--relay-socket: SMTP to a second smtp-session on a Unix socket; dot-stuffing, <>, per-recipient log lines, 'queued as'" {
	start_b_unix
	printf 'Subject: via the socket\nFrom: alice@tttest.com\n\nbody 1\n.dot line\n..two\nlast\n' >"$T/m1"
	listen A tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp-pam" --auth-delay 0 \
		--aliases "$T/aliases" --relay-socket "$T/relay.sock" --log-file "$T/A.log"
	run swaks --server "127.0.0.1:$A_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to bob@remote.example,test@remote.example \
		--helo client.example.org --data "@$T/m1"
	[ "$status" = 0 ] || { echo "$output"; cat "$T/A.log" "$T/Bu.log"; false; }
	grep -q '^<-  250 2.0.0 Ok: queued as ' <<<"$output"
	[ "$(delivered bob | wc -l)" = 1 ] && [ "$(delivered test | wc -l)" = 1 ]
	local f; f=$(delivered bob)
	grep -q "by $HOST (smtp-session) with ESMTPA id " "$f"	# A's trace line
	grep -q '^Return-Path: <alice@tttest.com>$' "$f"	# B's, from our MAIL FROM
	cmp <(awk 'f || /^Subject: via the socket$/ { f = 1; print }' "$f") <(cat "$T/m1"; echo) ||
		{ cat "$f"; false; }
	# One line per recipient: who, how, the result, and B's final reply with its id.
	grep -q "relay to=<bob@remote.example> from=<alice@tttest.com> via=$T/relay.sock queued (exit 0) .* said: \"250 2.0.0 Ok: delivered as " "$T/A.log" ||
		{ cat "$T/A.log"; false; }
	grep -q "relay to=<test@remote.example> from=<alice@tttest.com> via=$T/relay.sock queued" "$T/A.log"
	grep -q 'from=<alice@tttest.com> size=[0-9]* nrcpt=0 nrelay=2 ' "$T/A.log"
	# The null sender, and a recipient B refuses: 554 here, B's words in the log.
	clear_maildirs
	run swaks --server "127.0.0.1:$A_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from '<>' --to nosuchuser@remote.example --helo client.example.org
	grep -q '^<\*\* 554 5.3.0 ' <<<"$output" || { echo "$output"; false; }
	grep -q 'relay to=<nosuchuser@remote.example> from=<> .* refused (exit 69) .* said: "RCPT TO:<nosuchuser@remote.example>: 550 ' "$T/A.log" ||
		{ cat "$T/A.log"; false; }
	kill "$(cat "$T/A.pid")" "$(cat "$T/Bu.pid")"
	rm -f "$T/A.pid" "$T/Bu.pid"
}

@test "--relay-socket: nobody listening is 451 4.4.0 (try again), and the log says how to fix it" {
	run rsession --relay-socket "$T/no-such.sock" --log-file "$T/nosock.log" -- "EHLO h" \
		"AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" "RCPT TO:<x@remote.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"451 4.4.0 Relay hand-off failed, try again later"* ]] || { echo "$output"; false; }
	grep -q "relay to=<x@remote.example> .* deferred (exit 75) .* said: \"cannot connect to $T/no-such.sock: No such file or directory (is smtp-relay.socket enabled?)\"" "$T/nosock.log" ||
		{ cat "$T/nosock.log"; false; }
	[ -z "$(runs)" ]	# the socket, not the command
}

# A private Postfix instance in $T/PF (pfinst.sh) relaying everything to smtp-sink,
# which writes each message into $T/SINK (as nobody): private_postfix PF SINK.  Root
# only, like the tests that use it.
private_postfix() {
	mkdir -p "$T/$2"
	chown nobody "$T/$2"
	local sink_port; sink_port=$(free_port)
	smtp-sink -u nobody -d "$T/$2/%Y%m%d%H%M%S." "127.0.0.1:$sink_port" 10 &
	echo $! >"$T/$2.pid"
	wait_port "$sink_port"
	PF=$T/$1
	sh "$TOP/tests/pfinst.sh" "$PF" create "$(free_port)" "relayhost = [127.0.0.1]:$sink_port"
	sh "$TOP/tests/pfinst.sh" "$PF" start
}

@test "--relay-socket: Postfix's sendmail -bs behind the socket (what smtp-relay@.service runs), as an unprivileged user" {
	[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
	command -v postfix >/dev/null || skip "postfix is not installed (make check installs it as root)"
	private_postfix pfs sinks
	# The MTA side as the unit has it: one "sendmail -bs" per connection, as nobody.
	sh "$TOP/tests/pfsendmail.sh" "$PF/etc" systemd-socket-activate -l "$T/pf.sock" --inetd -a \
		setpriv --reuid nobody --regid nogroup --clear-groups \
		/usr/sbin/sendmail -C "$PF/etc" -bs >"$T/pfs.log" 2>&1 3>&- &
	echo $! >"$T/pfs.pid"
	local i
	for i in $(seq 100); do [ -S "$T/pf.sock" ] && break; sleep 0.1; done
	chmod 666 "$T/pf.sock"
	listen P tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp-pam" --auth-delay 0 \
		--aliases "$T/aliases" --relay-user nobody --relay-socket "$T/pf.sock" \
		--log-file "$T/P.log"
	run swaks --server "127.0.0.1:$P_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to x@remote.example --helo client.example.org \
		--h-Subject "via postfix -bs" --body "through sendmail -bs"
	[ "$status" = 0 ] || { echo "$output"; cat "$T/P.log" "$T/pfs.log"; false; }
	sh "$TOP/tests/pfinst.sh" "$PF" drain 30
	kill "$(cat "$T/P.pid")" "$(cat "$T/sinks.pid")" "$(cat "$T/pfs.pid")"
	rm -f "$T/P.pid" "$T/sinks.pid" "$T/pfs.pid"
	local x; x=$(grep -l 'X-Rcpt-Args: <x@remote.example>' "$T"/sinks/*) || { cat "$PF/log/maillog"; false; }
	grep -q 'X-Mail-Args: <alice@tttest.com>' "$x"
	grep -q '^through sendmail -bs' "$x"
	# What Postfix said ("queued as" its maildrop file's id: pickup then gives the
	# message a queue id of its own), in our log line; Postfix sent it on.
	grep -q 'relay to=<x@remote.example> .* queued (exit 0) .* said: "250 2.0.0 Ok: queued as [0-9A-F]*"' "$T/P.log" ||
		{ cat "$T/P.log"; false; }
	grep -q "to=<x@remote.example>.*status=sent" "$PF/log/maillog"
	sh "$TOP/tests/pfinst.sh" "$PF" stop
}

# ---- 2. a private Postfix instance's sendmail as the relay command ----

@test "Postfix's sendmail -C (a private instance) as the relay command, as an unprivileged user" {
	[ "$(id -u)" = 0 ] || skip "a private Postfix instance needs root"
	command -v postfix >/dev/null || skip "postfix is not installed (make check installs it as root)"
	private_postfix pf sink
	# The listener in a mount namespace where sendmail -C $PF/etc is allowed for every
	# user (pfsendmail.sh); the command runs as nobody.
	listen P sh "$TOP/tests/pfsendmail.sh" "$PF/etc" tcpserver -1 -R -H -l localhost 127.0.0.1 0 \
		"$T/bin/smtp-pam" --auth-delay 0 --aliases "$T/aliases" --relay-user nobody \
		--relay-command "/usr/sbin/sendmail -C $PF/etc -i -f {sender} --"
	run swaks --server "127.0.0.1:$P_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from alice@tttest.com --to x@remote.example --helo client.example.org \
		--h-Subject "via postfix" --body "through a private postfix"
	[ "$status" = 0 ] || { echo "$output"; cat "$T/log"; false; }
	run swaks --server "127.0.0.1:$P_PORT" --auth PLAIN --auth-user alice --auth-password secret \
		--from '<>' --to y@remote.example --helo client.example.org --h-Subject "bounce-like"
	[ "$status" = 0 ] || { echo "$output"; cat "$T/log"; false; }
	sh "$TOP/tests/pfinst.sh" "$PF" drain 30
	kill "$(cat "$T/P.pid")" "$(cat "$T/sink.pid")"
	rm -f "$T/P.pid" "$T/sink.pid"
	grep -q 'pickup.*uid=65534 from=<alice@tttest.com>' "$PF/log/maillog"
	grep -q 'pickup.*uid=65534 from=<>' "$PF/log/maillog"
	local x; x=$(grep -l 'X-Rcpt-Args: <x@remote.example>' "$T"/sink/*)
	grep -q 'X-Mail-Args: <alice@tttest.com>' "$x"
	grep -q "by $HOST (smtp-session) with ESMTPA id " "$x"
	grep -q '^through a private postfix' "$x"
	grep -q 'X-Mail-Args: <>' "$(grep -l 'X-Rcpt-Args: <y@remote.example>' "$T"/sink/*)"
	sh "$TOP/tests/pfinst.sh" "$PF" stop
}

# ---- aliases first, several users, the modes that do not forward ----

@test "postmaster, root and a system account resolve through the aliases first" {
	# No --postmaster: without the aliases all three would be 550 5.1.1.
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<postmaster>" \
		"RCPT TO:<root@tttest.com>" "RCPT TO:<daemon@tttest.com>" DATA "${MSG[@]}" QUIT
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = 3 ] || { echo "$output"; false; }
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	# postmaster and root are one recipient (test): one copy; daemon is bob.
	[ "$(delivered test | wc -l)" = 1 ] && [ "$(delivered bob | wc -l)" = 1 ]
}

@test "an alias of three users: one copy each, and a user named again gets no second" {
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<staff@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" DATA "${MSG[@]}" QUIT
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = 2 ]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	local u
	for u in test bob alice; do [ "$(delivered $u | wc -l)" = 1 ] || { echo "$u"; false; }; done
	grep -q '^Delivered-To: staff@tttest.com$' "$(delivered alice)"
}

@test "SEND and LMTP do not forward: 551 5.1.6 with the address to try" {
	run rsession --send any -- "EHLO h" "SEND FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" QUIT
	[[ "$output" == *"551 5.1.6 <fwd@tttest.com>: User not local; please try <x@remote.example>"* ]]
	run rsession --lmtp -- "LHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<fwd@tttest.com>" \
		"RCPT TO:<mix@tttest.com>" QUIT
	[ "$(grep -c '^551 5.1.6 ' <<<"$output")" = 2 ] || { echo "$output"; false; }
	[ -z "$(runs)" ]
}

@test "LMTP: a Delivered-To loop refuses that recipient alone; an alias of two users is one reply" {
	run rsession --lmtp -- "LHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		"RCPT TO:<staff@tttest.com>" DATA "Delivered-To: bob@tttest.com" "${MSG[@]}" QUIT
	grep -q '^554 5.4.6 <bob@tttest.com>: Mail loop' <<<"$output" || { echo "$output"; false; }
	grep -q '^250 2.0.0 <staff@tttest.com>: Ok: delivered as ' <<<"$output"
	# staff is test, bob and alice: bob's copy comes through staff, not through the
	# looping RCPT, so each of the three has one.
	local u
	for u in test bob alice; do [ "$(delivered $u | wc -l)" = 1 ] || { echo "$u"; false; }; done
}

@test "~/.forward: a |command and a /file target are refused and logged, the rest used" {
	forward 644 "|/bin/touch $T/piped" "$T/filed" z@remote.example
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"251 2.1.5 User not local; will forward to <z@remote.example>"* ]]
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ ! -e "$T/piped" ] && [ ! -e "$T/filed" ]
	grep -q "refused: pipes, files and :include:" "$T/log"
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f someone@example.org -- z@remote.example)" ]
}

@test "authenticated: local and remote recipients in one message, one relay run, all or nothing" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
		"RCPT TO:<bob@tttest.com>" "RCPT TO:<p@remote.example>" "RCPT TO:<q@other.example>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered bob | wc -l)" = 1 ]
	[ "$(runs | wc -l)" = 1 ]
	[ "$(argv_of "$(runs)")" = "$(printf '%s\n' -f alice@tttest.com -- p@remote.example q@other.example)" ]
	# Without a Delivered-To: they are relayed, not forwarded.
	local m; m=$(runs); m=${m%.argv}.msg
	! grep -q '^Delivered-To:' "$m" || false
}

@test "aliases(5) format: comments, continuation lines, case, quotes, the first of two entries" {
	cat >"$T/aliases2" <<-EOF
		# a comment line
		Team: test,
		  bob
		 	, "ali"
		team: nobody-here
		  # not a comment: a continuation line
		solo: test
	EOF
	run rsession --aliases "$T/aliases2" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<TEAM@tttest.com>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]] && [[ "$output" == *"250 2.0.0 Ok: delivered as "* ]] ||
		{ echo "$output"; false; }
	# ali is no alias in this file and no user: dropped and logged; test and bob get it.
	[ "$(delivered test | wc -l)" = 1 ] && [ "$(delivered bob | wc -l)" = 1 ]
	grep -q 'target ali of team: no such user, dropped' "$T/log"
	# An unreadable aliases file is 451 for everyone, never a guess.
	run rsession --aliases "$T/no-such-file" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<test@tttest.com>" QUIT
	[[ "$output" == *"451 4.3.0 <test@tttest.com>: Temporary lookup failure"* ]]
}

@test "Delivered-To of an address relayed elsewhere is no loop here; of a local one it is" {
	run rsession -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "MAIL FROM:<alice@tttest.com>" \
		"RCPT TO:<p@remote.example>" DATA "Delivered-To: p@remote.example" "Delivered-To:" \
		"${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]] || { echo "$output"; false; }
	[ "$(runs | wc -l)" = 1 ]
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<Test@TTTEST.com>" \
		DATA "Delivered-To: <test@tttest.com>" "${MSG[@]}" QUIT
	[[ "$output" == *"554 5.4.6 <Test@TTTEST.com>: Mail loop"* ]] || { echo "$output"; false; }
	[ -z "$(delivered test)" ]
}

# ---- the bound of an expansion, and of the log (issue 21) ----

# An aliases file with big lists: NAME COUNT [LOCAL...]: the local names first, then
# remote addresses rN@remote.example up to COUNT targets in all.
big_alias() {
	local name=$1 n=$2
	shift 2
	printf '%s: ' "$name"
	{ printf '%s\n' "$@"; seq "$(($n - $#))" | sed 's/.*/r&@remote.example/'; } | paste -sd, -
}

# The relay runs' recipients (the words after "--"), one per line, over every run.
relayed() { local f; for f in $(runs); do argv_of "$f" | sed '1,/^--$/d'; done; }

@test "an alias of 150 or of 10,000 remote members: 550 5.2.4 at RCPT, nothing handed on or delivered" {
	{ big_alias big150 150; big_alias big10k 10000; big_alias mixed101 101 test bob; } \
		>"$T/aliases-big"
	run rsession --aliases "$T/aliases-big" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<big150@tttest.com>" "RCPT TO:<big10k@tttest.com>" \
		"RCPT TO:<mixed101@tttest.com>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"550 5.2.4 <big150@tttest.com>: Alias or forward list too long (over 100 recipients)"* ]] ||
		{ echo "$output"; false; }
	[[ "$output" == *"550 5.2.4 <big10k@tttest.com>: Alias or forward list too long (over 100 recipients)"* ]]
	[[ "$output" == *"550 5.2.4 <mixed101@tttest.com>: Alias or forward list too long (over 100 recipients)"* ]]
	[[ "$output" != *"delivered as"* ]]
	[ -z "$(runs)" ] && [ -z "$(delivered test)" ] && [ -z "$(delivered bob)" ]
	grep -q 'big150: more than 100 users and addresses, refused' "$T/log"
	# Refused before the 10,000 are walked: one line, not one per member.
	[ "$(wc -c <"$T/log")" -lt 8192 ] || { ls -l "$T/log"; false; }
}

@test "an alias of exactly 100 members works: 251, all 100 handed on; 2 local users and 98 remote: 250, all get it" {
	{ big_alias big100 100; big_alias mixed100 100 test bob; } >"$T/aliases-big"
	run rsession --aliases "$T/aliases-big" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<big100@tttest.com>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"251 2.1.5 User not local; will forward to <r1@remote.example>"* ]] ||
		{ echo "$output"; false; }
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(relayed | sort -u | wc -l)" = 100 ] && [ "$(relayed | wc -l)" = 100 ]
	[ "$(relayed | grep -c '^r[0-9]*@remote.example$')" = 100 ]
	rm -f "$T"/relay/*
	run rsession --aliases "$T/aliases-big" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<mixed100@tttest.com>" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.1.5 Ok"* ]] && [[ "$output" == *"250 2.0.0 Ok: delivered as "*", and queued for relay"* ]] ||
		{ echo "$output"; false; }
	[ "$(relayed | wc -l)" = 98 ]
	[ "$(delivered test | wc -l)" = 1 ] && [ "$(delivered bob | wc -l)" = 1 ]
}

@test "~/.forward of 150 remote addresses: 550 5.2.4 at RCPT, nothing handed on; of 100: 251" {
	# shellcheck disable=SC2046
	forward 644 $(seq 150 | sed 's/.*/f&@remote.example/')
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"550 5.2.4 <bob@tttest.com>: Alias or forward list too long (over 100 recipients)"* ]] ||
		{ echo "$output"; false; }
	[[ "$output" != *"delivered as"* ]]
	[ -z "$(runs)" ] && [ -z "$(delivered bob)" ]
	# shellcheck disable=SC2046
	forward 644 $(seq 100 | sed 's/.*/f&@remote.example/')
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "RCPT TO:<bob@tttest.com>" \
		DATA "${MSG[@]}" QUIT
	[[ "$output" == *"251 2.1.5 User not local; will forward to <f1@remote.example>"* ]] ||
		{ echo "$output"; false; }
	[[ "$output" == *"250 2.0.0 Ok: queued as "* ]]
	[ "$(relayed | wc -l)" = 100 ]
}

# The numbers in the log's "N more ..." lines, added up.
held_back() { grep -o '[0-9]* more lines' "$T/log" | awk '{ n += $1 } END { print n + 0 }'; }

@test "log flood: an alias of 10,000 refused targets named 10 times and a ~/.forward of 5,000 write < 8 KiB, the rest counted" {
	{ printf 'flood: test'; seq 10000 | sed 's/.*/, |\/bin\/p&/' | tr -d '\n'; echo; } \
		>"$T/aliases-flood"
	# bob's ~/.forward: 5,000 |pipe targets (15,000 bytes, under FORWARD_FILE_MAX),
	# nothing else.
	# shellcheck disable=SC2046
	forward 644 $(yes '|x' | head -n 5000)
	[ "$(wc -c <"$T/home/bob/.forward")" -le 16384 ]
	local rcpts=() i
	for i in $(seq 10); do rcpts+=("RCPT TO:<flood@tttest.com>"); done
	run rsession --aliases "$T/aliases-flood" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"${rcpts[@]}" "RCPT TO:<bob@tttest.com>" DATA "${MSG[@]}" QUIT
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = 10 ] || { echo "$output"; false; }
	[[ "$output" == *"550 5.1.1 <bob@tttest.com>: No such user here"* ]]
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]]
	[ "$(delivered test | wc -l)" = 1 ]
	# 105,000 targets dropped; a few lines say so, the rest is counted.
	local size; size=$(wc -c <"$T/log")
	[ "$size" -lt 8192 ] || { echo "log: $size bytes"; tail -5 "$T/log"; false; }
	local shown; shown=$(grep -c 'refused: pipes, files and :include: are not delivered' "$T/log")
	[ "$shown" -ge 1 ] && [ "$shown" -le 20 ] || { cat "$T/log"; false; }
	grep -q 'flood: [0-9]* more lines like the ones above not logged' "$T/log"
	grep -q 'more lines about refusals and dropped targets not logged in this session (at most 20)' "$T/log"
	# Every dropped target is written or counted, once.
	[ $((shown + $(held_back))) = 105000 ] || { cat "$T/log"; false; }
}

@test "log flood: 3,000 refused RCPTs of an unauthenticated client write < 8 KiB, the rest counted in one line" {
	local rcpts=() i
	for i in $(seq 3000); do rcpts+=("RCPT TO:<nosuch$i@tttest.com>"); done
	run rsession --max-errors 100000 -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"${rcpts[@]}" QUIT
	[ "$(grep -c '^550 5.1.1 ' <<<"$output")" = 3000 ] || { echo "$output" | tail; false; }
	local size; size=$(wc -c <"$T/log")
	[ "$size" -lt 8192 ] || { echo "log: $size bytes"; tail -5 "$T/log"; false; }
	[ "$(grep -c 'reject: RCPT' "$T/log")" = 20 ]
	grep -q '2980 more lines about refusals and dropped targets not logged in this session (at most 20)' "$T/log"
	# The summary of the session still counts them all.
	grep -q 'rejects=3000 ' "$T/log"
}

@test "log flood: an aliases file of 1,000 bad lines writes 5 of them and counts the rest; an unsafe ~/.forward is said once per session" {
	{ yes 'no colon on this line' | head -n 1000; echo 'good: test'; } >"$T/aliases-bad"
	forward 666 z@remote.example	# writable by others: ignored, the mailbox gets it
	local rcpts=() i
	for i in $(seq 30); do rcpts+=("RCPT TO:<bob@tttest.com>"); done
	run rsession --aliases "$T/aliases-bad" -- "EHLO h" "MAIL FROM:<someone@example.org>" \
		"RCPT TO:<good@tttest.com>" "${rcpts[@]}" DATA "${MSG[@]}" QUIT
	[[ "$output" == *"250 2.0.0 Ok: delivered as "* ]] || { echo "$output"; false; }
	[ "$(delivered test | wc -l)" = 1 ] && [ "$(delivered bob | wc -l)" = 1 ]
	[ "$(grep -c 'no "name:" at its start, ignored' "$T/log")" = 5 ] || { cat "$T/log"; false; }
	grep -q "$T/aliases-bad: 995 more lines like the ones above not logged" "$T/log"
	[ "$(grep -c '\.forward ignored: it may be written by its group or others' "$T/log")" = 1 ]
	[ "$(wc -c <"$T/log")" -lt 8192 ]
}

@test "log flood: 500 MAIL FROM an authenticated client does not own write < 8 KiB, the rest counted" {
	local cmds=() i
	for i in $(seq 500); do cmds+=("MAIL FROM:<bob@tttest.com>"); done
	run rsession --max-errors 100000 -- "EHLO h" "AUTH PLAIN $PLAIN_ALICE" "${cmds[@]}" QUIT
	[ "$(grep -c '^553 5.7.1 ' <<<"$output")" = 500 ] || { echo "$output" | tail; false; }
	[ "$(wc -c <"$T/log")" -lt 8192 ] || { ls -l "$T/log"; false; }
	# The parent's lines and the session's, 20 each, and each process's count.
	[ "$(grep -c 'refused: not an address of user alice' "$T/log")" = 20 ]
	[ "$(grep -c 'reject: MAIL' "$T/log")" = 20 ]
	[ "$(grep -c '480 more lines about refusals and dropped targets not logged in this session' "$T/log")" = 2 ]
}

@test "RCPTMAX counts RCPT commands in LMTP and for a forwarded address too: 100 named again are accepted, the 101st is 452 4.5.3" {
	local rcpts=() i
	for i in $(seq 101); do rcpts+=("RCPT TO:<fwd@tttest.com>"); done
	run rsession -- "EHLO h" "MAIL FROM:<someone@example.org>" "${rcpts[@]}" QUIT
	[ "$(grep -c '^251 2.1.5 User not local; will forward to <x@remote.example>' <<<"$output")" = 100 ] ||
		{ echo "$output" | tail; false; }
	[ "$(grep -c '^452 4.5.3 Too many recipients' <<<"$output")" = 1 ]
	rcpts=()
	for i in $(seq 101); do rcpts+=("RCPT TO:<bob@tttest.com>"); done
	run rsession --lmtp -- "LHLO h" "MAIL FROM:<someone@example.org>" "${rcpts[@]}" DATA \
		"${MSG[@]}" QUIT
	[ "$(grep -c '^250 2.1.5 Ok' <<<"$output")" = 100 ] || { echo "$output" | tail; false; }
	[ "$(grep -c '^452 4.5.3 Too many recipients' <<<"$output")" = 1 ]
	# One reply per accepted RCPT after the message (RFC 2033 4.2), one copy for bob.
	[ "$(grep -c '^250 2.0.0 ' <<<"$output")" = 100 ]
	[ "$(delivered bob | wc -l)" = 1 ]
}
