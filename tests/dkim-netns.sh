#!/bin/sh
# dkim-netns.sh T TOP PORT1 PORT2: OpenDKIM through smtp-session's --milter, in a network and
# mount namespace of its own (unshare -n -m, milter-real.bats): dnsmasq on 127.0.0.1:53
# serves mail._domainkey.example.org (the public half of $T/dkim/mail.private) and is
# the only name server (/etc/resolv.conf bound over; OpenDKIM's unbound is told so
# too), a signing OpenDKIM on PORT1 and a verifying one on PORT2, both with the lines
# of doc/deploy.md ($T/dkim/guide.conf: the key, On-BadSignature reject).  Then:
#   1. a message from 127.0.0.1 through the signer (tcpserver): stored signed;
#   2. that stored message, less our trace fields, through the verifier: stored with
#      Authentication-Results ... dkim=pass;
#   3. the same with its body changed: refused.
# Prints the replies of 2 and 3 after "verify:" and "tampered:".
set -eu
T=$1 TOP=$2
D=$T/dkim
ip link set lo up
printf 'nameserver 127.0.0.1\n' >"$D/resolv.conf"
mount --bind "$D/resolv.conf" /etc/resolv.conf
p=$(sed -n 's/.*p=\([^"]*\)".*/\1/p' "$D/mail.txt" | tr -d ' \n\t')
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --port=53 --user=root --pid-file="$D/dnsmasq.pid" \
	--txt-record="mail._domainkey.example.org,v=DKIM1; k=rsa; p=$p" 2>"$D/dnsmasq.log" &
DNS=$!
common="$(cat "$D/guide.conf")
Background no
RequireSafeKeys false
UserID root
Syslog no
SoftwareHeader no
Nameservers 127.0.0.1"
cat >"$D/sign.conf" <<EOF2
$common
Mode s
InternalHosts 127.0.0.1
Socket inet:$3@127.0.0.1
PidFile $D/sign.pid
EOF2
cat >"$D/verify.conf" <<EOF2
$common
Mode v
InternalHosts 192.0.2.254
On-BadSignature reject
Socket inet:$4@127.0.0.1
PidFile $D/verify.pid
EOF2
opendkim -f -x "$D/sign.conf" 2>"$D/sign.log" &
S=$!
opendkim -f -x "$D/verify.conf" 2>"$D/verify.log" &
V=$!
tcpserver -1 -R -H -l localhost 127.0.0.1 0 "$T/bin/smtp" --milter "inet:127.0.0.1:$3" \
	>"$D/ts.port" 2>/dev/null 3>&- &
TS=$!
trap 'kill $TS $S $V $DNS 2>/dev/null || true' EXIT
for i in $(seq 100); do [ -s "$D/ts.port" ] && break; sleep 0.1; done
for port in $3 $4; do
	for i in $(seq 100); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1).close()' \
			"$port" 2>/dev/null && break
		sleep 0.1
	done
done
python3 - "$(cat "$D/ts.port")" <<'EOF2'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("a@example.org", ["test@tttest.com"],
           "From: a@example.org\r\nTo: test@tttest.com\r\nSubject: signed here\r\n"
           "Date: Mon, 07 Dec 2026 14:00:00 +0000\r\nMessage-ID: <dkim@example.org>\r\n\r\n"
           "This is the body.\r\n")
s.quit()
EOF2
signed=$(find "$T/home/test/Maildir/new" -type f | head -1)
cp "$signed" "$D/signed.eml"
rm -f "$signed"
# Again through the verifier: without our trace fields, as another host would get it.
resend() {
	python3 - "$1" "$T/bin/smtp" --milter "inet:127.0.0.1:$4" <<'EOF2'
import subprocess, sys
text = open(sys.argv[1]).read().split("\n")
out, skip = [], True
for line in text:	# drop Return-Path, Delivered-To and Received (with its folds)
    if skip and (line.startswith(("Return-Path:", "Delivered-To:", "Received:")) or line[:1] in " \t"):
        continue
    skip = False
    out.append("." + line if line.startswith(".") else line)
data = "\r\n".join(out).rstrip("\r\n") + "\r\n"
lines = "EHLO sender.example.org\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<test@tttest.com>\r\nDATA\r\n" + data + ".\r\nQUIT\r\n"
r = subprocess.run(sys.argv[2:], input=lines.encode(), capture_output=True)
print(r.stdout.decode().replace("\r", ""))
EOF2
}
echo "verify:"
resend "$D/signed.eml" "" "" "$4"
sed 's/This is the body./This is another body./' "$D/signed.eml" >"$D/tampered.eml"
echo "tampered:"
resend "$D/tampered.eml" "" "" "$4"
