/*
** store_test.c: unit tests for the store interface (src/store/store.h)
** on its SQLite backend, in a fresh directory under /tmp, or on
** PostgreSQL when RELTO_TEST_PG names a database (tests/pg/run,
** store_fixture.h): opening and reopening, secrets and collection keys,
** put (added, duplicates, date_added order, all-or-nothing batches),
** every query filter and their combinations, first/last bookkeeping when
** versions arrive out of order and after deletes, count, status
** resources and their owner, that stored bytes come back byte for byte,
** releasability (references two levels deep, hidden references, latest
** visible version, withheld counts up to where a page ends, deletes, each
** also with the released sets walked apart: set_walks), rules
** versions, credentials, heads, what releasability reads, the audit
** trail's storage (and each row's entry in it, also after an upgrade),
** and which backends can be watched for other processes' changes.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "audit/entry.h"
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
	char hidden[160];
	int has_hidden, own;
	unsigned char entry[256];
	size_t entry_len;
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
	r->has_hidden = copy(r->hidden, sizeof(r->hidden), in->hidden_refs);
	r->own = in->own;
	r->raw_len = in->raw_len <= sizeof(r->raw) ? in->raw_len : 0;
	if (r->raw_len)
		memcpy(r->raw, in->raw, r->raw_len);
	r->entry_len = in->entry && in->entry_len <= sizeof(r->entry) ? in->entry_len : 0;
	if (r->entry_len)
		memcpy(r->entry, in->entry, r->entry_len);
	return RELTO_OK;
}

static struct store_query all_of(int64_t coll)
{
	struct store_query q = {.coll = coll, .limit = 100};
	q.versions.all = 1;
	return q;
}

/* store_visibility.set_walks for every filtered query of a test: the
** releasability tests run once walking the collection, once walking the
** released sets apart (SQLite; the PostgreSQL backend has one way). */
static size_t set_walks;

static enum relto_err query(struct store_conn *c, const struct store_query *q, int with_raw, store_row_fn fn,
                            void *ctx)
{
	struct store_query copy = *q;
	copy.vis.set_walks = set_walks;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = store_query(c, &copy, with_raw, fn, ctx, err);
	if (rc && err[0])
		fprintf(stderr, "  store_query: %s\n", err);
	return rc;
}

/* q goes on after row r, as the next page of a crawl does. */
static void continue_after(struct store_query *q, const struct row *r)
{
	q->has_cursor = 1;
	q->after_date_added = r->date_added;
	q->after_seq = r->seq;
}

static size_t run(struct store_conn *c, const struct store_query *q, int with_raw, struct rows *g)
{
	memset(g, 0, sizeof(*g));
	if (query(c, q, with_raw, collect, g) != RELTO_OK)
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

/* Which store URLs name a file (beside which the audit key and journals
** live), and never a server's URL (which may hold a password). */
static void test_file_of(void)
{
	char out[64];
	CHECK(store_file_of("/var/lib/relto/relto.db", out, sizeof(out)) && strcmp(out, "/var/lib/relto/relto.db") == 0);
	CHECK(store_file_of("sqlite:rel.db", out, sizeof(out)) && strcmp(out, "rel.db") == 0);
	CHECK(store_file_of("C:\\relto\\relto.db", out, sizeof(out)) && strcmp(out, "C:\\relto\\relto.db") == 0);
	snprintf(out, sizeof(out), "untouched");
	CHECK(!store_file_of("postgresql://relto:secret@db.example/relto", out, sizeof(out)));
	CHECK(!store_file_of("postgres://relto:secret@db.example/relto", out, sizeof(out)));
	CHECK(strstr(out, "secret") == NULL);
	CHECK(!store_file_of("sqlite:", out, sizeof(out)));
	CHECK(!store_file_of("", out, sizeof(out)));
	char tiny[4];
	CHECK(!store_file_of("/a/long/path", tiny, sizeof(tiny)));

	/* As logged: no user information, no parameters (a password can be in either). */
	const struct {
		const char *url, *shown;
	} shown[] = {
		{"/var/lib/relto/relto.db", "/var/lib/relto/relto.db"},
		{"sqlite:rel.db", "sqlite:rel.db"},
		{"postgresql://relto:secret@db.example:5432/relto", "postgresql://db.example:5432/relto"},
		{"postgres://relto@db.example/relto?password=secret&sslmode=require", "postgres://db.example/relto?..."},
		{"postgresql://db.example/relto", "postgresql://db.example/relto"},
		{"postgresql:///relto?host=/run/postgresql&password=secret", "postgresql:///relto?..."},
	};
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		char got[128];
		store_url_shown(shown[i].url, got, sizeof(got));
		if (strcmp(got, shown[i].shown) != 0)
			fprintf(stderr, "  store_url_shown(%s): %s\n", shown[i].url, got);
		CHECK(strcmp(got, shown[i].shown) == 0);
		CHECK(strstr(got, "secret") == NULL);
	}
}

