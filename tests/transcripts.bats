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
@test "transcript mail-syntax" { transcript mail-syntax; }
@test "transcript rcpt" { transcript rcpt; }
@test "transcript max-recipients" { transcript max-recipients; }
@test "transcript too-many-errors" { transcript too-many-errors; }

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

@test "transcript no-send" {
	transcript no-send
	[ "$(delivered test | wc -l)" = 1 ]
}

@test "transcript disconnect-data" {
	transcript disconnect-data
	nothing_kept
	grep -q 'end=lost connection' "$T/log"
}
