# smtp-session: one SMTP session per process.  See README.md.
#   make          build
#   make check    install missing test packages (as root), build, run every test
#   make check-fresh  (root) the quick start in a new minimal Debian container
#   make unit     only the unit tests of the pure modules (tests/unit/): seconds, any user;
#                 make unit-asan also runs them built with ASan + UBSan (clang)
#   make run      install missing packages (as root), build, serve 127.0.0.1:$(PORT)
#   make install  binary, man page, systemd units, /etc/pam.d/smtp, examples, the
#                 sysusers.d file, and (without DESTDIR) the system user smtp-session
#                 (PREFIX=/usr/local, DESTDIR, SBINDIR, MANDIR, SYSCONFDIR, SYSTEMDUNITDIR,
#                 SYSUSERSDIR, CREATE_USER, PRIVSEP_DIR)
#   make WITH_SYSTEMD=0   build without libsystemd (inetd/tcpserver-only systems)
#   make bench    the benchmark against a minimal baseline handler (bench/)
#   make fuzz     libFuzzer over the dialogue for FUZZ_SECONDS (fuzz/)
#   make fuzz-campaign  FUZZ_RUNS executions of each harness, merged into fuzz/corpus/

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wvla \
           -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fPIE
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# TLS (tls.c): GnuTLS, chosen by measurement (bench/tlslib/README.md).
# TLS_STATIC=1 (default): linked in statically with the libraries it uses that Debian
# ships as .a files (nettle, hogweed, gmp, tasn1, idn2, unistring); p11-kit has none.
# TLS_STATIC=0: loaded with dlopen() only where TLS is configured: only its headers
# are needed.  bench/results/2026-12-07-tls.txt has the figures of both.
TLS_STATIC ?= 1
CFLAGS += -DTLS_STATIC=$(TLS_STATIC)
# Linked in, GnuTLS brings about 10,700 relative relocations, which every process
# applies as it starts: packed (DT_RELR, glibc 2.36, binutils 2.38) their table is 1 KB
# instead of 100 KB, and a session's peak RSS about 220 KiB less.
ifeq ($(TLS_STATIC),1)
LDLIBS += -Wl,-Bstatic -lgnutls -lhogweed -lnettle -lgmp -ltasn1 -lidn2 -lunistring \
          -Wl,-Bdynamic
LDFLAGS += -Wl,-z,pack-relative-relocs
endif
# libpam is dlopen()ed on the first AUTH (auth.c says why): only its headers are needed.

# WITH_SYSTEMD=1 (default): take a socket passed by systemd (LISTEN_FDS) and log to the
# journal, through libsystemd.so.0, which is dlopen()ed only when systemd started us
# (systemd.h says why it is not linked); building needs the headers of libsystemd-dev.
# WITH_SYSTEMD=0: nothing of systemd, for systems with inetd or tcpserver only.
WITH_SYSTEMD ?= 1

# The sides, one folder each (INTERNALS.md draws them).  The design card's three files
# stay at the top as their side's entry: smtp-session.c the dialogue (session side),
# auth.c and mbox.c authentication and delivery (parent side); main.c starts both, and
# privsep.h is the protocol between them.
# session/: the unprivileged, sandboxed process that reads the client.
SESSION_OBJS = smtp-session.o session/envelope.o session/data.o session/spool.o \
               session/deliver.o session/trace.o session/reply.o session/loop.o session/sasl.o \
               session/io.o session/render.o session/priv.o session/sandbox.o session/proxy.o \
               session/tls.o session/tlsfiles.o session/milter.o
# parent/: root, the request server and what it decides and starts.
PARENT_OBJS  = auth.o mbox.o parent/parent.o parent/users.o parent/aliases.o parent/expand.o \
               parent/relay.o parent/report.o parent/tty.o parent/asuser.o parent/keys.o
# helper/: what runs as the recipient, in the delivery helper the parent starts.
HELPER_OBJS  = helper/helper.o helper/maildir.o helper/mboxfile.o helper/room.o helper/forward.o \
               helper/relayclient.o
# common/: both sides (and the start-up): frames, buffers, log, addresses, options.
COMMON_OBJS  = common/addr.o common/buf.o common/frame.o common/log.o common/utf8.o common/visible.o \
               common/util.o common/peer.o common/systemd.o common/options.o common/idna.o \
               common/drop.o common/ttytext.o common/p11-kit-none.o common/dsn.o
