/*
** le.h: unsigned integers in byte buffers, least significant byte first,
** for the binary formats relto writes itself (the audit journal, the
** SQLite store's reference lists and block counts): the same bytes on
** every machine, whatever its own byte order.
*/
#ifndef RELTO_LE_H
#define RELTO_LE_H

#include <stdint.h>

/* Write the low `bytes` bytes of v (1-8) at p. */
static inline void le_put(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Read `bytes` bytes (1-8) at p.  The widths the formats use are spelled
** out: GCC and clang turn those into one load, where the loop cost
** ~25 instructions a field (block_counts decodes thousands a page). */
static inline uint64_t le_get(const unsigned char *p, int bytes)
{
	if (bytes == 8)
		return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
		       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
	if (bytes == 4)
		return (uint64_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#endif
