/*
** store_test.c: unit tests for the store interface (src/store/store.h)
** on its SQLite backend, in a fresh directory under /tmp: opening and
** reopening, secrets and collection keys, put (added, duplicates,
** date_added order, all-or-nothing batches), every query filter and
** their combinations, first/last bookkeeping when versions arrive out
** of order and after deletes, count, status resources and their owner,
** and that stored bytes come back byte for byte.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "store/store.h"
#include "util/ts.h"

static char dir[64], path[128], url[160];

#define IND "indicator--11111111-2222-4333-8444-000000000001"
#define MAL "malware--11111111-2222-4333-8444-000000000002"
#define IP "ipv4-addr--11111111-2222-4333-8444-000000000003"
#define V1 "2020-01-01T00:00:00.000Z"
#define V2 "2020-02-01T00:00:00.000Z"
#define V3 "2020-03-01T00:00:00.000Z"
#define V4 "2020-04-01T00:00:00.000Z"
#define M1 "2019-06-01T00:00:00Z"

static int64_t us(const char *t)
{
	int64_t v = 0;
	ts_parse(t, strlen(t), &v, NULL);
	return v;
}

/* A versioned (ver != NULL) or unversioned object with made-up bytes. */
static struct store_new obj(const char *id, const char *type, const char *ver, const char *spec, const char *raw)
{
	struct store_new o = {
		.id = id, .type = type, .spec_version = spec, .has_version = ver != NULL,
		.version = ver ? us(ver) : 0, .version_text = ver, .marking_canon = "",
		.created_by_ref = "", .raw = raw, .raw_len = strlen(raw),
	};
	return o;
}

/* ---- capturing rows ---- */

struct row {
	int64_t seq, date_added, version, marking_set;
	char id[128], version_text[48], spec_version[8];
	int has_id, has_version_text, has_spec, has_raw;
	char raw[256];
	size_t raw_len;
};

struct rows {
	size_t n;
	struct row r[32];
	enum relto_err stop_with; /* returned at row stop_at */
	size_t stop_at;
};

/* Copy src (NULL: not set) into dst; say whether it was set. */
static int copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
	return src != NULL;
}

static enum relto_err collect(void *ctx, const struct store_row *in)
{
	struct rows *g = ctx;
	if (g->stop_with && g->n == g->stop_at)
		return g->stop_with;
	if (g->n == 32)
		return RELTO_EINTERNAL;
	struct row *r = &g->r[g->n++];
	memset(r, 0, sizeof(*r));
	r->seq = in->seq;
	r->date_added = in->date_added;
	r->version = in->version;
	r->marking_set = in->marking_set;
	r->has_id = copy(r->id, sizeof(r->id), in->id);
	r->has_version_text = copy(r->version_text, sizeof(r->version_text), in->version_text);
	r->has_spec = copy(r->spec_version, sizeof(r->spec_version), in->spec_version);
	r->has_raw = in->raw != NULL;
	r->raw_len = in->raw_len <= sizeof(r->raw) ? in->raw_len : 0;
	if (r->raw_len)
		memcpy(r->raw, in->raw, r->raw_len);
	return RELTO_OK;
}

static struct store_query all_of(int64_t coll)
{
	struct store_query q = {.coll = coll, .limit = 100};
	q.versions.all = 1;
	return q;
}

static size_t run(struct store_conn *c, const struct store_query *q, int with_raw, struct rows *g)
{
	memset(g, 0, sizeof(*g));
	if (store_query(c, q, with_raw, collect, g, NULL) != RELTO_OK)
		return (size_t)-1;
	return g->n;
}

/* The stored version texts of g, "|"-joined, for compact expectations. */
static const char *versions_of(const struct rows *g, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < g->n && used < size; i++) {
		const struct row *r = &g->r[i];
		int w = snprintf(out + used, size - used, "%s%.4s@%s", i ? "|" : "", r->id,
		                 r->has_version_text ? r->version_text : "-");
		used += w > 0 ? (size_t)w : 0;
	}
	return out;
}

/* Does q (without bytes) yield exactly the rows `want` describes? */
static int shows(struct store_conn *c, const struct store_query *q, const char *want)
{
	struct rows g;
	char got[512] = "(query failed)";
	if (run(c, q, 0, &g) != (size_t)-1 && strcmp(versions_of(&g, got, sizeof(got)), want) == 0)
		return 1;
	fprintf(stderr, "  got  %s\n  want %s\n", got, want);
	return 0;
}

