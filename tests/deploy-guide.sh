#!/bin/bash
# tests/deploy-guide.sh: doc/deploy.md's systemd and mail filters sections, executed.
# Run by tests/deploy-guide.bats (as root, once).  Every command block of those sections
# is preceded by a marker, <!-- deploy-guide: TAG -->, and is run here exactly as
# written, by bash -e as root in the source tree, in a Debian 12 container booted with
# systemd (tests/container.bash):
#   all          the first pass: build, install, settings, users, checks
#   postfix      the first pass: Postfix as the MTA
#   exim         the second pass (after a reboot): Exim replaces Postfix, as apt does
#   start        both passes: the sockets started (again after the MTA changed)
#   self-signed  run, then
#   certbot      run over a live directory laid out as certbot lays it out (made here:
#                the container cannot reach an ACME server)
#   rspamd       the first pass, after its checks: rspamd as a milter (GTUBE refused,
#                a clean message stored with its headers), then
#   opendkim     OpenDKIM added (mail from 127.0.0.1 on 25 and 587 stored signed);
#                the reboot and the Exim pass then run with both milters
# The configuration text those blocks write (their here-documents, marked
# <!-- milter-guide: TAG -->) is also what tests/milter-real.bats runs.
# A command block without a marker fails the test: a guide that rots fails make check.
#
# What only the test does, because the container is not on the Internet: the users'
# passwords (chpasswd; the guide says "passwd alice"), certbot's files, and the route
# of the domain remote.example to the stand-in remote host, Postfix's smtp-sink on
# 127.0.0.2 in the container's network (Exim refuses a smart host on its own
# address, 127.0.0.1).  The packages the guide's apt-get lines install are fetched
# into the container's apt cache beforehand, from this machine's network (apt-get -d
# in a chroot): in the container they install offline, from the cache.
#
# Usage: tests/deploy-guide.sh OUT.  Output and exit status as tests/systemd-live.sh
# ("PASS <id> <text>", "FAIL <id> <text>", INFO; 0, 1, 2 with SKIP, 3 with FATAL).
set -uo pipefail

OUT=${1:?usage: $0 OUTDIR}
TOP=$(cd "$(dirname "$0")/.." && pwd)
T0=$(date +%s)
. "$TOP/tests/container.bash"
GUIDE=$TOP/doc/deploy.md
SRC=/root/smtp-session             # the source tree in the container
HOST_CT=mail.example.org           # the guide's names
PW=secret-$$
SINK_ADDR=127.0.0.2

mkdir -p "$OUT/blocks" || exit 3
# smtp-sink runs as nobody (-u): its directory must be reachable by nobody, and OUT
# may not be (bats's temporary directories are 0700).  Kept in OUT at the end.
SINK=$(mktemp -d /tmp/smtp-guide-sink.XXXXXX) || exit 3
chmod 755 "$SINK" && chown nobody "$SINK"
trap 'rc=$?; cp -a "$SINK" "$OUT/sink" 2>/dev/null; rm -rf "$SINK"; (exit $rc); cleanup' EXIT
: >"$OUT/progress.log"

# ---------------------------------------------------------------- the guide's blocks
# From "## systemd" and from "## Mail filters..." to the next "## " (or the end): each
# ```sh block, numbered, as NN-TAG.sh.
python3 - "$GUIDE" "$OUT/blocks" >"$OUT/blocks.txt" <<'EOF' || fatal "cannot read the guide's blocks: $(tail -1 "$OUT/blocks.txt")"
import re, sys
text = open(sys.argv[1]).read()
lines = []
for title in ('systemd', 'Mail filters: rspamd and OpenDKIM (milter)'):
    m = re.search(r'^## %s\n(.*?)(?=^## |\Z)' % re.escape(title), text, re.S | re.M)
    if not m:
        sys.exit("no '## %s' section" % title)
    lines += m.group(1).split('\n')
