# tests/container.bash: a real systemd in a container, for tests/systemd-live.sh and
# tests/deploy-guide.sh (sourced; adapted from the checked recipe
# shared/recipes/real-systemd.sh).  A minimal Debian rootfs (mmdebstrap, from this
# machine's own apt sources, never a mirror named here), booted with systemd-nspawn
# (systemd is the container's PID 1) on a private network: the container has only its
# own loopback, so its ports are its own and no host port is used.
#
# The script sets OUT (its log directory) and T0, then calls, in order: ct_env_checks
# (exit 2 with "SKIP <why>" where this machine cannot run it), ct_rootfs PACKAGES,
# ct_boot (again after ct_poweroff: a reboot keeps the rootfs).  cleanup (the EXIT
# trap) stops everything and removes the rootfs and its cgroups on any exit;
# KEEP=1 leaves the container running.
WORK='' ROOT='' NSPAWN_PID='' LEADER='' HELPER_PIDS=()
CG=smtp-live-$$                   # our own cgroup, so that nothing lands in the host's root
NPASS=0 NFAIL=0
KEEP=${KEEP:-0}

log()  { printf '[%4ds] %s\n' $(($(date +%s) - T0)) "$*" >>"$OUT/progress.log"; }
info() { log "INFO $*"; echo "INFO $*"; }
pass() { NPASS=$((NPASS + 1)); log "PASS $*"; echo "PASS $*"; }
fail() { NFAIL=$((NFAIL + 1)); log "FAIL $*"; echo "FAIL $*"; }
# check ID TEXT 'CONDITION': PASS or FAIL by the exit status of the shell code CONDITION.
check() { if eval "$3"; then pass "$1 $2"; else fail "$1 $2"; fi; }
skip_env() { log "SKIP $*"; echo "SKIP $*"; exit 2; }
fatal()    { log "FATAL $*"; echo "FATAL $*"; exit 3; }
# Inside the container: all its namespaces and its root.  In its network only: our tools.
ct()    { nsenter -t "$LEADER" -a "$@"; }
ctnet() { nsenter -t "$LEADER" -n "$@"; }

# The cgroup hierarchies to create our cgroup in (here: hybrid, name=systemd + unified).
cgroup_dirs() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then echo "/sys/fs/cgroup/$CG"; return; fi
	[ -d /sys/fs/cgroup/systemd ] && echo "/sys/fs/cgroup/systemd/$CG"
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		echo "/sys/fs/cgroup/unified/$CG"
	return 0
}

