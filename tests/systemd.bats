#!/usr/bin/env bats
# systemd without systemd as PID 1: socket activation through LISTEN_FDS, the journal
# with structured fields (a fake journald in a private mount namespace), the lean
# build without libsystemd, and the exit statuses that keep "systemctl --failed" for
# real trouble.

load helpers

setup_file() {
	setup_users
	# A wrapper that logs like a real deployment (no --log-file), with AUTH checked
	# by pam_wrapper's pam_matrix: alice's password is "secret".
	local modules wrappers="libpam_wrapper.so libnss_wrapper.so" fake_root=()
	modules=$(pkg-config --variable=modules pam_wrapper 2>/dev/null) ||
		modules=/usr/lib/x86_64-linux-gnu/pam_wrapper
	mkdir -p "$T/pam"
	echo "alice:secret:smtp" >"$T/passdb"
	printf '%s required %s/pam_matrix.so passdb=%s\n' auth "$modules" "$T/passdb" \
		account "$modules" "$T/passdb" >"$T/pam/smtp"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$T/pam/other"
	if [ "$(id -u)" != 0 ]; then
		wrappers="$wrappers libuid_wrapper.so"
		fake_root=(UID_WRAPPER=1 UID_WRAPPER_ROOT=1)
	fi
	make_wrapper smtp-nolog "$wrappers" env NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" NSS_WRAPPER_DISABLE_DEEPBIND=1 \
		UID_WRAPPER_DISABLE_DEEPBIND=1 PAM_WRAPPER_DISABLE_DEEPBIND=1 \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam" "${fake_root[@]}" \
		"$SMTP_SESSION" --hostname "$HOST" --domains "$DOMAINS" --auth always
}
teardown_file() { teardown_users; }
setup() { clear_maildirs; }


# A command prefix for a private mount namespace: as root plainly, otherwise inside a
# user namespace that maps us to ourselves and keeps the capabilities to mount.  Skips
# the test where neither works (a container without CAP_SYS_ADMIN, say).
private_mounts() {
	NS=(unshare --mount --propagation private)
	[ "$(id -u)" = 0 ] || NS=(unshare --map-current-user --mount --keep-caps --propagation private)
	"${NS[@]}" true 2>/dev/null || skip "cannot create a private mount namespace here (${NS[*]})"
}

# Which shared objects a session loads: LD_DEBUG=files lists them on stderr.
loaded_libs() {
	printf 'QUIT\r\n' | env "$@" LD_DEBUG=files "$T/bin/smtp" 2>&1 >/dev/null |
		sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u
}

@test "libsystemd is not linked, and loaded only when the environment says systemd" {
	! ldd "$SMTP_SESSION" | grep -q libsystemd || false
	run loaded_libs
	[ "$status" = 0 ]
	[[ "$output" != *libsystemd* ]]
	grep -q '^WITH_SYSTEMD ?= 1$' "$TOP/Makefile" || skip "this build is WITH_SYSTEMD=0"
	# --log-file wins over the journal, so the library stays unloaded...
	run loaded_libs INVOCATION_ID=0123456789abcdef0123456789abcdef
	[[ "$output" != *libsystemd* ]]
	# ...but LISTEN_FDS needs it even then.
	run loaded_libs LISTEN_FDS=1 LISTEN_PID=1
	[[ "$output" == *libsystemd.so.0* ]]
}

