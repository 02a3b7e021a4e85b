#!/bin/sh
# tests/pfinst.sh: a private Postfix instance for tests; never touches /etc/postfix
# (from the checked recipe shared/recipes/wave2/pf/pfinst.sh).
# usage: pfinst.sh BASE create SMTPD_PORT [main.cf lines...] | start | stop | drain [SECS] | log
# BASE gets etc/ (config), spool/ (queue), data/, log/maillog.  Run as root.
set -eu
BASE=$(realpath -m "$1"); cmd=$2; shift 2
ETC=$BASE/etc
case $cmd in
create)
  port=$1; shift
  mkdir -p "$ETC" "$BASE/spool" "$BASE/log"  # NOT data/: "postfix start" creates it owned by postfix
  chmod 755 "$BASE" "$ETC" "$BASE/spool" "$BASE/log"
  cat > "$ETC/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $BASE/spool
data_directory = $BASE/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = pftest
maillog_file = $BASE/log/maillog
maillog_file_prefixes = /var, /dev/stdout, $BASE/log
myhostname = pftest.localdomain
mydomain = localdomain
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtp_connect_timeout = 5s
EOF
  for line in "$@"; do postconf -c "$ETC" -e "$line"; done   # extra/overriding settings
  cat > "$ETC/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
local     unix  - n n -    - local
lmtp      unix  - - n -    - lmtp
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
  ;;   # "postfix start" runs post-install create-missing itself
start) postfix -c "$ETC" start
       # master -w already waited; belt and braces: pickup socket exists
       i=0; until [ -S "$BASE/spool/public/pickup" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done ;;
stop)  pid=$(sed 1q "$BASE/spool/pid/master.pid" | tr -d ' ')
       kill "$pid"                              # == postfix -c ETC stop
       i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done ;;
drain) # wait until the queue is empty (incl. maildrop); exit 1 on timeout
       t=$(( ${1:-30} * 10 )); i=0
       until postqueue -c "$ETC" -p | grep -q '^Mail queue is empty'; do
         [ $i -ge $t ] && { postqueue -c "$ETC" -p; exit 1; }
         sleep 0.1; i=$((i+1)); done ;;
log)   cat "$BASE/log/maillog" ;;
*) echo "bad command" >&2; exit 2 ;;
esac
