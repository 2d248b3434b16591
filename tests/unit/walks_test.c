/*
** walks_test.c: the ways the SQLite backend reads a filtered page
** (src/store/query_sqlite.c) give the same answers.  The collection
** walked by date; each released set walked apart and the walks merged by
** date (store_visibility.set_walks), what they pass over counted by block
** (src/store/counts_sqlite.c), the blocks' ends from the rows or from the
** rows' map (src/store/pick_sqlite.c); and the rows of the released sets
** picked from that map.  Over random stores (objects of several types
** and versions, in several marking sets, posted by several partners,
** with required and optional references, some to objects that are not
** there) and random queries (released sets, partner, versions, types,
** added_after, page size), a full crawl page by page, as relto pages
** (each page continues after its last row served), must give the same
** rows with the same hidden references, and the same withheld counts per
** page, every way (block_counts's lists are checked against the rows
** after every change, damaged lists included).  The map must follow the
** store as rows are put and deleted between pages, through this store
** handle or another, and while its loader thread reads it whole; and a
** walk in a read transaction older than a map another connection read
** must not take that map's word for its rows (the map decides the rows
** that refer to nothing alone).  And the
** reference checks answered from a cache in C (src/store/refs_sqlite.c)
** against the filter written in SQL alone, over random stores, and as
** the store changes.  SQLite only: the PostgreSQL backend has one way,
** and no cache.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "test.h"
#include "store/sqlite_int.h"
#include "store/store.h"

static char dir[64], path[128], url[160];

#define STORE_FIXTURE_PATH path
#define STORE_FIXTURE_URL url
#include "store_fixture.h"

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

#define NOBJ 240
#define NSETS 6
static const char *const types[] = {"indicator", "malware", "relationship", "report"};
static const char *const canons[NSETS] = {"", "s1", "s2", "s3", "s4", "s5"};
static const char *const posters[] = {"p1", "p2", "hub"};

struct store_data {
	char ids[NOBJ][80];
	int64_t dates[NOBJ];      /* date_added */
	struct store_ref refs[NOBJ][3];
	int64_t set_num[NSETS];
};

static enum relto_err find_set(void *ctx, int64_t num, const char *canon)
{
	struct store_data *d = ctx;
	for (int i = 0; i < NSETS; i++)
		if (strcmp(canon, canons[i]) == 0)
			d->set_num[i] = num;
	return RELTO_OK;
}

/* An object of version 1 (2020-01-01), body "{}". */
static struct store_new v1(const char *id, const char *type, const char *canon, const struct store_ref *refs,
                           size_t nrefs)
{
	return (struct store_new){.id = id, .type = type, .spec_version = "2.1", .has_version = 1, .version = 1,
	                          .version_text = "2020-01-01T00:00:00.000Z", .marking_canon = canon,
	                          .created_by_ref = "", .raw = "{}", .raw_len = 2, .refs = refs, .nrefs = nrefs};
}

static int random_crawls(struct fix *f, const struct store_data *d, int queries, size_t *served);

/* NOBJ rows in random batches: ids reused for later versions,
** relationships requiring two objects (one in ten missing), reports
** naming up to three (optional).  With `alt` (another handle's
** connection on the store), the batches go through either, and after
** each, `crawls` random crawls compare every way (and every third batch
** deletes the latest version of the last object put and of another). */
static int fill_ex(struct fix *f, struct store_data *d, struct store_conn *alt, int crawls, size_t *served)
{
	static char versions[NOBJ][32];
	struct store_new o[NOBJ];
	for (int i = 0; i < NOBJ; i++) {
		const char *type = types[rnd(4)];
		int reuse = i > 10 && rnd(5) == 0;
		if (reuse) {
			int j = (int)rnd((unsigned)i);
			memcpy(d->ids[i], d->ids[j], sizeof(d->ids[i]));
			type = o[j].type;
		} else {
			snprintf(d->ids[i], sizeof(d->ids[i]), "%s--00000000-0000-4000-8000-%012d", type, i);
		}
		/* A reused id is a later version, or one in three times an
		** earlier one (is_first moves). */
		int at = reuse && rnd(3) == 0 ? -i : i;
		unsigned s = (unsigned)(at + NOBJ) % 3600;
		snprintf(versions[i], sizeof(versions[i]), "2020-01-01T00:%02u:%02u.000Z", s / 60, s % 60);
		/* One in four of spec version 2.0 (a filter by spec version the
		** rows' map does not know). */
		o[i] = (struct store_new){.id = d->ids[i], .type = type, .spec_version = rnd(4) ? "2.1" : "2.0", .has_version = 1,
		                          .version_text = versions[i],
		                          .version = 1577836800000000 + (int64_t)(at + NOBJ) * 1000000,
		                          .marking_canon = canons[rnd(NSETS)], .created_by_ref = "", .raw = "{}", .raw_len = 2};
		size_t n = 0;
		if (strcmp(type, "relationship") == 0 || strcmp(type, "report") == 0) {
			int required = type[2] == 'l';
			size_t want = required ? 2 : 1 + rnd(3);
			for (size_t k = 0; k < want; k++) {
				int t = (int)rnd(NOBJ);
				d->refs[i][n++] = (struct store_ref){
					.id = rnd(10) ? d->ids[t < i ? t : i / 2] : "indicator--00000000-0000-4000-8000-999999999999",
					.required = required};
			}
		}
		o[i].refs = d->refs[i];
		o[i].nrefs = n;
	}
	for (int i = 0, batch = 0; i < NOBJ; batch++) {
		size_t n = 1 + rnd(20);
		if (n > (size_t)(NOBJ - i))
			n = (size_t)(NOBJ - i);
		enum store_put_result res[20];
		struct store_conn *c = alt && rnd(2) ? alt : f->c;
		if (store_put(c, f->coll, posters[rnd(3)], &o[i], n, res, &d->dates[i], NULL))
			return -1;
		i += (int)n;
		if (!alt)
			continue;
		for (int k = 0; batch % 3 == 2 && k < 2; k++) {
			struct store_versions last = {.last = 1};
			size_t deleted = 0;
			if (store_delete(rnd(2) ? alt : f->c, f->coll, d->ids[k ? (int)rnd((unsigned)i) : i - 1], &last, NULL, 0,
			                 NULL, &deleted, NULL))
				return -1;
		}
		if (store_marking_sets(f->c, find_set, d, NULL) || random_crawls(f, d, crawls, served))
			return -1;
	}
	return store_marking_sets(f->c, find_set, d, NULL) ? -1 : 0;
}

static int fill(struct fix *f, struct store_data *d)
{
	return fill_ex(f, d, NULL, 0, NULL);
}

/* One page's rows as a crawl sees them. */
struct page {
	size_t n;
	int64_t seq[64], date_added[64];
	char hidden[64][200];
	int own[64];
};

static enum relto_err keep(void *ctx, const struct store_row *row)
{
	struct page *p = ctx;
	if (p->n == 64)
		return RELTO_EINTERNAL;
	p->seq[p->n] = row->seq;
	p->date_added[p->n] = row->date_added;
	snprintf(p->hidden[p->n], sizeof(p->hidden[0]), "%s", row->hidden_refs ? row->hidden_refs : "[]");
	p->own[p->n++] = row->own;
	return RELTO_OK;
}

static int64_t count_of(const struct store_withheld *w, int64_t set)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->by_set[i].set == set)
			return w->by_set[i].count;
	return 0;
}

/* The ways a filtered page is read: the collection walked by date; the
** released sets' rows from the rows' map's lists by set (the listed
** walk, src/store/pick_sqlite.c), what they pass over counted from the
** lists; the released rows picked from the map (under match[type], when
** the types asked for are not rare: else that way walks); each released
** set walked apart in SQL (no map), what they pass over counted by
** block and the blocks' ends from the rows. */
#define WAYS 4

/* Set up way `way` for q (sq_pick_walks back to 1 after the query). */
static void way_of(int way, struct store_query *q)
{
	q->vis.set_walks = way == 1 || way == 3 ? STORE_SET_WALKS : 0;
	sq_pick_walks = way == 1 || way == 2;
}