/* The schema's version: the one this relto knows, once the store is open. */
static void test_schema_version(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t version = -1, known = -1;
	CHECK(store_schema(f.c, &version, &known, NULL) == RELTO_OK);
	CHECK(known >= 1 && version == known);
	fix_close(&f);
}

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
	CHECK(store_open(fix_pg() ? fix_pg() : path, &s2, NULL) == RELTO_OK); /* a bare path is SQLite */
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
	CHECK(store_open(fix_url(), &f.s, NULL) == RELTO_OK);
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
	CHECK(strncmp(err, fix_err_prefix(), strlen(fix_err_prefix())) == 0);
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
			continue_after(&q, &g.r[n - 1]);
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

/* Whether r's entry is the SHA-256 of text, then text (audit/entry.h). */
static int is_entry(const struct row *r, const char *text)
{
	unsigned char h[ENTRY_HASH_LEN];
	size_t n = strlen(text);
	entry_sha256(text, n, h);
	return r->entry_len == ENTRY_HASH_LEN + n && memcmp(r->entry, h, ENTRY_HASH_LEN) == 0 &&
	       memcmp(r->entry + ENTRY_HASH_LEN, text, n) == 0;
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
	struct store_query q = {.coll = f.coll, .limit = 100, .types = ind, .ntypes = 1, .withheld = &w, .with_entries = 1};
	q.versions.last = 1;
	q.vis = (struct store_visibility){.on = 1, .sets = &set_a, .nsets = 1, .originator = "nobody"};
	/* Served: IND at V1 (its latest *visible* version).  Counted: IND at V2
	** (the latest, withheld) and the other indicator; not the malware. */
	CHECK(run(f.c, &q, 1, &g) == 1);
	CHECK(is_entry(&g.r[0], "[\"" IND "\",\"" V1 "\"]"));
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

/* Every row keeps its entry from ingest: a versioned object's at its
** version as written, an unversioned one's at its date_added; with and
** without the bytes; none unless asked for. */
static void test_entries(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_new b[] = {obj(IND, "indicator", V1, "2.1", "{\"i\":1}"),
	                        obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":1}")};
	int64_t added[2];
	CHECK(put(&f, f.coll, b, 2, NULL, added) == 0);
	char ts[TS_BUFSIZE], want[160];
	snprintf(want, sizeof(want), "[\"%s\",\"%s\"]", IP, ts_format(added[1], ts));
	struct rows g;
	for (int with_raw = 0; with_raw < 2; with_raw++) {
		struct store_query q = all_of(f.coll);
		q.with_entries = 1;
		CHECK(run(f.c, &q, with_raw, &g) == 2);
		CHECK(is_entry(&g.r[0], "[\"" IND "\",\"" V1 "\"]"));
		CHECK(is_entry(&g.r[1], want));
		q.with_entries = 0;
		CHECK(run(f.c, &q, with_raw, &g) == 2 && g.r[0].entry_len == 0);
	}
	fix_close(&f);
}

