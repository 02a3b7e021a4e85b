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
FUZZ_DEPS  = clang libclang-rt-14-dev python3
# make bench only: smtp-source comes with postfix (installed, never started here:
# Debian's policy-rc.d stops it; bench.py warns if a postfix master is running).
BENCH_DEPS = postfix ucspi-tcp valgrind strace time python3
AFL_DEPS   = afl++ python3

PORT ?= 2525

# make fuzz: libFuzzer harness (fuzz/harness.c) over the real dialogue, with priv.h
# served by the doubles in fuzz/priv-fake.c; smtp-session.c is compiled unchanged
# but for the name of its main.  FUZZ_SECONDS of fuzzing (CI: 60 in make check).
FUZZ_SECONDS ?= 300
FUZZ_CC     = clang
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all -U_FORTIFY_SOURCE
FUZZ_SRCS   = smtp-session.c buf.c log.c fuzz/priv-fake.c fuzz/harness.c

all: smtp-session

smtp-session: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

smtp-session-asan: $(SRCS) *.h
	$(SAN_CC) $(CFLAGS) $(SAN_CFLAGS) $(LDFLAGS) -o $@ $(SRCS) $(LDLIBS)

%.o: %.c *.h
	$(CC) $(CFLAGS) -c -o $@ $<

deps:
	@tools/deps $(BUILD_DEPS)

# make check: the suite plain, under ASan+UBSan, the transcripts under valgrind, and
# the fuzz harness over the seeds, then CHECK_FUZZ_SECONDS of fuzzing (CI: 60).
CHECK_FUZZ_SECONDS ?= 0
check: deps
	@tools/deps $(TEST_DEPS)
	@$(MAKE) --no-print-directory all smtp-session-asan fuzz/smtp-fuzz
	FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) tests/run

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

# make bench: smtp-session against the least handler that does the same work.
bench: deps
	@tools/deps $(BENCH_DEPS)
	@$(MAKE) --no-print-directory all bench/baseline
	bench/bench.py

bench/baseline: bench/baseline.c
	$(CC) -O2 -g -Wall -Wextra -Werror -o $@ bench/baseline.c

fuzz/smtp-fuzz: $(FUZZ_SRCS) *.h
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_CFLAGS) -Dmain=smtp_session_main -Wl,--wrap=read \
		-o $@ $(FUZZ_SRCS)

fuzz: deps
	@tools/deps $(FUZZ_DEPS)
	@$(MAKE) --no-print-directory fuzz/smtp-fuzz
	fuzz/run $(FUZZ_SECONDS)

# For AFL++ users (not used by CI): the real program, main() and all, reading the
# session from stdin, with the priv.h doubles so that nothing is written to disk;
# built with afl-cc and ASan.  Seeds are the transcripts without the harness's
# configuration byte; options go on the command line.
AFL_OPTS = --hostname smtp.tttest.com --domains tttest.com,localhost --log-file /dev/null
fuzz/smtp-session-afl: smtp-session.c buf.c log.c fuzz/priv-fake.c *.h
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 afl-cc $(CFLAGS) -U_FORTIFY_SOURCE -o $@ \
		smtp-session.c buf.c log.c fuzz/priv-fake.c

fuzz-afl: deps
	@tools/deps $(AFL_DEPS)
	@$(MAKE) --no-print-directory fuzz/smtp-session-afl
	python3 fuzz/seeds.py --raw fuzz/afl-in
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 afl-fuzz -V $(FUZZ_SECONDS) -i fuzz/afl-in -o fuzz/afl-out \
		-x fuzz/smtp.dict -- fuzz/smtp-session-afl $(AFL_OPTS)

clean:
	rm -f smtp-session smtp-session-asan *.o bench/baseline fuzz/smtp-fuzz fuzz/smtp-session-afl

.PHONY: all deps check run bench fuzz fuzz-afl clean