/* Crawl q every way, page by page; 0 when every page agrees.  *total
** counts the rows served. */
static int crawl_both(struct fix *f, const struct store_data *d, struct store_query q, size_t *total)
{
	*total = 0;
	for (int pages = 0; pages < 1000; pages++) {
		struct page got[WAYS];
		struct store_withheld w[WAYS];
		for (int way = 0; way < WAYS; way++) {
			memset(&got[way], 0, sizeof(got[way]));
			memset(&w[way], 0, sizeof(w[way]));
			way_of(way, &q);
			q.withheld = q.vis.on ? &w[way] : NULL;
			char err[RELTO_ERRBUF_SIZE] = "";
			enum relto_err rc = store_query(f->c, &q, 0, keep, &got[way], err);
			sq_pick_walks = 1;
			if (rc) {
				fprintf(stderr, "  store_query: %s\n", err);
				return -1;
			}
		}
		for (int way = 1; way < WAYS; way++) {
			if (got[0].n != got[way].n) {
				fprintf(stderr, "  page %d: %zu rows walking, %zu way %d\n", pages, got[0].n, got[way].n, way);
				return -1;
			}
			for (size_t i = 0; i < got[0].n; i++)
				if (got[0].seq[i] != got[way].seq[i] || strcmp(got[0].hidden[i], got[way].hidden[i]) != 0 ||
				    got[0].own[i] != got[way].own[i]) {
					fprintf(stderr, "  page %d row %zu way %d: seq %lld/%lld hidden %s/%s\n", pages, i, way,
					        (long long)got[0].seq[i], (long long)got[way].seq[i], got[0].hidden[i],
					        got[way].hidden[i]);
					return -1;
				}
			for (int s = 0; s < NSETS; s++)
				if (count_of(&w[0], d->set_num[s]) != count_of(&w[way], d->set_num[s])) {
					fprintf(stderr, "  page %d: set %d withheld %lld walking, %lld way %d\n", pages, s,
					        (long long)count_of(&w[0], d->set_num[s]), (long long)count_of(&w[way], d->set_num[s]),
					        way);
					return -1;
				}
			if (w[way].other)
				return -1;
		}
		if (w[0].other)
			return -1;
		/* Served: all but the row asked for beyond the page. */
		size_t served = got[0].n == q.limit ? got[0].n - 1 : got[0].n;
		*total += served;
		if (got[0].n < q.limit || served == 0)
			return 0;
		q.has_cursor = 1;
		q.after_date_added = got[0].date_added[served - 1];
		q.after_seq = got[0].seq[served - 1];
	}
	return -1;
}

/* Each of d's sets, released one time in `one_in`, into sets: how many. */
static size_t random_sets(const struct store_data *d, int64_t sets[NSETS], unsigned one_in)
{
	size_t nsets = 0;
	for (int s = 0; s < NSETS; s++)
		if (rnd(one_in) == 0)
			sets[nsets++] = d->set_num[s];
	return nsets;
}

/* `queries` random queries (released sets, partner, versions, types,
** added_after, page size), each crawled every way; 0 when all agree.
** *served (if not NULL) adds the rows served. */
static int random_crawls(struct fix *f, const struct store_data *d, int queries, size_t *served)
{
	for (int k = 0; k < queries; k++) {
		int64_t sets[NSETS];
		size_t nsets = random_sets(d, sets, 3);
		struct store_query q = {.coll = f->coll, .limit = 2 + rnd(12)};
		/* Versions by date (fill_ex's: 2020-01-01 and NOBJ - i .. NOBJ + i
		** seconds), alone or with the latest. */
		int64_t at[3];
		for (int i = 0; i < 3; i++)
			at[i] = 1577836800000000 + (int64_t)rnd(2 * NOBJ) * 1000000;
		switch (rnd(6)) {
		case 0: q.versions.all = 1; break;
		case 1: q.versions.first = 1; break;
		case 2: q.versions.first = q.versions.last = 1; break;
		case 3: q.versions.at = at; q.versions.nat = 1 + rnd(3); break;
		case 4: q.versions.at = at; q.versions.nat = 1 + rnd(3); q.versions.last = 1; break;
		default: q.versions.last = 1;
		}
		const char *asked[2] = {types[rnd(4)], types[rnd(4)]};
		if (rnd(3) == 0) {
			q.types = asked;
			q.ntypes = 1 + rnd(2);
		}
		if (rnd(3) == 0) {
			q.has_added_after = 1;
			q.added_after = d->dates[rnd(NOBJ)];
		}
		static const char *const spec[] = {"2.1"};
		if (rnd(5) == 0) {
			q.spec_versions = spec;
			q.nspec_versions = 1;
		}
		q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets, .originator = posters[rnd(3)]};
		size_t n = 0;
		if (crawl_both(f, d, q, &n)) {
			fprintf(stderr, "  query %d: %zu sets, limit %zu\n", k, nsets, q.limit);
			return -1;
		}
		if (served)
			*served += n;
	}
	return 0;
}

