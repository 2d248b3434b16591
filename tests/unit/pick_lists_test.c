/*
** pick_lists_test.c: the rows' map's lists of rows by set and by
** submitter (src/store/pick_lists.c), against a brute force over the
** same entries: enough rows that lists cross their segments (16, 32,
** 64 ... entries) and their flag words (64 entries), added in two parts
** as a map is brought up to date, flags changed in place after; each
** list's rows, the first position at or after a seq, and the count of
** the versions asked for in a range of positions, every way.
*/
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "store/pick_int.h"

enum { ROWS = 100000, COLLS = 3, SETS = 5, WHOS = 3 };

/* A map with only what the lists read: the entries. */
static struct pick_map *map_of_entries(void)
{
	struct pick_map *m = calloc(1, sizeof(*m));
	if (m && !(m->chunks = calloc(CHUNKS, sizeof(*m->chunks)))) {
		free(m);
		m = NULL;
	}
	return m;
}

static void map_done(struct pick_map *m)
{
	seq_lists_free(&m->seq_lists);
	for (size_t i = 0; i < CHUNKS; i++)
		free((void *)m->chunks[i]);
	free(m->chunks);
	free(m);
}

static int put(struct pick_map *m, int64_t seq, uint64_t e)
{
	_Atomic uint64_t **ch = &m->chunks[seq >> CHUNK_BITS];
	if (!*ch && !(*ch = calloc((size_t)CHUNK, sizeof(**ch))))
		return -1;
	atomic_store(&(*ch)[seq & (CHUNK - 1)], e);
	return 0;
}

static uint64_t entry(int64_t coll, int who, int first, int last, int64_t set)
{
	return (uint64_t)coll << 48 | (uint64_t)who << 34 | (uint64_t)first << 33 | (uint64_t)last << 32 | (uint64_t)set;
}

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* The rows of (coll, kind, value) by brute force, into out: how many. */
static size_t brute(const struct pick_map *m, int64_t max, int64_t coll, int kind, int64_t value, uint32_t *out)
{
	size_t n = 0;
	for (int64_t seq = 1; seq <= max; seq++) {
		uint64_t e = map_get(m, seq);
		if (E_COLL(e) == (uint64_t)coll && (kind == SEQ_LIST_SET ? E_SET(e) == value : E_WHO(e) == value))
			out[n++] = (uint32_t)seq;
	}
	return n;
}

/* Every list of m (rows 1 .. max) agrees with the brute force: its rows,
** seq_list_lower, seq_list_count; each collection's chain names its sets
** once each.  0 when it does. */
static int lists_agree(const struct pick_map *m, int64_t max, unsigned *seed)
{
	uint32_t *want = malloc((size_t)ROWS * sizeof(*want));
	int bad = !want;
	for (int64_t coll = 1; coll <= COLLS && !bad; coll++) {
		int chained[SETS] = {0};
		size_t n;
		for (const struct seq_list *l = seq_list_sets(&m->seq_lists, coll, &n); l; l = seq_list_next(l, &n)) {
			int64_t set = seq_list_value(l);
			bad |= set < 0 || set >= SETS || chained[set]++;
		}
		for (int kind = SEQ_LIST_SET; kind <= SEQ_LIST_WHO && !bad; kind++)
			for (int64_t v = 0; v < (kind == SEQ_LIST_SET ? SETS : WHOS) && !bad; v++) {
				size_t nwant = brute(m, max, coll, kind, v, want);
				const struct seq_list *l = seq_list_find(&m->seq_lists, coll, kind, v, &n);
				if (kind == SEQ_LIST_SET && v < SETS)
					bad |= (nwant > 0) != (chained[v] == 1);
				if (!l) {
					bad |= nwant != 0;
					continue;
				}
				bad |= n != nwant || seq_list_value(l) != v;
				for (size_t i = 0; i < n && !bad; i++)
					bad |= seq_list_at(l, i) != want[i];
				for (int k = 0; k < 200 && !bad; k++) {
					int64_t seq = (int64_t)(rnd(seed) % (unsigned)(max + 2));
					size_t pos = 0;
					while (pos < n && want[pos] < seq)
						pos++;
					bad |= seq_list_lower(l, n, seq) != pos;
				}
				for (int k = 0; kind == SEQ_LIST_SET && k < 200 && !bad; k++) {
					size_t i = n ? rnd(seed) % n : 0, j = i + (n - i ? rnd(seed) % (n - i + 1) : 0);
					if (k % 4 == 0)
						j = n; /* to the end, a whole list */
					static const int picks[] = {0, 1, 2, -1, -2};
					int pick = picks[k % 5];
					size_t count = 0;
					for (size_t p = i; p < j; p++)
						count += (size_t)wanted(pick, map_get(m, want[p]));
					bad |= seq_list_count(l, i, j, pick) != count;
				}
			}
	}
	free(want);
	return bad;
}