/* ---- fixture ---- */

#define STORE_FIXTURE_PATH path
#define STORE_FIXTURE_URL url
#include "store_fixture.h"

static enum relto_err put(struct fix *f, int64_t coll, const struct store_new *o, size_t n,
                          enum store_put_result *res, int64_t *da)
{
	enum store_put_result scratch[16];
	return store_put(f->c, coll, "kor", o, n, res ? res : scratch, da, NULL);
}

static int64_t count(struct fix *f, int64_t coll)
{
	int64_t n = -1;
	if (store_count(f->c, coll, &n, NULL))
		return -1;
	return n;
}

/* ---- tests ---- */

static void test_open_errors(void)
{
	struct store *s = (struct store *)&dir;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_open("pg:host=x", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "unknown scheme") != NULL);
	err[0] = '\0';
	CHECK(store_open("sqlite:", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "empty database path") != NULL);
	err[0] = '\0';
	CHECK(store_open("/nonexistent-dir/x/relto.db", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "/nonexistent-dir/x/relto.db") != NULL);
	CHECK(s == (struct store *)&dir); /* untouched */
	store_close(NULL);
	store_conn_put(NULL, NULL);
}

static void test_reopen(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	unsigned char k1[STORE_SECRET_LEN], k1b[STORE_SECRET_LEN], k2[STORE_SECRET_LEN], k3[STORE_SECRET_LEN];
	CHECK(store_secret(f.c, "cursor", k1, NULL) == RELTO_OK);
	CHECK(store_secret(f.c, "cursor", k1b, NULL) == RELTO_OK);
	CHECK(memcmp(k1, k1b, sizeof(k1)) == 0);
	CHECK(store_secret(f.c, "other", k2, NULL) == RELTO_OK);
	CHECK(memcmp(k1, k2, sizeof(k1)) != 0);
	int64_t a, b, a_upper, a2;
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-555555555555", &a, NULL) == RELTO_OK);
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-666666666666", &b, NULL) == RELTO_OK);
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-555555555555", &a2, NULL) == RELTO_OK);
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-55555555555A", &a_upper, NULL) == RELTO_OK);
	CHECK(a == a2 && a != b && a != f.coll && b != f.coll && a_upper != a);
	int64_t again;
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-55555555555a", &again, NULL) == RELTO_OK);
	CHECK(again == a_upper); /* case does not matter */
	struct store_new o = obj(IND, "indicator", V1, "2.1", "{\"x\":1}");
	CHECK(put(&f, a, &o, 1, NULL, NULL) == RELTO_OK);

	/* The pool: a second connection while one is out, reused once back;
	** it sees what the first wrote. */
	struct store_conn *cx = NULL, *cy = NULL;
	CHECK(store_conn_get(f.s, &cx, NULL) == RELTO_OK && cx != f.c);
	store_conn_put(f.s, cx);
	CHECK(store_conn_get(f.s, &cy, NULL) == RELTO_OK && cy == cx);
	int64_t seen = -1;
	CHECK(store_count(cy, a, &seen, NULL) == RELTO_OK && seen == 1);
	store_conn_put(f.s, cy);

	/* A second store on the same file (another process) sees the same. */
	struct store *s2;
	struct store_conn *c2;
	CHECK(store_open(path, &s2, NULL) == RELTO_OK); /* a bare path is SQLite */
	CHECK(store_conn_get(s2, &c2, NULL) == RELTO_OK);
	CHECK(store_secret(c2, "cursor", k3, NULL) == RELTO_OK);
	int ok = memcmp(k1, k3, sizeof(k1)) == 0;
	int64_t n = -1;
	ok = ok && store_count(c2, a, &n, NULL) == RELTO_OK && n == 1;
	store_conn_put(s2, c2);
	store_close(s2);
	CHECK(ok);

	/* Close and reopen: data, secrets and keys stay. */
	store_conn_put(f.s, f.c);
	store_close(f.s);
	CHECK(store_open(url, &f.s, NULL) == RELTO_OK);
	CHECK(store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
	CHECK(store_secret(f.c, "cursor", k3, NULL) == RELTO_OK);
	CHECK(memcmp(k1, k3, sizeof(k1)) == 0);
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-666666666666", &again, NULL) == RELTO_OK);
	CHECK(again == b);
	CHECK(count(&f, a) == 1 && count(&f, b) == 0);
	fix_close(&f);
}

static void test_put(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_new b1[] = {
		obj(IND, "indicator", V1, "2.1", "{\"v\":1}"),
		obj(MAL, "malware", M1, "2.1", "{\"m\":1}"),
		obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":1}"),
		obj(IND, "indicator", V1, "2.1", "{\"v\":\"1 again\"}"), /* same (id, version) in one batch */
		obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":2}"),           /* an SCO again: same id */
	};
	enum store_put_result r[5];
	int64_t da[5];
	CHECK(put(&f, f.coll, b1, 5, r, da) == RELTO_OK);
	CHECK(r[0] == STORE_ADDED && r[1] == STORE_ADDED && r[2] == STORE_ADDED);
	CHECK(r[3] == STORE_DUPLICATE && r[4] == STORE_DUPLICATE);
	for (int i = 1; i < 5; i++)
		CHECK(da[i] > da[i - 1]);
	CHECK(da[0] > ts_now() - INT64_C(60000000) && da[0] <= ts_now());
	CHECK(count(&f, f.coll) == 3);

	/* Again, in another batch: duplicates; a new version is added. */
	struct store_new b2[] = {
		obj(IND, "indicator", V1, "2.1", "{\"v\":1}"),
		obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":3}"),
		obj(IND, "indicator", V2, "2.1", "{\"v\":2}"),
		obj(IND, "indicator", "2020-01-01T00:00:00.0000001Z", "2.1", "{\"v\":\"1, below a microsecond\"}"),
	};
	int64_t da2[4];
	CHECK(put(&f, f.coll, b2, 4, r, da2) == RELTO_OK);
	CHECK(r[0] == STORE_DUPLICATE && r[1] == STORE_DUPLICATE && r[2] == STORE_ADDED && r[3] == STORE_DUPLICATE);
	CHECK(da2[0] > da[4]); /* strictly increasing across batches */
	CHECK(count(&f, f.coll) == 4);

	/* Another collection is another namespace; date_added still rises. */
	int64_t other, da3[1];
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-555555555555", &other, NULL) == RELTO_OK);
	CHECK(put(&f, other, &b2[1], 1, r, da3) == RELTO_OK);
	CHECK(r[0] == STORE_ADDED && da3[0] > da2[3]);
	CHECK(count(&f, other) == 1 && count(&f, f.coll) == 4);
	/* An empty batch and a NULL date_added are fine. */
	CHECK(put(&f, f.coll, NULL, 0, r, NULL) == RELTO_OK);
	struct store_new b4 = obj(MAL, "malware", V3, "2.1", "{}");
	CHECK(put(&f, f.coll, &b4, 1, r, NULL) == RELTO_OK && r[0] == STORE_ADDED);
	fix_close(&f);
}