/* block_counts (src/store/counts_sqlite.c) against the rows: its lists,
** decoded here (per marking set 24 bytes, little-endian: the set, then
** rows, first, last, first-and-last versions, 4 bytes each; sets rising),
** into a table compared with the rows grouped by (coll, block, submitter,
** set).  0 when they agree and no list holds an empty entry. */
static int block_counts_agree(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *get = NULL, *put = NULL, *st = NULL;
	int ok = sqlite3_open(path, &db) == SQLITE_OK &&
	         sqlite3_exec(db, "CREATE TEMP TABLE kept(coll, blk, posted_by, marking_set, n_all, n_first, n_last, n_both)",
	                      NULL, NULL, NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(db, "SELECT coll, blk, posted_by, list FROM block_counts", -1, &get, NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(db, "INSERT INTO kept VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &put, NULL) ==
	             SQLITE_OK;
	while (ok && sqlite3_step(get) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(get, 3);
		int n = sqlite3_column_bytes(get, 3);
		ok = n > 0 && n % 24 == 0;
		int64_t before = INT64_MIN;
		for (int at = 0; ok && at < n; at += 24) {
			uint64_t set = 0;
			for (int k = 0; k < 8; k++)
				set |= (uint64_t)p[at + k] << (8 * k);
			ok = (int64_t)set > before;
			before = (int64_t)set;
			int32_t c[4];
			for (int f = 0; f < 4; f++) {
				uint32_t v = 0;
				for (int k = 0; k < 4; k++)
					v |= (uint32_t)p[at + 8 + 4 * f + k] << (8 * k);
				c[f] = (int32_t)v;
			}
			ok = ok && (c[0] || c[1] || c[2] || c[3]);
			for (int k = 0; k < 3; k++)
				sqlite3_bind_value(put, 1 + k, sqlite3_column_value(get, k));
			sqlite3_bind_int64(put, 4, (int64_t)set);
			for (int f = 0; f < 4; f++)
				sqlite3_bind_int(put, 5 + f, c[f]);
			ok = ok && sqlite3_step(put) == SQLITE_DONE;
			sqlite3_reset(put);
		}
	}
	ok = ok && sqlite3_prepare_v2(db,
	                              "WITH shift(k) AS (SELECT value FROM meta WHERE key = 'count_block_shift'),"
	                              " rows AS (SELECT coll, seq >> (SELECT k FROM shift) AS blk, posted_by, marking_set,"
	                              "  count(*) AS n_all, sum(is_first) AS n_first, sum(is_last) AS n_last,"
	                              "  sum(is_first AND is_last) AS n_both FROM objects GROUP BY 1, 2, 3, 4)"
	                              " SELECT (SELECT count(*) FROM (SELECT * FROM rows EXCEPT SELECT * FROM kept)),"
	                              " (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM rows)),"
	                              " (SELECT count(*) FROM rows)",
	                              -1, &st, NULL) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_ROW;
	if (ok && (sqlite3_column_int(st, 0) || sqlite3_column_int(st, 1) || !sqlite3_column_int(st, 2))) {
		fprintf(stderr, "  block_counts: %d groups missing or wrong, %d extra (of %d)\n", sqlite3_column_int(st, 0),
		        sqlite3_column_int(st, 1), sqlite3_column_int(st, 2));
		ok = 0;
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok ? 0 : -1;
}

/* Damage the list of block_counts that `which` selects (SQL: a
** condition on block_counts's columns); 0 when one was. */
static int damage_list(const char *which)
{
	sqlite3 *db = NULL;
	char sql[512];
	snprintf(sql, sizeof(sql), "UPDATE block_counts SET list = x'0102' WHERE %s", which);
	int ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK &&
	         sqlite3_changes(db) == 1;
	if (!ok)
		fprintf(stderr, "  damage_list: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return ok ? 0 : -1;
}

/* Delete some objects (all their versions, or the latest or earliest
** only: the flags of those left move), among them the last put, and put a
** few new ones after: seq values are reused, rows leave blocks. */
static int churn(struct fix *f, struct store_data *d)
{
	size_t deleted = 0;
	/* The list of the last row's block is damaged: the first delete
	** (that row's object) makes it again from the rows. */
	if (damage_list("(coll, blk, posted_by) = (SELECT coll, seq >> (SELECT value FROM meta"
	                " WHERE key = 'count_block_shift'), posted_by FROM objects ORDER BY seq DESC LIMIT 1)"))
		return -1;
	for (int k = 0; k < 30; k++) {
		struct store_versions v = {.all = k == 0};
		switch (k ? rnd(3) : 0) {
		case 0: v.all = 1; break;
		case 1: v.last = 1; break;
		default: v.first = 1;
		}
		const char *id = d->ids[k ? (int)rnd(NOBJ) : NOBJ - 1];
		if (store_delete(f->c, f->coll, id, &v, NULL, 0, NULL, &deleted, NULL))
			return -1;
	}
	static char ids[4][80];
	struct store_new o[4];
	for (int k = 0; k < 4; k++) {
		snprintf(ids[k], sizeof(ids[k]), "indicator--00000000-0000-4000-9000-%012d", k);
		o[k] = v1(ids[k], "indicator", canons[rnd(NSETS)], NULL, 0);
	}
	enum store_put_result res[4];
	return store_put(f->c, f->coll, posters[rnd(3)], o, 4, res, NULL, NULL) ? -1 : 0;
}

/* The store of f as schema version 5 left it (no block_counts), opened
** again: the table is made and filled from the rows. */
static int as_version_5(struct fix *f)
{
	store_conn_put(f->s, f->c);
	store_close(f->s);
	sqlite3 *db = NULL;
	int ok = sqlite3_open(path, &db) == SQLITE_OK &&
	         sqlite3_exec(db, "DROP TABLE block_counts; UPDATE meta SET value = 5 WHERE key = 'schema_version'", NULL,
	                      NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	int64_t version = -1, known = -1;
	if (store_open(url, &f->s, NULL) != RELTO_OK || store_conn_get(f->s, &f->c, NULL) != RELTO_OK)
		abort(); /* fix_close could not go on */
	return ok && store_schema(f->c, &version, &known, NULL) == RELTO_OK && version == known ? 0 : -1;
}

/* Seeds 1-6 with blocks of 1, 2, 4 and 8 rows (the withheld counts of
** the merged walks come from block_counts, its ends from the rows), some
** stores changed by deletes and puts after (a damaged list among those
** they change), one upgraded from version 5; block_counts checked against
** the rows each time; one store queried with a damaged list. */
static void test_walks_agree(void)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15u;
		sq_count_block_shift = (int)(seed % 4);
		sq_tally_dense = seed % 3 == 0 ? 3 : 4096; /* some sets tallied sorted */
		struct fix f;
		CHECK(fix_open(&f) == 0);
		struct store_data *d = calloc(1, sizeof(*d));
		CHECK(d != NULL);
		int filled = fill(&f, d) == 0;
		if (filled && seed % 2 == 0)
			filled = churn(&f, d) == 0;
		if (filled && seed == 4)
			filled = as_version_5(&f) == 0;
		if (filled)
			filled = block_counts_agree() == 0;
		/* A damaged list: the count reads the rows instead. */
		if (filled && seed == 5)
			filled = damage_list("(coll, blk, posted_by) IN (SELECT coll, blk, posted_by FROM block_counts"
			                              " LIMIT 1 OFFSET 3)") == 0;
		size_t served = 0;
		if (filled && random_crawls(&f, d, 40, &served)) {
			fprintf(stderr, "  seed %llu\n", (unsigned long long)seed);
			filled = 0;
		}
		free(d);
		fix_close(&f);
		CHECK(filled);
		CHECK(served > 0); /* the queries found rows to compare */
	}
	sq_count_block_shift = 9;
	sq_tally_dense = 4096;
}

/* A block's list that decodes but counts too few rows (a damaged store
** no shape check can see) must not make a count negative.  Blocks of 8:
** seq 1-7 in set s3, 14 and 30 in s2, the others (to 40) in s1.  A page
** of one row for a partner that receives s2 stops at seq 14 (seq 30 is
** the row that says there is more), so its count reads block 0 whole and
** block 1 (seq 8-15, 6 of them before 14) as the whole block less seq
** 14-15.  With block 1's list emptied, s1 would be 0 - 1: the count falls
** back to the rows, and says 7 and 6 like the single walk. */
static void test_counts_under_rows(void)
{
	sq_count_block_shift = 3;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static char ids[40][80];
	struct store_new o[40];
	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--00000000-0000-4000-8000-%012d", i);
		o[i] = v1(ids[i], "indicator", i == 13 || i == 29 ? "s2" : i < 7 ? "s3" : "s1", NULL, 0);
	}
	enum store_put_result res[40];
	struct store_data *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	CHECK(d && store_put(f.c, f.coll, "hub", o, 40, res, NULL, NULL) == RELTO_OK);
	CHECK(d && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
	      sqlite3_exec(db, "UPDATE block_counts SET list = x'' WHERE blk = 1", NULL, NULL, NULL) == SQLITE_OK &&
	      sqlite3_changes(db) == 1);
	sqlite3_close(db);
	for (int way = 0; d && way < 2; way++) {
		struct page got = {0};
		struct store_withheld w = {0};
		struct store_query q = {.coll = f.coll, .limit = 2, .versions = {.last = 1}, .withheld = &w};
		q.vis = (struct store_visibility){.on = 1, .sets = &d->set_num[2], .nsets = 1, .originator = "p1",
		                                  .set_walks = way ? STORE_SET_WALKS : 0};
		char err[RELTO_ERRBUF_SIZE] = "";
		CHECK(store_query(f.c, &q, 0, keep, &got, err) == RELTO_OK);
		CHECK(got.n == 2 && got.seq[0] == 14 && got.seq[1] == 30);
		CHECK(count_of(&w, d->set_num[3]) == 7 && count_of(&w, d->set_num[1]) == 6 && w.n == 2);
	}
	free(d);
	fix_close(&f);
	sq_count_block_shift = 9;
}

/* ---- references, against the filter as SQL alone ---- */

/* The visibility filter as it was written in SQL before refs_sqlite.c
** answered its reference checks (commit 713d95f), with the released sets
** as a list: the oracle.  versions: 0 all, 1 the latest visible, 2 the
** first visible. */
static void oracle_sql(char *out, size_t size, const char *sets, const char *who, int versions)
{
	char vis_x[256], vis_y[256], leaf[1024], ref[4096], vis[2][12288], which[12800] = "";
	snprintf(vis_x, sizeof(vis_x), "(x.marking_set IN (%s) OR x.posted_by = '%s')", sets, who);
	snprintf(vis_y, sizeof(vis_y), "(y.marking_set IN (%s) OR y.posted_by = '%s')", sets, who);
	snprintf(leaf, sizeof(leaf), "EXISTS (SELECT 1 FROM objects y WHERE y.coll = o.coll AND y.id = r2.ref AND %s"
	                             " AND y.nreq = 0 AND y.nopt = 0)", vis_y);
	snprintf(ref, sizeof(ref), "EXISTS (SELECT 1 FROM objects x WHERE x.coll = o.coll AND x.id = r.ref AND %s"
	                           " AND (x.nreq = 0 OR NOT EXISTS (SELECT 1 FROM refs r2 WHERE r2.seq = x.seq AND r2.required"
	                           " AND NOT %s)) AND (x.nopt = 0 OR EXISTS (SELECT 1 FROM refs r2 WHERE r2.seq = x.seq"
	                           " AND NOT r2.required AND %s)))", vis_x, leaf, leaf);
	for (int k = 0; k < 2; k++) {
		const char *a = k ? "p" : "o";
		snprintf(vis[k], sizeof(vis[k]), "(%s.posted_by = '%s' OR (%s.marking_set IN (%s)"
		                                 " AND (%s.nreq = 0 OR NOT EXISTS (SELECT 1 FROM refs r WHERE r.seq = %s.seq"
		                                 " AND r.required AND NOT %s)) AND (%s.nopt = 0 OR EXISTS (SELECT 1 FROM refs r"
		                                 " WHERE r.seq = %s.seq AND NOT r.required AND %s))))",
		         a, who, a, sets, a, a, ref, a, a, ref);
	}
	if (versions)
		snprintf(which, sizeof(which), " AND (o.%s OR NOT EXISTS (SELECT 1 FROM objects p WHERE p.coll = o.coll"
		                               " AND p.id = o.id AND p.version %s o.version AND %s))",
		         versions == 1 ? "is_last" : "is_first", versions == 1 ? ">" : "<", vis[1]);
	snprintf(out, size, "SELECT o.seq, CASE WHEN o.nopt = 0 OR o.posted_by = '%s' THEN '[]' ELSE (SELECT"
	                    " json_group_array(r.ref) FROM refs r WHERE r.seq = o.seq AND NOT r.required AND NOT %s) END"
	                    " FROM objects o WHERE o.coll = %lld AND %s%s ORDER BY o.date_added",
	         who, ref, (long long)1, vis[0], which);
}

struct visible {
	size_t n;
	int64_t seq[NOBJ];
	char hidden[NOBJ][200];
};

static enum relto_err keep_all(void *ctx, const struct store_row *row)
{
	struct visible *v = ctx;
	if (v->n == NOBJ)
		return RELTO_EINTERNAL;
	v->seq[v->n] = row->seq;
	snprintf(v->hidden[v->n++], sizeof(v->hidden[0]), "%s", row->hidden_refs ? row->hidden_refs : "[]");
	return RELTO_OK;
}

/* The oracle's refs table (a row per reference, as the store kept them
** before schema 5), decoded here from objects.ref_list: per reference a
** byte 1/0 (required), a 4-byte little-endian length, the id, a NUL. */
static int oracle_refs(sqlite3 *db)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	int ok = sqlite3_exec(db, "CREATE TEMP TABLE refs(seq INTEGER, ref TEXT, required INTEGER);"
	                          " CREATE INDEX temp.refs_seq ON refs(seq)", NULL, NULL, NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(db, "SELECT seq, ref_list FROM objects WHERE ref_list IS NOT NULL", -1, &get,
	                            NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(db, "INSERT INTO refs VALUES(?1, ?2, ?3)", -1, &put, NULL) == SQLITE_OK;
	while (ok && sqlite3_step(get) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(get, 1);
		int n = sqlite3_column_bytes(get, 1), at = 0;
		while (ok && at < n) {
			uint32_t len = 0;
			ok = n - at >= 6 && p[at] <= 1;
			for (int k = 0; ok && k < 4; k++)
				len |= (uint32_t)p[at + 1 + k] << (8 * k);
			ok = ok && (uint32_t)(n - at - 6) >= len && p[at + 5 + len] == 0;
			if (!ok)
				break;
			sqlite3_bind_int64(put, 1, sqlite3_column_int64(get, 0));
			sqlite3_bind_text(put, 2, (const char *)p + at + 5, (int)len, SQLITE_STATIC);
			sqlite3_bind_int(put, 3, p[at]);
			ok = sqlite3_step(put) == SQLITE_DONE;
			sqlite3_reset(put);
			at += 6 + (int)len;
		}
	}
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return ok ? 0 : -1;
}

/* Every version each random partner may see, with its hidden references,
** as the store gives them (both ways) and as the SQL oracle does. */
static void test_refs_oracle(void)
{
	for (uint64_t seed = 11; seed <= 14; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15u;
		struct fix f;
		CHECK(fix_open(&f) == 0);
		CHECK(f.coll == 1); /* the oracle's collection */
		struct store_data *d = calloc(1, sizeof(*d));
		CHECK(d != NULL);
		int ok = fill(&f, d) == 0;
		sqlite3 *db = NULL;
		ok = ok && sqlite3_open(path, &db) == SQLITE_OK && oracle_refs(db) == 0;
		CHECK(ok);
		size_t compared = 0;
		for (int k = 0; ok && k < 60; k++) {
			int64_t sets[NSETS];
			size_t nsets = 0;
			char list[128] = "-1";
			for (int s = 0; s < NSETS; s++)
				if (rnd(2) == 0) {
					sets[nsets++] = d->set_num[s];
					size_t used = strlen(list);
					snprintf(list + used, sizeof(list) - used, ",%lld", (long long)d->set_num[s]);
				}
			const char *who = posters[rnd(3)];
			int versions = k % 3; /* all, the latest visible, the first visible */
			static char sql[65536];
			oracle_sql(sql, sizeof(sql), list, who, versions);
			struct visible *want = calloc(1, sizeof(*want));
			sqlite3_stmt *st = NULL;
			ok = want && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
			while (ok && sqlite3_step(st) == SQLITE_ROW && want->n < NOBJ) {
				want->seq[want->n] = sqlite3_column_int64(st, 0);
				snprintf(want->hidden[want->n++], sizeof(want->hidden[0]), "%s", sqlite3_column_text(st, 1));
			}
			sqlite3_finalize(st);
			for (int way = 0; ok && way < WAYS; way++) {
				struct visible *got = calloc(1, sizeof(*got));
				struct store_query q = {.coll = f.coll, .limit = NOBJ + 1, .versions.all = versions == 0,
				                        .versions.last = versions == 1, .versions.first = versions == 2};
				q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets, .originator = who};
				way_of(way, &q);
				ok = got && store_query(f.c, &q, 0, keep_all, got, NULL) == RELTO_OK && got->n == want->n;
				sq_pick_walks = 1;
				for (size_t i = 0; ok && i < got->n; i++)
					if (got->seq[i] != want->seq[i] || strcmp(got->hidden[i], want->hidden[i]) != 0) {
						fprintf(stderr, "  seed %llu query %d row %zu: seq %lld/%lld hidden %s/%s\n",
						        (unsigned long long)seed, k, i, (long long)got->seq[i], (long long)want->seq[i],
						        got->hidden[i], want->hidden[i]);
						ok = 0;
					}
				if (got && !ok && got->n != want->n)
					fprintf(stderr, "  seed %llu query %d: %zu rows, the oracle %zu\n", (unsigned long long)seed, k,
					        got->n, want->n);
				compared += got ? got->n : 0;
				free(got);
			}
			free(want);
		}
		sqlite3_close(db);
		free(d);
		fix_close(&f);
		CHECK(ok);
		CHECK(compared > 0);
	}
}

/* Close f, a second handle s2 on its store with its connection c2 (either
** may be NULL), and free d. */
static void close_with(struct fix *f, struct store *s2, struct store_conn *c2, struct store_data *d)
{
	if (s2)
		store_conn_put(s2, c2);
	store_close(s2);
	free(d);
	fix_close(f);
}

/* The rows' map (src/store/pick_sqlite.c) follows the store as it
** changes between pages: rows put through this handle or another
** (later versions and earlier ones, so the flags of stored rows move),
** and deleted (the last row put among them, so its seq is used again,
** with another marking set): every way gives the same pages after each
** change.  Blocks of 4 rows, so block_counts's ends are read too. */
static void test_picks_follow_changes(void)
{
	sq_count_block_shift = 2;
	for (uint64_t seed = 11; seed <= 14; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15u;
		struct fix f;
		CHECK(fix_open(&f) == 0);
		struct store *s2 = NULL;
		struct store_conn *c2 = NULL;
		CHECK(store_open(url, &s2, NULL) == RELTO_OK && store_conn_get(s2, &c2, NULL) == RELTO_OK);
		struct store_data *d = calloc(1, sizeof(*d));
		CHECK(d != NULL);
		size_t served = 0;
		int ok = d && fill_ex(&f, d, c2, 3, &served) == 0;
		if (!ok)
			fprintf(stderr, "  seed %llu\n", (unsigned long long)seed);
		close_with(&f, s2, c2, d);
		CHECK(ok);
		CHECK(served > 0);
	}
	sq_count_block_shift = 9;
}

/* Many submitters (the map numbers them, by hash, growing past its first
** table): each partner's own rows are told apart from the others' in the
** counts of what a page passes over, as the other ways count them. */
static void test_picks_many_submitters(void)
{
	rng_state = 99 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_data *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	static char ids[NOBJ][80], who[100][16];
	int ok = d != NULL;
	for (int i = 0; ok && i < NOBJ; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--00000000-0000-4000-8000-%012d", i);
		snprintf(who[i % 100], sizeof(who[0]), "q%d", i % 100);
		struct store_new o = v1(ids[i], "indicator", canons[rnd(NSETS)], NULL, 0);
		enum store_put_result res[1];
		ok = store_put(f.c, f.coll, who[i % 100], &o, 1, res, &d->dates[i], NULL) == RELTO_OK;
	}
	ok = ok && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
	for (int k = 0; ok && k < 20; k++) {
		int64_t sets[NSETS];
		size_t nsets = random_sets(d, sets, 2);
		struct store_query q = {.coll = f.coll, .limit = 2 + rnd(12), .versions.last = 1};
		q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets, .originator = who[rnd(100)]};
		size_t n = 0;
		ok = crawl_both(&f, d, q, &n) == 0;
	}
	free(d);
	fix_close(&f);
	CHECK(ok);
}

/* More types than the rows' map numbers (255), some read whole, some
** added after: a count under a filter by type is made from the map, or,
** when its range holds a row without a type number, from the rows; and
** the picked walk (made to pick types this rare) picks the rows without a
** number, for SQL to test their type.  Every way agrees. */
static void test_picks_many_types(void)
{
	rng_state = 77 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_data *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	enum { N = 300 };
	static char ids[N][80], names[N][16];
	int ok = d != NULL;
	for (int half = 0; ok && half < 2; half++) {
		for (int i = half * N / 2; ok && i < (half + 1) * N / 2; i++) {
			snprintf(names[i], sizeof(names[i]), "x-t%03d", i);
			snprintf(ids[i], sizeof(ids[i]), "x-t%03d--00000000-0000-4000-8000-%012d", i, i);
			struct store_new o = v1(ids[i], names[i], canons[rnd(NSETS)], NULL, 0);
			enum store_put_result res[1];
			int64_t date;
			ok = store_put(f.c, f.coll, posters[rnd(3)], &o, 1, res, &date, NULL) == RELTO_OK;
		}
		ok = ok && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
		for (int k = 0; ok && k < 60; k++) {
			int64_t sets[NSETS];
			size_t nsets = random_sets(d, sets, 2);
			/* An early type (numbered) and, in the second half, a type
			** the map has no number for. */
			const char *asked[2] = {names[rnd(100)], names[255 + rnd(N - 255)]};
			struct store_query q = {.coll = f.coll, .limit = 2 + rnd(12), .types = asked, .ntypes = 1 + half};
			q.versions.last = 1;
			q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets, .originator = posters[rnd(3)]};
			size_t n = 0;
			sq_pick_types_rare = k % 2 ? INT64_MAX / N : 32;
			ok = crawl_both(&f, d, q, &n) == 0;
			sq_pick_types_rare = 32;
		}
	}
	free(d);
	fix_close(&f);
	CHECK(ok);
}

/* A collection of few rows among many: a page would pass over the other
** collections' rows in the map, so it is picked from it only when it
** holds 1/sq_pick_coll_sparse of the store's rows, and under match[type]
** when its rows of those types are 1/sq_pick_types_rare of them; either
** way, and with picking forced, every walk agrees. */
static void test_picks_sparse_collection(void)
{
	rng_state = 91 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t small = 0;
	CHECK(store_collection(f.c, "0b7c2d5e-1f3a-4b6c-8d9e-aa11bb22cc33", &small, NULL) == RELTO_OK);
	struct store_data *d = calloc(1, sizeof(*d));
	int ok = d != NULL;
	/* 995 rows in f.coll and 5 in small, interleaved: each block of 200
	** seqs holds one of small's. */
	enum { N = 1000, BLOCK = 200 };
	static char ids[N][80];
	for (int b = 0; ok && b < N / BLOCK; b++) {
		struct store_new o[BLOCK];
		for (int i = 0; i < BLOCK; i++) {
			/* Malware in f.coll only. */
			int at = b * BLOCK + i;
			const char *type = i != 100 && at % 2 ? "malware" : "indicator";
			snprintf(ids[at], sizeof(ids[at]), "%s--00000000-0000-4000-8000-%012d", type, at);
			o[i] = v1(ids[at], type, canons[rnd(NSETS)], NULL, 0);
		}
		enum store_put_result res[BLOCK];
		int64_t dates[BLOCK];
		const char *by = posters[rnd(3)];
		ok = store_put(f.c, f.coll, by, o, 100, res, dates, NULL) == RELTO_OK &&
		     store_put(f.c, small, by, o + 100, 1, res, dates, NULL) == RELTO_OK &&
		     store_put(f.c, f.coll, by, o + 101, BLOCK - 101, res, dates, NULL) == RELTO_OK;
	}
	ok = ok && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
	CHECK(ok);
	static const char *const malware[] = {"malware"}, *const indicator[] = {"indicator"};
	/* No page has read the map yet: asking has it read (inline here), so
	** that pages under match[type] alone come to pick. */
	CHECK(sq_picks_types_common((struct sq_conn *)f.c, f.coll, malware, 1));
	for (int k = 0; ok && k < 32; k++) {
		int64_t sets[NSETS];
		size_t nsets = random_sets(d, sets, 2);
		struct store_query q = {.coll = k < 4 ? f.coll : small, .limit = 2 + rnd(5)};
		if (k >= 24) {
			q.types = k % 4 < 2 ? malware : indicator;
			q.ntypes = 1;
		}
		q.versions.last = 1;
		q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets, .originator = posters[rnd(3)]};
		size_t n = 0;
		sq_pick_coll_sparse = k % 2 ? 1000000 : 100;
		ok = crawl_both(&f, d, q, &n) == 0;
		sq_pick_coll_sparse = 100;
	}
	CHECK(ok);
	/* The map is read by now (the big collection's pages picked it). */
	struct sq_conn *c = (struct sq_conn *)f.c;
	CHECK(sq_picks_coll_dense(c, f.coll)); /* 995 rows of 1000 */
	CHECK(!sq_picks_coll_dense(c, small)); /* 5: under 1/100 */
	sq_pick_coll_sparse = 200;
	CHECK(sq_picks_coll_dense(c, small)); /* at 1/200 */
	sq_pick_coll_sparse = 100;
	/* Types are counted by collection: malware is half the store's rows,
	** none of small's. */
	CHECK(sq_picks_types_common(c, f.coll, malware, 1));
	CHECK(!sq_picks_types_common(c, small, malware, 1));
	CHECK(!sq_picks_types_common(c, small, indicator, 1)); /* 5 * 32 < 1000 */
	sq_pick_types_rare = 200;
	CHECK(sq_picks_types_common(c, small, indicator, 1));
	sq_pick_types_rare = 32;
	free(d);
	fix_close(&f);
}

