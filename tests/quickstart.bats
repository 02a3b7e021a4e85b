#!/usr/bin/env bats
# The quick start on a machine that has never seen the project: what the README tells a
# newcomer to install agrees with the Makefile, a missing header is named by its Debian
# package before the compiler fails, and the suite's fake users collide with nobody on
# the machine.  The whole quick start in a new minimal Debian is tools/fresh-machine
# (make check-fresh, a stage of .ci/run).

load helpers

setup_file() { setup_users; }
teardown_file() { teardown_users; }

@test "the README's build-by-hand package line is the Makefile's BUILD_DEPS" {
	local readme make
	# The one apt-get line of the README that installs the -dev packages.
	readme=$(grep -E '^(sudo )?apt-get install .*libpam0g-dev' "$TOP/README.md")
	[ "$(echo "$readme" | wc -l)" = 1 ] || { echo "not one such line: $readme"; false; }
	readme=$(echo "$readme" | sed -E 's/^(sudo )?apt-get install //; s/--no-install-recommends //' |
		tr -s ' ' '\n' | sort)
	make=$(make -s -C "$TOP" print-BUILD_DEPS | tr -s ' ' '\n' | sort)
	[ -n "$make" ]
	diff <(echo "$readme") <(echo "$make") || { echo "README (<) and BUILD_DEPS (>) differ"; false; }
}

@test "every header the sources include comes from libc, the compiler or BUILD_HEADERS" {
	local h path pkg missing= headers
	headers=" $(make -s -C "$TOP" print-BUILD_HEADERS) "
	for h in $(grep -h '^#include <' "$TOP"/*.[ch] "$TOP"/{common,session,parent,helper}/*.[ch] \
		"$TOP/tools/seccomp-gen.c" |
		sed 's/^#include <\(.*\)>.*/\1/' | sort -u); do
		# The file the compiler finds for it, and the package that file is in.
		path=$(printf '#include <%s>\n' "$h" | cc -M -x c - 2>/dev/null | tr ' \\' '\n\n' |
			grep -F "/$h" | head -n 1)
		[ -n "$path" ] || { missing="$missing $h(not found)"; continue; }
		pkg=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null)
		pkg=${pkg%%:*}
		case $pkg in
		libc6-dev | linux-libc-dev | libgcc-*-dev) ;;
		*) [[ "$headers" == *" $pkg:"* ]] || missing="$missing $h(${pkg:-no package})" ;;
		esac
	done
	[ -z "$missing" ] || { echo "not in BUILD_HEADERS:$missing"; false; }
}

@test "a plain make with a header missing names its Debian package, before any compiler error" {
	[ "$(id -u)" = 0 ] || skip "needs root: lockfile.h is hidden by an overlay on /usr/include in a mount namespace"
	[ -e /usr/include/lockfile.h ] || skip "liblockfile-dev is not installed (make check installs it as root)"
	# The sources as they are (not as committed), without anything built.
	mkdir "$T/src"
	cp -a "$TOP"/Makefile "$TOP"/*.[ch] "$TOP"/common "$TOP"/session "$TOP"/parent "$TOP"/helper "$TOP"/listen \
		"$TOP/tools" "$T/src/"
	rm -f "$T"/src/*.o "$T"/src/*/*.o "$T/src/session/seccomp-bpf.h" "$T/src/tools/seccomp-gen"
	mkdir -p "$T/up" "$T/work"
	run unshare -m --propagation private sh -c '
		mount -t overlay overlay -o lowerdir=/usr/include,upperdir="$1/up",workdir="$1/work" \
			/usr/include || exit 90
		rm /usr/include/lockfile.h || exit 91
		make -C "$1/src"' sh "$T"
	echo "$output"
	[ "$status" != 0 ] && [ "$status" != 90 ] && [ "$status" != 91 ]
	[[ "$output" == *"the build needs these Debian packages, missing here: liblockfile-dev"* ]]
	[[ "$output" == *"apt-get install --no-install-recommends liblockfile-dev"* ]]
	# Stopped before the compiler ran at all.
	! grep -qE '^(cc|gcc|clang) |error:' <<<"$output" || false
	[ -z "$(find "$T/src" -name '*.o')" ]
}

@test "as an ordinary user, a missing package is named with the command to run as root" {
	# tools/deps is what make run and make check call first; a package that cannot be
	# installed here stands for the missing ones.  (A copy: nobody may not read $TOP.)
	if [ "$(id -u)" = 0 ]; then
		cp "$TOP/tools/deps" "$T/deps"
		run setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/deps" make no-such-pkg-xyz
	else
		run "$TOP/tools/deps" make no-such-pkg-xyz
	fi
	echo "$output"
	[ "$status" = 1 ]
	[[ "$output" == *"missing Debian packages: no-such-pkg-xyz"* ]]
	[[ "$output" == *"run as root:  apt-get install --no-install-recommends no-such-pkg-xyz"* ]]
}

@test "the fake users' uids and gids exist nowhere on this machine" {
	# The test's own passwd and group, but for root, nobody, the mail group and (not
	# as root) the runner, who are the system's own on purpose.
	local id bad=
	for id in $(awk -F: '$1 != "root" && $1 != "nobody" && $1 != "nogroup" && $1 != "mail" &&
		$1 != ENVIRON["SELF"] { print $3 }' "$T/passwd" "$T/group" | sort -u); do
		[ "$(id -u)" != 0 ] && [ "$id" = "$(id -u)" ] && continue
		if getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; then bad="$bad $id"; fi
	done
	[ -z "$bad" ] || { echo "ids of real accounts or groups:$bad"; false; }
	# And a person's uid is one (>= UID_MIN 1000).
	[ "$(id -u)" != 0 ] || [ "$(uid alice)" -ge 1000 ]
}