/* A store made before entries were kept (schema version 1, simulated by
** taking the column away) gets every row's entry when it is opened. */
static void test_entries_upgrade(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_new b[] = {obj(IND, "indicator", V1, "2.1", "{\"i\":1}"),
	                        obj(IP, "ipv4-addr", NULL, "2.1", "{\"ip\":1}"),
	                        obj(IND, "indicator", V2, "2.1", "{\"i\":2}")};
	CHECK(put(&f, f.coll, b, 3, NULL, NULL) == 0);
	struct rows before, after;
	struct store_query q = all_of(f.coll);
	q.with_entries = 1;
	CHECK(run(f.c, &q, 0, &before) == 3);
	store_conn_put(f.s, f.c);
	store_close(f.s);
	CHECK(sql_on_store("ALTER TABLE objects DROP COLUMN entry") == 0);
	/* (SQLite) a version 1 database also has the indexes version 3 drops. */
	if (!fix_pg())
		CHECK(sql_on_store("CREATE UNIQUE INDEX objects_version ON objects(coll, id, version);"
		                   " CREATE INDEX objects_id ON objects(id)") == 0);
	CHECK(sql_on_store(fix_pg() ? "UPDATE schema_version SET version = 1"
	                            : "UPDATE meta SET value = 1 WHERE key = 'schema_version'") == 0);
	CHECK(store_open(fix_url(), &f.s, NULL) == RELTO_OK);
	CHECK(store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
	int64_t version = -1, known = -1;
	CHECK(store_schema(f.c, &version, &known, NULL) == RELTO_OK && version == known && known >= 2);
	if (!fix_pg()) /* they are gone: made again, they do not clash */
		CHECK(sql_on_store("CREATE INDEX objects_id ON objects(id); DROP INDEX objects_id;"
		                   " CREATE INDEX objects_version ON objects(id); DROP INDEX objects_version") == 0);
	CHECK(run(f.c, &q, 1, &after) == 3);
	for (size_t i = 0; i < 3; i++)
		CHECK(after.r[i].entry_len > ENTRY_HASH_LEN &&
		      after.r[i].entry_len == before.r[i].entry_len &&
		      memcmp(after.r[i].entry, before.r[i].entry, after.r[i].entry_len) == 0);
	/* New rows get theirs as before. */
	struct store_new o = obj(MAL, "malware", V1, "2.1", "{\"m\":1}");
	CHECK(put(&f, f.coll, &o, 1, NULL, NULL) == 0);
	CHECK(run(f.c, &q, 0, &after) == 4 && is_entry(&after.r[3], "[\"" MAL "\",\"" V1 "\"]"));
	fix_close(&f);
}

/* ---- releasability: references, hidden references, visible versions ---- */

#define REL "relationship--11111111-2222-4333-8444-000000000004"
#define REP "report--11111111-2222-4333-8444-000000000005"
#define REP2 "report--11111111-2222-4333-8444-000000000006"
#define SIG "sighting--11111111-2222-4333-8444-000000000007"
#define COA "course-of-action--11111111-2222-4333-8444-000000000008"

struct setmap {
	const char *canon;
	int64_t num;
};

static enum relto_err find_set(void *ctx, int64_t num, const char *canon)
{
	struct setmap *m = ctx;
	if (strcmp(canon, m->canon) == 0)
		m->num = num;
	return RELTO_OK;
}

static int64_t set_of(struct fix *f, const char *canon)
{
	struct setmap m = {canon, -1};
	if (store_marking_sets(f->c, find_set, &m, NULL))
		return -1;
	return m.num;
}

/* IND (set-a) and MAL (set-b); REL requires both; REP names IND and MAL
** (optional refs); REP2 names REL only and SIG requires it (two levels,
** which relto follows); COA requires SIG (three levels: deeper than relto
** follows, so never visible but to its submitter).  IND has a second
** version in set-b. */
static int load_vis(struct fix *f)
{
	struct store_ref rel_refs[] = {{IND, 1}, {MAL, 1}};
	struct store_ref rep_refs[] = {{IND, 0}, {MAL, 0}};
	struct store_ref rep2_refs[] = {{REL, 0}};
	struct store_ref sig_refs[] = {{REL, 1}};
	struct store_ref coa_refs[] = {{SIG, 1}};
	struct store_new b[] = {
		obj(IND, "indicator", V1, "2.1", "{\"i\":1}"),
		obj(MAL, "malware", V1, "2.1", "{\"m\":1}"),
		obj(REL, "relationship", V1, "2.1", "{\"r\":1}"),
		obj(REP, "report", V1, "2.1", "{\"rep\":1}"),
		obj(REP2, "report", V1, "2.1", "{\"rep2\":1}"),
		obj(SIG, "sighting", V1, "2.1", "{\"s\":1}"),
		obj(IND, "indicator", V2, "2.1", "{\"i\":2}"),
		obj(COA, "course-of-action", V1, "2.1", "{\"c\":1}"),
	};
	b[0].marking_canon = "set-a";
	b[1].marking_canon = "set-b";
	b[2].marking_canon = "set-c";
	b[3].marking_canon = "set-c";
	b[4].marking_canon = "set-c";
	b[5].marking_canon = "set-c";
	b[6].marking_canon = "set-b";
	b[2].refs = rel_refs;
	b[2].nrefs = 2;
	b[3].refs = rep_refs;
	b[3].nrefs = 2;
	b[4].refs = rep2_refs;
	b[4].nrefs = 1;
	b[5].refs = sig_refs;
	b[5].nrefs = 1;
	b[7].marking_canon = "set-c";
	b[7].refs = coa_refs;
	b[7].nrefs = 1;
	return put(f, f->coll, b, 8, NULL, NULL) ? -1 : 0;
}

/* What partner "p1" sees with the released sets named in `released`. */
static int sees(struct fix *f, const char *released, struct store_versions v, const char *want)
{
	int64_t sets[3];
	size_t n = 0;
	for (const char *c = released; *c; c++)
		sets[n++] = set_of(f, *c == 'a' ? "set-a" : *c == 'b' ? "set-b" : "set-c");
	struct store_query q = {.coll = f->coll, .limit = 100, .versions = v};
	q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = n, .originator = "p1"};
	return shows(f->c, &q, want);
}