/* More withheld sets than a page's count keeps by set (STORE_WITHHELD_SETS):
** store_withheld_add keeps the lowest-numbered, whatever the order it is
** given them in; and every way of reading a page counts the same, `other`
** included (the walk by date meets sets in another order than the set
** walks and the map, which count by set: the trail differed). */
static void test_withheld_beyond_its_sets(void)
{
	struct store_withheld w[3];
	memset(w, 0, sizeof(w));
	for (int order = 0; order < 3; order++)
		for (int k = 0; k < 40; k++) {
			int set = order == 0 ? k : order == 1 ? 39 - k : (k * 17) % 40;
			store_withheld_add(&w[order], set, set + 1);
		}
	for (int order = 0; order < 3; order++) {
		int64_t low = 0;
		for (size_t i = 0; i < w[order].n; i++)
			low += w[order].by_set[i].set < STORE_WITHHELD_SETS ? w[order].by_set[i].count : -1000;
		CHECK(w[order].n == STORE_WITHHELD_SETS);
		CHECK(low == STORE_WITHHELD_SETS * (STORE_WITHHELD_SETS + 1) / 2);
		CHECK(w[order].other == 40 * 41 / 2 - low);
	}

	rng_state = 55 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static char ids[NOBJ][80], canon[40][8];
	int64_t *dates = calloc(NOBJ, sizeof(*dates));
	int ok = dates != NULL;
	for (int i = 0; ok && i < NOBJ; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--00000000-0000-4000-8000-%012d", i);
		snprintf(canon[i % 40], sizeof(canon[0]), "m%d", i % 40);
		struct store_new o = v1(ids[i], "indicator", canon[rnd(40)], NULL, 0);
		enum store_put_result res[1];
		ok = store_put(f.c, f.coll, "hub", &o, 1, res, &dates[i], NULL) == RELTO_OK;
	}
	int64_t released = 1; /* the set "" (number 0) has no row; set 1 is one of the 40 */
	for (int k = 0; ok && k < 12; k++) {
		struct store_query q = {.coll = f.coll, .limit = 20 + rnd(120), .versions.last = 1};
		q.vis = (struct store_visibility){.on = 1, .sets = &released, .nsets = 1, .originator = "p1"};
		struct store_withheld got[WAYS];
		struct page pages[WAYS];
		for (int way = 0; ok && way < WAYS; way++) {
			memset(&got[way], 0, sizeof(got[way]));
			memset(&pages[way], 0, sizeof(pages[way]));
			way_of(way, &q);
			q.withheld = &got[way];
			ok = store_query(f.c, &q, 0, keep, &pages[way], NULL) == RELTO_OK;
			sq_pick_walks = 1;
		}
		for (int way = 1; ok && way < WAYS; way++) {
			ok = got[way].n == got[0].n && got[way].other == got[0].other;
			for (size_t i = 0; ok && i < got[0].n; i++) {
				size_t j = 0;
				while (j < got[way].n && got[way].by_set[j].set != got[0].by_set[i].set)
					j++;
				ok = j < got[way].n && got[way].by_set[j].count == got[0].by_set[i].count;
			}
			if (!ok)
				fprintf(stderr, "  query %d way %d: %zu sets, other %lld; walking %zu, %lld\n", k, way, got[way].n,
				        (long long)got[way].other, got[0].n, (long long)got[0].other);
		}
		ok = ok && got[0].other > 0; /* the case this is about */
	}
	free(dates);
	fix_close(&f);
	CHECK(ok);
}