/* A batch that fails part way adds nothing, and the store goes on. */
static void test_put_all_or_nothing(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_new b[] = {
		obj(IND, "indicator", V1, "2.1", "{}"),
		obj(MAL, "malware", V1, "2.1", "{}"),
	};
	b[1].type = NULL; /* the row cannot be inserted */
	char err[RELTO_ERRBUF_SIZE] = "";
	enum store_put_result r[2];
	CHECK(store_put(f.c, f.coll, "kor", b, 2, r, NULL, err) == RELTO_ESTORE);
	CHECK(strncmp(err, "sqlite: ", 8) == 0);
	CHECK(count(&f, f.coll) == 0);
	/* Too large for the backend: refused before anything is written. */
	b[1].type = "malware";
	b[1].raw_len = (size_t)INT32_MAX + 1; /* never read */
	CHECK(store_put(f.c, f.coll, "kor", b, 2, r, NULL, NULL) != RELTO_OK);
	CHECK(count(&f, f.coll) == 0);
	b[1].raw_len = 2;
	CHECK(put(&f, f.coll, b, 2, r, NULL) == RELTO_OK);
	CHECK(r[0] == STORE_ADDED && r[1] == STORE_ADDED && count(&f, f.coll) == 2);
	fix_close(&f);
}

/* The query data set: five rows, in this order of arrival. */
static int load_set(struct fix *f, int64_t *da)
{
	struct store_new b1[] = {
		obj(IND, "indicator", V1, "2.1", "{\"id\":\"ind\",\"v\":1}"),
		obj(MAL, "malware", M1, "2.0", "{\"id\":\"mal\"}"),
		obj(IP, "ipv4-addr", NULL, "2.1", "{\"id\":\"ip\"}"),
	};
	struct store_new b2[] = {
		obj(IND, "indicator", V2, "2.1", "{\"id\":\"ind\",\"v\":2}"),
		obj(IND, "indicator", V3, "2.1", "{\"id\":\"ind\",\"v\":3}"),
	};
	return put(f, f->coll, b1, 3, NULL, da) || put(f, f->coll, b2, 2, NULL, da + 3) ? -1 : 0;
}