static void test_visibility(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	CHECK(load_vis(&f) == 0);
	struct store_versions all = {.all = 1}, last = {.last = 1}, first = {.first = 1};
	/* Nothing released: nothing seen. */
	CHECK(sees(&f, "", all, ""));
	/* set-c only: REL lacks both, REP has no visible ref, REP2's REL is
	** not visible, SIG neither. */
	CHECK(sees(&f, "c", all, ""));
	/* a and c: REP shows (IND visible, MAL hidden); REL needs MAL. */
	CHECK(sees(&f, "ac", all, "indi@" V1 "|repo@" V1));
	/* Everything released: all but COA (three levels deep). */
	CHECK(sees(&f, "abc", all,
	           "indi@" V1 "|malw@" V1 "|rela@" V1 "|repo@" V1 "|repo@" V1 "|sigh@" V1 "|indi@" V2));
	/* The latest *visible* version: with a only, IND's V1. */
	CHECK(sees(&f, "a", last, "indi@" V1));
	CHECK(sees(&f, "ab", last, "malw@" V1 "|indi@" V2));
	CHECK(sees(&f, "b", first, "malw@" V1 "|indi@" V2));

	/* Hidden optional references, and "own". */
	int64_t sets[2] = {set_of(&f, "set-a"), set_of(&f, "set-c")};
	struct store_query q = {.coll = f.coll, .limit = 100, .versions.all = 1};
	q.vis = (struct store_visibility){.on = 1, .sets = sets, .nsets = 2, .originator = "p1"};
	struct rows g;
	CHECK(run(f.c, &q, 1, &g) == 2);
	CHECK(!g.r[0].has_hidden && !g.r[0].own);
	CHECK(g.r[1].has_hidden);
	CHECK_STR(g.r[1].hidden, "[\"" MAL "\"]");
	/* The submitter sees everything of its own, whole. */
	q.vis.originator = "kor";
	q.vis.nsets = 0;
	CHECK(run(f.c, &q, 1, &g) == 8);
	CHECK(g.r[3].own && !g.r[3].has_hidden);
	/* Without a filter: no hidden refs column. */
	q.vis.on = 0;
	CHECK(run(f.c, &q, 1, &g) == 8 && !g.r[3].has_hidden);

	/* A partner can delete only what it may receive. */
	struct store_visibility vis = {.on = 1, .sets = sets, .nsets = 1, .originator = "p1"}; /* set-a */
	size_t deleted = 99;
	CHECK(store_delete(f.c, f.coll, MAL, &all, NULL, 0, &vis, &deleted, NULL) == RELTO_OK && deleted == 0);
	CHECK(store_delete(f.c, f.coll, IND, &last, NULL, 0, &vis, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(count(&f, f.coll) == 7);
	/* V1 went (the latest visible), V2 stays and is first and last now. */
	struct store_query fl = {.coll = f.coll, .limit = 100, .ids = ids_ind, .nids = 1,
	                         .versions = {.first = 1, .last = 1}};
	CHECK(shows(f.c, &fl, "indi@" V2));
	fix_close(&f);
}

/* Withheld rows counted over several batches: many withheld rows before
** a few visible ones, and a limit smaller than what is visible. */
static void test_withheld_many(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static char ids[40][64];
	struct store_new b[40];
	for (int i = 0; i < 40; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--11111111-2222-4333-8444-0000000001%02d", i);
		b[i] = obj(ids[i], "indicator", V1, "2.1", "{}");
		b[i].marking_canon = i % 10 == 9 ? "set-a" : "set-b"; /* rows 9, 19, 29, 39 visible */
	}
	enum store_put_result res[40];
	CHECK(put(&f, f.coll, b, 40, res, NULL) == RELTO_OK);
	int64_t a = set_of(&f, "set-a"), bset = set_of(&f, "set-b");
	struct store_withheld w = {0};
	struct store_query q = {.coll = f.coll, .limit = 3, .versions.last = 1, .withheld = &w};
	q.vis = (struct store_visibility){.on = 1, .sets = &a, .nsets = 1, .originator = "p1"};
	struct rows g;
	CHECK(run(f.c, &q, 0, &g) == 3);
	CHECK_STR(g.r[2].id, ids[29]);
	/* Three rows given, the last to tell there are more: passed over
	** before the second, 18 (the 9 between it and the third are the next
	** page's, which starts after the second). */
	CHECK(w.n == 1 && w.by_set[0].set == bset && w.by_set[0].count == 18);
	/* Paging on from the second: the last two visible rows, and the rest
	** counted. */
	memset(&w, 0, sizeof(w));
	continue_after(&q, &g.r[1]);
	q.limit = 100;
	CHECK(run(f.c, &q, 1, &g) == 2);
	CHECK(w.n == 1 && w.by_set[0].count == 18);
	/* A limit of one: the row given only tells there is more, so nothing
	** before it is counted. */
	memset(&w, 0, sizeof(w));
	q.has_cursor = 0;
	q.limit = 1;
	CHECK(run(f.c, &q, 0, &g) == 1);
	CHECK(w.n == 0 && w.other == 0);
	fix_close(&f);
}

/* Withheld rows with match[type] (two types, one named twice): rows of
** other types are not counted; a page that gives all it asked for counts
** up to the row before its last, and the next page, starting after that
** row, counts the rest. */
static int64_t counted(const struct store_withheld *w, int64_t set)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->by_set[i].set == set)
			return w->by_set[i].count;
	return 0;
}