@test "journal: sd_journal_sendv with SMTP_CLIENT/HELO/FROM/RCPT/MSGID/USER fields" {
	[ -n "$(pkg-config --variable=modules pam_wrapper 2>/dev/null)" ] ||
		skip "pam_wrapper is not installed (make check installs libpam-wrapper as root)"
	grep -q '^WITH_SYSTEMD ?= 1$' "$TOP/Makefile" || skip "this build is WITH_SYSTEMD=0"
	private_mounts
	local script
	# Inside a private mount namespace: a tmpfs on /run holds our journal socket.
	script='mount -t tmpfs -o mode=755 tmpfs /run || exit 90
		mkdir -p /run/systemd/journal
		python3 "$TOP/tests/fake-journald.py" /run/systemd/journal/socket "$T/journal" 3>&- &
		j=$!
		for i in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
		printf "%s\r\n" "EHLO client.example.org" "AUTH PLAIN AGFsaWNlAHNlY3JldA==" \
			"MAIL FROM:<alice@tttest.com>" "RCPT TO:<test@tttest.com>" \
			"RCPT TO:<ghost@tttest.com>" DATA x . QUIT |
			env JOURNAL_STREAM=8:1234 "$T/bin/smtp-nolog" >"$T/out"
		rc=$?
		kill $j
		exit $rc'
	TOP=$TOP run "${NS[@]}" bash -c "$script"
	[ "$status" = 0 ]
	grep -q '^235 2.7.0 ' "$T/out"
	grep -q '^250 2.0.0 Ok: delivered as ' "$T/out"
	[ "$(delivered test | wc -l)" = 1 ]
	run python3 - "$T/journal" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
def one(prefix):
    m = [e for e in entries if e["MESSAGE"].startswith(prefix) or (" " + prefix) in e["MESSAGE"]]
    assert len(m) == 1, (prefix, entries)
    return m[0]
for e in entries:
    assert e["SYSLOG_IDENTIFIER"] == "smtp-session" and e["SYSLOG_FACILITY"] == "2", e
c = one("connect from")
assert c["SMTP_CLIENT"] == "unknown" and c["PRIORITY"] == "6" and "SMTP_HELO" not in c, c
r = one("reject: RCPT")
assert r["SMTP_HELO"] == "client.example.org" and r["PRIORITY"] == "5", r
a = one("auth: PLAIN user=alice")
assert (a["SMTP_USER"], a["SMTP_CLIENT"]) == ("alice", "unknown"), a
m = one("from=<alice@tttest.com>")
assert m["SMTP_FROM"] == "alice@tttest.com" and m["SMTP_MSGID"] and m["SMTP_USER"] == "alice", m
d = one("to=<test@tttest.com>")
assert (d["SMTP_RCPT"], d["SMTP_USER"], d["SMTP_MSGID"]) == ("test@tttest.com", "test", m["SMTP_MSGID"]), d
e = one("disconnect from")
assert e["SMTP_HELO"] == "client.example.org", e
print(len(entries))
PY
	echo "$output"
	[ "$status" = 0 ]
	[ "$output" = 6 ]
	[ ! -s "$T/log" ]	# nothing went to the log file
}

# Start systemd-socket-activate on a free port with the given options and wrapper,
# connect once with swaks, stop it.  Sets SWAKS (swaks' exit status) and EXIT (that of
# systemd-socket-activate, which without --accept/--inetd execs the program itself).
activate_once() {
	local port pid i
	port=$(free_port)
	systemd-socket-activate -l "127.0.0.1:$port" "$@" </dev/null >"$T/ssa.log" 2>&1 3>&- &
	pid=$!
	for i in $(seq 50); do
		grep -q "^Listening on" "$T/ssa.log" && break
		sleep 0.1
	done
	SWAKS=0
	swaks --server "127.0.0.1:$port" --from alice@example.org --to test@tttest.com \
		--body "activated" >"$T/swaks.log" 2>&1 || SWAKS=$?
	sleep 0.2
	kill "$pid" 2>/dev/null || true
	EXIT=0
	wait "$pid" || EXIT=$?
}

@test "a listening socket (Accept=no) is refused: logged, exit status 100" {
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed (package systemd)"
	grep -q '^WITH_SYSTEMD ?= 1$' "$TOP/Makefile" || skip "this build is WITH_SYSTEMD=0"
	activate_once "$T/bin/smtp"	# neither --accept nor --inetd: the listener is passed
	[ "$SWAKS" != 0 ]
	grep -q 'cannot start: systemd passed a listening socket: the socket unit needs Accept=yes' "$T/log"
	[ "$EXIT" = 100 ]
	[ -z "$(delivered test)" ]
}

