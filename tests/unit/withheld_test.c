/*
** withheld_test.c: the withheld counts a store query gives the audit
** trail (struct store_withheld, src/store/store.h): the
** STORE_WITHHELD_SETS lowest-numbered sets kept in set order, the rest
** under `other`, whatever order the counts come in.  How queries count
** rows into them is tested in store_test.c and walks_test.c.
*/
#include <stdint.h>
#include "test.h"
#include "store/store.h"

/* store_withheld_add keeps the STORE_WITHHELD_SETS lowest-numbered sets
** in set order, the rest under `other`, whatever order the counts come
** in: 48 sets, each counted three times, in a shuffled order. */
static void test_withheld_add(void)
{
	enum { SETS = 48, TIMES = 3 };
	int64_t order[SETS * TIMES];
	for (int i = 0; i < SETS * TIMES; i++)
		order[i] = 100 + 7 * (i % SETS); /* set numbers 100, 107, ... */
	unsigned seed = 5;
	for (int i = SETS * TIMES - 1; i > 0; i--) {
		seed = seed * 1103515245u + 12345u;
		int j = (int)((seed >> 16) % (unsigned)(i + 1));
		int64_t x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	struct store_withheld w = {0};
	for (int i = 0; i < SETS * TIMES; i++)
		store_withheld_add(&w, order[i], order[i] % 5 + 1);
	int ok = w.n == STORE_WITHHELD_SETS;
	int64_t other = 0;
	for (int k = 0; k < SETS; k++) {
		int64_t set = 100 + 7 * k;
		if (k < STORE_WITHHELD_SETS)
			ok = ok && w.by_set[k].set == set && w.by_set[k].count == TIMES * (set % 5 + 1);
		else
			other += TIMES * (set % 5 + 1);
	}
	CHECK(ok && w.other == other);
}

/* A set counted again adds to its count; a set below every kept one,
** when they are full, pushes the highest out to `other`. */
static void test_withheld_add_full(void)
{
	struct store_withheld w = {0};
	for (int64_t set = 10; set < 10 + STORE_WITHHELD_SETS; set++)
		store_withheld_add(&w, set, 1);
	store_withheld_add(&w, 10, 4);
	CHECK(w.n == STORE_WITHHELD_SETS && w.by_set[0].count == 5 && w.other == 0);
	store_withheld_add(&w, 3, 2);
	CHECK(w.n == STORE_WITHHELD_SETS && w.by_set[0].set == 3 && w.by_set[0].count == 2 && w.by_set[1].set == 10);
	CHECK(w.by_set[STORE_WITHHELD_SETS - 1].set == 10 + STORE_WITHHELD_SETS - 2 && w.other == 1);
	store_withheld_add(&w, 1000, 7);
	CHECK(w.other == 8);
}

int main(void)
{
	RUN(test_withheld_add);
	RUN(test_withheld_add_full);
	return TEST_DONE();
}
