#!/usr/bin/env bats
# Mail filters with the real programs (issue 24): a private rspamd (Debian's 3.4, its
# proxy worker in milter mode, its own configuration directory and ports, no redis)
# refusing the GTUBE test string with its own code and adding its headers to a clean
# message; a private OpenDKIM verifying a message it signed itself, its key served by
# a DNS server (dnsmasq) in a network namespace of the test's own.  As root only
# (rspamd and OpenDKIM drop to their own users).

load helpers

# The users as any suite makes them (a skip in setup_file is not a skip in bats 1.8):
# each test skips itself when not root.
setup_file() { setup_users; }
teardown_file() { teardown_users; }
setup() {
	[ "$(id -u)" = 0 ] || skip "as root only"
	clear_maildirs
}
teardown() {
	[ -z "${RSPAMD_PID:-}" ] || kill "$RSPAMD_PID" 2>/dev/null || true
	local i	# its workers write into $T until they are gone
	for i in $(seq 100); do kill -0 "${RSPAMD_PID:-0}" 2>/dev/null || break; sleep 0.1; done
}

# A private rspamd: the stock configuration of /etc/rspamd with LOCAL_CONFDIR, DBDIR,
# RUNDIR and LOGDIR in $T/rspamd, each worker on a free port; sets RSPAMD_PORT.
start_rspamd() {
	command -v rspamd >/dev/null || skip "rspamd is not installed (make deps)"
	local d=$T/rspamd
	mkdir -p "$d/override.d" "$d/local.d" "$d/db"
	RSPAMD_PORT=$(free_port)
	# The milter setup of doc/deploy.md, on a free port.
	guide_block rspamd-proxy | sed "s/localhost:11332/127.0.0.1:$RSPAMD_PORT/" \
		>"$d/override.d/worker-proxy.inc"
	grep -q "127.0.0.1:$RSPAMD_PORT" "$d/override.d/worker-proxy.inc"
	echo "bind_socket = \"127.0.0.1:$(free_port)\";" >"$d/override.d/worker-normal.inc"
	echo "bind_socket = \"127.0.0.1:$(free_port)\";" >"$d/override.d/worker-controller.inc"
	# Disabled, but its bind line is parsed: "localhost" does not resolve where
	# /etc/hosts has no such line (a fresh minimal container).
	echo "bind_socket = \"127.0.0.1:$(free_port)\";" >"$d/override.d/worker-fuzzy.inc"
	cp "$TOP/doc/milter_headers.conf" "$d/local.d/milter_headers.conf"
	chown -R _rspamd: "$d"
	rspamd -f -u _rspamd -g _rspamd -c /etc/rspamd/rspamd.conf --var=LOCAL_CONFDIR="$d" \
		--var=DBDIR="$d/db" --var=RUNDIR="$d" --var=LOGDIR="$d" >"$d/out" 2>&1 &
	RSPAMD_PID=$!
	local i
	for i in $(seq 600); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' \
			"$RSPAMD_PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$d/out" "$d/rspamd.log" >&2
	return 1
}

# The text of doc/deploy.md's command block after <!-- milter-guide: TAG -->: its
# here-document (cat >FILE <<'EOF' ... EOF), as written there.  The same block is run
# as written by tests/deploy-guide.sh: one text for both.
guide_block() {
	python3 - "$TOP/doc/deploy.md" "$1" <<-'EOF2'
		import re, sys
		m = re.search(r"^<!-- milter-guide: %s -->\n(?:<!--[^\n]*-->\n)*```sh\n(?:[^\n]*\n)*?cat >>?\S+ <<'EOF'\n(.*?)^EOF$"
		              % sys.argv[2], open(sys.argv[1]).read(), re.M | re.S)
		print(m.group(1), end="")
	EOF2
}

msession() { printf '%s\r\n' "$@" | "$T/bin/smtp" "${MOPTS[@]}"; }

@test "rspamd refuses GTUBE with its own code and adds its headers to a clean message" {
	start_rspamd
	MOPTS=(--milter "inet:127.0.0.1:$RSPAMD_PORT")
	run msession "EHLO client.example.org" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" \
		DATA "From: a@example.org" "To: test@tttest.com" "Subject: test" "Message-ID: <gtube@example.org>" \
		"Date: Mon, 07 Dec 2026 14:00:00 +0000" "" \
		"XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X" . QUIT
	echo "$output"
	[[ "$output" == *$'\r\n554 5.7.1 Gtube pattern\r'* ]]
	[ -z "$(delivered test)" ]
	run msession "EHLO client.example.org" "MAIL FROM:<a@example.org>" "RCPT TO:<test@tttest.com>" \
		DATA "From: a@example.org" "To: test@tttest.com" "Subject: hello" "Message-ID: <clean@example.org>" \
		"Date: Mon, 07 Dec 2026 14:00:00 +0000" "" "A clean message." . QUIT
	echo "$output"
	[[ "$output" == *"250 2.0.0 Ok: delivered as"* ]]
	cat "$(delivered test)"
	grep -q "^X-Spamd-Result: default: False" "$(delivered test)"
	grep -q "^X-Rspamd-Server: " "$(delivered test)"
	grep -q "^X-Rspamd-Queue-Id: " "$(delivered test)"
	# rspamd names the host from {daemon_name} (Postfix sends $myhostname there).
	grep -q "^Authentication-Results: smtp.tttest.com" "$(delivered test)"
}

@test "OpenDKIM signs, then verifies its own signature (dkim=pass in the stored copy) and refuses a tampered copy" {
	command -v opendkim >/dev/null && command -v dnsmasq >/dev/null || skip "opendkim or dnsmasq missing (make deps)"
	mkdir -p "$T/dkim"
	opendkim-genkey -b 1024 -D "$T/dkim" -d example.org -s mail
	# doc/deploy.md's lines, the key where the test keeps it.
	guide_block opendkim-conf | sed "s|/etc/dkimkeys/mail.private|$T/dkim/mail.private|" >"$T/dkim/guide.conf"
	grep -q "^KeyFile.*$T/dkim/mail.private" "$T/dkim/guide.conf"
	run unshare --net --mount --fork sh "$TOP/tests/dkim-netns.sh" "$T" "$TOP" "$(free_port)" "$(free_port)"
	echo "$output"
	cat "$T/dkim/"*.log >&2 || true
	grep -q "^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;" "$T/dkim/signed.eml"
	grep -q " s=mail;" "$T/dkim/signed.eml"
	[[ "$(sed -n '/^verify:/,/^tampered:/p' <<<"$output")" == *"250 2.0.0 Ok: delivered as"* ]]
	grep -q "^Authentication-Results: smtp.tttest.com;" "$(delivered test)"
	grep -A2 "^Authentication-Results: smtp.tttest.com;" "$(delivered test)" | grep -q "dkim=pass"
	[[ "$(sed -n '/^tampered:/,$p' <<<"$output")" == *$'\n550 5.7.'* ]]
	[ "$(delivered test | wc -l)" = 1 ]
}