@test "make WITH_SYSTEMD=0: builds without libsystemd; transcript, --inetd served, --accept refused, --listen on stdin" {
	mkdir -p "$T/nosd/tools"
	cp -r "$TOP"/*.c "$TOP"/*.h "$TOP/Makefile" "$TOP"/common "$TOP"/session "$TOP"/parent \
		"$TOP"/helper "$TOP"/listen "$T/nosd/"
	cp "$TOP"/tools/seccomp-gen.c "$TOP"/tools/build-deps "$T/nosd/tools/"
	rm -f "$T"/nosd/*.o "$T"/nosd/*/*.o "$T/nosd/session/seccomp-bpf.h"	# made anew there
	run make -s -C "$T/nosd" WITH_SYSTEMD=0 smtp-session
	[ "$status" = 0 ]
	# No libsystemd, neither linked nor loaded (dlopen() stays: libidn2, PAM).
	! grep -q 'libsystemd\.so' "$T/nosd/smtp-session" || false
	grep -q 'libsystemd\.so' "$TOP/smtp-session"	# the check can fail
	! ldd "$T/nosd/smtp-session" | grep -q libsystemd || false
	local wrappers="libnss_wrapper.so" fake_root=()
	if [ "$(id -u)" != 0 ]; then
		wrappers="$wrappers libuid_wrapper.so"
		fake_root=(UID_WRAPPER=1 UID_WRAPPER_ROOT=1)
	fi
	make_wrapper smtp-nosd "$wrappers" env NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" "${fake_root[@]}" "$T/nosd/smtp-session" \
		--hostname "$HOST" --domains "$DOMAINS" --log-file "$T/log"
	transcript seed smtp-nosd
	[ "$(delivered test | wc -l)" = 1 ]
	command -v systemd-socket-activate >/dev/null ||
		skip "systemd-socket-activate is not installed (package systemd)"
	# --inetd: LISTEN_FDS is set and the connection is on stdin too, as with
	# StandardInput=socket: served.
	activate_once --inetd -a "$T/bin/smtp-nosd"
	[ "$SWAKS" = 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	# --accept: the connection only on fd 3, which this build cannot take: refused.
	activate_once --accept "$T/bin/smtp-nosd"
	[ "$SWAKS" != 0 ]
	[ "$(delivered test | wc -l)" = 2 ]
	grep -q 'built with WITH_SYSTEMD=0: set StandardInput=socket' "$T/log"
	# --listen (Accept=no): the listening socket on stdin too, as StandardInput=socket
	# puts it: served, and SIGTERM ends the listener with 0.
	activate_once --inetd "$T/bin/smtp-nosd" --listen
	[ "$SWAKS" = 0 ]
	[ "$EXIT" = 0 ]
	[ "$(delivered test | wc -l)" = 3 ]
	# Only on fd 3: the fix is StandardInput=socket.
	activate_once "$T/bin/smtp-nosd" --listen
	[ "$SWAKS" != 0 ]
	[ "$EXIT" = 100 ]
	grep -q -- '--listen: systemd passed a socket (LISTEN_FDS), but this smtp-session was built with WITH_SYSTEMD=0: set StandardInput=socket in the service' "$T/log"
}

@test "exit status: 0 whenever the protocol ended the session, 100 usage, 111 system" {
	# QUIT; the client gone without QUIT (at once, and in the middle of a command);
	# too many errors (421).  Timeout and SIGTERM: transcripts timeout, sigterm-data.
	run session "EHLO h" QUIT
	[ "$status" = 0 ]
	run "$T/bin/smtp" </dev/null
	[ "$status" = 0 ]
	run bash -c 'printf "EHLO h\r\nMAIL FROM:<a@b.c" | "$T/bin/smtp"'
	[ "$status" = 0 ]
	run session $(printf "x %.0s" $(seq 21))
	[ "$status" = 0 ]
	[[ "$output" == *"421 smtp.tttest.com Too many errors"* ]]
	grep -q '^#exit' "$TOP"/tests/transcripts/{timeout,timeout-data,sigterm-data,disconnect-data}.t &&
		{ echo "a transcript expects a non-zero exit"; false; }
	# Usage and configuration errors: 100.
	run "$T/bin/smtp" --no-such-option </dev/null
	[ "$status" = 100 ]
	# A system failure before the session (here: --user names nobody known): 111.
	run "$T/bin/smtp" --user no-such-user </dev/null
	[ "$status" = 111 ]
	[[ "$output" == *"421 smtp.tttest.com Service not available"* ]]
}

@test "units: --mailbox mbox works in root:mail 2775 /var/mail as they are: writable, no setgid program, no chown" {
	# The delivery child makes the mailbox and its dot-lock itself with group mail as
	# its saved gid (tests/mbox.bats runs that under no_new_privs and these
	# capabilities), so the units need /var/mail writable and nothing more: no
	# CAP_CHOWN, no @chown, and NoNewPrivileges may stay.  No 1777 directory anywhere.
	local s
	for s in smtp.service submission.service smtps.service lmtp@.service; do
		local u=$TOP/units/$s
		grep -qx 'ReadWritePaths=.* -/var/mail\( .*\)\?' "$u"
		grep -qx 'NoNewPrivileges=yes' "$u"
		grep -qx 'SystemCallFilter=~@chown @resources' "$u"
		! grep '^CapabilityBoundingSet=' "$u" | grep -q CAP_CHOWN || false
		! grep -q 1777 "$u" || false
	done
}