struct qcase {
	const char *name;
	struct store_query q; /* coll filled in by the test */
	const char *want;
};

static const char *const ids_ind[] = {IND}, *const ids_two[] = {IND, MAL, "indicator--nope"};
static const char *const types_two[] = {"malware", "ipv4-addr"}, *const spec_20[] = {"2.0"};
static int64_t at_v2[1], at_v1_m1[2];

static void test_query_filters(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t da[5];
	CHECK(load_set(&f, da) == 0);
	at_v2[0] = us(V2);
	at_v1_m1[0] = us(V1);
	at_v1_m1[1] = us(M1);
	const struct qcase cases[] = {
		{"all", {.versions.all = 1, .limit = 100}, "indi@" V1 "|malw@" M1 "|ipv4@-|indi@" V2 "|indi@" V3},
		{"last", {.versions.last = 1, .limit = 100}, "malw@" M1 "|ipv4@-|indi@" V3},
		{"first", {.versions.first = 1, .limit = 100}, "indi@" V1 "|malw@" M1 "|ipv4@-"},
		{"first+last", {.versions = {.first = 1, .last = 1}, .limit = 100},
		 "indi@" V1 "|malw@" M1 "|ipv4@-|indi@" V3},
		{"at v2", {.versions = {.at = at_v2, .nat = 1}, .limit = 100}, "indi@" V2},
		{"at v1,m1", {.versions = {.at = at_v1_m1, .nat = 2}, .limit = 100}, "indi@" V1 "|malw@" M1},
		{"at v2+last", {.versions = {.last = 1, .at = at_v2, .nat = 1}, .limit = 100},
		 "malw@" M1 "|ipv4@-|indi@" V2 "|indi@" V3},
		{"all ignores at", {.versions = {.all = 1, .at = at_v2, .nat = 1}, .limit = 2}, "indi@" V1 "|malw@" M1},
		{"none", {.limit = 100}, ""},
		{"ids", {.ids = ids_ind, .nids = 1, .versions.all = 1, .limit = 100},
		 "indi@" V1 "|indi@" V2 "|indi@" V3},
		{"ids 3", {.ids = ids_two, .nids = 3, .versions.last = 1, .limit = 100}, "malw@" M1 "|indi@" V3},
		{"types", {.types = types_two, .ntypes = 2, .versions.all = 1, .limit = 100}, "malw@" M1 "|ipv4@-"},
		{"spec", {.spec_versions = spec_20, .nspec_versions = 1, .versions.all = 1, .limit = 100}, "malw@" M1},
		{"limit", {.versions.all = 1, .limit = 2}, "indi@" V1 "|malw@" M1},
		{"limit 1 last", {.versions.last = 1, .limit = 1}, "malw@" M1},
		{"ids+types disjoint", {.ids = ids_ind, .nids = 1, .types = types_two, .ntypes = 2, .versions.all = 1,
		                        .limit = 100}, ""},
	};
	size_t wrong = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_query q = cases[i].q;
		q.coll = f.coll;
		if (!shows(f.c, &q, cases[i].want)) {
			fprintf(stderr, "  (case '%s')\n", cases[i].name);
			wrong++;
		}
	}
	CHECK(wrong == 0);

	/* added_after and the cursor, alone and together. */
	struct store_query q = all_of(f.coll);
	struct rows g;
	q.has_added_after = 1;
	q.added_after = da[1];
	CHECK(run(f.c, &q, 0, &g) == 3 && g.r[0].date_added == da[2]);
	q.added_after = da[4];
	CHECK(run(f.c, &q, 0, &g) == 0);
	q = all_of(f.coll);
	CHECK(run(f.c, &q, 0, &g) == 5);
	int64_t seq2 = g.r[2].seq;
	for (int i = 1; i < 5; i++)
		CHECK(g.r[i].date_added > g.r[i - 1].date_added && g.r[i].seq > g.r[i - 1].seq);
	q.has_cursor = 1;
	q.after_date_added = da[2];
	q.after_seq = seq2;
	CHECK(run(f.c, &q, 0, &g) == 2 && g.r[0].date_added == da[3]);
	q.after_seq = seq2 - 1; /* same date, earlier seq: the row itself follows */
	CHECK(run(f.c, &q, 0, &g) == 3 && g.r[0].date_added == da[2]);
	q.after_seq = seq2;
	q.has_added_after = 1;
	q.added_after = da[3];
	CHECK(run(f.c, &q, 0, &g) == 1 && g.r[0].date_added == da[4]);
	q.has_added_after = 0;
	q.limit = 1;
	CHECK(run(f.c, &q, 0, &g) == 1 && g.r[0].date_added == da[3]);

	/* Another collection sees none of it. */
	q = all_of(f.coll + 1000);
	CHECK(run(f.c, &q, 0, &g) == 0);
	fix_close(&f);
}