static void test_withheld_walk(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	static const char *const types[] = {"indicator", "malware", "tool"};
	static const char sets[] = "bcaabaacaabaa"; /* object i's set; a is released */
	static char ids[13][64];
	struct store_new b[13];
	for (int i = 0; i < 13; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s--11111111-2222-4333-8444-0000000002%02d", types[i % 3], i);
		b[i] = obj(ids[i], types[i % 3], V1, "2.1", "{}");
		b[i].marking_canon = sets[i] == 'a' ? "set-a" : sets[i] == 'b' ? "set-b" : "set-c";
	}
	CHECK(put(&f, f.coll, b, 13, NULL, NULL) == RELTO_OK);
	int64_t a = set_of(&f, "set-a"), set_b = set_of(&f, "set-b"), set_c = set_of(&f, "set-c");
	struct store_withheld w = {0};
	static const char *const asked[] = {"malware", "indicator", "malware"};
	struct store_query q = {.coll = f.coll, .limit = 3, .versions.last = 1, .types = asked, .ntypes = 3,
	                        .withheld = &w};
	q.vis = (struct store_visibility){.on = 1, .sets = &a, .nsets = 1, .originator = "p1"};
	/* Indicators and malware: 0 b, 1 c, 3 a, 4 b, 6 a, 7 c, 9 a, 10 b,
	** 12 a (the others are tools).  Given 3, 6, 9; counted up to 6: 0, 1,
	** 4. */
	struct rows g;
	CHECK(run(f.c, &q, 0, &g) == 3);
	CHECK_STR(g.r[0].id, ids[3]);
	CHECK_STR(g.r[1].id, ids[6]);
	CHECK_STR(g.r[2].id, ids[9]);
	CHECK(counted(&w, set_b) == 2 && counted(&w, set_c) == 1 && w.n == 2 && w.other == 0);
	/* The next page, after 6: 9 and 12 given, 7 and 10 counted. */
	memset(&w, 0, sizeof(w));
	continue_after(&q, &g.r[1]);
	q.limit = 100;
	CHECK(run(f.c, &q, 0, &g) == 2);
	CHECK_STR(g.r[0].id, ids[9]);
	CHECK_STR(g.r[1].id, ids[12]);
	CHECK(counted(&w, set_b) == 1 && counted(&w, set_c) == 1 && w.n == 2);
	/* Nothing released: every indicator and malware counted (no row
	** given). */
	memset(&w, 0, sizeof(w));
	q.has_cursor = 0;
	q.vis.nsets = 0;
	CHECK(run(f.c, &q, 0, &g) == 0);
	CHECK(w.n == 3 && counted(&w, set_b) == 3 && counted(&w, set_c) == 2 && counted(&w, a) == 4);
	fix_close(&f);
}

/* The releasability tests again, with each released set walked apart. */
#define SET_WALKS(t) \
	static void t##_set_walks(void) \
	{ \
		set_walks = STORE_SET_WALKS; \
		t(); \
		set_walks = 0; \
	}
SET_WALKS(test_withheld_counts)
SET_WALKS(test_withheld_many)
SET_WALKS(test_withheld_walk)
SET_WALKS(test_visibility)

/* ---- rules, credentials, heads ---- */

static enum relto_err count_rules(void *ctx, const struct store_rules *r)
{
	int *n = ctx;
	if (r->body || r->version != *n + 1)
		return RELTO_EINTERNAL;
	(*n)++;
	return RELTO_OK;
}

static void test_rules(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_heads h;
	CHECK(store_heads(f.c, &h, NULL) == RELTO_OK && h.posture == 0 && h.policy == 0);
	int64_t v = 0;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_rules_put(f.c, "posture", "ann", "first", "{\"p\":1}", 0, &v, NULL) == RELTO_OK && v == 1);
	CHECK(store_rules_put(f.c, "posture", "bob", "stale", "{\"p\":9}", 0, &v, err) == RELTO_ECONFLICT);
	CHECK(strstr(err, "version 1 is the latest") != NULL);
	CHECK(store_rules_put(f.c, "posture", "bob", "second", "{\"p\":2}", 1, &v, NULL) == RELTO_OK && v == 2);
	CHECK(store_rules_put(f.c, "policy", "cy", "any", "allow", -1, &v, NULL) == RELTO_OK && v == 1);
	CHECK(store_heads(f.c, &h, NULL) == RELTO_OK && h.posture == 2 && h.policy == 1);
	struct store_rules r = {0};
	CHECK(store_rules_get(f.c, "posture", 0, &r, NULL) == RELTO_OK);
	int ok = r.version == 2 && strcmp(r.author, "bob") == 0 && strcmp(r.body, "{\"p\":2}") == 0 &&
	         strcmp(r.reason, "second") == 0 && r.at > 0;
	store_rules_clear(&r);
	CHECK(ok);
	CHECK(store_rules_get(f.c, "posture", 1, &r, NULL) == RELTO_OK);
	ok = strcmp(r.body, "{\"p\":1}") == 0;
	store_rules_clear(&r);
	CHECK(ok);
	CHECK(store_rules_get(f.c, "posture", 3, &r, NULL) == RELTO_ENOTFOUND);
	CHECK(store_rules_get(f.c, "other", 0, &r, NULL) == RELTO_ENOTFOUND);
	int n = 0;
	CHECK(store_rules_log(f.c, "posture", count_rules, &n, NULL) == RELTO_OK && n == 2);
	/* Another connection (another process) sees the change at once. */
	struct store_conn *c2 = NULL;
	CHECK(store_conn_get(f.s, &c2, NULL) == RELTO_OK);
	CHECK(store_heads(c2, &h, NULL) == RELTO_OK);
	CHECK(store_rules_put(c2, "policy", "cy", "more", "deny", 1, &v, NULL) == RELTO_OK && v == 2);
	store_conn_put(f.s, c2);
	CHECK(store_heads(f.c, &h, NULL) == RELTO_OK && h.policy == 2);
	fix_close(&f);
}