/* The loader thread (the default outside these tests): after a start and
** after each delete, the whole read runs beside the walks, which go
** without the map meanwhile; every way gives the same pages while it
** runs and once it is done. */
static void test_picks_loader(void)
{
	sq_picks_inline = 0;
	rng_state = 33 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_data *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	struct sq_picks *picks = ((struct sq_conn *)f.c)->picks;
	size_t served = 0;
	int ok = d && fill(&f, d) == 0;
	for (int round = 0; ok && round < 4; round++) {
		ok = random_crawls(&f, d, 4, &served) == 0; /* the loader may be reading */
		sq_picks_wait(picks);
		ok = ok && random_crawls(&f, d, 4, &served) == 0;
		struct store_versions last = {.last = 1};
		size_t deleted = 0;
		ok = ok && store_delete(f.c, f.coll, d->ids[rnd(NOBJ)], &last, NULL, 0, NULL, &deleted, NULL) == RELTO_OK;
	}
	sq_picks_wait(picks);
	free(d);
	fix_close(&f);
	sq_picks_inline = 1;
	CHECK(ok);
	CHECK(served > 0);
}

/* f opened on a new store filled by fill() from seed; its data in *out
** (NULL when a CHECK failed). */
static void open_filled(struct fix *f, uint64_t seed, struct store_data **out)
{
	*out = NULL;
	rng_state = seed * 0x9e3779b97f4a7c15u;
	CHECK(fix_open(f) == 0);
	struct store_data *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	if (fill(f, d) != 0)
		free(d);
	else
		*out = d;
	CHECK(*out != NULL);
}

