#!/usr/bin/env bats
# The systemd units under a REAL systemd: tests/systemd-live.sh boots a minimal Debian
# with systemd-nspawn (private network: ports 25 and 587 are the container's own),
# installs this checkout into it with make install, and checks the live system, once
# for the whole file (about a minute).  Each test here reports one group of its checks.
# Runs only as root, only in make check's plain phase, and skips (saying why) where
# this machine cannot run a container.

load container-checks

setup_file() { container_run systemd-live.sh 300; }

@test "live systemd: the container boots; make install puts the user smtp-session in place" {
	checks boot user
}

@test "live systemd: the sockets listen and greet; smtp.service's listener forks a session per connection" {
	checks sockets greeting
}

@test "live systemd: delivery to a user's Maildir, as the user; postmaster refused without --postmaster" {
	checks delivery
}

@test "live systemd: AUTH on 587 through PAM (pam_unix), 535 and 530" {
	checks auth
}

@test "live systemd: the sandbox of a live session (capabilities, seccomp, mounts, IPAddressDeny, --max-per-source, systemctl stop, SEND)" {
	checks sandbox
}

@test "live systemd: privilege separation in a live session (smtp-session user, chroot, no caps)" {
	checks privsep
}

@test "live systemd: the journal's SMTP_* fields, no failed units" {
	checks journal
}

@test "live systemd: 600 quick connections leave both sockets listening (no trigger limit)" {
	checks trigger
}

@test "live systemd: --mailbox mbox in Debian's /var/mail (root:mail 2775) under the units: mailbox and lock made by the delivery child" {
	checks mbox
}
