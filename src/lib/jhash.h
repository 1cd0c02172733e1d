/* SPDX-License-Identifier: MIT */
/*
 * jhash2(): Bob Jenkins' lookup3 hash over 32-bit words, as the kernel's
 * <linux/jhash.h> defines it (same initial value, mix and final rounds), so
 * that a stack's hash -- and hence its bucket and the order of records on a
 * chain -- is the one Linux computes for the same words.
 *
 * Pure functions; no state, no locking.
 */
#ifndef PMM_LIB_JHASH_H
#define PMM_LIB_JHASH_H

#include <stdint.h>

#define JHASH_INITVAL 0xdeadbeefu

static inline uint32_t jhash_rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

/* One lookup3 "mix" round: reversible, every input bit affects the state. */
#define JHASH_MIX(a, b, c)                                   \
	do {                                                 \
		a -= c; a ^= jhash_rol32(c, 4);  c += b;     \
		b -= a; b ^= jhash_rol32(a, 6);  a += c;     \
		c -= b; c ^= jhash_rol32(b, 8);  b += a;     \
		a -= c; a ^= jhash_rol32(c, 16); c += b;     \
		b -= a; b ^= jhash_rol32(a, 19); a += c;     \
		c -= b; c ^= jhash_rol32(b, 4);  b += a;     \
	} while (0)

/* lookup3 "final": avalanche the last block into c. */
#define JHASH_FINAL(a, b, c)                                 \
	do {                                                 \
		c ^= b; c -= jhash_rol32(b, 14);             \
		a ^= c; a -= jhash_rol32(c, 11);             \
		b ^= a; b -= jhash_rol32(a, 25);             \
		c ^= b; c -= jhash_rol32(b, 16);             \
		a ^= c; a -= jhash_rol32(c, 4);              \
		b ^= a; b -= jhash_rol32(a, 14);             \
		c ^= b; c -= jhash_rol32(b, 24);             \
	} while (0)

/*
 * jhash2() - hash @length 32-bit words at @k with seed @initval.
 * A zero-length input returns the initial state unmixed, as lookup3 does.
 */
static inline uint32_t jhash2(const uint32_t *k, uint32_t length, uint32_t initval)
{
	uint32_t a, b, c;

	a = b = c = JHASH_INITVAL + (length << 2) + initval;
	while (length > 3) {
		a += k[0];
		b += k[1];
		c += k[2];
		JHASH_MIX(a, b, c);
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3:
		c += k[2];
		/* fall through */
	case 2:
		b += k[1];
		/* fall through */
	case 1:
		a += k[0];
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

#endif