/* Paging by cursor walks every row once, in order, whatever the page. */
static void test_query_paging(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t da[5];
	CHECK(load_set(&f, da) == 0);
	for (size_t page = 1; page <= 6; page++) {
		struct store_query q = all_of(f.coll);
		q.limit = page;
		size_t seen = 0;
		for (int guard = 0; guard < 10; guard++) {
			struct rows g;
			size_t n = run(f.c, &q, 1, &g);
			CHECK(n != (size_t)-1 && n <= page);
			for (size_t i = 0; i < n; i++)
				CHECK(g.r[i].date_added == da[seen + i]);
			seen += n;
			if (n < page)
				break;
			q.has_cursor = 1;
			q.after_date_added = g.r[n - 1].date_added;
			q.after_seq = g.r[n - 1].seq;
		}
		CHECK(seen == 5);
	}
	fix_close(&f);
}

/* with_raw: bytes, and no names; without: names, and no bytes. */
static void test_query_row_fields(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t da[5];
	CHECK(load_set(&f, da) == 0);
	struct store_query q = all_of(f.coll);
	struct rows g;
	CHECK(run(f.c, &q, 0, &g) == 5);
	for (size_t i = 0; i < 5; i++) {
		CHECK(g.r[i].has_id && g.r[i].has_spec && !g.r[i].has_raw && g.r[i].raw_len == 0);
		CHECK(g.r[i].date_added == da[i] && g.r[i].marking_set == 0);
	}
	CHECK_STR(g.r[0].id, IND);
	CHECK_STR(g.r[1].spec_version, "2.0");
	CHECK(g.r[0].has_version_text && g.r[0].version == us(V1));
	CHECK(!g.r[2].has_version_text && g.r[2].version == da[2]); /* unversioned: date_added */
	CHECK(run(f.c, &q, 1, &g) == 5);
	for (size_t i = 0; i < 5; i++)
		CHECK(!g.r[i].has_id && !g.r[i].has_spec && !g.r[i].has_version_text && g.r[i].has_raw);
	CHECK(g.r[1].raw_len == 12 && memcmp(g.r[1].raw, "{\"id\":\"mal\"}", 12) == 0);
	CHECK(g.r[4].version == us(V3) && g.r[4].date_added == da[4]);

	/* The callback's error stops the walk and comes back. */
	memset(&g, 0, sizeof(g));
	g.stop_with = RELTO_EDENIED;
	g.stop_at = 2;
	CHECK(store_query(f.c, &q, 1, collect, &g, NULL) == RELTO_EDENIED);
	CHECK(g.n == 2);
	/* The connection is usable after a stopped walk. */
	CHECK(run(f.c, &q, 1, &g) == 5);
	fix_close(&f);
}