/* Only PostgreSQL can be watched for other processes' changes; SQLite
** says so, and the server goes on without (store_pg_test.c tests the
** watch itself). */
static void test_watch_support(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_watch *w = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = store_watch_open(f.s, &w, err);
	int ok = fix_pg() ? rc == RELTO_OK && w && store_watch_fd(w) >= 0 && store_watch_timeout_ms(w) == -1
	                  : rc == RELTO_EUNSUPPORTED && !w && strstr(err, "sqlite store cannot be watched") != NULL;
	store_watch_close(w);
	store_watch_close(NULL);
	fix_close(&f);
	CHECK(ok);
}

struct creds {
	int n;
	char ids[8][32];
	int64_t revoked[8];
};

static enum relto_err keep_cred(void *ctx, const struct store_credential *cr)
{
	struct creds *c = ctx;
	if (c->n == 8)
		return RELTO_EINTERNAL;
	snprintf(c->ids[c->n], sizeof(c->ids[c->n]), "%s", cr->id);
	c->revoked[c->n++] = cr->revoked;
	return RELTO_OK;
}

static void test_credentials(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_heads h0, h;
	CHECK(store_heads(f.c, &h0, NULL) == RELTO_OK);
	struct store_credential cr = {.id = "tk_1", .partner = "hub/kor", .kind = "token", .hash = "$argon2id$x",
	                              .note = "ci"};
	CHECK(store_credential_put(f.c, &cr, NULL, NULL) == RELTO_OK);
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_credential_put(f.c, &cr, NULL, err) == RELTO_ECONFLICT);
	CHECK(strstr(err, "tk_1") != NULL);
	/* A rotation whose old credential is unknown changes nothing. */
	struct store_credential cr2 = cr;
	cr2.id = "tk_2";
	CHECK(store_credential_put(f.c, &cr2, "tk_nope", NULL) == RELTO_ENOTFOUND);
	CHECK(store_credential_put(f.c, &cr2, "tk_1", NULL) == RELTO_OK);
	CHECK(store_credential_revoke(f.c, "tk_1", NULL, NULL) == RELTO_ENOTFOUND); /* revoked by the rotation */
	CHECK(store_credential_revoke(f.c, "config:hub/kor", "hub/kor", NULL) == RELTO_OK);
	CHECK(store_credential_revoke(f.c, "config:hub/kor", "hub/kor", NULL) == RELTO_ENOTFOUND);
	struct creds got = {0};
	CHECK(store_credentials(f.c, keep_cred, &got, NULL) == RELTO_OK && got.n == 3);
	CHECK_STR(got.ids[0], "config:hub/kor"); /* created 0: oldest */
	CHECK(got.revoked[0] > 0 && got.revoked[1] > 0 && got.revoked[2] == 0);
	CHECK(store_heads(f.c, &h, NULL) == RELTO_OK);
	CHECK(h.credentials == h0.credentials + 3); /* put, rotation, revoke */
	fix_close(&f);
}

/* ---- what releasability and the impact report read ---- */

struct found {
	int n;
	int64_t colls[4];
	char raw[4][64];
};

static enum relto_err keep_found(void *ctx, int64_t coll, const char *posted_by, const char *raw, size_t len)
{
	struct found *fo = ctx;
	if (fo->n == 4 || strcmp(posted_by, "kor") != 0)
		return RELTO_EINTERNAL;
	fo->colls[fo->n] = coll;
	snprintf(fo->raw[fo->n++], sizeof(fo->raw[0]), "%.*s", (int)len, raw);
	return RELTO_OK;
}

static enum relto_err keep_def(void *ctx, const char *id, const char *raw, size_t len)
{
	struct found *fo = ctx;
	if (fo->n == 4)
		return RELTO_EINTERNAL;
	snprintf(fo->raw[fo->n++], sizeof(fo->raw[0]), "%.8s %.*s", id, (int)len, raw);
	return RELTO_OK;
}

struct setcounts {
	int64_t total, rows;
};

static enum relto_err keep_count(void *ctx, int64_t coll, int64_t set, const char *posted_by, int64_t n)
{
	struct setcounts *sc = ctx;
	(void)coll;
	(void)set;
	(void)posted_by;
	sc->total += n;
	sc->rows++;
	return RELTO_OK;
}

