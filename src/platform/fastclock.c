// SPDX-License-Identifier: MIT
/*
 * The cheap CLOCK_MONOTONIC; see fastclock.h for the contract.
 *
 * Rate: the first sample taken once the counter is known usable is noted;
 * the first one at least CALIBRATE_NS later gives the counter's period,
 * ns per tick in 32.32 fixed point (rate_mult), and the ticks in RESYNC_NS
 * (rate_limit).  Until then every read is a sample.
 *
 * Per thread: a base (tsc, ns), a scale and a limit.  A read with
 * d = tsc - base_tsc below the limit is base_ns + (d * mult >> 32); the
 * product stays below RESYNC_NS << 32 < 2^52.  Any other read (the limit is
 * up, the thread's first read, or a counter that went back: d wraps) takes
 * a sample.  The new base is the later of the sample and the most the
 * thread may have returned (base_ns + limit * mult >> 32), so a thread's
 * values never decrease.  When that was ahead of the sample by a, the next
 * millisecond's scale is (RESYNC_NS - a) / limit, to meet CLOCK_MONOTONIC
 * again at its end; when behind, the base simply moves up to the sample.
 *
 * Usable: x86-64 with an invariant TSC (CPUID 0x80000007 EDX bit 8) whose
 * kernel reads CLOCK_MONOTONIC from it (clocksource tsc or kvm-clock).
 */
#include "platform/fastclock.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#define RESYNC_NS 1000000ull
#define CALIBRATE_NS 1000000ull

__thread struct fast_clock_thread fast_clock_thread;

static int usable;               /* 0 not decided, 1 the counter, -1 samples only; atomic */
static int cal_state;            /* 0 none, 1 being noted, 2 cal_tsc/cal_ns set; atomic */
static uint64_t cal_tsc, cal_ns, cal_err; /* written once, before cal_state becomes 2 */
static uint64_t rate_mult;       /* 0 until measured; atomic, published after rate_limit */
static uint64_t rate_limit;      /* atomic */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t read_tsc(void)
{
	return __rdtsc();
}

static bool counter_usable(void)
{
	unsigned a, b, c, d;
	char name[32] = "";
	FILE *f;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	if (!(d & (1u << 8)))
		return false;
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (!f)
		return false;
	if (!fgets(name, sizeof(name), f))
		name[0] = '\0';
	fclose(f);
	return !strcmp(name, "tsc\n") || !strcmp(name, "kvm-clock\n");
}
#else
static inline uint64_t read_tsc(void)
{
	return 0;
}

static bool counter_usable(void)
{
	return false;
}
#endif

void pmm_clock_fast_init(void)
{
	if (!__atomic_load_n(&usable, __ATOMIC_ACQUIRE))
		__atomic_store_n(&usable, counter_usable() ? 1 : -1, __ATOMIC_RELEASE);
}

/*
 * CLOCK_MONOTONIC, and *@tsc the counter at the same instant: read on both
 * sides, the tighter of a few tries (a preemption in the middle widens the
 * window); *@err is half the window, in ticks.
 */
static uint64_t sample(uint64_t *tsc, uint64_t *err)
{
	uint64_t best = UINT64_MAX, ns = 0;

	*tsc = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t t0 = read_tsc(), n = mono_ns(), t1 = read_tsc();

		if (t1 - t0 < best) {
			best = t1 - t0;
			ns = n;
			*tsc = t0 + best / 2;
		}
		if (best < 4096)
			break;
	}
	*err = best / 2 + 1;
	return ns;
}

/*
 * Note the first sample; measure the rate from a later one once the two are
 * CALIBRATE_NS apart and their windows make at most a 1000th of the span.
 */
static void measure(uint64_t tsc, uint64_t ns, uint64_t err)
{
	int state = __atomic_load_n(&cal_state, __ATOMIC_ACQUIRE);
	uint64_t mult, limit;

	if (state == 0) {
		if (__atomic_compare_exchange_n(&cal_state, &state, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			cal_tsc = tsc;
			cal_ns = ns;
			cal_err = err;
			__atomic_store_n(&cal_state, 2, __ATOMIC_RELEASE);
		}
		return;
	}
	if (state != 2 || ns - cal_ns < CALIBRATE_NS || tsc <= cal_tsc ||
	    (cal_err + err) * 1000 > tsc - cal_tsc)
		return;
	mult = (uint64_t)(((unsigned __int128)(ns - cal_ns) << 32) / (tsc - cal_tsc));
	if (!mult)
		mult = 1;
	limit = (RESYNC_NS << 32) / mult;
	if (!limit)
		limit = 1;
	/* Several threads may get here: their figures agree to the sampling jitter. */
	__atomic_store_n(&rate_limit, limit, __ATOMIC_RELAXED);
	__atomic_store_n(&rate_mult, mult, __ATOMIC_RELEASE);
}

/* pmm_clock_fast_ns() when the thread needs a sample (or the counter is not used). */
uint64_t fast_clock_sample(struct fast_clock_thread *t)
{
	uint64_t tsc, ns, err, mult, limit, reached, base;

	if (__builtin_expect(!__atomic_load_n(&usable, __ATOMIC_ACQUIRE), 0))
		pmm_clock_fast_init();
	if (__atomic_load_n(&usable, __ATOMIC_RELAXED) < 0)
		return mono_ns();
	ns = sample(&tsc, &err);
	mult = __atomic_load_n(&rate_mult, __ATOMIC_ACQUIRE);
	if (!mult) {
		measure(tsc, ns, err);
		return ns;
	}
	limit = __atomic_load_n(&rate_limit, __ATOMIC_RELAXED);
	base = ns;
	t->mult = mult;
	if (t->limit) {
		reached = t->base_ns + (t->limit * t->mult >> 32);
		if (reached > ns) {
			uint64_t ahead = reached - ns;

			base = reached;
			t->mult = ahead < RESYNC_NS / 2 ? ((RESYNC_NS - ahead) << 32) / limit : mult / 2;
			if (!t->mult)
				t->mult = 1;
		}
	}
	t->base_tsc = tsc;
	t->base_ns = base;
	t->limit = limit;
	return base;
}
