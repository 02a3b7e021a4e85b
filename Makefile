# smtp-session: one SMTP session per process.  See README.md.
#   make          build
#   make check    install missing test packages (as root), build, run every test
#   make run      install missing packages (as root), build, serve 127.0.0.1:$(PORT)

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

OBJS = smtp-session.o buf.o log.o priv.o mbox.o auth.o systemd.o

# Debian packages each target needs (tools/deps installs the missing ones as root).
BUILD_DEPS = gcc make libc6-dev pkg-config libpam0g-dev libsystemd-dev
TEST_DEPS  = bats python3 libnss-wrapper libuid-wrapper libpam-wrapper swaks ucspi-tcp strace \
             curl \
             systemd
RUN_DEPS   = ucspi-tcp swaks

PORT ?= 2525

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

clean:
	rm -f smtp-session *.o .with-systemd

FORCE:
.PHONY: all deps check run clean FORCE
