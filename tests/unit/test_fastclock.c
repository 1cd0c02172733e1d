// SPDX-License-Identifier: MIT
/*
 * The cheap CLOCK_MONOTONIC: never decreasing in a thread, close to
 * clock_gettime() through calibration, resampling and sleeps, in several
 * threads at once.
 */
#include "harness.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "platform/fastclock.h"

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * @n reads over at least @span_ns, each between two clock_gettime() reads:
 * none smaller than the one before, none further than @worst_ns outside
 * its window, and the median distance below @typical_ns.
 */
static void check_reads(long n, uint64_t span_ns, uint64_t worst_ns, uint64_t typical_ns,
			const char *what)
{
	static __thread uint64_t off[4096];
	uint64_t start = mono(), last = 0;
	long i = 0, k = 0;

	while (i < n || mono() - start < span_ns) {
		uint64_t lo = mono(), v = pmm_clock_fast_ns(), hi = mono(), d = 0;

		if (v < last)
			fail_msg("%s: read %ld went back: %llu after %llu", what, i,
				 (unsigned long long)v, (unsigned long long)last);
		last = v;
		if (v + worst_ns < lo || v > hi + worst_ns)
			fail_msg("%s: read %ld is %llu, outside [%llu, %llu] by more than %llu ns", what, i,
				 (unsigned long long)v, (unsigned long long)lo, (unsigned long long)hi,
				 (unsigned long long)worst_ns);
		if (v < lo)
			d = lo - v;
		else if (v > hi)
			d = v - hi;
		off[k++ % 4096] = d;
		i++;
	}
	if (k > 4096)
		k = 4096;
	qsort(off, (size_t)k, sizeof(off[0]), cmp_u64);
	if (off[k / 2] > typical_ns)
		fail_msg("%s: median distance from clock_gettime() %llu ns", what,
			 (unsigned long long)off[k / 2]);
}

static void test_reads_track_monotonic(void **state)
{
	(void)state;
	pmm_clock_fast_init();
	/* Calibration, then many one-millisecond periods. */
	check_reads(200000, 30 * 1000000ull, 2000000, 20000, "busy");
}

static void test_sleeps(void **state)
{
	(void)state;
	pmm_clock_fast_init();
	for (int i = 0; i < 20; i++) {
		uint64_t before = pmm_clock_fast_ns(), after;

		usleep(i & 1 ? 100 : 3000);
		after = pmm_clock_fast_ns();
		assert_true(after >= before + (i & 1 ? 100000 : 3000000) - 2000000);
		check_reads(1000, 0, 2000000, 50000, "after a sleep");
	}
}

static void *reader(void *arg)
{
	(void)arg;
	check_reads(50000, 10 * 1000000ull, 2000000, 20000, "thread");
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_track_monotonic),
		cmocka_unit_test(test_sleeps),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
