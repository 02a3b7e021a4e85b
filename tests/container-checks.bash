# tests/container-checks.bash: the bats side of the container tests (systemd-live.bats,
# deploy-guide.bats): run the script once for the whole file, then one bats test per
# group of its checks.  Loaded with "load container-checks".

# container_run SCRIPT SECONDS: in setup_file.  Runs tests/SCRIPT as root in the plain
# phase only (the container installs what make install installs: the plain build), or
# sets CT_SKIP to why not.  The script stops everything it started on SIGTERM;
# timeout sends that, then SIGKILL.
container_run() {
	TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	CT=$BATS_FILE_TMPDIR/ct CT_SCRIPT=$1 CT_SKIP= CT_STATUS=
	export TOP CT CT_SCRIPT CT_SKIP CT_STATUS
	mkdir -p "$CT"
	if [ "$(id -u)" != 0 ]; then
		CT_SKIP="needs root: boots a container with systemd-nspawn"
	elif [ -n "${SMTP_SESSION:-}" ] && [ "$SMTP_SESSION" != "$TOP/smtp-session" ] ||
		[ -n "${SMTP_WRAP:-}" ]; then
		CT_SKIP="runs in the plain phase only"
	fi
	[ -z "$CT_SKIP" ] || return 0
	CT_STATUS=0
	timeout -k 30 "$2" "$TOP/tests/$1" "$CT/logs" >"$CT/results" 2>"$CT/stderr" 3>&- ||
		CT_STATUS=$?
	if [ "$CT_STATUS" = 2 ]; then
		CT_SKIP="this machine cannot run the container: $(sed -n 's/^SKIP //p' "$CT/results" | tail -1)"
	fi
}

# checks GROUP...: the checks of these groups (the first word after PASS/FAIL) all
# passed, and there was at least one of each.  On failure, prints them all and the
# run's progress log.
checks() {
	[ -z "$CT_SKIP" ] || skip "$CT_SKIP"
	local id bad=0
	grep -E "^(INFO|FATAL) " "$CT/results" || true
	for id in "$@"; do
		grep -E "^(PASS|FAIL) $id " "$CT/results" || { echo "no check '$id' ran"; bad=1; }
		! grep -q "^FAIL $id " "$CT/results" || bad=1
	done
	case $CT_STATUS in 0|1) ;; *) bad=1 ;; esac	# 3: not installed; 124: timed out
	if [ "$bad" != 0 ]; then
		echo "--- $CT_SCRIPT exited $CT_STATUS; progress:"
		cat "$CT/logs/progress.log" "$CT/stderr" 2>/dev/null
		return 1
	fi
}
