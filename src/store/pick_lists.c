/*
** pick_lists.c: the rows' map's seq lists (pick_int.h): the rows of each
** (collection, marking set) and of each (collection, submitter), in seq
** order, so that a partner that may receive few sets walks only their
** rows (pick_sqlite.c, the listed walk), and the rows of the sets it may
** not receive are counted for the audit trail without being read (a
** binary search and a bit count a set, seq_list_count).
**
** Why: a partner that receives ~1% of a collection had its sets walked
** in SQL (objects_sets) and the rows its page spans counted from
** block_counts: ~2.1 times an unfiltered page, where reading its 100
** scattered rows costs ~1.2 times (docs/BENCHMARKS.md).  The map's walk of
** every seq costs ~15 instructions a row passed over: as much, for a page
** that spans 11,000 rows.
**
** A list is kept in segments that never move (16, 32, 64 ... entries,
** the k-th of 16 << k), so a walk reads the positions it was given under
** the lock (seq_list_find: the list and its length then) without one,
** while the map's owner appends.  Beside each entry of a set's list, its
** row's is_first and is_last bits (two words per 64 entries, atomic: the
** flags are updated in place, seq_list_flags).
*/
#include <stdlib.h>
#include <string.h>
#include "pick_int.h"

#define SEG0_BITS 4
#define SEGS 29 /* 16 * (2^29 - 1) entries: every seq the map holds */

struct seq_list {
	uint32_t *seqs[SEGS];
	_Atomic uint64_t *bits[SEGS]; /* set lists: per 64 entries, is_first's word then is_last's */
	size_t n;
	uint64_t key;
	struct seq_list *next_set; /* the collection's next set list (seq_list_sets) */
};

/* Where position pos is: its segment, and its place there. */
static inline unsigned seg_of(size_t pos, size_t *off)
{
	size_t q = (pos >> SEG0_BITS) + 1;
	unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)q);
	*off = pos - (((size_t)1 << (k + SEG0_BITS)) - ((size_t)1 << SEG0_BITS));
	return k;
}

static size_t seg_size(unsigned k)
{
	return (size_t)1 << (k + SEG0_BITS);
}

static size_t seg_words(unsigned k)
{
	return (seg_size(k) + 63) / 64;
}

uint32_t seq_list_at(const struct seq_list *l, size_t pos)
{
	size_t off;
	unsigned k = seg_of(pos, &off);
	return l->seqs[k][off];
}

static uint64_t list_key(int64_t coll, int kind, int64_t value)
{
	return (uint64_t)coll << 34 | (uint64_t)kind << 32 | (uint64_t)value; /* value < 2^32, kind < 4 */
}

static size_t key_hash(uint64_t key, size_t nslots)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (nslots - 1);
}

const struct seq_list *seq_list_find(const struct seq_lists *s, int64_t coll, int kind, int64_t value, size_t *n)
{
	*n = 0;
	if (!s->nslots)
		return NULL;
	uint64_t key = list_key(coll, kind, value);
	for (size_t i = key_hash(key, s->nslots);; i = (i + 1) & (s->nslots - 1)) {
		struct seq_list *l = s->slots[i];
		if (!l)
			return NULL;
		if (l->key == key) {
			*n = l->n;
			return l;
		}
	}
}

const struct seq_list *seq_list_sets(const struct seq_lists *s, int64_t coll, size_t *n)
{
	size_t ignored;
	const struct seq_list *head = seq_list_find(s, coll, SEQ_LIST_COLL, 0, &ignored);
	const struct seq_list *first = head ? head->next_set : NULL;
	*n = first ? first->n : 0;
	return first;
}

const struct seq_list *seq_list_next(const struct seq_list *l, size_t *n)
{
	const struct seq_list *next = l->next_set;
	*n = next ? next->n : 0;
	return next;
}

int64_t seq_list_value(const struct seq_list *l)
{
	return (int64_t)(l->key & 0xffffffffu);
}

/* The list of key, made (empty, *made set) when there is none: NULL when
** out of memory. */
static struct seq_list *list_get(struct seq_lists *s, uint64_t key, int *made)
{
	*made = 0;
	if (2 * (s->n + 1) > s->nslots) {
		size_t nslots = s->nslots ? 2 * s->nslots : 64;
		struct seq_list **slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return NULL;
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i]) {
				size_t j = key_hash(s->slots[i]->key, nslots);
				while (slots[j])
					j = (j + 1) & (nslots - 1);
				slots[j] = s->slots[i];
			}
		free(s->slots);
		s->slots = slots;
		s->nslots = nslots;
	}
	size_t i = key_hash(key, s->nslots);
	while (s->slots[i] && s->slots[i]->key != key)
		i = (i + 1) & (s->nslots - 1);
	if (!s->slots[i]) {
		struct seq_list *l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->key = key;
		s->slots[i] = l;
		s->n++;
		s->memory += sizeof(*l);
		*made = 1;
	}
	return s->slots[i];
}

