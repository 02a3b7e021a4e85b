#!/usr/bin/env bats
# More than one host on the same Maildirs: two listeners with different --hostname
# (each its own tcpserver, as two machines would run it) deliver 1,000 messages at
# once into the same user's Maildir.  Maildir's unique names (time, pid, a counter
# and the host name) and the rename into new/ must keep every one: none lost, none
# overwritten, each file name naming its host, with '/' and ':' in the host name
# written as \057 and \072 (cr.yp.to/proto/maildir.html).

load helpers

setup_file() {
	setup_users
}
teardown_file() { teardown_users; }
setup() { clear_maildirs; }
# Why deliveries failed, from the servers' log (a 451 is a retry, not a loss, but
# this test wants none): each reason once, with its count.
why_failed() { grep -E 'delivery failed|cannot|error' "$T/log" | sed 's/^[^:]*: [a-z]*: //' | sort | uniq -c | sort -rn | head; }
teardown() {
	local p
	for p in ${PIDS:-}; do kill "$p" 2>/dev/null || true; done
	for p in ${NS:-}; do ip netns delete "$p" 2>/dev/null || true; done
}

# A listener for "host" $1 (its --hostname); its port goes to the file $T/port.$2.
listener() {
	tcpserver -1 -R -H -l localhost -c 40 127.0.0.1 0 "$T/bin/smtp" --hostname "$1" \
		>"$T/port.$2" 2>/dev/null 3>&- &
	PIDS="${PIDS:-} $!"
	local i
	for i in $(seq 100); do [ -s "$T/port.$2" ] && break; sleep 0.1; done
}

@test "two hosts, one Maildir: 1,000 concurrent messages, none lost or overwritten, names unique and encoded" {
	listener mx1.tttest.com 1
	listener 'mx2/b:c.tttest.com' 2
	run python3 "$TOP/tests/multihost.py" 1000 test@tttest.com "$(cat "$T/port.1")" "$(cat "$T/port.2")"
	[ "$status" = 0 ] || { echo "$output"; why_failed; false; }
	[ "$output" = 1000 ]
	local new=$T/home/test/Maildir/new
	[ "$(find "$new" -type f | wc -l)" = 1000 ]
	[ -z "$(leftovers test)" ]
	# Every message is there once: subjects 0..999, each exactly once.
	[ "$(grep -h '^Subject: multihost ' "$new"/* | sort -u | wc -l)" = 1000 ]
	[ "$(grep -h '^Subject: multihost ' "$new"/* | wc -l)" = 1000 ]
	# Each host's share carries its name; the second one's '/' and ':' encoded.
	[ "$(find "$new" -name '*.mx1.tttest.com,S=*' | wc -l)" = 500 ]
	[ "$(find "$new" -name '*.mx2\\057b\\072c.tttest.com,S=*' | wc -l)" = 500 ]
	# Each file's name says its size, and the Received line names the host it came by.
	local f
	for f in $(find "$new" -type f | head -50); do
		[ "${f##*,S=}" = "$(stat -c %s "$f")" ]
	done
	[ "$(grep -l 'by mx2/b:c.tttest.com (smtp-session)' "$new"/* | wc -l)" = 500 ]
}

@test "two hosts in two network namespaces, one Maildir: 1,000 concurrent messages, none lost (root only)" {
	[ "$(id -u)" = 0 ] || skip "needs root: network namespaces"
	command -v ip >/dev/null || skip "ip (iproute2) is not installed"
	NS="smtpmh1-$$ smtpmh2-$$"
	local n i=0 pids=()
	for n in $NS; do
		ip netns add "$n" || skip "cannot create network namespaces here"
		ip -n "$n" link set lo up
	done
	# Each namespace is a host with a network of its own: its own 127.0.0.1, its own
	# listener (a --hostname of its own) and its own clients; the Maildir is shared.
	for n in $NS; do
		i=$((i + 1))
		ip netns exec "$n" tcpserver -1 -R -H -l localhost -c 40 127.0.0.1 0 "$T/bin/smtp" \
			--hostname "host$i.tttest.com" >"$T/port.ns$i" 2>/dev/null 3>&- &
		PIDS="${PIDS:-} $!"
	done
	for i in 1 2; do
		for n in $(seq 100); do [ -s "$T/port.ns$i" ] && break; sleep 0.1; done
	done
	i=0
	for n in $NS; do
		i=$((i + 1))
		ip netns exec "$n" python3 "$TOP/tests/multihost.py" --first $(((i - 1) * 500)) 500 \
			test@tttest.com "$(cat "$T/port.ns$i")" >"$T/mh.$i" 2>&1 &
		pids+=($!)
	done
	local rc=0
	wait "${pids[0]}" || rc=1
	wait "${pids[1]}" || rc=1
	cat "$T/mh.1" "$T/mh.2"
	[ "$rc" = 0 ] || { why_failed; false; }
	local new=$T/home/test/Maildir/new
	[ "$(find "$new" -type f | wc -l)" = 1000 ]
	[ -z "$(leftovers test)" ]
	[ "$(grep -h '^Subject: multihost ' "$new"/* | sort -u | wc -l)" = 1000 ]
	[ "$(find "$new" -name '*.host1.tttest.com,S=*' | wc -l)" = 500 ]
	[ "$(find "$new" -name '*.host2.tttest.com,S=*' | wc -l)" = 500 ]
}
