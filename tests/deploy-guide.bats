#!/usr/bin/env bats
# doc/deploy.md's systemd and mail filters sections, executed: tests/deploy-guide.sh
# runs each of their command blocks, exactly as written, in a Debian 12 container
# booted with systemd (first with Postfix as the MTA, then rspamd and OpenDKIM as
# milters, then after a reboot with Exim), and sends mail after each step (about
# three minutes).  Each test here reports one group of its
# checks.  Runs only as root, only in make check's plain phase, and skips (saying
# why) where this machine cannot run a container.

load container-checks

setup_file() { container_run deploy-guide.sh 900; }

@test "deploy guide: every command block is marked, and each ran as written (exit 0) in a booted Debian 12" {
	checks guide boot
}

@test "deploy guide: the certificate in its one place, /etc/smtp-session, as a link into certbot's live directory" {
	checks cert
}

@test "deploy guide with Postfix: 25 STARTTLS, 587 AUTH local and relayed to the stand-in remote host, 465, postmaster" {
	checks postfix
}

@test "deploy guide: a configuration error shows once in systemctl status and the journal, with the file and the fix" {
	checks errors
}

@test "deploy guide: TLS 1.2 and 1.3 sessions resume by default (make install's ticket key)" {
	checks resume
}

@test "deploy guide: systemd-analyze security of smtp, submission and smtps at 2.5 or better" {
	checks security
}

@test "deploy guide: a burst of 300 connections leaves the sockets listening" {
	checks burst
}

@test "deploy guide: after a reboot, the same mail checks pass" {
	checks reboot
}

@test "deploy guide with Exim (exim4-daemon-light): the same mail checks, Exim keeps the sender and no listener" {
	checks exim
}

@test "deploy guide with rspamd (milter): GTUBE refused with its 554 5.7.1, a clean message delivered with its headers" {
	checks milter
}

@test "deploy guide with OpenDKIM added: mail from 127.0.0.1 on 25 and 587 AUTH stored signed (d=example.org s=mail)" {
	checks dkim
}