cleanup() {
	local rc=$? i d
	trap - EXIT INT TERM
	if [ "$KEEP" = 1 ] && [ -n "$NSPAWN_PID" ]; then
		log "KEEP=1: container left running: nspawn pid $NSPAWN_PID, leader $LEADER, rootfs $ROOT;" \
			"stop it with: kill $NSPAWN_PID; rm -rf $WORK; rmdir $(cgroup_dirs | tr '\n' ' ')"
		exit $rc
	fi
	for i in "${HELPER_PIDS[@]}"; do kill "$i" 2>/dev/null; done
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		log "stopping the container (SIGTERM to nspawn $NSPAWN_PID: clean poweroff)"
		kill -TERM "$NSPAWN_PID"
		for i in $(seq 150); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$NSPAWN_PID" 2>/dev/null; then
			log "container did not stop in 30 s: SIGKILL to its PID 1 ($LEADER) and nspawn"
			[ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		fi
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	# nspawn leaves payload/ and supervisor/ (and payload/init.scope) in our cgroup.
	for d in $(cgroup_dirs); do
		[ -d "$d" ] || continue
		for i in $(seq 25); do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$d" ] || break
			sleep 0.2
		done
		[ -d "$d" ] && log "WARNING: could not remove cgroup $d"
	done
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ -n "$ROOT" ] && findmnt -rn -o TARGET | grep -q "^$ROOT"; then
			log "WARNING: something is still mounted below $ROOT: not removing $WORK"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	log "done: $NPASS passed, $NFAIL failed, status $rc"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# Can this machine run the container?  Makes WORK and ROOT.
ct_env_checks() {
	[ "$(id -u)" = 0 ] || skip_env "needs root (mmdebstrap, systemd-nspawn, cgroups)"
	for t in systemd-nspawn:systemd-container mmdebstrap:mmdebstrap swaks:swaks nsenter:util-linux \
		ss:iproute2 python3:python3; do
		command -v "${t%%:*}" >/dev/null ||
			skip_env "${t%%:*} is missing (Debian package ${t#*:}; make check installs it as root)"
	done
	[ -x "$TOP/smtp-session" ] || fatal "no $TOP/smtp-session: run make first"
	[ -d /sys/fs/cgroup ] && [ -n "$(cgroup_dirs)" ] || skip_env "no cgroup file system to run a container in"
	unshare --mount --pid --fork true 2>/dev/null || skip_env "cannot create namespaces here (unshare failed)"
	WORK=$(mktemp -d -t smtp-live.XXXXXX) || skip_env "mktemp failed"
	ROOT=$WORK/rootfs
	# The rootfs takes about 230 MB; leave room for apt's downloads and the journal.
	free_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
	[ "$free_mb" -ge 1024 ] || skip_env "only $free_mb MB free below $WORK: the container needs 1 GB"
	log "PID 1 here: $(ps -o comm= -p 1); cgroup fs: $(stat -f -c %T /sys/fs/cgroup)"
}

# The rootfs: minbase plus systemd and PAM, and the packages $1 (comma-separated).
ct_rootfs() {
	# The mirrors are this machine's own: every Debian "Packages" index apt knows.
	. /etc/os-release
	SUITE=${VERSION_CODENAME:-}
	[ -n "$SUITE" ] || skip_env "no VERSION_CODENAME in /etc/os-release (not Debian?)"
	apt-get indextargets --format 'deb $(REPO_URI) $(RELEASE) $(COMPONENT)' \
		'Created-By: Packages' 'Origin: Debian' 2>/dev/null | sort -u >"$WORK/sources.list"
	[ -s "$WORK/sources.list" ] || skip_env "no Debian sources in the apt configuration (apt-get update?)"
	cp "$WORK/sources.list" "$OUT/sources.list"
	log "mmdebstrap $SUITE from: $(awk '{print $2}' "$WORK/sources.list" | sort -u | tr '\n' ' ')"
	# make and adduser: the container runs "make install" itself, to create the user;
	# liblockfile1 (with its setgid dotlockfile): --mailbox mbox's dot-lock.
	mmdebstrap --mode=root --variant=minbase \
		--include="systemd,systemd-sysv,dbus,passwd,libpam-modules,libpam-runtime,$1" \
		"$SUITE" "$ROOT" "$WORK/sources.list" >"$OUT/mmdebstrap.log" 2>&1 ||
		skip_env "mmdebstrap could not build a $SUITE rootfs (no mirror reachable?): $(tail -1 "$OUT/mmdebstrap.log")"
	log "rootfs ready"
}

# Boot the rootfs; returns once systemd inside is running (or degraded): a PASS or
# FAIL line "boot ...".
ct_boot() {
	# Without systemd on the host nspawn cannot get a scope unit: --keep-unit keeps it in
	# the cgroup made here, --register=no skips machined.  A cgroup v2-only hierarchy and
	# bpf() let systemd inside enforce DevicePolicy= and IPAddressDeny= (BPF programs).
	NSPAWN=(systemd-nspawn -D "$ROOT" -b -M "smtplive-$$" --private-network --register=no
		--link-journal=no --console=read-only --system-call-filter=bpf)
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] &&
		export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
	if [ -d /run/systemd/system ]; then
		"${NSPAWN[@]}" >>"$OUT/console.log" 2>&1 </dev/null 3>&- &
	else
		for d in $(cgroup_dirs); do mkdir -p "$d" || skip_env "cannot create cgroup $d"; done
		# The launcher moves itself into our cgroup in every hierarchy, then becomes nspawn.
		bash -c 'for d in "${@:2:$1}"; do echo $$ >"$d/cgroup.procs" || exit 97; done
			shift $(($1 + 1)); exec "$@"' launcher \
			"$(cgroup_dirs | wc -l)" $(cgroup_dirs) "${NSPAWN[@]}" --keep-unit \
			>>"$OUT/console.log" 2>&1 </dev/null 3>&- &
	fi
	NSPAWN_PID=$!
	log "booting: systemd-nspawn pid $NSPAWN_PID"
	for i in $(seq 150); do
		LEADER=$(ps -o pid= --ppid "$NSPAWN_PID" | head -1 | tr -d ' ')
		[ -n "$LEADER" ] && [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" = systemd ] && break
		kill -0 "$NSPAWN_PID" 2>/dev/null ||
			skip_env "systemd-nspawn cannot boot a container here: $(tail -2 "$OUT/console.log" | tr '\n' ' ')"
		LEADER=; sleep 0.2
	done
	[ -n "$LEADER" ] || skip_env "no container PID 1 after 30 s: $(tail -2 "$OUT/console.log" | tr '\n' ' ')"
	state=
	for i in $(seq 120); do
		state=$(ct systemctl is-system-running 2>/dev/null)
		case $state in running|degraded) break ;; esac
		sleep 0.5
	done
	log "container PID 1 = pid $LEADER here, state: $state"
	[ "$state" = running ] && pass "boot systemd in the container reached 'running'" ||
		fail "boot system state is '$state': $(ct systemctl --failed --plain --no-legend 2>&1 | tr '\n' ';')"
}

# A clean poweroff (SIGTERM to nspawn: systemd inside shuts down), within 60 s.
ct_poweroff() {
	kill -TERM "$NSPAWN_PID" 2>/dev/null
	local i
	for i in $(seq 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
	wait "$NSPAWN_PID" 2>/dev/null
	! kill -0 "$NSPAWN_PID" 2>/dev/null && NSPAWN_PID='' LEADER=''
}