tag, n = None, 0
i = 0
while i < len(lines):
    l = lines[i]
    mk = re.fullmatch(r'<!-- deploy-guide: ([a-z-]+) -->', l)
    if mk:
        tag = mk.group(1)
    elif l.startswith('```'):
        j = lines.index('```', i + 1)
        if l.strip() == '```sh':
            n += 1
            name = '%02d-%s.sh' % (n, tag or 'UNMARKED')
            open(sys.argv[2] + '/' + name, 'w').write('\n'.join(lines[i + 1:j]) + '\n')
            print(name)
        tag = None
        i = j
    elif l.strip():
        tag = None if not l.startswith('<!--') else tag
    i += 1
EOF
unmarked=$(grep -c UNMARKED "$OUT/blocks.txt")
check guide "every command block of the systemd and mail filters sections has a deploy-guide marker ($(wc -l <"$OUT/blocks.txt") blocks)" \
	'[ "$unmarked" = 0 ] && [ -s "$OUT/blocks.txt" ]'
blocks() { grep -E -- "-($(echo "$1" | tr ' ' '|'))\.sh$" "$OUT/blocks.txt"; }

# ---------------------------------------------------------------- the container
ct_env_checks
command -v smtp-sink >/dev/null || skip_env "smtp-sink is missing (Debian package postfix; make check installs it as root)"
command -v git >/dev/null || skip_env "git is missing: the source tree is copied with git ls-files"
# A Debian 12 system as an administrator has it: systemd, adduser, and nothing else.
ct_rootfs adduser
# The guide's packages, into the container's apt cache (apt-get -d), over this machine's
# network and apt configuration (a proxy, say), in the order the passes install them.
cp -a /etc/apt/apt.conf.d/. "$ROOT/etc/apt/apt.conf.d/" 2>/dev/null
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null
chroot "$ROOT" apt-get update -q >"$OUT/apt-update.log" 2>&1 ||
	skip_env "apt-get update in the rootfs failed: $(tail -1 "$OUT/apt-update.log")"
for b in $(blocks "all postfix start rspamd opendkim") $(blocks exim); do
	grep -o 'apt-get install .*' "$OUT/blocks/$b" | while read -r _ _ args; do
		chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -d -y -q $args \
			>>"$OUT/apt-download.log" 2>&1 || echo "apt-get -d $args failed"
	done
done | grep . && skip_env "the guide's packages could not be fetched: $(tail -1 "$OUT/apt-download.log")"
log "packages fetched: $(ls "$ROOT/var/cache/apt/archives" | grep -c '\.deb$') .deb files"
# The source tree as a clone has it (tracked files and new ones, nothing built).
mkdir -p "$ROOT$SRC"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
	tar -C "$ROOT$SRC" -xf - || fatal "cannot copy the source tree"
echo "$HOST_CT" >"$ROOT/etc/hostname"
ct_boot

