/*
** walks_test.c: the two ways the SQLite backend reads a filtered page
** (src/store/query_sqlite.c) give the same answers.  A partner that may
** receive few marking sets has each released set walked apart and the
** walks merged by date (store_visibility.set_walks); any other walks the
** whole collection.  Over random stores (objects of several types and
** versions, in several marking sets, posted by several partners, with
** required and optional references, some to objects that are not there)
** and random queries (released sets, partner, versions, types,
** added_after, page size), a full crawl page by page, as relto pages
** (each page continues after its last row served), must give the same
** rows with the same hidden references, and the same withheld counts per
** page, both ways.  SQLite only: the PostgreSQL backend has one way.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
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

/* NOBJ rows in random batches: ids reused for later versions,
** relationships requiring two objects (one in ten missing), reports
** naming up to three (optional). */
static int fill(struct fix *f, struct store_data *d)
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
		snprintf(versions[i], sizeof(versions[i]), "2020-01-01T00:%02d:%02d.000Z", i / 60, i % 60);
		o[i] = (struct store_new){.id = d->ids[i], .type = type, .spec_version = "2.1", .has_version = 1,
		                          .version_text = versions[i], .version = 1577836800000000 + (int64_t)i * 1000000,
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
	for (int i = 0; i < NOBJ;) {
		size_t n = 1 + rnd(20);
		if (n > (size_t)(NOBJ - i))
			n = (size_t)(NOBJ - i);
		enum store_put_result res[20];
		if (store_put(f->c, f->coll, posters[rnd(3)], &o[i], n, res, NULL, NULL))
			return -1;
		i += (int)n;
	}
	return store_marking_sets(f->c, find_set, d, NULL) ? -1 : 0;
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

/* Crawl q both ways, page by page; 0 when every page agrees.  *total
** counts the rows served. */
static int crawl_both(struct fix *f, const struct store_data *d, struct store_query q, size_t *total)
{
	*total = 0;
	for (int pages = 0; pages < 1000; pages++) {
		struct page got[2];
		struct store_withheld w[2];
		for (int way = 0; way < 2; way++) {
			memset(&got[way], 0, sizeof(got[way]));
			memset(&w[way], 0, sizeof(w[way]));
			q.vis.set_walks = way ? STORE_SET_WALKS : 0;
			q.withheld = q.vis.on ? &w[way] : NULL;
			char err[RELTO_ERRBUF_SIZE] = "";
			if (store_query(f->c, &q, 0, keep, &got[way], err)) {
				fprintf(stderr, "  store_query: %s\n", err);
				return -1;
			}
		}
		if (got[0].n != got[1].n) {
			fprintf(stderr, "  page %d: %zu rows one way, %zu the other\n", pages, got[0].n, got[1].n);
			return -1;
		}
		for (size_t i = 0; i < got[0].n; i++)
			if (got[0].seq[i] != got[1].seq[i] || strcmp(got[0].hidden[i], got[1].hidden[i]) != 0 ||
			    got[0].own[i] != got[1].own[i]) {
				fprintf(stderr, "  page %d row %zu: seq %lld/%lld hidden %s/%s\n", pages, i,
				        (long long)got[0].seq[i], (long long)got[1].seq[i], got[0].hidden[i], got[1].hidden[i]);
				return -1;
			}
		for (int s = 0; s < NSETS; s++)
			if (count_of(&w[0], d->set_num[s]) != count_of(&w[1], d->set_num[s])) {
				fprintf(stderr, "  page %d: set %d withheld %lld one way, %lld the other\n", pages, s,
				        (long long)count_of(&w[0], d->set_num[s]), (long long)count_of(&w[1], d->set_num[s]));
				return -1;
			}
		if (w[0].other || w[1].other)
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

static void test_walks_agree(void)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15u;
		struct fix f;
		CHECK(fix_open(&f) == 0);
		struct store_data *d = calloc(1, sizeof(*d));
		CHECK(d != NULL);
		int filled = fill(&f, d) == 0;
		size_t served = 0;
		for (int k = 0; filled && k < 40; k++) {
			int64_t sets[NSETS];
			size_t nsets = 0;
			for (int s = 0; s < NSETS; s++)
				if (rnd(3) == 0)
					sets[nsets++] = d->set_num[s];
			struct store_query q = {.coll = f.coll, .limit = 2 + rnd(12)};
			switch (rnd(4)) {
			case 0: q.versions.all = 1; break;
			case 1: q.versions.first = 1; break;
			case 2: q.versions.first = q.versions.last = 1; break;
			default: q.versions.last = 1;
			}
			const char *asked[2] = {types[rnd(4)], types[rnd(4)]};
			if (rnd(3) == 0) {
				q.types = asked;
				q.ntypes = 1 + rnd(2);
			}
			q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = nsets,
			                                  .originator = posters[rnd(3)]};
			size_t n = 0;
			if (crawl_both(&f, d, q, &n)) {
				fprintf(stderr, "  seed %llu query %d: %zu sets, limit %zu\n", (unsigned long long)seed, k, nsets,
				        q.limit);
				filled = 0;
				break;
			}
			served += n;
		}
		free(d);
		fix_close(&f);
		CHECK(filled);
		CHECK(served > 0); /* the queries found rows to compare */
	}
}

int main(void)
{
	if (fix_pg()) {
		printf("unit %s: 0 passed, 0 failed (SQLite only)\n", __FILE__);
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/relto-walks-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	RUN(test_walks_agree);
	remove_files();
	rmdir(dir);
	return TEST_DONE();
}
