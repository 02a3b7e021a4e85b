#!/usr/bin/env bats
# Checks of the sources themselves, not of the program: they need no build.  Once, in the
# plain phase: the other phases test other builds of the same sources.

setup() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	[ -z "${SMTP_SESSION:-}" ] || [ "$SMTP_SESSION" = "$TOP/smtp-session" ] ||
		skip "runs in the plain phase only (the sources are the same in every phase)"
}

@test "every function and file a comment names exists (tools/comment-names)" {
	cd "$TOP"
	run tools/comment-names
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	# And it does find one: a copy of a header whose comment names a function nobody has.
	# (The check reads the files git lists, so the copy is a file git knows, in a clone.)
	git clone -q "$TOP" "$BATS_TEST_TMPDIR/src"
	cd "$BATS_TEST_TMPDIR/src"
	make -s seccomp-bpf.h	# generated: sandbox.c includes it
	printf '/* Set by no_such_function_xyz(), declared in no_such_file_xyz.h. */\n' >>util.h
	run "$TOP/tools/comment-names"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"util.h:"*": no_such_function_xyz() is named in a comment, and exists nowhere"* ]]
	[[ "$output" == *"the file no_such_file_xyz.h is named in a comment"* ]]
}