# listen/: --listen, the listener of an Accept=no socket: root, never reads a client,
# starts this program afresh per connection.
LISTEN_OBJS  = listen/listener.o listen/sessions.o
OBJS = main.o $(SESSION_OBJS) $(PARENT_OBJS) $(HELPER_OBJS) $(LISTEN_OBJS) $(COMMON_OBJS)
SRCS = $(OBJS:.o=.c)
HDRS = $(wildcard *.h common/*.h session/*.h parent/*.h helper/*.h listen/*.h)

# Each side compiles with its own include path, so a file that includes another side's
# header does not build: common sees only itself; the session and the helper see
# common and privsep.h (the top folder); the parent sees the helper too, which it
# starts.  make layering links each side alone (below).
COMMON_INC  = -Icommon
SESSION_INC = -Isession -Icommon -I.
HELPER_INC  = -Ihelper -Icommon -I.
PARENT_INC  = -Iparent -Ihelper -Icommon -I.
LISTEN_INC  = -Ilisten -Icommon
ALL_INC     = -Isession -Iparent -Ihelper -Ilisten -Icommon -I.

.DEFAULT_GOAL := all

# The session's seccomp allow-list (sandbox-filter.h), compiled at build time with
# libseccomp into the BPF program sandbox.c loads (tools/seccomp-gen.c says why).
session/seccomp-bpf.h: tools/seccomp-gen.c session/sandbox-filter.h
	$(CC) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o tools/seccomp-gen tools/seccomp-gen.c \
		-lseccomp
	tools/seccomp-gen >$@.tmp && mv $@.tmp $@

session/sandbox.o: session/seccomp-bpf.h
SYSTEMD_CFLAGS = -DWITH_SYSTEMD=$(WITH_SYSTEMD) \
	$(if $(filter 1,$(WITH_SYSTEMD)),$(shell pkg-config --cflags libsystemd 2>/dev/null))

# make check's second phase: the same sources with AddressSanitizer and UBSan; any
# report ends the process (-fno-sanitize-recover).  Built with clang: gcc 12's UBSan
# ignores log_path when combined with ASan and writes to stderr, so a report from a
# forked delivery child could go unseen; clang's runtime writes each process's
# reports to its own file.  Its runtime is linked in statically, so it always comes
# before the cwrap preloads.  Fortify is off: its checked functions bypass ASan.
# libcrypt is linked in (without the -dev package's symlink) so that it is loaded at
# start: ASan resolves its crypt_r interceptor then, and when pam_unix brought
# libcrypt in later by dlopen, the interceptor called a null pointer.
SAN_CC     = clang
SAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all -U_FORTIFY_SOURCE
SAN_LIBS   = -Wl,--no-as-needed -l:libcrypt.so.1 -Wl,--as-needed

# make fuzz: libFuzzer harness (fuzz/harness.c) over the real dialogue, with priv.h
# served by the doubles in fuzz/priv-fake.c; smtp-session.c is compiled unchanged
# but for the name of its main.  FUZZ_SECONDS of fuzzing (CI: 60 in make check).
FUZZ_SECONDS ?= 300
FUZZ_CC     = clang
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
              -fsanitize-coverage-ignorelist=fuzz/coverage-ignore.txt \
              -fno-sanitize-recover=all -U_FORTIFY_SOURCE -DWITH_SYSTEMD=0
# The dialogue and what it uses without privilege: SASL decoding (auth.c), the
# terminal renderer (tty.c), logging; priv-fake.c stands in for priv.c and mbox.c,
# tls-fake.c for the TLS layer (tls.c), so that the states after STARTTLS are fuzzed.
FUZZ_LIB    = smtp-session.c session/envelope.c session/data.c session/spool.c session/deliver.c \
              session/trace.c session/reply.c session/loop.c session/sasl.c session/io.c \
              session/render.c session/proxy.c session/milter.c common/addr.c common/utf8.c common/visible.c common/peer.c \
              common/ttytext.c common/dsn.c \
              common/buf.c common/log.c common/util.c common/systemd.c \
              fuzz/priv-fake.c fuzz/tls-fake.c
FUZZ_SRCS   = $(FUZZ_LIB) fuzz/harness.c
# The harness serves the connection and the message's spool from memory and the
# session's clock virtually (fuzz/harness.c): no syscall per read, no real sleep.
FUZZ_WRAP   = -Wl,--wrap=read,--wrap=write,--wrap=poll,--wrap=clock_gettime,--wrap=clock_nanosleep \
              -Wl,--wrap=memfd_create,--wrap=close,--wrap=pread,--wrap=lseek,--wrap=fcntl
# No comparison tracing for the dialogue: without -use_value_profile libFuzzer keeps
# only 4- and 8-byte operands of it, which a text protocol hardly has (its words come
# from the strcmp() and memcmp() hooks and smtp.dict), yet the callbacks were a quarter
# of the time; over 60,000 executions coverage was the same without them
# (fuzz/README.md).  The parent's binary frames keep it.
FUZZ_NOCMP  = -fno-sanitize-coverage=trace-cmp
# The second harness: the privileged parent's frame reader and policy (parent.c), with
# what it runs (users.c, auth.c, mbox.c, tty.c) served by fuzz/parent-fake.c.
PARENT_FUZZ_SRCS = parent/parent.c parent/expand.c parent/aliases.c common/addr.c common/frame.c \
                   common/buf.c common/log.c common/util.c common/utf8.c common/visible.c common/systemd.c \
                   common/ttytext.c common/p11-kit-none.c common/dsn.c parent/keys.c parent/report.c \
                   fuzz/parent-fake.c \
                   fuzz/parent-harness.c

# Debian packages each target needs (tools/deps installs the missing ones as root).
# The build's own: each package with the header (or, after @, the program) that shows
# it is there, so that a plain make names what is missing before the compiler fails
# (tools/build-deps); BUILD_DEPS, and the README's line (tests/quickstart.bats checks it),
# follow from this list.
# liblockfile-dev: --mailbox mbox's dot-lock (mboxfile.c loads liblockfile.so.1 with
# dlopen, so only its header is needed to build); at run time liblockfile1 and the
# setgid dotlockfile of liblockfile-bin, which liblockfile1 depends on.
# TLS_STATIC=1 links the static libraries of GnuTLS and of what it uses: libgnutls28-dev
# ships libgnutls.a, and these the rest (the headers only show the packages are there).
TLS_STATIC_HEADERS = nettle-dev:nettle/nettle-meta.h libgmp-dev:gmp.h libtasn1-6-dev:libtasn1.h \
                     libunistring-dev:unistr.h
BUILD_HEADERS = libc6-dev:stdio.h pkg-config:@pkg-config libpam0g-dev:security/pam_appl.h \
                libsystemd-dev:systemd/sd-daemon.h libseccomp-dev:seccomp.h libidn2-dev:idn2.h \
                libgnutls28-dev:gnutls/gnutls.h liblockfile-dev:lockfile.h $(TLS_STATIC_HEADERS)
BUILD_DEPS = gcc make $(foreach h,$(BUILD_HEADERS),$(firstword $(subst :, ,$(h))))
# openssl, libnet-ssleay-perl (swaks --tls), postfix (a private instance as a TLS
# client; never started as the system's): tests/tls.bats.
# openbsd-inetd: the inetd example's test (xinetd conflicts with it; its test skips).
# systemd-container, mmdebstrap, iproute2: tests/systemd-live.bats boots the units
# under a real systemd in a container (systemd-nspawn; ss for the connections).
# haproxy: tests/proxy.bats puts a real one in front (never its system service).
# msmtp: tests/relay.bats, a relay command (--relay-command) that speaks SMTP.
# procmail (formail), liblockfile-bin (dotlockfile): tests/mbox.bats.
# procps (ps, pgrep): delivery.bats and privsep.bats find the helpers; xxd: proxy.bats.
TEST_DEPS  = bats python3 libnss-wrapper libuid-wrapper libpam-wrapper swaks ucspi-tcp strace \
             procps xxd openssl libnet-ssleay-perl postfix procmail liblockfile-bin \
             curl systemd mandoc openbsd-inetd valgrind clang libclang-rt-14-dev bc \
             systemd-container mmdebstrap iproute2 haproxy msmtp rspamd opendkim \
             opendkim-tools dnsmasq-base
RUN_DEPS   = ucspi-tcp swaks
FUZZ_DEPS  = clang libclang-rt-14-dev python3 libpam0g-dev libidn2-dev
# make bench only: smtp-source comes with postfix (installed, never started here:
# Debian's policy-rc.d stops it; bench.py warns if a postfix master is running).
BENCH_DEPS = postfix ucspi-tcp valgrind strace time python3 haproxy openssl libgnutls28-dev \
             systemd-container mmdebstrap
AFL_DEPS   = afl++ python3

PORT ?= 2525

# make install / uninstall.  DESTDIR stages the tree for a package.  SYSCONFDIR is
# /etc even under /usr/local: PAM reads its services only from /etc/pam.d.  The unit
# and sysusers directories are systemd's own (pkg-config systemd) only for PREFIX=/usr,
# a package's prefix: those (/lib/systemd/system, /usr/lib/sysusers.d on Debian 12)
# belong to dpkg.  Any other PREFIX gets $(PREFIX)/lib/systemd/system and
# $(PREFIX)/lib/sysusers.d, which systemd and systemd-sysusers also search for
# /usr/local (systemd-analyze unit-paths; systemd-sysusers reads /usr/local/lib/sysusers.d).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/smtp-session
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(or $(if $(filter /usr,$(PREFIX)),$(shell pkg-config \
		      --variable=systemdsystemunitdir systemd 2>/dev/null)),$(PREFIX)/lib/systemd/system)
SYSUSERSDIR ?= $(or $(if $(filter /usr,$(PREFIX)),$(shell pkg-config \
		   --variable=sysusersdir systemd 2>/dev/null)),$(PREFIX)/lib/sysusers.d)
UNITS    = smtp.socket smtp.service submission.socket submission.service smtps.socket \
           smtps.service lmtp.socket lmtp@.service smtp-relay.socket smtp-relay@.service
# The system user the session processes run as (privilege separation).  make install
# creates it unless DESTDIR is set (a package's postinst runs systemd-sysusers) or
# CREATE_USER=0: with $(SYSUSERS) from the sysusers.d file, or with adduser where
# that is missing.  make uninstall leaves the user: files it owned may remain.
SYSUSERS    ?= systemd-sysusers
# The session process's root directory (--privsep-dir): empty, root's.
PRIVSEP_DIR ?= /var/lib/smtp-session/empty
CREATE_USER ?= 1
EXAMPLES = inetd.conf xinetd.d/smtp tcpserver/run
# The files name the default paths; installed copies name the real ones.
SUBST = sed -e 's|/usr/local/sbin/smtp-session|$(SBINDIR)/smtp-session|g' \
	    -e 's|/usr/local/share/doc/smtp-session|$(DOCDIR)|g' \
	    -e 's|/usr/local/lib/systemd/system|$(SYSTEMDUNITDIR)|g' \
	    -e 's|/usr/local/lib/sysusers.d|$(SYSUSERSDIR)|g'

all: smtp-session

# Checked once per make run, before anything is compiled (order-only: it never makes a
# target out of date).  WITH_SYSTEMD=0 needs neither libsystemd-dev nor pkg-config.
build-deps:
	@tools/build-deps $(CC) $(filter-out $(if $(filter 1,$(TLS_STATIC)),,$(TLS_STATIC_HEADERS)),\
		$(if $(filter 1,$(WITH_SYSTEMD)),$(BUILD_HEADERS),\
		$(filter-out pkg-config:% libsystemd-dev:%,$(BUILD_HEADERS))))
$(OBJS) session/seccomp-bpf.h smtp-session-asan smtp-session-vg smtp-session-test: | build-deps

# make -s print-VARIABLE: its value (tests/quickstart.bats compares the README's
# build-by-hand line with BUILD_DEPS, and the sources' headers with BUILD_HEADERS).
print-%:
	@echo $($*)

smtp-session: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# Test builds (make check), never installed.  SANDBOX_LIGHT leaves the session's
# chroot and seccomp filter out (sandbox.c says why): the sanitizer build and the
# valgrind build, smtp-session-vg, which also leaves out the quota check at RCPT
# (NO_QUOTACTL_FD: valgrind 3.19 does not know quotactl_fd).  SMTP_TEST_HOOKS (smtp-session-test) lets the
# tests put a hostile stand-in in the session process's place and make it call a
# forbidden system call; it has the full sandbox.
smtp-session-asan: $(SRCS) $(HDRS) .with-systemd session/seccomp-bpf.h
	$(SAN_CC) $(CFLAGS) $(SAN_CFLAGS) -DSANDBOX_LIGHT $(SYSTEMD_CFLAGS) $(ALL_INC) $(LDFLAGS) \
		-o $@ $(SRCS) $(LDLIBS) $(SAN_LIBS)

smtp-session-vg: $(SRCS) $(HDRS) .with-systemd session/seccomp-bpf.h
	$(CC) $(CFLAGS) -DSANDBOX_LIGHT -DNO_QUOTACTL_FD $(SYSTEMD_CFLAGS) $(ALL_INC) $(LDFLAGS) \
		-o $@ $(SRCS) $(LDLIBS)

smtp-session-test: $(SRCS) $(HDRS) .with-systemd session/seccomp-bpf.h
	$(CC) $(CFLAGS) -DSMTP_TEST_HOOKS $(SYSTEMD_CFLAGS) $(ALL_INC) $(LDFLAGS) -o $@ $(SRCS) \
		$(LDLIBS)

# Each side's objects with its include path (above).
main.o: main.c $(HDRS)
	$(CC) $(CFLAGS) $(ALL_INC) -c -o $@ $<
$(SESSION_OBJS): %.o: %.c $(HDRS)
	$(CC) $(CFLAGS) $(SESSION_INC) -c -o $@ $<
$(PARENT_OBJS): %.o: %.c $(HDRS)
	$(CC) $(CFLAGS) $(PARENT_INC) -c -o $@ $<
$(HELPER_OBJS): %.o: %.c $(HDRS)
	$(CC) $(CFLAGS) $(HELPER_INC) -c -o $@ $<
$(LISTEN_OBJS): %.o: %.c $(HDRS)
	$(CC) $(CFLAGS) $(LISTEN_INC) -c -o $@ $<
$(filter-out common/systemd.o,$(COMMON_OBJS)): %.o: %.c $(HDRS)
	$(CC) $(CFLAGS) $(COMMON_INC) -c -o $@ $<

# systemd.o is the one object WITH_SYSTEMD changes; .with-systemd records the value it
# was built with, so that switching rebuilds it.
common/systemd.o: common/systemd.c $(HDRS) .with-systemd
	@[ "$(WITH_SYSTEMD)" != 1 ] || pkg-config --exists libsystemd || { echo \
		"libsystemd-dev is missing: install it, or build with make WITH_SYSTEMD=0" >&2; exit 1; }
	$(CC) $(CFLAGS) $(COMMON_INC) -DWITH_SYSTEMD=$(WITH_SYSTEMD) \
		$$([ "$(WITH_SYSTEMD)" != 1 ] || pkg-config --cflags libsystemd) -c -o $@ $<

# make layering: each side links alone.  The session's objects with common's, the
# helper's with common's, the parent's with the helper's (it starts the helpers) and
# common's, each with a main() that calls nothing: an object that calls into another
# side leaves a symbol undefined and the link fails, as an include across the line
# fails to compile (the include paths above).  make check runs it first.
LAYERS = session:$(subst $(eval) ,+,$(SESSION_OBJS) $(COMMON_OBJS)) \
         helper:$(subst $(eval) ,+,$(HELPER_OBJS) $(COMMON_OBJS)) \
         parent:$(subst $(eval) ,+,$(PARENT_OBJS) $(HELPER_OBJS) $(COMMON_OBJS)) \
         listen:$(subst $(eval) ,+,$(LISTEN_OBJS) $(COMMON_OBJS)) \
         common:$(subst $(eval) ,+,$(COMMON_OBJS))
# An include by path ("parent/users.h") would reach past the include paths through
# the top folder's -I.: none is allowed but in main.c, which starts both sides.
LAYERED_SRCS = $(filter-out main.c,$(SRCS)) $(filter-out ./%,$(HDRS))
layering: $(OBJS) tools/layering-main.o
	@! grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/' $(LAYERED_SRCS) || \
		{ echo "layering: an include by path reaches across the sides"; exit 1; }
	@for l in $(LAYERS); do \
		if $(CC) $(CFLAGS) $(LDFLAGS) -o tools/layering.out tools/layering-main.o \
			$$(echo "$${l#*:}" | tr + ' ') $(LDLIBS) 2>tools/layering.err; then \
			echo "layering: the $${l%%:*} side links alone"; \
		else \
			echo "layering: the $${l%%:*} side calls outside itself:"; \
			grep -E 'undefined reference' tools/layering.err | sort -u; rm -f tools/layering.*; \
			exit 1; \
		fi; \
	done; rm -f tools/layering.*
tools/layering-main.o: tools/layering-main.c
	$(CC) $(CFLAGS) -c -o $@ $<

.with-systemd: FORCE
	@echo "$(WITH_SYSTEMD)" | cmp -s - $@ || echo "$(WITH_SYSTEMD)" >$@

# TLS_STATIC changes these three objects and every link; .tls-static records the value
# they were built with, as .with-systemd does.
session/tls.o parent/keys.o common/p11-kit-none.o smtp-session smtp-session-asan \
smtp-session-vg smtp-session-test: .tls-static
.tls-static: FORCE
	@echo "$(TLS_STATIC)" | cmp -s - $@ || echo "$(TLS_STATIC)" >$@

# Each target asks tools/deps once for all it needs, so that an ordinary user is told
# every missing package in one line.
deps:
	@tools/deps $(BUILD_DEPS)

# make check: the suite plain, under ASan+UBSan, the transcripts under valgrind, and
# the fuzz harness over the seeds, then CHECK_FUZZ_SECONDS of fuzzing (CI: 60).
CHECK_FUZZ_SECONDS ?= 0
check:
	@tools/deps $(BUILD_DEPS) $(TEST_DEPS)
	@tools/privsep-user units/smtp-session.sysusers
	@[ "$$(id -u)" != 0 ] || install -d -m 755 $(PRIVSEP_DIR)
	@$(MAKE) --no-print-directory $(UNIT_BINS) $(UNIT_ASAN_BINS) all smtp-session-asan \
		smtp-session-vg smtp-session-test fuzz/smtp-fuzz fuzz/parent-fuzz
	@$(MAKE) --no-print-directory layering
	FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) UNIT_ASAN=1 tests/run

# make unit: the unit tests of the pure modules, tests/unit/test-MODULE (tests/README.md),
# as the TAP of tests/run's phase unit, which make check runs first.  Seconds, as any
# user, with gcc and make only: no root, PAM, wrappers, bats or python.  Each program
# links the product's own objects, built with the same CFLAGS; common/systemd.c is
# compiled again without libsystemd (-DWITH_SYSTEMD=0, as tests/tty.bats builds
# ttyrender), so a test never logs to the journal.  UNIT_MODS_x lists the modules
# test-x links; the tests see the session's and common's headers (render and proxy
# are the session's).
UNIT_TESTS = addr utf8 frame buf render options proxy ttytext dsn util
UNIT_BINS  = $(UNIT_TESTS:%=tests/unit/test-%)
UNIT_MODS_addr    = common/addr common/utf8
UNIT_MODS_utf8    = common/utf8
UNIT_MODS_dsn     = common/dsn common/utf8
UNIT_MODS_frame   = common/frame common/buf common/util common/log common/systemd
UNIT_MODS_buf     = common/buf common/log common/systemd
UNIT_MODS_render  = session/render common/ttytext common/utf8 common/buf common/log common/systemd
UNIT_MODS_ttytext = common/ttytext session/render common/utf8 common/buf common/log common/systemd
UNIT_MODS_options = common/options common/addr common/utf8 common/idna common/buf common/util \
                    common/log common/systemd
UNIT_MODS_proxy   = session/proxy common/peer common/util
UNIT_MODS_util    = common/util
# test-buf sees buf.c's calls of free() first, to check the wipe (test-buf.c says how).
UNIT_LDFLAGS_buf  = -Wl,--wrap=free
# test-util counts util.c's write() calls and their short results (test-util.c).
UNIT_LDFLAGS_util = -Wl,--wrap=write
UNIT_INC     = $(SESSION_INC)
UNIT_SYSTEMD = tests/unit/systemd-nosd.o

# The rule of one test program: $(1) is its module's name.
define UNIT_RULE
tests/unit/test-$(1): tests/unit/test-$(1).c tests/unit/unit.h $$(HDRS) \
		$(patsubst common/systemd.o,$(UNIT_SYSTEMD),$(UNIT_MODS_$(1):=.o))
	$$(CC) $$(CFLAGS) $$(UNIT_INC) $$(LDFLAGS) $$(UNIT_LDFLAGS_$(1)) -o $$@ $$< $$(filter %.o,$$^) \
		$$(LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_RULE,$(t))))

$(UNIT_SYSTEMD): common/systemd.c $(HDRS)
	$(CC) $(CFLAGS) $(COMMON_INC) -DWITH_SYSTEMD=0 -c -o $@ common/systemd.c

# Two jobs unless make was given its own -j: the build is most of the time.
unit:
	@$(MAKE) --no-print-directory $(if $(findstring -j,$(MAKEFLAGS)),,-j2) $(UNIT_BINS)
	@TEST_PHASES=unit tests/run

# The same programs under ASan and UBSan (SAN_CC, SAN_CFLAGS, as smtp-session-asan),
# built from the sources, tests/unit/asan/test-MODULE: make check builds them and runs
# them in the phase unit after the others (UNIT_ASAN=1); make unit-asan alone.  Not in
# make unit: clang takes longer than the whole of it.
UNIT_ASAN_BINS = $(UNIT_TESTS:%=tests/unit/asan/test-%)
define UNIT_ASAN_RULE
tests/unit/asan/test-$(1): tests/unit/test-$(1).c tests/unit/unit.h $$(HDRS) $(UNIT_MODS_$(1):=.c)
	@mkdir -p tests/unit/asan
	$$(SAN_CC) $$(CFLAGS) $$(SAN_CFLAGS) -DWITH_SYSTEMD=0 $$(UNIT_INC) $$(LDFLAGS) \
		$$(UNIT_LDFLAGS_$(1)) -o $$@ $$< $(UNIT_MODS_$(1):=.c) $$(LDLIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call UNIT_ASAN_RULE,$(t))))

unit-asan:
	@$(MAKE) --no-print-directory $(if $(findstring -j,$(MAKEFLAGS)),,-j2) $(UNIT_BINS) \
		$(UNIT_ASAN_BINS)
	@UNIT_ASAN=1 TEST_PHASES=unit tests/run

# make check-fresh (root): the quick start, make run and make check (TEST_PHASES, default
# plain), in a new minimal Debian container, as a newcomer's machine would run it
# (tools/fresh-machine; a stage of .ci/run).
check-fresh:
	@tools/fresh-machine

# A server on 127.0.0.1:$(PORT), one process per connection (tcpserver), in
# single-user mode: mail for the user running make lands in ./run/Maildir.
run:
	@tools/deps $(BUILD_DEPS) $(RUN_DEPS)
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
		$(DESTDIR)$(DOCDIR)/examples/tcpserver $(DESTDIR)$(SYSUSERSDIR)
	install -d -m 755 $(DESTDIR)$(PRIVSEP_DIR)
	install -m 755 smtp-session $(DESTDIR)$(SBINDIR)/smtp-session
	install -m 644 units/smtp-session.sysusers $(DESTDIR)$(SYSUSERSDIR)/smtp-session.conf
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
	@[ -n "$(DESTDIR)" ] || [ "$(CREATE_USER)" != 1 ] || $(MAKE) --no-print-directory install-user
	@# The units' settings (postmaster, TLS, the ticket key): on this machine only.
	@[ -n "$(DESTDIR)" ] || tools/install-config $(SYSCONFDIR)

# The system user, on this machine (never below DESTDIR); nothing if it exists.
install-user:
	@SYSUSERS=$(SYSUSERS) tools/privsep-user $(SYSUSERSDIR)/smtp-session.conf

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smtp-session $(DESTDIR)$(MANDIR)/man8/smtp-session.8
	for u in $(UNITS); do rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/smtp-session.conf
	@[ -n "$(DESTDIR)" ] || echo "the system user smtp-session stays (userdel smtp-session removes it)"
	@[ -n "$(DESTDIR)" ] || echo "$(SYSCONFDIR)/default/smtp-session and $(SYSCONFDIR)/smtp-session/ stay: your settings and keys"
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(DOCDIR)/examples/$$e; done
	rmdir $(DESTDIR)$(DOCDIR)/examples/xinetd.d $(DESTDIR)$(DOCDIR)/examples/tcpserver \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) $(DESTDIR)$(PRIVSEP_DIR) \
		$(DESTDIR)$(dir $(PRIVSEP_DIR)) 2>/dev/null || true
	@# The PAM file goes only if nobody changed it.
	@if cmp -s pam.d/smtp $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp; then \
		echo "rm -f $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp"; rm -f $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/pam.d/smtp: it was changed"; \
	fi

# make bench: smtp-session against the least handler that does the same work.
# BENCH_ARGS: e.g. --rounds 3, or --before /path/to/an/older/smtp-session.
bench:
	@tools/deps $(BUILD_DEPS) $(BENCH_DEPS)
	@tools/privsep-user units/smtp-session.sysusers
	@[ "$$(id -u)" != 0 ] || install -d -m 755 $(PRIVSEP_DIR)
	@$(MAKE) --no-print-directory all smtp-session-vg bench/baseline bench/tlsload
	@# Every part runs, whatever an earlier one found; make bench fails if any did.
	rc=0; bench/bench.py $(BENCH_ARGS) || rc=1; \
	if [ "$$(id -u)" = 0 ]; then bench/tls-bench.py || rc=1; fi; \
	if [ "$$(id -u)" = 0 ]; then bench/systemd.sh || rc=1; fi; \
	bench/milter.py || rc=1; \
	bench/scale.py || rc=1; exit $$rc

# The TLS load client of make bench (bench/tls-bench.py); GnuTLS's client side.
bench/tlsload: bench/tlsload.c
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o $@ bench/tlsload.c -lgnutls

bench/baseline: bench/baseline.c
	$(CC) -O2 -g -Wall -Wextra -Werror -o $@ bench/baseline.c

fuzz/smtp-fuzz: $(FUZZ_SRCS) $(HDRS) fuzz/coverage-ignore.txt
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_CFLAGS) $(FUZZ_NOCMP) $(ALL_INC) $(FUZZ_WRAP) \
		-o $@ $(FUZZ_SRCS) $(LDLIBS)

fuzz/parent-fuzz: $(PARENT_FUZZ_SRCS) $(HDRS) fuzz/coverage-ignore.txt
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_CFLAGS) $(ALL_INC) -Wl,--wrap=recvmsg,--wrap=sendmsg \
		-o $@ $(PARENT_FUZZ_SRCS) $(LDLIBS)

fuzz:
	@tools/deps $(BUILD_DEPS) $(FUZZ_DEPS)
	@$(MAKE) --no-print-directory fuzz/smtp-fuzz fuzz/parent-fuzz
	fuzz/run $(FUZZ_SECONDS)
	fuzz/run --parent $(FUZZ_SECONDS)

# make fuzz-campaign (not in CI): FUZZ_RUNS executions of each harness at nice 19,
# logged to fuzz/campaign.log and fuzz/campaign-parent.log, then what they found
# minimized into the checked-in corpus (fuzz/merge), to be committed.
FUZZ_RUNS ?= 10000000
fuzz-campaign:
	@tools/deps $(BUILD_DEPS) $(FUZZ_DEPS)
	@$(MAKE) --no-print-directory fuzz/smtp-fuzz fuzz/parent-fuzz
	FUZZ_LOG=fuzz/campaign.log nice -n 19 fuzz/run --runs $(FUZZ_RUNS) 0
	FUZZ_LOG=fuzz/campaign-parent.log nice -n 19 fuzz/run --parent --runs $(FUZZ_RUNS) 0
	nice -n 19 fuzz/merge
	nice -n 19 fuzz/merge --parent

# For AFL++ users (not used by CI): the same harness as make fuzz (the dialogue with
# the priv.h doubles, byte 0 the configuration), built with afl-clang-fast, whose
# -fsanitize=fuzzer runs LLVMFuzzerTestOneInput on each input AFL++ makes.
fuzz/smtp-session-afl: $(FUZZ_SRCS) $(HDRS)
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1 afl-clang-fast $(CFLAGS) $(ALL_INC) -fsanitize=fuzzer -U_FORTIFY_SOURCE \
		-DWITH_SYSTEMD=0 $(FUZZ_WRAP) -o $@ $(FUZZ_SRCS) $(LDLIBS)

fuzz-afl:
	@tools/deps $(BUILD_DEPS) $(AFL_DEPS)
	@$(MAKE) --no-print-directory fuzz/smtp-session-afl
	python3 fuzz/seeds.py fuzz/afl-in
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 afl-fuzz -V $(FUZZ_SECONDS) -i fuzz/afl-in -o fuzz/afl-out \
		-x fuzz/smtp.dict -- fuzz/smtp-session-afl

clean:
	rm -f smtp-session smtp-session-asan smtp-session-vg smtp-session-test $(OBJS) .with-systemd .tls-static \
		session/seccomp-bpf.h tools/seccomp-gen tools/layering-main.o tools/layering.* \
		bench/baseline bench/tlsload fuzz/smtp-fuzz fuzz/parent-fuzz \
		fuzz/smtp-session-afl $(UNIT_BINS) $(UNIT_SYSTEMD)
	rm -rf tests/unit/asan

FORCE:
.PHONY: all build-deps layering deps check unit unit-asan check-fresh run install install-user uninstall bench fuzz fuzz-campaign fuzz-afl clean FORCE