/* Versions newest first, then the oldest, then the middle: first and
** last stay right; deletes move them. */
static void test_first_last(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	const char *order[] = {V3, V1, V2};
	for (int i = 0; i < 3; i++) {
		struct store_new o = obj(IND, "indicator", order[i], "2.1", "{}");
		CHECK(put(&f, f.coll, &o, 1, NULL, NULL) == RELTO_OK);
	}
	struct store_query first = {.coll = f.coll, .limit = 100, .versions.first = 1};
	struct store_query last = {.coll = f.coll, .limit = 100, .versions.last = 1};
	CHECK(shows(f.c, &first, "indi@" V1));
	CHECK(shows(f.c, &last, "indi@" V3));

	/* Delete the last: the one before it becomes last. */
	struct store_versions v = {.last = 1};
	size_t deleted = 99;
	CHECK(store_delete(f.c, f.coll, IND, &v, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(shows(f.c, &last, "indi@" V2));
	CHECK(shows(f.c, &first, "indi@" V1));
	/* A newer version takes over last. */
	struct store_new o = obj(IND, "indicator", V4, "2.1", "{}");
	CHECK(put(&f, f.coll, &o, 1, NULL, NULL) == RELTO_OK);
	CHECK(shows(f.c, &last, "indi@" V4));
	/* Delete the first: the next becomes first. */
	v = (struct store_versions){.first = 1};
	CHECK(store_delete(f.c, f.coll, IND, &v, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(shows(f.c, &first, "indi@" V2));
	/* Delete one by timestamp: the survivor is first and last. */
	int64_t at[1] = {us(V2)};
	v = (struct store_versions){.at = at, .nat = 1};
	CHECK(store_delete(f.c, f.coll, IND, &v, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	struct store_query fl = {.coll = f.coll, .limit = 100, .versions = {.first = 1, .last = 1}};
	CHECK(shows(f.c, &fl, "indi@" V4));
	/* Out of order within one batch, too. */
	struct store_new batch[3] = {obj(MAL, "malware", V3, "2.1", "{}"), obj(MAL, "malware", V1, "2.1", "{}"),
	                             obj(MAL, "malware", V2, "2.1", "{}")};
	CHECK(put(&f, f.coll, batch, 3, NULL, NULL) == RELTO_OK);
	first.ids = last.ids = (const char *const[]){MAL};
	first.nids = last.nids = 1;
	CHECK(shows(f.c, &first, "malw@" V1));
	CHECK(shows(f.c, &last, "malw@" V3));
	first.ids = last.ids = ids_ind;
	/* An older version arriving now becomes first, not last. */
	o = obj(IND, "indicator", V1, "2.1", "{}");
	CHECK(put(&f, f.coll, &o, 1, NULL, NULL) == RELTO_OK);
	CHECK(shows(f.c, &first, "indi@" V1));
	CHECK(shows(f.c, &last, "indi@" V4));
	fix_close(&f);
}

static void test_delete(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t da[5];
	CHECK(load_set(&f, da) == 0);
	size_t deleted = 99;
	struct store_versions all = {.all = 1};
	/* Nothing matched: 0, not an error. */
	CHECK(store_delete(f.c, f.coll, "indicator--99999999-2222-4333-8444-000000000001", &all, NULL, 0, NULL, &deleted,
	                   NULL) == RELTO_OK);
	CHECK(deleted == 0);
	int64_t at[1] = {us(V4)};
	struct store_versions none = {.at = at, .nat = 1};
	CHECK(store_delete(f.c, f.coll, IND, &none, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 0);
	/* spec_versions narrows it. */
	const char *spec21[] = {"2.1"}, *spec20[] = {"2.0"};
	CHECK(store_delete(f.c, f.coll, MAL, &all, spec21, 1, NULL, &deleted, NULL) == RELTO_OK && deleted == 0);
	CHECK(count(&f, f.coll) == 5);
	CHECK(store_delete(f.c, f.coll, MAL, &all, spec20, 1, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(count(&f, f.coll) == 4);
	/* Only the named object, in only this collection. */
	int64_t other;
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-555555555555", &other, NULL) == RELTO_OK);
	struct store_new o = obj(IND, "indicator", V1, "2.1", "{}");
	CHECK(put(&f, other, &o, 1, NULL, NULL) == RELTO_OK);
	struct store_versions first_last = {.first = 1, .last = 1};
	CHECK(store_delete(f.c, f.coll, IND, &first_last, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 2);
	struct store_query q = all_of(f.coll);
	CHECK(shows(f.c, &q, "ipv4@-|indi@" V2));
	CHECK(store_delete(f.c, f.coll, IND, &all, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(store_delete(f.c, f.coll, IND, &all, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 0);
	CHECK(count(&f, f.coll) == 1 && count(&f, other) == 1);
	/* The deleted object can be added again. */
	CHECK(put(&f, f.coll, &o, 1, NULL, NULL) == RELTO_OK && count(&f, f.coll) == 2);
	fix_close(&f);
}

static void test_status(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	const char *body = "{\"id\":\"s1\",\"status\":\"complete\",\"note\":\"caf\xc3\xa9 \\u00e9\"}";
	char *json = NULL, err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_status_put(f.c, "s1", "hub/kor", body, NULL) == RELTO_OK);
	CHECK(store_status_get(f.c, "s1", "hub/kor", &json, NULL) == RELTO_OK);
	CHECK_STR(json, body);
	free(json);
	json = (char *)"untouched";
	CHECK(store_status_get(f.c, "s1", "hub/usa", &json, err) == RELTO_ENOTFOUND);
	CHECK(strstr(err, "s1") != NULL);
	CHECK(store_status_get(f.c, "s1", "other/kor", &json, NULL) == RELTO_ENOTFOUND);
	CHECK(store_status_get(f.c, "s2", "hub/kor", &json, NULL) == RELTO_ENOTFOUND);
	CHECK_STR(json, "untouched");
	/* Put again under the same id: replaced. */
	CHECK(store_status_put(f.c, "s1", "hub/kor", "{\"v\":2}", NULL) == RELTO_OK);
	json = NULL;
	CHECK(store_status_get(f.c, "s1", "hub/kor", &json, NULL) == RELTO_OK);
	CHECK_STR(json, "{\"v\":2}");
	free(json);
	fix_close(&f);
}

/* What was stored comes back byte for byte: whitespace, key order,
** escapes, non-ASCII, and bytes no JSON parser would keep. */
static void test_bytes_identical(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char raw1[] = "{ \"type\" : \"indicator\",\n\t\"name\":\"\\u00e9t\xc3\xa9\",  \"n\": 1.0e0 }  ";
	static const char raw2[] = "{\"b\":1,\"a\":2,\"a\\u0000\":\"\\ud83d\\ude00\"}";
	struct store_new o[2] = {obj(IND, "indicator", V1, "2.1", raw1), obj(MAL, "malware", V1, "2.1", raw2)};
	char withnul[] = "{\"x\":\"\0\xff\"}";
	struct store_new o3 = obj(IP, "ipv4-addr", NULL, "2.1", withnul);
	o3.raw_len = sizeof(withnul) - 1;
	CHECK(put(&f, f.coll, o, 2, NULL, NULL) == RELTO_OK);
	CHECK(put(&f, f.coll, &o3, 1, NULL, NULL) == RELTO_OK);
	struct store_query q = all_of(f.coll);
	struct rows g;
	CHECK(run(f.c, &q, 1, &g) == 3);
	CHECK(g.r[0].raw_len == strlen(raw1) && memcmp(g.r[0].raw, raw1, strlen(raw1)) == 0);
	CHECK(g.r[1].raw_len == strlen(raw2) && memcmp(g.r[1].raw, raw2, strlen(raw2)) == 0);
	CHECK(g.r[2].raw_len == sizeof(withnul) - 1 && memcmp(g.r[2].raw, withnul, sizeof(withnul) - 1) == 0);
	fix_close(&f);
}

/* More distinct query shapes than the statement cache holds: each still
** answers right (the cache evicts and re-prepares). */
static void test_many_query_shapes(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t da[5];
	CHECK(load_set(&f, da) == 0);
	size_t wrong = 0;
	for (int round = 0; round < 2; round++) {
		for (unsigned m = 0; m < 128; m++) {
			struct store_query q = {.coll = f.coll, .limit = 100, .has_added_after = m & 1,
			                        .added_after = da[0], .has_cursor = (m >> 1) & 1,
			                        .after_date_added = da[0], .after_seq = INT64_MAX,
			                        .ids = ids_ind, .nids = (m >> 2) & 1, .types = types_two,
			                        .ntypes = (m >> 3) & 1 ? 2 : 0};
			q.versions = (struct store_versions){.first = (m >> 4) & 1, .last = (m >> 5) & 1,
			                                     .all = (m >> 6) & 1};
			/* Expected by brute force over the data set. */
			static const struct { int ind, type_ok, first, last; } rows[5] = {
				{1, 0, 1, 0}, {0, 1, 1, 1}, {0, 1, 1, 1}, {1, 0, 0, 0}, {1, 0, 0, 1}};
			size_t want = 0;
			for (int i = 0; i < 5; i++) {
				int ok = (!q.has_added_after || da[i] > da[0]) && (!q.has_cursor || da[i] > da[0]) &&
				         (!q.nids || rows[i].ind) && (!q.ntypes || rows[i].type_ok) &&
				         (q.versions.all || (q.versions.first && rows[i].first) ||
				          (q.versions.last && rows[i].last));
				want += ok;
			}
			struct rows g;
			size_t n = run(f.c, &q, (m + round) & 1, &g);
			if (n != want) {
				fprintf(stderr, "  shape %u round %d: %zu rows, want %zu\n", m, round, n, want);
				wrong++;
			}
		}
	}
	CHECK(wrong == 0);
	fix_close(&f);
}

/* Withheld rows are counted by marking set, only among rows that match
** every other filter (the type here) and are the version asked for; the
** rows given and the LIMIT are those of the visibility filter alone.
** This also pins down that SQLite evaluates the counting term after the
** plain filters (store_sqlite.c, relto_withheld). */
static void test_withheld_counts(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_new b[] = {
		obj(IND, "indicator", V1, "2.1", "{\"i\":1}"),
		obj(MAL, "malware", V1, "2.1", "{\"m\":1}"),
		obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":1}"),
		obj(IND, "indicator", V2, "2.1", "{\"i\":2}"),
		obj("indicator--11111111-2222-4333-8444-000000000009", "indicator", V1, "2.1", "{\"j\":1}"),
	};
	b[0].marking_canon = "set-a";
	b[1].marking_canon = "set-b";
	b[2].marking_canon = "set-a";
	b[3].marking_canon = "set-b"; /* the indicator's latest version is withheld */
	b[4].marking_canon = "set-b";
	CHECK(put(&f, f.coll, b, 5, NULL, NULL) == 0);
	struct rows g;
	CHECK(run(f.c, &(struct store_query){.coll = f.coll, .limit = 100, .versions.all = 1}, 0, &g) == 5);
	int64_t set_a = g.r[0].marking_set, set_b = g.r[1].marking_set;
	CHECK(set_a != set_b);

	static const char *const ind[] = {"indicator"};
	struct store_withheld w = {0};
	struct store_query q = {.coll = f.coll, .limit = 100, .types = ind, .ntypes = 1, .withheld = &w, .with_ids = 1};
	q.versions.last = 1;
	q.vis = (struct store_visibility){.on = 1, .sets = &set_a, .nsets = 1, .originator = "nobody"};
	/* Served: IND at V1 (its latest *visible* version).  Counted: IND at V2
	** (the latest, withheld) and the other indicator; not the malware. */
	CHECK(run(f.c, &q, 1, &g) == 1);
	CHECK(strcmp(g.r[0].version_text, V1) == 0);
	CHECK(w.n == 1 && w.by_set[0].set == set_b && w.by_set[0].count == 2 && w.other == 0);

	/* Every version, every type: three rows of set-b pass over. */
	memset(&w, 0, sizeof(w));
	q.types = NULL;
	q.ntypes = 0;
	q.versions = (struct store_versions){.all = 1};
	CHECK(run(f.c, &q, 0, &g) == 2);
	CHECK(w.n == 1 && w.by_set[0].count == 3);

	/* The partner's own objects are visible, so never counted. */
	memset(&w, 0, sizeof(w));
	q.vis.nsets = 0;
	CHECK(run(f.c, &q, 0, &g) == 0);
	CHECK(w.n == 2 && w.by_set[0].count + w.by_set[1].count == 5);

	/* Without a place to count, nothing changes in what is served. */
	q.withheld = NULL;
	q.vis.nsets = 1;
	CHECK(run(f.c, &q, 0, &g) == 2);
	fix_close(&f);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/relto-store-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	RUN(test_open_errors);
	RUN(test_reopen);
	RUN(test_put);
	RUN(test_put_all_or_nothing);
	RUN(test_query_filters);
	RUN(test_query_paging);
	RUN(test_query_row_fields);
	RUN(test_first_last);
	RUN(test_delete);
	RUN(test_status);
	RUN(test_bytes_identical);
	RUN(test_many_query_shapes);
	RUN(test_withheld_counts);
	remove_files(); /* in case a test stopped early */
	rmdir(dir);
	return TEST_DONE();
}
