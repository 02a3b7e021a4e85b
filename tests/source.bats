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
	make -s session/seccomp-bpf.h	# generated: sandbox.c includes it
	printf '/* Set by no_such_function_xyz(), declared in no_such_file_xyz.h. */\n' >>common/util.h
	run "$TOP/tools/comment-names"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"common/util.h:"*": no_such_function_xyz() is named in a comment, and exists nowhere"* ]]
	[[ "$output" == *"the file no_such_file_xyz.h is named in a comment"* ]]
}

@test "make layering: each side links alone; a session file that includes a parent header (by name or by path) or calls a parent function fails the build" {
	# A copy of the tree with its objects (make sees them as up to date: cp -p).
	local src=$BATS_TEST_TMPDIR/layers
	mkdir -p "$src"
	cp -pr "$TOP"/Makefile "$TOP"/*.[ch] "$TOP"/*.o "$TOP"/common "$TOP"/session "$TOP"/parent \
		"$TOP"/helper "$TOP"/listen "$TOP"/tools "$TOP"/.with-systemd "$src/"
	run make -s -C "$src" layering
	echo "$output"
	[ "$status" = 0 ]
	for side in session helper parent common; do
		[[ "$output" == *"layering: the $side side links alone"* ]]
	done
	# An include across the line: the session's include path has no parent/.
	cp -p "$src/session/loop.c" "$BATS_TEST_TMPDIR/loop.c"
	sed -i '0,/^#include "loop.h"$/s//#include "loop.h"\n#include "users.h"/' "$src/session/loop.c"
	run make -s -C "$src" session/loop.o
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"users.h: No such file or directory"* ]]
	# Nor by path through the top folder's -I.
	cp "$BATS_TEST_TMPDIR/loop.c" "$src/session/loop.c"
	sed -i '0,/^#include "loop.h"$/s//#include "loop.h"\n#include "parent\/users.h"/' "$src/session/loop.c"
	run make -s -C "$src" layering
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *'session/loop.c:'*'#include "parent/users.h"'* ]]
	[[ "$output" == *"layering: an include by path reaches across the sides"* ]]
	# A call across the line: it compiles, and make layering names it.
	cp "$BATS_TEST_TMPDIR/loop.c" "$src/session/loop.c"
	printf 'int users_init(void *, const char *, const char **);\nint probe(void);\nint probe(void) { return users_init(0, 0, 0); }\n' \
		>>"$src/session/loop.c"
	run make -s -C "$src" layering
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"layering: the session side calls outside itself:"* ]]
	[[ "$output" == *"undefined reference to \`users_init'"* ]]
}

@test "every relative link and #anchor of the Markdown documents resolves (tools/md-links)" {
	cd "$TOP"
	run tools/md-links
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *" 0 broken"* ]]
	# And a broken one is found, in a clone.
	git clone -q "$TOP" "$BATS_TEST_TMPDIR/md"
	printf '\nSee [nowhere](doc/no-such-file.md#none) and [here](#no-such-heading).\n' \
		>>"$BATS_TEST_TMPDIR/md/README.md"
	run "$TOP/tools/md-links" "$BATS_TEST_TMPDIR/md"
	echo "$output"
	[ "$status" != 0 ]
	[[ "$output" == *"no-such-file.md"* ]]
	[[ "$output" == *"no-such-heading"* ]]
}

@test "no cycle between modules, by includes or by calls (tools/module-cycles)" {
	cd "$TOP"
	run tools/module-cycles
	echo "$output"
	[ "$status" = 0 ]
	[[ "$output" == *" 0 cycles"* ]]
	# A planted one is found: utf8.c including addr.h, whose module uses utf8's.
	local src=$BATS_TEST_TMPDIR/cycles
	git clone -q "$TOP" "$src"
	(cd "$TOP" && find . -name '*.o' -not -path './tests/*' -not -path './fuzz/*' \
		-not -path './bench/*' -exec cp --parents {} "$src/" \;)
	printf '#include "addr.h"\n' >>"$src/common/utf8.c"
	cd "$src"
	run "$TOP/tools/module-cycles"
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"cycle: addr <-> utf8"* ]]
}