/* A connection in a read transaction from before a delete, when another
** connection of the same handle has put in force a map read after it
** (where the deleted row's seq holds a row put since, in a set the
** partner may receive, referring to nothing): the walk must not take the
** new map's word for the rows of its older snapshot, where that seq holds
** a row the partner may not receive.  Every way agrees, inside the old
** snapshot and after it. */
static void test_picks_older_snapshot(void)
{
	struct fix f;
	struct store_data *d;
	open_filled(&f, 44, &d);
	int ok = d != NULL;
	/* The highest seq: an object in set s1, which the query withholds. */
	static const char *gone = "indicator--00000000-0000-4000-a000-000000000001";
	static const char *next = "indicator--00000000-0000-4000-a000-000000000002";
	struct store_new o = v1(gone, "indicator", "s1", NULL, 0);
	enum store_put_result res;
	ok = ok && store_put(f.c, f.coll, "hub", &o, 1, &res, NULL, NULL) == RELTO_OK &&
	     store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
	int64_t released[1] = {d->set_num[0]};
	struct store_query q = {.coll = f.coll, .limit = 16, .versions.last = 1,
	                        .vis = {.on = 1, .sets = released, .nsets = 1, .originator = "p1"}};
	size_t served = 0, n = 0;
	ok = ok && crawl_both(&f, d, q, &n) == 0;
	/* f.c holds its snapshot from here. */
	sqlite3 *db = ((struct sq_conn *)f.c)->db;
	ok = ok && sqlite3_exec(db, "BEGIN; SELECT count(*) FROM objects", NULL, NULL, NULL) == SQLITE_OK;
	/* Another handle deletes it and puts one in set "" in its seq. */
	struct store *s2 = NULL;
	struct store_conn *c2 = NULL, *b = NULL;
	struct store_versions all = {.all = 1};
	size_t deleted = 0;
	o = v1(next, "indicator", "", NULL, 0);
	ok = ok && store_open(url, &s2, NULL) == RELTO_OK && store_conn_get(s2, &c2, NULL) == RELTO_OK &&
	     store_delete(c2, f.coll, gone, &all, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1 &&
	     store_put(c2, f.coll, "hub", &o, 1, &res, NULL, NULL) == RELTO_OK;
	/* f's handle reads the new map whole on another connection. */
	struct page got;
	memset(&got, 0, sizeof(got));
	ok = ok && store_conn_get(f.s, &b, NULL) == RELTO_OK && b != f.c &&
	     store_query(b, &q, 0, keep, &got, NULL) == RELTO_OK;
	if (b)
		store_conn_put(f.s, b);
	ok = ok && crawl_both(&f, d, q, &n) == 0;
	served += n;
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	ok = ok && crawl_both(&f, d, q, &n) == 0;
	served += n;
	close_with(&f, s2, c2, d);
	CHECK(ok);
	CHECK(served > 0);
}

/* A store whose values do not fit the rows' map (here a collection
** numbered past 65535): a partner's page walks the collection instead,
** with the same answers, and no error. */
static void test_picks_out_of_range(void)
{
	struct fix f;
	struct store_data *d;
	open_filled(&f, 77, &d);
	int ok = d != NULL;
	store_conn_put(f.s, f.c);
	store_close(f.s);
	sqlite3 *db = NULL;
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "UPDATE collections SET num = 70000 WHERE num = %lld; UPDATE objects SET coll = 70000;"
	         " UPDATE block_counts SET coll = 70000;", (long long)f.coll);
	ok = ok && sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	if (store_open(url, &f.s, NULL) != RELTO_OK || store_conn_get(f.s, &f.c, NULL) != RELTO_OK)
		abort(); /* fix_close could not go on */
	f.coll = 70000;
	size_t served = 0;
	ok = ok && random_crawls(&f, d, 12, &served) == 0;
	free(d);
	fix_close(&f);
	CHECK(ok);
	CHECK(served > 0);
}

/* Put o[0..n) as the hub's; the number of marking set "" (released in
** these tests), or -1. */
static int64_t put_hub(struct fix *f, const struct store_new *o, size_t n)
{
	enum store_put_result res[8];
	struct store_data d;
	d.set_num[0] = -1;
	if (n > 8 || store_put(f->c, f->coll, "hub", o, n, res, NULL, NULL) != RELTO_OK ||
	    store_marking_sets(f->c, find_set, &d, NULL) != RELTO_OK)
		return -1;
	return d.set_num[0];
}

