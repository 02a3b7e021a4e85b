#!/bin/bash
# bench/systemd.sh [OUT]: what systemd users deploy, measured under a real systemd
# (issue 23): a Debian container booted with systemd-nspawn (tests/container.bash),
# this tree installed with make install, and three servers for the same users' home
# Maildirs, as root, with the same options:
#
#   units      the shipped smtp.socket + smtp.service: Accept=no, smtp-session --listen
#              (port 25; each session forked from the listener)
#   accept     the units of the build before this change, Accept=yes: one
#              smtp@.service instance per connection, its sandbox built each time
#              (port 2526; the unit is the shipped smtp.service's sandbox with
#              StandardInput=socket, an instance per connection)
#   tcpserver  tcpserver -R -H -l localhost in a transient unit without sandbox (2525)
#
# Postfix's smtp-source is the client (from this machine, in the container's network):
# one 2 KiB message per session, at 1, 4 and 8 sessions in parallel, every server in
# turn within each round (interleaved), ROUNDS rounds (default 3).  Per server and
# concurrency: the median sessions/s, the refused or failed sessions, and the CPU per
# session of the whole container (its cgroup's usage_usec: the server, systemd's own
# work per connection, journald; not the client, which runs outside).
#
# As root.  Prints a table; OUT (default a temporary directory) keeps the logs.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$(mktemp -d -t smtp-sbench.XXXXXX)}
ROUNDS=${ROUNDS:-3}
N1=${N1:-150}      # sessions per measurement at c=1 (accept: a tenth: it is slow)
T0=$(date +%s)
HOSTNAME_CT=bench
. "$TOP/tests/container.bash"
mkdir -p "$OUT" && : >"$OUT/progress.log"

ct_env_checks
command -v smtp-source >/dev/null || skip_env "smtp-source is missing (Debian package postfix)"
ct_rootfs make,adduser,libgnutls30,liblockfile1,ucspi-tcp
make -C "$TOP" install DESTDIR="$ROOT" >"$OUT/make-install-destdir.log" 2>&1 ||
	fatal "make install DESTDIR= failed"
mkdir -p "$ROOT/root/proj"
cp -a "$TOP/Makefile" "$TOP/smtp-session" "$TOP/smtp-session.8" "$TOP/units" "$TOP/examples" \
	"$TOP/pam.d" "$TOP/tools" "$ROOT/root/proj/" || fatal "cannot copy the project"
echo "$HOSTNAME_CT" >"$ROOT/etc/hostname"
# Accept=yes as it was shipped: the same sandbox, one instance per connection.
U=$ROOT/usr/local/lib/systemd/system
[ -d "$U" ] || U=$ROOT/lib/systemd/system
printf '[Socket]\nListenStream=2526\nAccept=yes\nMaxConnections=64\nMaxConnectionsPerSource=8\nTriggerLimitIntervalSec=0\n' \
	>"$ROOT/etc/systemd/system/accept.socket"
sed -e 's/^Description=.*/Description=Accept=yes session %i/' -e '/^Requires=/d' -e '/^After=/d' \
	-e 's/--listen //' -e '/^KillMode=/d' -e '/^Restart/d' -e 's/^TasksMax=.*/TasksMax=128/' \
	-e 's/^StandardOutput=journal/StandardInput=socket\nStandardOutput=socket/' \
	"$U/smtp.service" >"$ROOT/etc/systemd/system/accept@.service"
systemctl --root="$ROOT" enable smtp.socket accept.socket >"$OUT/enable.log" 2>&1 ||
	fatal "systemctl --root enable failed: $(tr '\n' ' ' <"$OUT/enable.log")"
ct_boot
ct make -C /root/proj -o smtp-session install >"$OUT/make-install.log" 2>&1 ||
	fatal "make install in the container failed: $(tail -2 "$OUT/make-install.log" | tr '\n' ' ')"
for i in 1 2 3 4; do ct useradd -m "u$i" || fatal "useradd u$i"; done
ct sed -i 's/^OPTIONS=.*/OPTIONS=--domains bench.example --postmaster u1/' /etc/default/smtp-session
ct systemctl daemon-reload
ct systemctl restart smtp.socket accept.socket
# tcpserver with the options the units give (no TLS: no certificate here).
ct systemd-run --unit=bench-tcpserver --quiet tcpserver -R -H -l localhost 0.0.0.0 2525 \
	/usr/local/sbin/smtp-session --relay-socket /run/smtp-session/relay.sock \
	--domains bench.example --postmaster u1 || fatal "cannot start tcpserver"
