/*
** bench/map_read.c: how long a whole read of the rows' map takes
** (src/store/pick_sqlite.c), the work the loader thread does after a
** start and after every delete, on an existing SQLite store.
**
** Each round opens the store anew (a new handle has no map) and asks
** for a partner's objects page of 100 twice, every marking set released
** so that the page picks its rows from the map: the first page reads
** the map whole in its own walk (sq_picks_inline, as the tests run it,
** instead of on the loader thread), the second finds it read.  Prints
** both times per round; the first's excess is the read; and the bytes
** the map has allocated (sq_picks_memory).  The store's schema is
** upgraded if older (as `relto serve` would).
**
** `make bench` builds it; `build/bench/map_read DATABASE [COLLECTION
** [ROUNDS]]` runs it (COLLECTION: a collection's id, by default the one
** `build/bench/gen hub` configures; ROUNDS: 5).
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "store/sqlite_int.h"
#include "store/store.h"

#define MAX_SETS 4096

struct sets {
	int64_t num[MAX_SETS];
	size_t n;
};

static enum relto_err add_set(void *ctx, int64_t num, const char *canon)
{
	(void)canon;
	struct sets *s = ctx;
	if (s->n < MAX_SETS)
		s->num[s->n++] = num;
	return RELTO_OK;
}

static enum relto_err count_row(void *ctx, const struct store_row *row)
{
	(void)row;
	(*(size_t *)ctx)++;
	return RELTO_OK;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

_Noreturn static void die(const char *what, const char *err)
{
	fprintf(stderr, "map_read: %s: %s\n", what, err);
	exit(1);
}

/* Whether the store at path has collection coll_id (read-only:
** store_collection would create it). */
static int has_collection(const char *path, const char *coll_id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int found = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	            sqlite3_prepare_v2(db, "SELECT 1 FROM collections WHERE uuid = ?1", -1, &st, NULL) == SQLITE_OK &&
	            sqlite3_bind_text(st, 1, coll_id, -1, SQLITE_STATIC) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return found;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: map_read DATABASE [COLLECTION [ROUNDS]]\n");
		return 2;
	}
	const char *coll_id = argc > 2 ? argv[2] : "6b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
	char *end = NULL;
	long rounds = argc > 3 ? strtol(argv[3], &end, 10) : 5;
	if (argc > 3 && (*end || rounds < 1 || rounds > 1000))
		die(argv[3], "ROUNDS must be a number from 1 to 1000");
	char url[4096], err[RELTO_ERRBUF_SIZE] = "";
	snprintf(url, sizeof(url), "sqlite:%s", argv[1]);
	if (!has_collection(argv[1], coll_id))
		die(argv[1], "no such store, or no such collection in it");
	sq_picks_inline = 1;
	static struct sets sets;
	for (long round = 0; round < rounds; round++) {
		struct store *s;
		struct store_conn *c;
		int64_t coll;
		if (store_open(url, &s, err) || store_conn_get(s, &c, err))
			die("store", err);
		if (store_collection(c, coll_id, &coll, err))
			die("collection", err);
		sets.n = 0;
		if (store_marking_sets(c, add_set, &sets, err))
			die("marking sets", err);
		/* set_walks 0: the rows are picked from the map, however few
		** sets there are. */
		struct store_query q = {.coll = coll, .limit = 100, .versions.last = 1,
		                        .vis = {.on = 1, .sets = sets.num, .nsets = sets.n, .originator = "map_read"}};
		double t[2];
		size_t rows[2] = {0, 0};
		for (int k = 0; k < 2; k++) {
			double t0 = now();
			if (store_query(c, &q, 1, count_row, &rows[k], err))
				die("query", err);
			t[k] = now() - t0;
		}
		printf("round %ld: first page (map read whole) %.3f s, second %.4f s, %zu rows; the map %.1f MB\n",
		       round + 1, t[0], t[1], rows[0], (double)sq_picks_memory(((struct sq_conn *)c)->picks) / 1e6);
		store_conn_put(s, c);
		store_close(s);
	}
	return 0;
}