static void test_lists_agree(void)
{
	struct pick_map *m = map_of_entries();
	CHECK(m != NULL);
	if (!m)
		return;
	unsigned seed = 7;
	int ok = 1;
	/* Rows of set 0 are most (long lists), set 4 rare; some seqs have no
	** row (deleted, or never used). */
	for (int64_t seq = 1; seq <= ROWS && ok; seq++) {
		if (rnd(&seed) % 10 == 0)
			continue;
		unsigned r = rnd(&seed) % 100;
		int64_t set = r < 60 ? 0 : r < 85 ? 1 : r < 95 ? 2 : r < 99 ? 3 : 4;
		ok = put(m, seq, entry(1 + rnd(&seed) % COLLS, (int)(rnd(&seed) % WHOS), rnd(&seed) % 2, rnd(&seed) % 2,
		                       set)) == 0;
	}
	/* In two parts, as a map read whole and then brought up to date. */
	ok = ok && seq_lists_add(m, 1, ROWS / 2 + 7) == 0 && lists_agree(m, ROWS / 2 + 7, &seed) == 0;
	ok = ok && seq_lists_add(m, ROWS / 2 + 8, ROWS) == 0 && lists_agree(m, ROWS, &seed) == 0;
	/* Flags changed in place (a later version clears is_last; a delete's
	** read sets them anew): the lists' bits follow. */
	for (int k = 0; k < 5000 && ok; k++) {
		int64_t seq = 1 + rnd(&seed) % ROWS;
		uint64_t e = map_get(m, seq);
		if (!E_COLL(e))
			continue;
		e = (e & ~FLAGS) | (uint64_t)(rnd(&seed) % 2) << 33 | (uint64_t)(rnd(&seed) % 2) << 32;
		atomic_store(&m->chunks[seq >> CHUNK_BITS][seq & (CHUNK - 1)], e);
		seq_list_flags(m, seq, e);
	}
	ok = ok && lists_agree(m, ROWS, &seed) == 0;
	ok = ok && seq_lists_memory(&m->seq_lists) > (size_t)ROWS * 8;
	map_done(m);
	CHECK(ok);
}

/* A map without rows has no lists; a collection without rows, no chain. */
static void test_lists_empty(void)
{
	struct pick_map *m = map_of_entries();
	CHECK(m != NULL);
	if (!m)
		return;
	size_t n = 1;
	CHECK(seq_list_find(&m->seq_lists, 1, SEQ_LIST_SET, 0, &n) == NULL && n == 0);
	CHECK(seq_lists_add(m, 1, 100) == 0);
	CHECK(seq_list_sets(&m->seq_lists, 1, &n) == NULL && n == 0);
	CHECK(put(m, 3, entry(2, 1, 1, 1, 9)) == 0 && seq_lists_add(m, 101, 101) == 0);
	CHECK(seq_list_find(&m->seq_lists, 2, SEQ_LIST_SET, 9, &n) == NULL);
	map_done(m);
}

int main(void)
{
	RUN(test_lists_agree);
	RUN(test_lists_empty);
	return TEST_DONE();
}
