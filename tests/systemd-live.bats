#!/usr/bin/env bats
# The systemd units under a REAL systemd: tests/systemd-live.sh boots a minimal Debian
# with systemd-nspawn (private network: ports 25 and 587 are the container's own),
# installs this checkout into it with make install, and checks the live system, once
# for the whole file (about a minute).  Each test here reports one group of its checks.
# Runs only as root, only in make check's plain phase, and skips (saying why) where
# this machine cannot run a container.

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	LIVE=$BATS_FILE_TMPDIR/live
	LIVE_SKIP=
	export TOP LIVE LIVE_SKIP LIVE_STATUS=
	mkdir -p "$LIVE"
	if [ "$(id -u)" != 0 ]; then
		LIVE_SKIP="needs root: boots a container with systemd-nspawn"
	elif [ -n "${SMTP_SESSION:-}" ] && [ "$SMTP_SESSION" != "$TOP/smtp-session" ] ||
		[ -n "${SMTP_WRAP:-}" ]; then
		# The container runs what make install installs: the plain build.
		LIVE_SKIP="runs in the plain phase only"
	fi
	[ -z "$LIVE_SKIP" ] || return 0
	# It stops everything it started on SIGTERM; timeout sends that, then SIGKILL.
	LIVE_STATUS=0
	timeout -k 30 300 "$TOP/tests/systemd-live.sh" "$LIVE/logs" >"$LIVE/results" \
		2>"$LIVE/stderr" 3>&- || LIVE_STATUS=$?
	if [ "$LIVE_STATUS" = 2 ]; then
		LIVE_SKIP="this machine cannot run the container: $(sed -n 's/^SKIP //p' "$LIVE/results" | tail -1)"
	fi
}

# The checks of these groups (the first word after PASS/FAIL) all passed, and there
# was at least one of each.  On failure, prints them all and the run's progress log.
checks() {
	[ -z "$LIVE_SKIP" ] || skip "$LIVE_SKIP"
	local id bad=0
	grep -E "^(INFO|FATAL) " "$LIVE/results" || true
	for id in "$@"; do
		grep -E "^(PASS|FAIL) $id " "$LIVE/results" || { echo "no check '$id' ran"; bad=1; }
		! grep -q "^FAIL $id " "$LIVE/results" || bad=1
	done
	case $LIVE_STATUS in 0|1) ;; *) bad=1 ;; esac	# 3: not installed; 124: timed out
	if [ "$bad" != 0 ]; then
		echo "--- systemd-live.sh exited $LIVE_STATUS; progress:"
		cat "$LIVE/logs/progress.log" "$LIVE/stderr" 2>/dev/null
		return 1
	fi
}

@test "live systemd: the container boots; make install puts the user smtp-session in place" {
	checks boot user
}

@test "live systemd: the sockets listen and greet; smtp.service's listener starts a fresh session per connection" {
	checks sockets greeting
}

@test "live systemd: delivery to a user's Maildir, as the user; postmaster refused without --postmaster" {
	checks delivery
}

@test "live systemd: AUTH on 587 through PAM (pam_unix), 535 and 530" {
	checks auth
}

@test "live systemd: the sandbox of a live session (capabilities, seccomp, mounts, IPAddressDeny, --max-per-source, systemctl stop, SEND)" {
	checks sandbox
}

@test "live systemd: privilege separation in a live session (smtp-session user, chroot, no caps)" {
	checks privsep
}

@test "live systemd: the journal's SMTP_* fields, no failed units" {
	checks journal
}

@test "live systemd: 600 quick connections leave both sockets listening (no trigger limit)" {
	checks trigger
}

@test "live systemd: --mailbox mbox in Debian's /var/mail (root:mail 2775) under the units: mailbox and lock made by the delivery child" {
	checks mbox
}
