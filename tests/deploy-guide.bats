#!/usr/bin/env bats
# doc/deploy.md's systemd section, executed: tests/deploy-guide.sh runs each of its
# command blocks, exactly as written, in a Debian 12 container booted with systemd
# (first with Postfix as the MTA, then after a reboot with Exim), and sends mail
# after each step (about five minutes).  Each test here reports one group of its
# checks.  Runs only as root, only in make check's plain phase, and skips (saying
# why) where this machine cannot run a container.

setup_file() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	GUIDE_OUT=$BATS_FILE_TMPDIR/guide
	GUIDE_SKIP=
	export TOP GUIDE_OUT GUIDE_SKIP GUIDE_STATUS=
	mkdir -p "$GUIDE_OUT"
	if [ "$(id -u)" != 0 ]; then
		GUIDE_SKIP="needs root: boots a container with systemd-nspawn"
	elif [ -n "${SMTP_SESSION:-}" ] && [ "$SMTP_SESSION" != "$TOP/smtp-session" ] ||
		[ -n "${SMTP_WRAP:-}" ]; then
		# The container builds and installs the tree as the guide says: the plain build.
		GUIDE_SKIP="runs in the plain phase only"
	fi
	[ -z "$GUIDE_SKIP" ] || return 0
	# It stops everything it started on SIGTERM; timeout sends that, then SIGKILL.
	GUIDE_STATUS=0
	timeout -k 30 900 "$TOP/tests/deploy-guide.sh" "$GUIDE_OUT/logs" >"$GUIDE_OUT/results" \
		2>"$GUIDE_OUT/stderr" 3>&- || GUIDE_STATUS=$?
	if [ "$GUIDE_STATUS" = 2 ]; then
		GUIDE_SKIP="this machine cannot run the container: $(sed -n 's/^SKIP //p' "$GUIDE_OUT/results" | tail -1)"
	fi
}

# The checks of these groups all passed, and there was at least one of each.
checks() {
	[ -z "$GUIDE_SKIP" ] || skip "$GUIDE_SKIP"
	local id bad=0
	grep -E "^(INFO|FATAL) " "$GUIDE_OUT/results" || true
	for id in "$@"; do
		grep -E "^(PASS|FAIL) $id " "$GUIDE_OUT/results" || { echo "no check '$id' ran"; bad=1; }
		! grep -q "^FAIL $id " "$GUIDE_OUT/results" || bad=1
	done
	case $GUIDE_STATUS in 0|1) ;; *) bad=1 ;; esac	# 3: not installed; 124: timed out
	if [ "$bad" != 0 ]; then
		echo "--- deploy-guide.sh exited $GUIDE_STATUS; progress:"
		cat "$GUIDE_OUT/logs/progress.log" "$GUIDE_OUT/stderr" 2>/dev/null
		return 1
	fi
}

@test "deploy guide: every command block is marked, and each ran as written (exit 0) in a booted Debian 12" {
	checks guide boot
}

@test "deploy guide: the certificate in its one place, /etc/smtp-session, as a link into certbot's live directory" {
	checks cert
}

@test "deploy guide with Postfix: 25 STARTTLS, 587 AUTH local and relayed to the stand-in remote host, 465, postmaster" {
	checks postfix
}

@test "deploy guide: a configuration error shows once in systemctl status and the journal, with the file and the fix" {
	checks errors
}

@test "deploy guide: TLS 1.2 and 1.3 sessions resume by default (make install's ticket key)" {
	checks resume
}

@test "deploy guide: systemd-analyze security of smtp, submission and smtps at 2.5 or better" {
	checks security
}

@test "deploy guide: a burst of 300 connections leaves the sockets listening" {
	checks burst
}

@test "deploy guide: after a reboot, the same mail checks pass" {
	checks reboot
}

@test "deploy guide with Exim (exim4-daemon-light): the same mail checks, Exim keeps the sender and no listener" {
	checks exim
}