sleep 1

# The container's CPU in microseconds (its cgroup, every hierarchy's unified one).
cg=$(cgroup_dirs | grep -v /systemd/ | head -1)
cpu_us() { awk '$1 == "usage_usec" { print $2 }' "$cg/cpu.stat"; }
[ -n "$(cpu_us)" ] || skip_env "no cpu.stat in $cg: CPU per session cannot be measured"

declare -A RATE FAILED CPU
# The messages in the Maildirs now.
# Messages delivered so far (0 before the first delivery has made the Maildirs).
in_maildirs() { ct sh -c 'find /home/u*/Maildir/new -type f 2>/dev/null | wc -l'; }
run() {  # run SERVER PORT C N ROUND
	local s=$1 port=$2 c=$3 n=$4 r=$5 t0 t1 u0 u1 m0 m1
	m0=$(in_maildirs)
	u0=$(cpu_us) t0=$(date +%s.%N)
	ctnet timeout 600 smtp-source -s "$c" -m "$n" -l 2048 -f bench@client.example \
		-t "u$((r % 4 + 1))@bench.example" "127.0.0.1:$port" >"$OUT/$s-c$c-r$r.txt" 2>&1
	t1=$(date +%s.%N) u1=$(cpu_us)
	RATE[$s,$c]+="$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }') "
	CPU[$s,$c]+="$(awk -v n="$n" -v a="$u0" -v b="$u1" 'BEGIN { printf "%.2f", (b - a) / n / 1000 }') "
	# The sessions whose message is in no Maildir: refused or failed (once the
	# sessions still finishing have written theirs: smtp-source may leave before 221).
	local i
	for i in $(seq 50); do m1=$(in_maildirs); [ $((m1 - m0)) -ge "$n" ] && break; sleep 0.1; done
	FAILED[$s,$c]=$((${FAILED[$s,$c]:-0} + n - (m1 - m0)))
	log "round $r $s c=$c: $n sessions, $(echo "${RATE[$s,$c]}" | awk '{ print $NF }')/s, $((n - (m1 - m0))) not delivered"
}
# Sessions per measurement: N1 at c=1, twice that in parallel; a tenth for accept.
n_of() { local n=$((N1 * ($2 == 1 ? 1 : 2))); [ "$1" = accept ] && n=$((n / 10)); echo "$n"; }
for r in $(seq "$ROUNDS"); do
	for c in 1 4 8; do
		run units 25 "$c" "$(n_of units "$c")" "$r"
		run tcpserver 2525 "$c" "$(n_of tcpserver "$c")" "$r"
		run accept 2526 "$c" "$(n_of accept "$c")" "$r"
	done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
{
	echo "bench/systemd.sh, $(date -u +%Y-%m-%d), $(nproc) cores, $ROUNDS rounds interleaved; $(git -C "$TOP" log -1 --format=%h)"
	echo "one 2 KiB message per session, as root, into the home Maildirs of 4 users; CPU: the container's"
	printf '%-10s %3s %12s %10s %12s %14s\n' server c sessions/s vs-tcpsrv "CPU ms/sess" "not delivered"
	for c in 1 4 8; do
		tcp=$(echo "${RATE[tcpserver,$c]}" | median)
		for s in units tcpserver accept; do
			m=$(echo "${RATE[$s,$c]}" | median)
			printf '%-10s %3s %12s %10s %12s %14s\n' "$s" "$c" "$m" \
				"$(awk -v a="$m" -v b="$tcp" 'BEGIN { printf "%.2f", a / b }')" \
				"$(echo "${CPU[$s,$c]}" | median)" "${FAILED[$s,$c]}/$((ROUNDS * $(n_of "$s" "$c")))"
		done
	done
	echo "all rates: $(for k in "${!RATE[@]}"; do printf '%s=[%s] ' "$k" "${RATE[$k]% }"; done)"
	echo "not delivered: sessions whose message is in no Maildir (refused at connect, or failed), of all sent"
} | tee "$OUT/table.txt"
log "total before cleanup: $(($(date +%s) - T0)) s"
