/*
** hash.h: a fast hash of bytes for in-memory tables (which slot to look
** in), eight bytes a step.  Not keyed and not for anything an attacker
** could turn into a wrong answer: a table that uses it compares its keys
** whole, so a collision costs a probe or a cache miss, never a mix-up.
** A table whose keys others choose starts it from a random seed of its
** own (refs_sqlite.c), so that they cannot aim keys at one slot; the
** rows' map, which holds every object, uses SipHash (pick_refs.c).
*/
#ifndef RELTO_HASH_H
#define RELTO_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The hash of n bytes at p, from seed. */
static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = seed ^ n, w;
	for (; n >= 8; n -= 8, b += 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, b, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 29);
}

#endif