/* The map ahead of a walk's snapshot (another connection of the handle
** read rows put since): the rows the map decides by their references and
** versions are decided as the snapshot has them.  In the snapshot, a
** relationship requires an indicator the partner may not receive, and an
** object's only version is released, as is a second relationship's
** (withheld for the indicator, counted as withheld); after it, the
** indicator gets a released version, and the object and the second
** relationship later ones.  Inside the snapshot the relationships are
** withheld and the object's first version is its latest, every way, with
** the same counts of withheld rows (the map's flags of the first versions
** are ahead: cleared); after it, the relationships are given and the
** later versions instead. */
static void test_picks_ahead_of_snapshot(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char *ind = "indicator--00000000-0000-4000-b000-000000000001";
	static const char *obj = "indicator--00000000-0000-4000-b000-000000000002";
	static const char *rel = "relationship--00000000-0000-4000-b000-000000000003";
	static const char *rel2 = "relationship--00000000-0000-4000-b000-000000000004";
	static const char *rel3 = "relationship--00000000-0000-4000-b000-000000000005";
	static const char *none = "indicator--00000000-0000-4000-b000-000000000009";
	struct store_ref rel_refs[] = {{ind, 1}}, none_refs[] = {{none, 1}};
	struct store_new o[] = {v1(ind, "indicator", "s1", NULL, 0), v1(obj, "indicator", "", NULL, 0),
	                        v1(rel, "relationship", "", rel_refs, 1), v1(rel2, "relationship", "", rel_refs, 1)};
	int64_t open_set = put_hub(&f, o, 4);
	struct store_data *d = calloc(1, sizeof(*d));
	int ok = open_set >= 0 && d && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
	struct store_query q = {.coll = f.coll, .limit = 16, .versions.last = 1,
	                        .vis = {.on = 1, .sets = &open_set, .nsets = 1, .originator = "p1"}};
	struct visible *v = calloc(1, sizeof(*v));
	ok = ok && v && store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 1;
	size_t n = 0;
	/* f.c holds its snapshot from here. */
	sqlite3 *db = ((struct sq_conn *)f.c)->db;
	ok = ok && sqlite3_exec(db, "BEGIN; SELECT count(*) FROM objects", NULL, NULL, NULL) == SQLITE_OK;
	struct store *s2 = NULL;
	struct store_conn *c2 = NULL, *b = NULL;
	/* rel3, the first row past the snapshot, is withheld (it requires an
	** object the store does not have): no walk inside the snapshot
	** counts it. */
	struct store_new later[] = {v1(rel3, "relationship", "", none_refs, 1), v1(ind, "indicator", "", NULL, 0),
	                            v1(obj, "indicator", "", NULL, 0), v1(rel2, "relationship", "", rel_refs, 1)};
	enum store_put_result res[4];
	for (int i = 1; i < 4; i++) {
		later[i].version = 2;
		later[i].version_text = "2020-01-02T00:00:00.000Z";
	}
	ok = ok && store_open(url, &s2, NULL) == RELTO_OK && store_conn_get(s2, &c2, NULL) == RELTO_OK &&
	     store_put(c2, f.coll, "hub", later, 4, res, NULL, NULL) == RELTO_OK;
	/* Another connection of f's handle brings the map up to date. */
	struct page got;
	memset(&got, 0, sizeof(got));
	ok = ok && store_conn_get(f.s, &b, NULL) == RELTO_OK && b != f.c &&
	     store_query(b, &q, 0, keep, &got, NULL) == RELTO_OK && got.n == 4;
	if (b)
		store_conn_put(f.s, b);
	/* Inside the snapshot: obj's first version alone, every way. */
	ok = ok && crawl_both(&f, d, q, &n) == 0;
	v->n = 0;
	ok = ok && store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 1;
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	ok = ok && crawl_both(&f, d, q, &n) == 0;
	v->n = 0;
	ok = ok && store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 4;
	free(v);
	close_with(&f, s2, c2, d);
	CHECK(ok);
}

/* The rows' map numbers objects by a key that keeps an id's UUID in 16
** bytes when it can (pick_sqlite.c, obj_key): ids that differ only in
** the case of their UUID, or in their type, or that have no UUID (one
** the start of another), or the same id in another collection, are still
** other objects.  Each relationship is given exactly when the one object
** it requires is, every way. */
static void test_picks_object_keys(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char *const ids[] = {
		"indicator--00000000-0000-4000-8000-00000000000a", /* released */
		"indicator--00000000-0000-4000-8000-00000000000A", /* withheld */
		"tool--00000000-0000-4000-8000-00000000000a",      /* withheld */
		"indicator--x",                                    /* released */
		"indicator--xy",                                   /* withheld */
		"indicator--00000000-0000-4000-8000-00000000000b", /* only in the other collection, released */
	};
	enum { NIDS = 6 };
	struct store_ref refs[NIDS][1];
	struct store_new o[NIDS];
	static char rels[NIDS][64];
	for (int i = 0; i < NIDS - 1; i++)
		o[i] = v1(ids[i], i == 2 ? "tool" : "indicator", i == 0 || i == 3 ? "" : "s1", NULL, 0);
	int64_t open_set = put_hub(&f, o, NIDS - 1), other = -1;
	enum store_put_result res;
	o[0] = v1(ids[NIDS - 1], "indicator", "", NULL, 0);
	int ok = open_set >= 0 &&
	         store_collection(f.c, "0b7c2d5e-1f3a-4b6c-8d9e-aa11bb22cc44", &other, NULL) == RELTO_OK &&
	         store_put(f.c, other, "hub", o, 1, &res, NULL, NULL) == RELTO_OK;
	for (int i = 0; i < NIDS; i++) {
		snprintf(rels[i], sizeof(rels[i]), "relationship--00000000-0000-4000-9000-%012d", i);
		refs[i][0] = (struct store_ref){ids[i], 1};
		o[i] = v1(rels[i], "relationship", "", refs[i], 1);
	}
	ok = ok && put_hub(&f, o, NIDS) == open_set;
	struct store_data *d = calloc(1, sizeof(*d));
	ok = ok && d && store_marking_sets(f.c, find_set, d, NULL) == RELTO_OK;
	struct store_query q = {.coll = f.coll, .limit = 16, .versions.last = 1,
	                        .vis = {.on = 1, .sets = &open_set, .nsets = 1, .originator = "p1"}};
	size_t n = 0;
	ok = ok && crawl_both(&f, d, q, &n) == 0 && n == 4;
	struct visible *v = calloc(1, sizeof(*v));
	ok = ok && v && store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 4;
	free(v);
	free(d);
	fix_close(&f);
	CHECK(ok);
}

/* The cache follows the store: a reference becomes visible when a version
** in a released set arrives, and not visible when it goes, whether the
** change comes through this connection or another store handle's. */
static void test_refs_follow_changes(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char *ind = "indicator--00000000-0000-4000-8000-000000000001";
	static const char *mal = "malware--00000000-0000-4000-8000-000000000002";
	struct store_ref rel_refs[] = {{ind, 1}, {mal, 1}};
	struct store_new o[] = {
		v1(ind, "indicator", "hidden", NULL, 0),
		v1(mal, "malware", "", NULL, 0),
		v1("relationship--00000000-0000-4000-8000-000000000003", "relationship", "", rel_refs, 2),
	};
	enum store_put_result res[1];
	int64_t open_set = put_hub(&f, o, 3); /* "": the only set released */
	CHECK(open_set >= 0);
	static const char *const rel_type[] = {"relationship"};
	struct store_query q = {.coll = f.coll, .limit = 10, .versions.all = 1, .types = rel_type, .ntypes = 1};
	q.vis = (struct store_visibility){.on = 1, .sets = &open_set, .nsets = 1, .originator = "p1"};
	struct visible *v = calloc(1, sizeof(*v));
	CHECK(v != NULL);
	CHECK(store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 0);
	/* A second version of the indicator, released, through this connection. */
	o[0].version = 2;
	o[0].version_text = "2020-02-01T00:00:00.000Z";
	o[0].marking_canon = "";
	CHECK(store_put(f.c, f.coll, "hub", o, 1, res, NULL, NULL) == RELTO_OK);
	v->n = 0;
	CHECK(store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 1);
	/* That version deleted through another handle on the store. */
	struct store *s2 = NULL;
	struct store_conn *c2 = NULL;
	CHECK(store_open(url, &s2, NULL) == RELTO_OK && store_conn_get(s2, &c2, NULL) == RELTO_OK);
	int64_t at = 2;
	struct store_versions which = {.at = &at, .nat = 1};
	size_t deleted = 0;
	CHECK(store_delete(c2, f.coll, ind, &which, NULL, 0, &(struct store_visibility){0}, &deleted, NULL) == RELTO_OK &&
	      deleted == 1);
	store_conn_put(s2, c2);
	store_close(s2);
	v->n = 0;
	CHECK(store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK && v->n == 0);
	free(v);
	fix_close(&f);
}

