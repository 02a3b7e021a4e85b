/* tools/seccomp-gen.c: compiles the session's allow-list (sandbox-filter.h) with
 * libseccomp and prints it as C: the BPF program sandbox.c loads.  Run by make; the
 * output, seccomp-bpf.h, is for the machine it was built on (the program checks the
 * architecture first, as libseccomp makes it). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../session/sandbox-filter.h"

static const int allowed[] = { SANDBOX_ALLOWED };

int main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return 1;
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	/* A binary tree of the syscall numbers rather than a list of them: the kernel
	 * runs the filter for every syscall number when the session process loads it
	 * (seccomp_cache_prepare(), with interrupts off), so a list of 40 costs each
	 * session about 60 us more on the test machine (issue 23, doc/performance.md). */
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				      SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH));
	int fd = memfd_create("bpf", 0);
	if (rc == 0 && fd != -1)
		rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	off_t n = fd == -1 ? -1 : lseek(fd, 0, SEEK_END);
	if (rc != 0 || n <= 0 || n % sizeof(struct sock_filter)) {
		fprintf(stderr, "seccomp-gen: cannot compile the filter: %s\n", strerror(-rc));
		return 1;
	}
	struct sock_filter *f = malloc((size_t)n);
	if (!f || pread(fd, f, (size_t)n, 0) != n)
		return 1;
	printf("/* seccomp-bpf.h: made by tools/seccomp-gen from sandbox-filter.h; do not edit. */\n"
	       "static const struct sock_filter session_filter[] = {\n");
	for (size_t i = 0; i < (size_t)n / sizeof *f; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08x },\n", f[i].code, f[i].jt, f[i].jf, f[i].k);
	printf("};\n");
	free(f);
	return 0;
}
