/* sandbox-filter.h: the system calls the session process may make once confined
 * (sandbox.c), as the allow-list that tools/seccomp-gen.c compiles with libseccomp at
 * build time into seccomp-bpf.h.  Compiling it there, not in every session, spares each
 * session libseccomp's load and its filter compiler (about 250 us, make bench).
 *
 * One entry per line, SCMP_SYS(name) and the reason; fstat only on a descriptor (glibc's
 * fstat is newfstatat with AT_EMPTY_PATH) is added by the generator, so that no path is
 * ever looked up.  Anything else kills the process with SIGSYS. */
#define SANDBOX_ALLOWED						\
	SCMP_SYS(read), SCMP_SYS(write),	/* connection, link */	\
	SCMP_SYS(readv), SCMP_SYS(writev),	/* the loader's debug output */ \
	SCMP_SYS(pread64),			/* rendering the spool */ \
	SCMP_SYS(lseek), SCMP_SYS(ftruncate),	/* the spool */	\
	SCMP_SYS(fstat), SCMP_SYS(close), SCMP_SYS(fcntl),	/* seals, flags */ \
	SCMP_SYS(poll), SCMP_SYS(ppoll),	/* deadlines */		\
	SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),	/* frames, the spool fd */ \
	SCMP_SYS(sendto), SCMP_SYS(recvfrom),	/* send() to the client */ \
	SCMP_SYS(getpeername), SCMP_SYS(getsockname),		\
	SCMP_SYS(memfd_create),			/* a spool per message */ \
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),	/* malloc */ \
	SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(mprotect),	\
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), \
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),	/* --auth-delay */ \
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time), \
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),	\
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(restart_syscall), \
	SCMP_SYS(exit), SCMP_SYS(exit_group)
