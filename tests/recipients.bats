#!/usr/bin/env bats
# Who receives mail when started as root (issue 10): persons only, that is accounts
# with a uid of at least UID_MIN (login.defs) whose home they own and nobody else may
# write; root's, the system accounts' and postmaster's mail goes to --postmaster, and
# without one it is refused with a clear log line.

load helpers

setup_file() {
	setup_users
	# A system account (uid below UID_MIN) with a home of its own, as postgres has.
	add_user postgres $((SYSTEM0 + 1))
	# A person whose home is not a directory of theirs (/usr is root's).
	echo "carol:x:$((PERSON0 + 10)):$((PERSON0 + 10)):carol:/usr:/bin/sh" >>"$T/passwd"
	# A person whose home does not exist.
	echo "dave:x:$((PERSON0 + 11)):$((PERSON0 + 11)):dave:$T/home/nothere:/bin/sh" >>"$T/passwd"
	# A person whose home its group may write.
	add_user erin $((PERSON0 + 12))
	chmod 775 "$T/home/erin"
}
teardown_file() { teardown_users; }
setup() { clear_maildirs; }

# RCPT replies of one transaction to the given recipients, with more options.
rcpt() {
	local opts=() rcpts=() r
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	for r in "$@"; do rcpts+=("RCPT TO:<$r>"); done
	printf '%s\r\n' "EHLO h" "MAIL FROM:<a@example.org>" "${rcpts[@]}" RSET QUIT |
		"$T/bin/smtp" "${opts[@]}" | tr -d '\r' | grep -E '^[0-9]{3} [0-9]\.' | sed -n '2,$p' | head -n $#
}

@test "without --postmaster: postmaster, root and system accounts get 550 5.1.1, logged" {
	# No aliases: the system's /etc/aliases would send postmaster to root first.
	run rcpt --aliases '' -- postmaster postmaster@tttest.com root@tttest.com postgres@tttest.com \
		test@tttest.com
	# postmaster's refusal says why (it exists everywhere, RFC 5321 4.5.1); root's and a
	# system account's are an unknown user's (below).
	[ "$(grep -c '^550 5.1.1 .*no postmaster is configured' <<<"$output")" = 2 ] ||
		{ echo "$output"; false; }
	[ "$(sed -n 3p <<<"$output")" = "550 5.1.1 <root@tttest.com>: No such user here" ]
	[ "$(sed -n 4p <<<"$output")" = "550 5.1.1 <postgres@tttest.com>: No such user here" ]
	[ "$(sed -n 5p <<<"$output")" = "250 2.1.5 Ok" ]
	grep -q 'mail for root refused: postmaster, root and system accounts receive mail only with --postmaster USER' "$T/log"
	grep -q 'mail for postmaster refused: ' "$T/log"
	[ -z "$(find "$T/home/root" "$T/home/postgres" -mindepth 1)" ]
}

@test "a system account and an unknown user get the same reply, byte for byte (no enumeration); the log tells them apart" {
	# Local parts of the same length, so that the whole replies can be compared.
	printf '%s\r\n' "EHLO h" "MAIL FROM:<a@example.org>" "RCPT TO:<postgres@tttest.com>" \
		"RCPT TO:<nosuchus@tttest.com>" QUIT | "$T/bin/smtp" --aliases '' >"$T/out"
	grep -a '^550 ' "$T/out" >"$T/refusals"
	[ "$(wc -l <"$T/refusals")" = 2 ] || { cat "$T/out"; false; }
	sed -n 1p "$T/refusals" | sed 's/postgres/XXXXXXXX/' >"$T/r1"
	sed -n 2p "$T/refusals" | sed 's/nosuchus/XXXXXXXX/' >"$T/r2"
	cmp "$T/r1" "$T/r2"
	[ "$(cat "$T/r1")" = $'550 5.1.1 <XXXXXXXX@tttest.com>: No such user here\r' ]
	grep -q 'mail for postgres refused: postmaster, root and system accounts' "$T/log"
}