static void test_readers(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	int64_t other;
	CHECK(store_collection(f.c, "11111111-2222-4333-8444-555555555555", &other, NULL) == RELTO_OK);
	const char *md = "marking-definition--11111111-2222-4333-8444-000000000001";
	struct store_new b[] = {
		obj(md, "marking-definition", V1, "2.1", "{\"md\":1}"),
		obj(md, "marking-definition", V2, "2.1", "{\"md\":2}"),
		obj(IND, "indicator", V1, "2.1", "{\"i\":1}"),
		obj(IND, "indicator", V2, "2.1", "{\"i\":2}"),
		obj("marking-definitionX", "x", V1, "2.1", "{\"not\":1}"), /* outside the id range */
	};
	b[2].marking_canon = "set-x";
	b[3].marking_canon = "set-y";
	CHECK(put(&f, f.coll, b, 5, NULL, NULL) == RELTO_OK);
	CHECK(put(&f, other, &b[2], 1, NULL, NULL) == RELTO_OK);
	/* Marking sets in number order, 0 the empty one. */
	CHECK(set_of(&f, "") == 0 && set_of(&f, "set-x") > 0 && set_of(&f, "set-y") > set_of(&f, "set-x"));
	/* Definitions: the latest version only. */
	struct found defs = {0};
	CHECK(store_marking_definitions(f.c, keep_def, &defs, NULL) == RELTO_OK && defs.n == 1);
	CHECK_STR(defs.raw[0], "marking- {\"md\":2}");
	/* The latest version in every collection holding it. */
	struct found fo = {0};
	CHECK(store_find_object(f.c, IND, keep_found, &fo, NULL) == RELTO_OK && fo.n == 2);
	CHECK(fo.colls[0] == f.coll && fo.colls[1] == other);
	CHECK_STR(fo.raw[0], "{\"i\":2}");
	CHECK_STR(fo.raw[1], "{\"i\":1}");
	memset(&fo, 0, sizeof(fo));
	CHECK(store_find_object(f.c, MAL, keep_found, &fo, NULL) == RELTO_OK && fo.n == 0);
	/* Counts of latest versions by (collection, set, submitter). */
	struct setcounts sc = {0};
	CHECK(store_set_counts(f.c, keep_count, &sc, NULL) == RELTO_OK);
	CHECK(sc.total == 4 && sc.rows == 3);
	fix_close(&f);
}

/* ---- the audit trail's storage ---- */

static enum relto_err keep_seq(void *ctx, const struct store_trail_record *r)
{
	struct rows *g = ctx;
	if (g->n == 32)
		return RELTO_EINTERNAL;
	struct row *row = &g->r[g->n++];
	row->seq = r->seq;
	row->raw_len = r->len < sizeof(row->raw) ? r->len : 0;
	memcpy(row->raw, r->body, row->raw_len);
	row->has_hidden = r->has_list;
	return RELTO_OK;
}

static enum relto_err keep_cp(void *ctx, const struct store_trail_checkpoint *cp)
{
	int64_t *seq = ctx;
	*seq = cp->seq + (cp->sig[63] == 7 ? 1000 : 0);
	return RELTO_OK;
}

/* A record as the audit module makes them (its own seq, at, type and
** partner first; rest: its other fields), into body.  A trail selects
** records by what they say (SQLite reads their fields from the text;
** PostgreSQL also keeps copies in columns). */
static void record_text(char *body, size_t size, int64_t seq, const char *type, const char *partner,
                        const char *rest)
{
	char at[TS_BUFSIZE];
	snprintf(body, size, "{\"seq\":%lld,\"at\":\"%s\",\"type\":\"%s\",\"partner\":\"%s\",%s}", (long long)seq,
	         ts_format(seq * 1000, at), type, partner, rest);
}

static enum relto_err add_record(struct store_trail *t, int64_t seq, const char *type, const char *partner,
                                 const char *rest, const unsigned char *list)
{
	static char bodies[8][512];
	char *body = bodies[seq % 8];
	record_text(body, sizeof(bodies[0]), seq, type, partner, rest);
	struct store_trail_record r = {.seq = seq, .at = seq * 1000, .type = type, .partner = partner, .body = body,
	                               .len = strlen(body)};
	memset(r.hash, (int)seq, sizeof(r.hash));
	if (list) {
		r.has_list = 1;
		memcpy(r.list, list, STORE_HASH_LEN);
	}
	return store_trail_add(t, &r, NULL);
}

