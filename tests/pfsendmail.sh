#!/bin/sh
# tests/pfsendmail.sh ETC COMMAND [ARG...]: run COMMAND (and so every relay command it
# starts) where "/usr/sbin/sendmail -C ETC" of a private Postfix instance (pfinst.sh)
# works for any user.  Postfix's sendmail and postdrop take -C (MAIL_CONFIG) from a
# user other than root only when the default main.cf lists the directory in
# alternate_config_directories (postconf(5)); the relay command runs as --relay-user,
# so COMMAND runs in a private mount namespace (unshare -m) where /etc/postfix is a
# copy of the system's whose main.cf says just that.  The real /etc/postfix is never
# touched.  As root; the copy is ETC.sys.
set -eu
etc=$(realpath "$1")
shift
sys=$etc.sys
rm -rf "$sys"
mkdir -p "$sys"
cp -a /etc/postfix/. "$sys/"
printf 'compatibility_level = 3.6\nalternate_config_directories = %s\n' "$etc" >"$sys/main.cf"
# The mount is private: nothing of it propagates back to the host's namespace.
exec unshare -m --propagation private sh -c 'mount --bind "$1" /etc/postfix && shift && exec "$@"' \
	sh "$sys" "$@"