/* A damaged store: a row whose counts say it refers to something but
** whose ref_list is gone is withheld from a partner that did not submit
** it, and is not visible as what another row refers to either; the admin
** (no filter) still sees every row. */
static void test_refs_damaged(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char *ind = "indicator--00000000-0000-4000-8000-000000000011";
	static const char *rel = "relationship--00000000-0000-4000-8000-000000000013";
	struct store_ref rel_refs[] = {{ind, 1}}, rep_refs[] = {{rel, 0}};
	struct store_new o[] = {
		v1(ind, "indicator", "", NULL, 0),
		v1(rel, "relationship", "", rel_refs, 1),
		v1("report--00000000-0000-4000-8000-000000000014", "report", "", rep_refs, 1),
	};
	int64_t open_set = put_hub(&f, o, 3);
	CHECK(open_set >= 0);
	struct visible *v = calloc(1, sizeof(*v));
	CHECK(v != NULL);
	/* Damaged 1: the relationship's counts say it names an optional
	** reference too, which its list does not have (refs_sqlite.c does not
	** take such a version for a reference; the rows' map leaves it to the
	** filter in SQL, which takes the row itself by its list); 2: its list
	** gone too. */
	static const char *const damage[] = {"", "UPDATE objects SET nopt = 1 WHERE type = 'relationship'",
	                                     "UPDATE objects SET ref_list = NULL WHERE type = 'relationship'"};
	for (int damaged = 0; v && damaged < 3; damaged++) {
		if (damaged) {
			store_conn_put(f.s, f.c);
			store_close(f.s);
			sqlite3 *db = NULL;
			CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
			      sqlite3_exec(db, damage[damaged], NULL, NULL, NULL) == SQLITE_OK);
			sqlite3_close(db);
			CHECK(store_open(url, &f.s, NULL) == RELTO_OK && store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
		}
		for (int way = 0; way < 2; way++) {
			struct store_query q = {.coll = f.coll, .limit = 10, .versions.last = 1};
			q.vis = (struct store_visibility){.on = 1, .sets = &open_set, .nsets = 1, .originator = "p1",
			                                  .set_walks = way ? STORE_SET_WALKS : 0};
			v->n = 0;
			CHECK(store_query(f.c, &q, 0, keep_all, v, NULL) == RELTO_OK);
			/* Whole: all three; damaged, the report goes (its one
			** reference is the relationship), and the relationship
			** when its list is gone. */
			CHECK(v->n == (size_t)(3 - damaged));
		}
		struct store_query all = {.coll = f.coll, .limit = 10, .versions.last = 1};
		v->n = 0;
		CHECK(store_query(f.c, &all, 0, keep_all, v, NULL) == RELTO_OK && v->n == 3);
	}
	free(v);
	fix_close(&f);
}

/* A store of schema version 4 (references in a refs table, simulated from
** a version 5 store) is brought to version 5 when opened: every partner
** sees the same rows and hidden references as before, each row's
** ref_list is what it was, the refs table is gone, and new rows get
** theirs as before. */
static void test_refs_upgrade(void)
{
	rng_state = 99 * 0x9e3779b97f4a7c15u;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_data *d = calloc(1, sizeof(*d));
	struct visible *before[4] = {0}, *after[4] = {0};
	int64_t sets[4][NSETS];
	size_t nsets[4] = {0};
	CHECK(d != NULL && fill(&f, d) == 0);
	for (int k = 0; k < 4; k++) {
		for (int s = 0; s < NSETS; s++)
			if (rnd(2) == 0)
				sets[k][nsets[k]++] = d->set_num[s];
		before[k] = calloc(1, sizeof(*before[k]));
		after[k] = calloc(1, sizeof(*after[k]));
		struct store_query q = {.coll = f.coll, .limit = NOBJ + 1, .versions.last = 1};
		q.vis = (struct store_visibility){.on = 1, .sets = sets[k], .nsets = nsets[k], .originator = posters[k % 3]};
		CHECK(before[k] && after[k] && store_query(f.c, &q, 0, keep_all, before[k], NULL) == RELTO_OK);
	}
	store_conn_put(f.s, f.c);
	store_close(f.s);
	sqlite3 *db = NULL;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK && oracle_refs(db) == 0);
	int with_refs = 0;
	CHECK(sqlite3_exec(db, "CREATE TABLE lists AS SELECT seq, ref_list FROM objects;"
	                       " CREATE TABLE main.refs AS SELECT * FROM temp.refs; CREATE INDEX main.refs_seq ON refs(seq);"
	                       " ALTER TABLE objects DROP COLUMN ref_list;"
	                       " UPDATE meta SET value = 4 WHERE key = 'schema_version'", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM main.refs", -1, &st, NULL) == SQLITE_OK &&
	      sqlite3_step(st) == SQLITE_ROW);
	with_refs = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	CHECK(with_refs > 0);
	CHECK(store_open(url, &f.s, NULL) == RELTO_OK && store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
	int64_t version = -1, known = -1;
	CHECK(store_schema(f.c, &version, &known, NULL) == RELTO_OK && version == known && known >= 5);
	for (int k = 0; k < 4; k++) {
		struct store_query q = {.coll = f.coll, .limit = NOBJ + 1, .versions.last = 1};
		q.vis = (struct store_visibility){.on = 1, .sets = sets[k], .nsets = nsets[k], .originator = posters[k % 3]};
		CHECK(store_query(f.c, &q, 0, keep_all, after[k], NULL) == RELTO_OK);
		CHECK(after[k]->n == before[k]->n);
		for (size_t i = 0; i < before[k]->n && i < after[k]->n; i++)
			CHECK(after[k]->seq[i] == before[k]->seq[i] && strcmp(after[k]->hidden[i], before[k]->hidden[i]) == 0);
		free(before[k]);
		free(after[k]);
	}
	store_conn_put(f.s, f.c);
	store_close(f.s);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_schema WHERE name IN ('refs', 'refs_seq')),"
	                             " (SELECT count(*) FROM objects o JOIN lists l USING (seq)"
	                             "  WHERE o.ref_list IS NOT l.ref_list), (SELECT count(*) FROM objects)",
	                         -1, &st, NULL) == SQLITE_OK &&
	      sqlite3_step(st) == SQLITE_ROW);
	CHECK(sqlite3_column_int(st, 0) == 0);
	CHECK(sqlite3_column_int(st, 1) == 0);
	CHECK(sqlite3_column_int(st, 2) == NOBJ);
	sqlite3_finalize(st);
	sqlite3_close(db);
	CHECK(store_open(url, &f.s, NULL) == RELTO_OK && store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
	free(d);
	fix_close(&f);
}

int main(void)
{
	if (fix_sqlite_only(__FILE__))
		return 0;
	if (fix_make_dir(dir, sizeof(dir), "walks"))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	sq_picks_inline = 1; /* but in test_picks_loader */
	RUN(test_walks_agree);
	RUN(test_counts_under_rows);
	RUN(test_picks_follow_changes);
	RUN(test_picks_out_of_range);
	RUN(test_picks_many_submitters);
	RUN(test_picks_many_types);
	RUN(test_picks_sparse_collection);
	RUN(test_picks_loader);
	RUN(test_picks_older_snapshot);
	RUN(test_picks_ahead_of_snapshot);
	RUN(test_picks_object_keys);
	RUN(test_withheld_beyond_its_sets);
	RUN(test_refs_oracle);
	RUN(test_refs_follow_changes);
	RUN(test_refs_upgrade);
	RUN(test_refs_damaged);
	remove_files();
	rmdir(dir);
	return TEST_DONE();
}
