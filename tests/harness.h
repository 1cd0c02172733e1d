/* SPDX-License-Identifier: MIT */
/*
 * Test harness shared by every pmm test: cmocka, plus helpers to find the
 * real kernel captures in ../shared and to build machines.
 *
 * Tests that need ../shared call pmm_test_shared(); when the directory is
 * absent it prints a visible "SKIP:" line and skips the test, unless
 * PMM_REQUIRE_SHARED_DATA=1, in which case the test fails.
 */
#ifndef PMM_TEST_HARNESS_H
#define PMM_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/*
 * pmm_test_shared() - path of a file under ../shared/data/linux-6.1.
 * Returns a malloc'd path when it exists.  Otherwise skips the current test
 * (printing SKIP) or fails it when PMM_REQUIRE_SHARED_DATA=1; does not return
 * in that case.
 */
char *pmm_test_shared(const char *rel);

/* Path below the source tree (malloc'd). */
char *pmm_test_source_path(const char *rel);

/*
 * pmm_test_read_file() - whole file into memory, NUL-terminated; .xz and
 * .zst files are decompressed.  Fails the test on error.
 */
char *pmm_test_read_file(const char *path, size_t *len);

/*
 * pmm_test_write_tmp() - a new file "tmp-XXXXXX-@name" in the build
 * directory (unique, so parallel runs do not meet) holding @len bytes at
 * @data.
 * Returns its malloc'd path; the caller unlinks and frees it.  Fails the
 * test on error.
 */
char *pmm_test_write_tmp(const char *name, const void *data, size_t len);

/* Compare two texts; on mismatch print the first differing line of each. */
void pmm_test_assert_text_eq(const char *what, const char *expected, size_t elen,
			     const char *actual, size_t alen);

#endif

#include <pmm/pmm.h>

/* A log sink that collects a machine's messages (boot log, reports). */
struct pmm_test_log {
	char *buf;
	size_t len, cap;
	int echo; /* also print to stderr */
};
void pmm_test_log_sink(void *ctx, int level, const char *msg);
void pmm_test_log_reset(struct pmm_test_log *log);
/* True if the log contains @needle. */
int pmm_test_log_has(const struct pmm_test_log *log, const char *needle);
/*
 * pmm_test_log_has_kernel_lines() - every line of the kernel boot log at
 * @dmesg_path (".xz" read through pmm_test_read_file()) whose message after
 * its "[ seconds] " stamp starts with one of @prefixes[0..@n) appears, as a
 * whole line, in @log; fails the test naming the first that does not.
 * Returns how many lines were checked.
 */
/* pmm_test_vmstat() - the value of @m's /proc/vmstat line @name, read as a user would; fails without it. */
unsigned long pmm_test_vmstat(struct pmm *m, const char *name);
int pmm_test_log_has_kernel_lines(const struct pmm_test_log *log, const char *dmesg_path,
				  const char *const *prefixes, size_t n);

/*
 * pmm_test_machine() - boot a machine from config text on top of the
 * default config, with its log going to @log (may be NULL: discarded).
 * Fails the test if the config does not parse or the machine does not boot.
 */
struct pmm *pmm_test_machine(const char *text, struct pmm_test_log *log);
/* pmm_test_machine() on platform @plat (NULL: the default one). */
struct pmm *pmm_test_machine_on(const char *text, const struct pmm_platform *plat,
				struct pmm_test_log *log);

/*
 * pmm_test_run_child() - run @fn(@arg) in a forked child whose stderr goes
 * to @out (NUL-terminated, at most @outlen - 1 bytes); the child exits 0 if
 * @fn returns.  Returns the child's wait status.
 */
int pmm_test_run_child(void (*fn)(void *arg), void *arg, char *out, size_t outlen);

/* Open file descriptors of this process (to check nothing leaked one). */
int pmm_test_count_fds(void);

/* Bytes of [addr, addr + len) resident in host memory, from mincore(); any alignment. */
size_t pmm_test_resident_bytes(const void *addr, size_t len);

/*
 * pmm_test_expect_refused() - pmm_create() on @c (its platform and log are
 * replaced) must fail with -PMM_EINVAL, no machine, a log containing
 * @message, and no platform resource or file descriptor left behind.
 */
void pmm_test_expect_refused(struct pmm_config *c, const char *message);

/*
 * pmm_test_boot_sweep() - boot @text (config text) on the faulty platform
 * failing its N-th reservation, commit or allocation, for N = 1, 2, ...
 * until a boot meets no failure.  Each boot must fail cleanly (error, no
 * machine) or survive the failure, and leave no platform resource and no
 * file descriptor behind.  @check (may be NULL) runs on the machine of the
 * boot that met no failure.  Prints "boot fault sweep: @text: N fault
 * points, 0 leaks" and returns N.
 */
unsigned long pmm_test_boot_sweep(const char *text, void (*check)(struct pmm *m));

/* Assert pmm_validate() is clean, printing the violation otherwise. */
#define assert_machine_valid(m)                                                \
	do {                                                                   \
		char vbuf_[512];                                               \
		int vr_ = pmm_validate((m), vbuf_, sizeof(vbuf_));             \
		if (vr_)                                                       \
			fail_msg("pmm_validate: %s", vbuf_);                   \
	} while (0)