static void test_trail(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	struct store_trail *t = NULL;
	CHECK(store_trail_open(f.s, &t, NULL) == RELTO_OK);
	int64_t seq = -1;
	unsigned char hash[STORE_HASH_LEN], zero[STORE_HASH_LEN] = {0}, lh[STORE_HASH_LEN];
	memset(lh, 0xab, sizeof(lh));
	CHECK(store_trail_begin(t, &seq, hash, NULL) == RELTO_OK && seq == 0 && memcmp(hash, zero, sizeof(hash)) == 0);
	const char list[] = "[[\"indicator--1\",\"2020\"]]";
	enum relto_err rc = store_trail_add_list(t, lh, list, strlen(list), NULL);
	if (!rc)
		rc = store_trail_add_list(t, lh, list, strlen(list), NULL); /* again: kept once */
	char released[200];
	snprintf(released, sizeof(released), "\"released\":{\"count\":1,\"list\":\"%s\"},\"withheld\":{}",
	         "abababababababababababababababababababababababababababababababab");
	if (!rc)
		rc = add_record(t, 1, "read", "hub/kor", released, lh);
	if (!rc)
		rc = add_record(t, 2, "read", "hub/usa", "\"released\":{\"count\":0,\"list\":null},\"withheld\":{\"x\":1}", NULL);
	if (!rc)
		rc = add_record(t, 3, "admin", "hub/kor", "\"change\":\"caf\xc3\xa9\"", NULL);
	if (!rc)
		rc = store_trail_journal_put(t, "j1", 7, NULL);
	struct store_trail_checkpoint cp = {.seq = 3, .at = 5};
	cp.sig[63] = 7;
	if (!rc)
		rc = store_trail_add_checkpoint(t, &cp, NULL);
	CHECK(store_trail_end(t, rc, NULL) == RELTO_OK && rc == RELTO_OK);
	/* A second writer's transaction starts from the newest record. */
	CHECK(store_trail_begin(t, &seq, hash, NULL) == RELTO_OK && seq == 3 && hash[0] == 3 && hash[31] == 3);
	rc = add_record(t, 4, "read", "hub/kor", "\"x\":0", NULL);
	CHECK(store_trail_end(t, rc ? rc : RELTO_EINTERNAL, NULL) == RELTO_EINTERNAL); /* rolled back */
	CHECK(store_trail_begin(t, &seq, hash, NULL) == RELTO_OK && seq == 3);
	CHECK(store_trail_end(t, RELTO_OK, NULL) == RELTO_OK);
	int64_t last = -1;
	CHECK(store_trail_journal_get(t, "j1", &last, NULL) == RELTO_OK && last == 7);
	CHECK(store_trail_journal_get(t, "j2", &last, NULL) == RELTO_OK && last == 0);

	struct rows g;
	const struct {
		struct store_trail_select sel;
		const char *want; /* seqs */
	} cases[] = {
		{{0}, "123"},
		{{.from_seq = 2}, "23"},
		{{.partner = "hub/kor"}, "13"},
		{{.type = "read"}, "12"},
		{{.since = 2000, .until = 2000}, "2"},
		{{.list_contains = "indicator--1"}, "1"},
		{{.list_contains = "malware"}, ""},
		{{.where_json = "released"}, "1"},
		{{.where_json = "withheld"}, "2"},
		{{.limit = 2}, "12"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&g, 0, sizeof(g));
		CHECK(store_trail_records(t, &cases[i].sel, keep_seq, &g, NULL) == RELTO_OK);
		char got[8] = "";
		for (size_t k = 0; k < g.n && k < 7; k++)
			got[k] = (char)('0' + g.r[k].seq);
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "  case %zu: got %s want %s\n", i, got, cases[i].want);
		CHECK(strcmp(got, cases[i].want) == 0);
	}
	memset(&g, 0, sizeof(g));
	CHECK(store_trail_records(t, &(struct store_trail_select){.from_seq = 3}, keep_seq, &g, NULL) == RELTO_OK);
	char third[512];
	record_text(third, sizeof(third), 3, "admin", "hub/kor", "\"change\":\"caf\xc3\xa9\"");
	CHECK(g.n == 1 && g.r[0].raw_len == strlen(third) && !g.r[0].has_hidden);
	char *body = NULL;
	size_t len = 0;
	CHECK(store_trail_list(t, lh, &body, &len, NULL) == RELTO_OK);
	int ok = len == strlen(list) && strcmp(body, list) == 0;
	free(body);
	CHECK(ok);
	CHECK(store_trail_list(t, zero, &body, &len, NULL) == RELTO_ENOTFOUND);
	int64_t cps = 0;
	CHECK(store_trail_checkpoints(t, keep_cp, &cps, NULL) == RELTO_OK && cps == 1003);
	store_trail_close(t);
	fix_close(&f);
}

int main(void)
{
	if (fix_make_dir(dir, sizeof(dir), "store"))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	RUN(test_file_of);
	RUN(test_schema_version);
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
	RUN(test_entries);
	RUN(test_entries_upgrade);
	RUN(test_withheld_many);
	RUN(test_withheld_walk);
	RUN(test_visibility);
	if (!fix_pg()) {
		RUN(test_withheld_counts_set_walks);
		RUN(test_withheld_many_set_walks);
		RUN(test_withheld_walk_set_walks);
		RUN(test_visibility_set_walks);
	}
	RUN(test_rules);
	RUN(test_watch_support);
	RUN(test_credentials);
	RUN(test_readers);
	RUN(test_trail);
	remove_files(); /* in case a test stopped early */
	rmdir(dir);
	return TEST_DONE();
}