@test "with --postmaster alice: postmaster, root and a system account go to alice" {
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<root@tttest.com>" \
		"RCPT TO:<postgres@localhost>" DATA "Subject: to the admin" "" x . QUIT |
		"$T/bin/smtp" --postmaster alice
	# One copy: root and postgres are the same recipient, alice.
	[ "$(delivered alice | wc -l)" = 1 ]
	grep -q '^Delivered-To: root@tttest.com$' "$(delivered alice)"
	[ -z "$(find "$T/home/root" "$T/home/postgres" -mindepth 1)" ]
}

@test "a home not owned by its user, or missing: 550 5.1.1; writable by its group: 451" {
	run rcpt -- carol@tttest.com dave@tttest.com erin@tttest.com bob@tttest.com
	[ "$(sed -n 1p <<<"$output")" = "550 5.1.1 <carol@tttest.com>: No such user here" ]
	[ "$(sed -n 2p <<<"$output")" = "550 5.1.1 <dave@tttest.com>: No such user here" ]
	[[ "$(sed -n 3p <<<"$output")" == "451 4.3.0 <erin@tttest.com>: "* ]]
	[ "$(sed -n 4p <<<"$output")" = "250 2.1.5 Ok" ]
	grep -q 'mail for carol refused: the account does not own its home' "$T/log"
	grep -q 'mail for dave refused: the account has no home directory' "$T/log"
	grep -q 'mail for erin refused: the account has a home that its group or others may write' "$T/log"
	[ ! -e "$T/home/erin/Maildir" ]
}

@test "--postmaster naming a system account or an unknown user: 451, the mail waits" {
	run rcpt --postmaster postgres -- postmaster root@tttest.com
	[ "$(grep -c '^451 4.3.0 ' <<<"$output")" = 2 ] || { echo "$output"; false; }
	grep -q -- '--postmaster postgres cannot receive mail' "$T/log"
	run rcpt --postmaster nosuchuser -- postmaster
	[[ "$output" == "451 4.3.0 "* ]]
	grep -q -- '--postmaster nosuchuser: no such user' "$T/log"
}

@test "UID_MIN comes from /etc/login.defs (root only: a private mount namespace)" {
	[ "$(id -u)" = 0 ] || skip "needs root to bind-mount a login.defs of the test's own"
	printf '# UID_MIN 5\nUID_MIN\t\t %s\nUID_MAX 60000\n' "$(uid bob)" >"$T/login.defs"
	printf '%s\r\n' "EHLO h" "MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" DATA x . \
		"MAIL FROM:<>" "RCPT TO:<alice@tttest.com>" "RCPT TO:<bob@tttest.com>" \
		DATA y . QUIT >"$T/in"
	# alice (PERSON0 + 2) is below UID_MIN now: her mail is postmaster's; bob (PERSON0 + 3) is not.
	run unshare -m sh -c 'mount --bind "$1" /etc/login.defs && "$2" "$3" "$4" <"$5"' sh \
		"$T/login.defs" "$T/bin/smtp" --postmaster bob "$T/in"
	[ "$(grep -c '^250 2.0.0 Ok: delivered' <<<"$output")" = 2 ] || { echo "$output"; false; }
	[ "$(delivered bob | wc -l)" = 2 ]
	[ -z "$(delivered alice)" ]
	run unshare -m sh -c 'mount --bind "$1" /etc/login.defs && "$2" <"$3"' sh \
		"$T/login.defs" "$T/bin/smtp" "$T/in"
	[[ "$output" == *"550 5.1.1 <alice@tttest.com>: No such user here"* ]]
	# The same without the private login.defs: alice is a person (UID_MIN 1000).
	run "$T/bin/smtp" <"$T/in"
	[ "$(grep -c '^250 2.0.0 Ok: delivered' <<<"$output")" = 2 ]
	[ "$(delivered alice | wc -l)" = 2 ]
}