# ---------------------------------------------------------------- helpers
# Run one block as root in the source tree, with a login shell's environment.
run_block() {
	local b=$1
	log "block $b"
	ct env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		TERM=dumb LANG=C.UTF-8 bash -e -c "cd $SRC && . $SRC/.guide-block" \
		>"$OUT/$b.log" 2>&1 <"/dev/null" &
	wait $!
}
run_blocks() {  # run_blocks TAGS: each block of these tags, in the guide's order
	local b rc
	for b in $(blocks "$1"); do
		cp "$OUT/blocks/$b" "$ROOT$SRC/.guide-block"
		run_block "$b"
		rc=$?
		check guide "block $b ran (exit $rc): $(head -c 100 "$OUT/blocks/$b" | head -1)" '[ $rc = 0 ]' ||
			{ tail -5 "$OUT/$b.log" | sed 's/^/INFO   /'; }
	done
}
# certbot's layout: archive/NAME/{fullchain,privkey}1.pem (the key 0600), and live/NAME
# with relative links to them.
fake_certbot() {
	ct bash -c "set -e; a=/etc/letsencrypt/archive/$HOST_CT; l=/etc/letsencrypt/live/$HOST_CT
		mkdir -p \$a \$l; chmod 700 /etc/letsencrypt/archive
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -days 90 \
			-subj /CN=$HOST_CT -keyout \$a/privkey1.pem -out \$a/fullchain1.pem 2>/dev/null
		chmod 600 \$a/privkey1.pem
		ln -sf ../../archive/$HOST_CT/fullchain1.pem \$l/fullchain.pem
		ln -sf ../../archive/$HOST_CT/privkey1.pem \$l/privkey.pem"
}
# The stand-in remote host: smtp-sink, run from here in the container's network.
start_sink() {
	# nsenter itself, not the ctnet function: a function in the background is a
	# subshell, and $! would be that subshell's, not smtp-sink's.
	nsenter -t "$LEADER" -n smtp-sink -u nobody -d "$SINK/%H%M%S." "$SINK_ADDR:2526" 64 \
		>>"$OUT/sink.log" 2>&1 3>&- &
	HELPER_PIDS+=($!)
}
route_postfix() {
	ct postconf -e "transport_maps = inline:{remote.example=smtp:[$SINK_ADDR]:2526}" &&
		ct postfix reload >/dev/null 2>&1
}
route_exim() {
	ct sed -i "s/^dc_eximconfig_configtype=.*/dc_eximconfig_configtype='smarthost'/;
		s/^dc_smarthost=.*/dc_smarthost='$SINK_ADDR::2526'/" /etc/exim4/update-exim4.conf.conf &&
		ct update-exim4.conf && ct systemctl restart exim4
}
# swaks in the container's network; the rest of the line is swaks's options.
swaks_ct() { local f=$1; shift; ctnet timeout 60 swaks --helo client.example.net "$@" >"$OUT/$f" 2>&1; }
# The sink got a message for RCPT within 60 s (the MTA's queue is flushed).
sunk() {
	local i
	for i in $(seq 120); do
		grep -lq "X-Rcpt-Args: <$1>" "$SINK"/* 2>/dev/null && return 0
		[ $((i % 20)) = 10 ] && { ct postqueue -f 2>/dev/null; ct exim4 -qff 2>/dev/null; }
		sleep 0.5
	done
	return 1
}
# What the container logged, for a failure's diagnosis (the rootfs goes at the end).
save_journal() { ct journalctl --no-pager -o short-precise >"$OUT/journal-$1.txt" 2>&1; }
in_maildir() {  # in_maildir USER SUBJECT
	ct grep -lqs "^Subject: $2\$" -r "/home/$1/Maildir/new"
}

# The mail checks of one pass: 25 with STARTTLS, 587 AUTH local and remote, 465,
# postmaster.
mail_checks() {
	local p=$1 mta=$2
	swaks_ct "$p-25.txt" --server 127.0.0.1:25 --tls --from someone@example.net \
		--to alice@example.org --h-Subject "25 $p $$"
	check "$p" "25 with STARTTLS: delivered to alice's Maildir" \
		'grep -q "^<~  250 2.0.0 Ok: delivered as " "$OUT/$p-25.txt" && in_maildir alice "25 $p $$"'
	swaks_ct "$p-587.txt" --server 127.0.0.1:587 --tls --auth PLAIN --auth-user alice \
		--auth-password "$PW" --from alice@example.org --to bob@example.org,friend-$p@remote.example \
		--h-Subject "587 $p $$"
	check "$p" "587 STARTTLS + AUTH: bob's copy delivered, the remote one queued ($(grep -o '250 2.0.0 Ok: .*' "$OUT/$p-587.txt"))" \
		'grep -q "^<~  250 2.0.0 Ok: delivered as .*, and queued for relay" "$OUT/$p-587.txt" && in_maildir bob "587 $p $$"'
	check "$p" "587 relay: $mta delivered friend-$p@remote.example to the stand-in remote host" \
		'sunk "friend-$p@remote.example"'
	check "$p" "the relay has its log line and journal field SMTP_QUEUED" \
		'ct journalctl --no-pager -o verbose SMTP_RCPT="friend-$p@remote.example" | grep -q "^ *SMTP_QUEUED=."'
	swaks_ct "$p-465.txt" --server 127.0.0.1:465 --tlsc --auth PLAIN --auth-user bob \
		--auth-password "$PW" --from bob@example.org --to alice@example.org --h-Subject "465 $p $$"
	check "$p" "465 implicit TLS + AUTH: delivered" \
		'grep -q "^<~  250 2.0.0 Ok: delivered as " "$OUT/$p-465.txt" && in_maildir alice "465 $p $$"'
	swaks_ct "$p-pm.txt" --server 127.0.0.1:25 --from someone@example.net \
		--to postmaster@example.org,root@example.org --h-Subject "postmaster $p $$"
	check "$p" "postmaster and root: accepted, delivered to alice (--postmaster)" \
		'grep -q "^<-  250 2.0.0 Ok: delivered as " "$OUT/$p-pm.txt" && in_maildir alice "postmaster $p $$"'
}

# ---------------------------------------------------------------- pass 1: Postfix
start_sink
run_blocks "all postfix self-signed start"
# The guide's blocks ran in order: but the passwords and certbot come between its steps
# in reality; here: passwords now, then certbot's block over certbot's layout.
printf 'alice:%s\nbob:%s\n' "$PW" "$PW" | ct chpasswd
fake_certbot && run_blocks certbot
check cert "TLS= names /etc/smtp-session/cert.pem, a link into certbot's live directory" \
	'[ "$(ct readlink /etc/smtp-session/cert.pem)" = /etc/letsencrypt/live/$HOST_CT/fullchain.pem ]'
route_postfix
mail_checks postfix Postfix
check postfix "Postfix gave up port 25 and runs: $(ct systemctl is-active postfix)" \
	'[ "$(ct systemctl is-active postfix)" = active ] && ! ct grep -q "^smtp *inet" /etc/postfix/master.cf'
# Configuration errors under systemd: one line with the file and the fix, in the
# journal and in "systemctl status" of the failed instance; never the usage text.
ct cp /etc/default/smtp-session /root/default.saved
ct sed -i 's/^OPTIONS=/OPTIONS=--no-such-option /' /etc/default/smtp-session
ct systemctl restart smtp.service >/dev/null 2>&1	# the listener reads OPTIONS= at its start
sleep 1
ct systemctl status --no-pager -n 20 smtp.service >"$OUT/err-option-status.txt" 2>&1
check errors "a bad option in OPTIONS=: smtp.service failed, its status shows the one line with the fix" \
	'[ "$(ct systemctl is-failed smtp.service)" = failed ] &&
	 [ "$(grep -c -- "--no-such-option: unknown" "$OUT/err-option-status.txt")" -ge 1 ] &&
	 grep -q "see smtp-session --help or smtp-session(8)" "$OUT/err-option-status.txt" &&
	 ! grep -q -- "--max-size" "$OUT/err-option-status.txt"'
ct cp /root/default.saved /etc/default/smtp-session
ct systemctl reset-failed
ct systemctl restart smtp.socket smtp.service
# A certificate that is not there: 25 serves without STARTTLS, 587 refuses with 421;
# the journal names the file and the fix.
ct mv /etc/smtp-session/cert.pem /root/cert.pem.saved
swaks_ct err-25.txt --server 127.0.0.1:25 --from someone@example.net --to alice@example.org \
	--h-Subject "no cert $$"
swaks_ct err-587.txt --server 127.0.0.1:587 --tls --from alice@example.org --to bob@example.org
ct journalctl --no-pager -t smtp-session --since -1min >"$OUT/err-cert-journal.txt" 2>&1
check errors "no certificate: 25 delivers without STARTTLS, 587 gets 421, the journal names /etc/smtp-session/cert.pem and the fix" \
	'in_maildir alice "no cert $$" && ! grep -q STARTTLS "$OUT/err-25.txt" &&
	 grep -q "^<\*\* *421 " "$OUT/err-587.txt" &&
	 grep -q "/etc/smtp-session/cert.pem: No such file or directory: .*fix TLS= in /etc/default/smtp-session" "$OUT/err-cert-journal.txt"'
ct mv /root/cert.pem.saved /etc/smtp-session/cert.pem
ct systemctl reset-failed

# TLS resumption by default: the ticket key make install made, which TLS= names.
for v in 1.2 1.3; do
	rm -f "$OUT/sess-$v"
	for k in out in; do
		printf 'QUIT\r\n' | ctnet timeout 30 openssl s_client -connect 127.0.0.1:465 \
			-tls${v/./_} -ign_eof -sess_$k "$OUT/sess-$v" >"$OUT/resume-$v-$k.txt" 2>&1
	done
	check resume "TLS $v: a second connection to 465 resumes the first's session (ticket key by default)" \
		'grep -q "^Reused, TLSv$v" "$OUT/resume-$v-in.txt"'
done
for u in smtp submission smtps; do
	f=$(ct systemctl show -P FragmentPath "$u.service")
	sc=$(ct systemd-analyze security --offline=yes "$f" 2>/dev/null |
		sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	check security "systemd-analyze security $u.service: $sc (at most 2.5)" \
		'[ -n "$sc" ] && awk -v s="$sc" "BEGIN { exit !(s <= 2.5) }"'
done
# A burst of 300 connections at once: the sockets stay up (MaxConnections closes the
# rest at once), and mail flows afterwards.
ctnet python3 - >"$OUT/burst.txt" 2>&1 <<'EOF'
import socket
conns = []
for i in range(300):
    s = socket.create_connection(("127.0.0.1", (25, 587, 465)[i % 3]), timeout=30)
    conns.append(s)
greeted = 0
for i, s in enumerate(conns):
    if i % 3 == 2:
        continue        # 465 speaks TLS first
    try:
        if s.recv(4).startswith(b"220"):
            greeted += 1
    except OSError:
        pass
for s in conns:
    s.close()
print("greeted", greeted)
EOF
st=$(ct systemctl is-active smtp.socket submission.socket smtps.socket smtp-relay.socket | sort -u)
check burst "300 connections at once: $(tail -1 "$OUT/burst.txt"); the sockets stay active ($st)" \
	'[ "$st" = active ] && grep -q "^greeted [1-9]" "$OUT/burst.txt"'

# ---------------------------------------------------------------- mail filters
# The guide's Mail filters section, after the systemd section (its sockets run): rspamd,
# then OpenDKIM, each followed by mail through port 25 (from 127.0.0.1, the container's
# own loopback) and 587.  The container is offline: rspamd's DNS lookups (RBLs, SPF)
# fail at once (no route to a name server), which the timings below show.  OpenDKIM's
# signature is checked as stored, not verified: that needs the key in DNS (and
# OpenDKIM's DNSSEC trust anchor), which milter-real.bats sets up in a namespace.
stored() {  # stored USER SUBJECT: the stored copy of that message
	local f
	f=$(ct grep -lrs "^Subject: $2\$" "/home/$1/Maildir/new" | head -1)
	[ -n "$f" ] && ct cat "$f"
}
listening() {  # listening PORT: within 60 s
	local i
	for i in $(seq 120); do
		ctnet ss -ltn | grep -q ":$1 " && return 0
		sleep 0.5
	done
	return 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
t=$(now)
run_blocks rspamd
log "rspamd blocks: $(secs "$t") s"
# Its first start compiles its regular expressions (hyperscan): about 15 s here.
t=$(now)
listening 11332; rc=$?
check milter "rspamd's proxy worker listens on 11332 ($(secs "$t") s after its blocks)" '[ $rc = 0 ]'
t=$(now)
swaks_ct milter-gtube.txt --server 127.0.0.1:25 --from someone@example.net --to alice@example.org \
	--h-Subject "gtube $$" --body "$GTUBE"
check milter "rspamd: GTUBE on 25 is refused with rspamd's 554 5.7.1 ($(secs "$t") s), nothing stored" \
	'grep -q "^<\*\* *554 5.7.1 Gtube pattern" "$OUT/milter-gtube.txt" && ! in_maildir alice "gtube $$"'
t=$(now)
swaks_ct milter-clean.txt --server 127.0.0.1:25 --from someone@example.net --to alice@example.org \
	--h-Subject "clean $$" --body "A clean message."
check milter "rspamd: a clean message on 25 is delivered ($(secs "$t") s) with rspamd's headers" \
	'grep -q "^<[-~]  250 2.0.0 Ok: delivered as " "$OUT/milter-clean.txt" &&
	 stored alice "clean $$" >"$OUT/milter-clean.eml" &&
	 grep -q "^X-Spamd-Result: default: False" "$OUT/milter-clean.eml" &&
	 grep -q "^X-Rspamd-Server: " "$OUT/milter-clean.eml"'
t=$(now)
run_blocks opendkim
log "opendkim blocks: $(secs "$t") s"
t=$(now)
swaks_ct dkim-25.txt --server 127.0.0.1:25 --from bob@example.org --to alice@example.org \
	--h-Subject "dkim 25 $$" --body "Signed by OpenDKIM."
check dkim "OpenDKIM: a message from 127.0.0.1 on 25 is delivered ($(secs "$t") s) signed (d=example.org s=mail) and scanned by rspamd" \
	'grep -q "^<[-~]  250 2.0.0 Ok: delivered as " "$OUT/dkim-25.txt" &&
	 stored alice "dkim 25 $$" >"$OUT/dkim-25.eml" &&
	 grep -q "^DKIM-Signature: .*d=example.org;" "$OUT/dkim-25.eml" &&
	 grep -A3 "^DKIM-Signature: " "$OUT/dkim-25.eml" | grep -q " s=mail;" &&
	 grep -q "^X-Spamd-Result: " "$OUT/dkim-25.eml"'
info "DKIM-Signature of the stored copy: $(grep -A1 "^DKIM-Signature: " "$OUT/dkim-25.eml" | tr -d '\n' | cut -c1-120)"
t=$(now)
swaks_ct dkim-587.txt --server 127.0.0.1:587 --tls --auth PLAIN --auth-user alice \
	--auth-password "$PW" --from alice@example.org --to bob@example.org --h-Subject "dkim 587 $$"
check dkim "587 AUTH with both milters (the drop-in on submission.service too): delivered ($(secs "$t") s) signed" \
	'grep -q "^<~  250 2.0.0 Ok: delivered as " "$OUT/dkim-587.txt" &&
	 stored bob "dkim 587 $$" | grep -q "^DKIM-Signature: .*d=example.org;"'

# ---------------------------------------------------------------- reboot
save_journal postfix
log "reboot"
for i in "${HELPER_PIDS[@]}"; do kill "$i" 2>/dev/null; done	# the sink: its network goes
HELPER_PIDS=()
ct_poweroff || fail "reboot the container did not power off"
ct_boot
start_sink
mail_checks reboot Postfix

# ---------------------------------------------------------------- pass 2: Exim
run_blocks "exim start"
route_exim
mail_checks exim Exim
check exim "Exim took the sender from smtp-session (trusted), and runs without a listener" \
	'ct grep -q "<= alice@example.org U=smtp-session P=local-esmtp" /var/log/exim4/mainlog &&
	 ! ctnet ss -ltn | grep -q "127.0.0.1:25 "'

save_journal exim
log "total before cleanup: $(($(date +%s) - T0)) s"
[ "$NFAIL" = 0 ]
