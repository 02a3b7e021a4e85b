# smtp-session: one SMTP session per process.  See README.md.
#   make          build
#   make check    install missing test packages (as root), build, run every test
#   make run      install missing packages (as root), build, serve 127.0.0.1:$(PORT)
#   make install  binary, man page, systemd units, /etc/pam.d/smtp, examples
#                 (PREFIX=/usr/local, DESTDIR, SBINDIR, MANDIR, SYSCONFDIR, SYSTEMDUNITDIR)
#   make WITH_SYSTEMD=0   build without libsystemd (inetd/tcpserver-only systems)

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LDLIBS  += -lpam

# WITH_SYSTEMD=1 (default): take a socket passed by systemd (LISTEN_FDS) and log to the
# journal, through libsystemd.so.0, which is dlopen()ed only when systemd started us
# (systemd.h says why it is not linked); building needs the headers of libsystemd-dev.
# WITH_SYSTEMD=0: nothing of systemd, for systems with inetd or tcpserver only.
WITH_SYSTEMD ?= 1

OBJS = smtp-session.o buf.o log.o priv.o mbox.o auth.o tty.o systemd.o

# Debian packages each target needs (tools/deps installs the missing ones as root).
BUILD_DEPS = gcc make libc6-dev pkg-config libpam0g-dev libsystemd-dev
# openbsd-inetd: the inetd example's test (xinetd conflicts with it; its test skips).
TEST_DEPS  = bats python3 libnss-wrapper libuid-wrapper libpam-wrapper swaks ucspi-tcp strace \
             curl systemd mandoc openbsd-inetd
RUN_DEPS   = ucspi-tcp swaks

PORT ?= 2525

# make install / uninstall.  DESTDIR stages the tree for a package.  SYSCONFDIR is
# /etc even under /usr/local: PAM reads its services only from /etc/pam.d.  The unit
# directory is systemd's own (pkg-config systemd), else one systemd also searches.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/smtp-session
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),\
		      $(PREFIX)/lib/systemd/system)
UNITS    = smtp.socket smtp@.service submission.socket submission@.service
EXAMPLES = inetd.conf xinetd.d/smtp tcpserver/run
# The files name the default paths; installed copies name the real ones.
SUBST = sed -e 's|/usr/local/sbin/smtp-session|$(SBINDIR)/smtp-session|g' \
	    -e 's|/usr/local/share/doc/smtp-session|$(DOCDIR)|g'

all: smtp-session

smtp-session: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

%.o: %.c *.h
	$(CC) $(CFLAGS) -c -o $@ $<

# systemd.o is the one object WITH_SYSTEMD changes; .with-systemd records the value it
# was built with, so that switching rebuilds it.
systemd.o: systemd.c *.h .with-systemd
	@[ "$(WITH_SYSTEMD)" != 1 ] || pkg-config --exists libsystemd || { echo \
		"libsystemd-dev is missing: install it, or build with make WITH_SYSTEMD=0" >&2; exit 1; }
	$(CC) $(CFLAGS) -DWITH_SYSTEMD=$(WITH_SYSTEMD) \
		$$([ "$(WITH_SYSTEMD)" != 1 ] || pkg-config --cflags libsystemd) -c -o $@ $<

.with-systemd: FORCE
	@echo "$(WITH_SYSTEMD)" | cmp -s - $@ || echo "$(WITH_SYSTEMD)" >$@

deps:
	@tools/deps $(BUILD_DEPS)

check: deps
	@tools/deps $(TEST_DEPS)
	@$(MAKE) --no-print-directory all
	tests/run

# A server on 127.0.0.1:$(PORT), one process per connection (tcpserver), in
# single-user mode: mail for the user running make lands in ./run/Maildir.
run: deps
	@tools/deps $(RUN_DEPS)
	@$(MAKE) --no-print-directory all
	@mkdir -p run
	@echo "smtp-session on 127.0.0.1:$(PORT), mail for $$(id -un) goes to $(CURDIR)/run/Maildir/new/"
	@echo "send a test message from another terminal:"
	@echo "  swaks --server 127.0.0.1:$(PORT) --to $$(id -un)@localhost"
	@echo "stop with Ctrl-C; the log is run/smtp.log"
	tcpserver -v -R -H -l localhost 127.0.0.1 $(PORT) \
		./smtp-session --user "$$(id -un)" --maildir "$(CURDIR)/run/Maildir" \
		--log-file "$(CURDIR)/run/smtp.log"

install: smtp-session
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/pam.d $(DESTDIR)$(DOCDIR)/examples/xinetd.d \
		$(DESTDIR)$(DOCDIR)/examples/tcpserver
	install -m 755 smtp-session $(DESTDIR)$(SBINDIR)/smtp-session
	$(SUBST) smtp-session.8 >$(DESTDIR)$(MANDIR)/man8/smtp-session.8
	for u in $(UNITS); do $(SUBST) units/$$u >$(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	for e in $(EXAMPLES); do $(SUBST) examples/$$e >$(DESTDIR)$(DOCDIR)/examples/$$e || exit 1; done
	chmod 755 $(DESTDIR)$(DOCDIR)/examples/tcpserver/run
	@# An existing PAM file is the administrator's: never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp"; \
	else \
		echo "install -m 644 pam.d/smtp $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp"; \
		install -m 644 pam.d/smtp $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smtp-session $(DESTDIR)$(MANDIR)/man8/smtp-session.8
	for u in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(DOCDIR)/examples/$$e; done
	rmdir $(DESTDIR)$(DOCDIR)/examples/xinetd.d $(DESTDIR)$(DOCDIR)/examples/tcpserver \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	@# The PAM file goes only if nobody changed it.
	@if cmp -s pam.d/smtp $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp; then \
		echo "rm -f $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp"; rm -f $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp: it was changed"; \
	fi

clean:
	rm -f smtp-session *.o .with-systemd

FORCE:
.PHONY: all deps check run install uninstall clean FORCE