/* Append seq to l (with the flags of entry e when `flagged`).  0, or -1
** when out of memory. */
static int list_append(struct seq_lists *s, struct seq_list *l, int64_t seq, uint64_t e, int flagged)
{
	size_t off;
	unsigned k = seg_of(l->n, &off);
	if (k >= SEGS)
		return -1;
	if (!l->seqs[k]) {
		if (!(l->seqs[k] = malloc(seg_size(k) * sizeof(uint32_t))))
			return -1;
		s->memory += seg_size(k) * sizeof(uint32_t);
	}
	if (flagged && !l->bits[k]) {
		if (!(l->bits[k] = calloc(2 * seg_words(k), sizeof(uint64_t))))
			return -1;
		s->memory += 2 * seg_words(k) * sizeof(uint64_t);
	}
	l->seqs[k][off] = (uint32_t)seq;
	if (flagged) {
		uint64_t bit = (uint64_t)1 << (off % 64);
		if (E_FIRST(e))
			atomic_fetch_or_explicit(&l->bits[k][2 * (off / 64)], bit, memory_order_relaxed);
		if (E_LAST(e))
			atomic_fetch_or_explicit(&l->bits[k][2 * (off / 64) + 1], bit, memory_order_relaxed);
	}
	l->n++;
	return 0;
}

int seq_lists_add(struct pick_map *m, int64_t from, int64_t to)
{
	struct seq_lists *s = &m->seq_lists;
	/* The lists of the row before: rows come in runs of one set and
	** one submitter. */
	struct seq_list *set_list = NULL, *who_list = NULL;
	for (int64_t seq = from < 1 ? 1 : from; seq <= to; seq++) {
		uint64_t e = map_get(m, seq);
		if (!E_COLL(e))
			continue;
		int64_t coll = (int64_t)E_COLL(e);
		uint64_t set_key = list_key(coll, SEQ_LIST_SET, E_SET(e)), who_key = list_key(coll, SEQ_LIST_WHO, E_WHO(e));
		int made = 0;
		if (!set_list || set_list->key != set_key) {
			if (!(set_list = list_get(s, set_key, &made)))
				return -1;
			if (made) {
				/* A set new to the collection: first in its chain. */
				int ignored;
				struct seq_list *head = list_get(s, list_key(coll, SEQ_LIST_COLL, 0), &ignored);
				if (!head)
					return -1;
				set_list->next_set = head->next_set;
				head->next_set = set_list;
			}
		}
		if ((!who_list || who_list->key != who_key) && !(who_list = list_get(s, who_key, &made)))
			return -1;
		if (list_append(s, set_list, seq, e, 1) || list_append(s, who_list, seq, e, 0))
			return -1;
	}
	return 0;
}

size_t seq_list_lower(const struct seq_list *l, size_t n, int64_t seq)
{
	/* A page from the start, or to the end: no search. */
	if (n == 0 || (int64_t)seq_list_at(l, 0) >= seq)
		return 0;
	if ((int64_t)seq_list_at(l, n - 1) < seq)
		return n;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((int64_t)seq_list_at(l, mid) < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void seq_list_flags(struct pick_map *m, int64_t seq, uint64_t e)
{
	size_t n;
	const struct seq_list *l = seq_list_find(&m->seq_lists, (int64_t)E_COLL(e), SEQ_LIST_SET, E_SET(e), &n);
	size_t pos = l ? seq_list_lower(l, n, seq) : n;
	if (!l || pos == n || seq_list_at(l, pos) != (uint32_t)seq)
		return; /* not listed yet: its flags are read when it is */
	size_t off;
	unsigned k = seg_of(pos, &off);
	uint64_t bit = (uint64_t)1 << (off % 64);
	_Atomic uint64_t *w = &l->bits[k][2 * (off / 64)];
	if (E_FIRST(e))
		atomic_fetch_or_explicit(&w[0], bit, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&w[0], ~bit, memory_order_relaxed);
	if (E_LAST(e))
		atomic_fetch_or_explicit(&w[1], bit, memory_order_relaxed);
	else
		atomic_fetch_and_explicit(&w[1], ~bit, memory_order_relaxed);
}

size_t seq_list_count(const struct seq_list *l, size_t i, size_t j, int pick)
{
	if (pick == 0)
		return j > i ? j - i : 0;
	if (pick == -2)
		return 0;
	size_t n = 0;
	while (i < j) {
		size_t a;
		unsigned k = seg_of(i, &a);
		size_t b = a + (j - i) < seg_size(k) ? a + (j - i) : seg_size(k); /* the segment's part: a .. b-1 */
		const _Atomic uint64_t *bits = l->bits[k];
		for (size_t w = a / 64; w <= (b - 1) / 64; w++) {
			unsigned lo = w == a / 64 ? (unsigned)(a % 64) : 0;
			unsigned hi = w == (b - 1) / 64 ? (unsigned)((b - 1) % 64) + 1 : 64;
			uint64_t mask = (hi == 64 ? ~(uint64_t)0 : ((uint64_t)1 << hi) - 1) & ~(((uint64_t)1 << lo) - 1);
			uint64_t first = atomic_load_explicit(&bits[2 * w], memory_order_relaxed);
			uint64_t last = atomic_load_explicit(&bits[2 * w + 1], memory_order_relaxed);
			uint64_t word = pick == 1 ? first : pick == 2 ? last : first | last;
			n += (size_t)__builtin_popcountll(word & mask);
		}
		i += b - a;
	}
	return n;
}

void seq_lists_free(struct seq_lists *s)
{
	for (size_t i = 0; i < s->nslots; i++) {
		struct seq_list *l = s->slots[i];
		for (unsigned k = 0; l && k < SEGS; k++) {
			free(l->seqs[k]);
			free((void *)l->bits[k]);
		}
		free(l);
	}
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

size_t seq_lists_memory(const struct seq_lists *s)
{
	return s->memory + s->nslots * sizeof(*s->slots);
}
