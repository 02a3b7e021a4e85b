# smtp-session: one SMTP session per process.  See README.md.
#   make          build
#   make check    install missing test packages (as root), build, run every test
#   make run      install missing packages (as root), build, serve 127.0.0.1:$(PORT)

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed

OBJS = smtp-session.o buf.o log.o priv.o mbox.o
SRCS = $(OBJS:.o=.c)

# make check's second phase: the same sources with AddressSanitizer and UBSan; any
# report ends the process (-fno-sanitize-recover).  Built with clang: gcc 12's UBSan
# ignores log_path when combined with ASan and writes to stderr, so a report from a
# forked delivery child could go unseen; clang's runtime writes each process's
# reports to its own file.  Its runtime is linked in statically, so it always comes
# before the cwrap preloads.  Fortify is off: its checked functions bypass ASan.
SAN_CC     = clang
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all -U_FORTIFY_SOURCE

# Debian packages each target needs (tools/deps installs the missing ones as root).
BUILD_DEPS = gcc make libc6-dev pkg-config
TEST_DEPS  = bats python3 libnss-wrapper libuid-wrapper swaks ucspi-tcp strace curl \
             systemd valgrind clang libclang-rt-14-dev
RUN_DEPS   = ucspi-tcp swaks

PORT ?= 2525

all: smtp-session

smtp-session: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

smtp-session-asan: $(SRCS) *.h
	$(SAN_CC) $(CFLAGS) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $(SRCS) $(LDLIBS)

%.o: %.c *.h
	$(CC) $(CFLAGS) -c -o $@ $<

deps:
	@tools/deps $(BUILD_DEPS)

check: deps
	@tools/deps $(TEST_DEPS)
	@$(MAKE) --no-print-directory all smtp-session-asan
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
	rm -f smtp-session smtp-session-asan *.o

.PHONY: all deps check run clean
