/*
** ingest_test.c: unit tests for src/ingest/ingest.c over a SQLite store
** in a fresh /tmp directory: envelopes and bundles, what the callback is
** told about each object (id, version, outcome, message), elements that
** are not objects or have no id, max_objects, batching and progress, and
** bodies refused whole.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test.h"
#include "ingest/ingest.h"

static char dir[64], path[128];

#define CREATED "2016-04-06T20:03:48.000Z"
#define MOD1 "2016-04-06T20:03:48.123Z"
#define MOD2 "2017-01-01T00:00:00Z"
#define SCO "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"198.51.100.3\"}"
#define SCO_ID "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
#define TLP_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define MARKING "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" TLP_AMBER "\"," \
	"\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"name\":\"TLP:AMBER\"," \
	"\"definition\":{\"tlp\":\"amber\"}}"

/* Indicator number n, with the given modified (NULL: leave out created,
** which makes it invalid). */
static void indicator(char *out, size_t size, int n, const char *modified)
{
	snprintf(out, size,
	         "{\"type\":\"indicator\",\"spec_version\":\"2.1\","
	         "\"id\":\"indicator--00000000-0000-4000-8000-%012d\",%s\"modified\":\"%s\","
	         "\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":\"stix\","
	         "\"valid_from\":\"2016-01-01T00:00:00Z\"}",
	         n, modified ? "\"created\":\"" CREATED "\"," : "", modified ? modified : MOD1);
}

struct outcome {
	int seen;
	char id[300], version[64], message[RELTO_ERRBUF_SIZE];
	enum ingest_outcome what;
};

struct rec {
	struct outcome o[16];
	size_t calls, progress_calls, last_done, last_total;
	int bad; /* an index out of range, reported twice, or progress going back */
};

static void on_result(void *ctx, size_t index, const char *id, const char *version,
                      enum ingest_outcome outcome, const char *message)
{
	struct rec *r = ctx;
	r->calls++;
	if (index >= 16 || r->o[index].seen || !id || !version) {
		r->bad = 1;
		return;
	}
	struct outcome *o = &r->o[index];
	o->seen = 1;
	o->what = outcome;
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->version, sizeof(o->version), "%s", version);
	snprintf(o->message, sizeof(o->message), "%s", message ? message : "(null)");
}

static void on_progress(void *ctx, size_t done, size_t total)
{
	struct rec *r = ctx;
	if (done < r->last_done || done > total)
		r->bad = 1;
	r->progress_calls++;
	r->last_done = done;
	r->last_total = total;
}

#define STORE_FIXTURE_PATH path
#define STORE_FIXTURE_URL path
#include "store_fixture.h"

static int64_t stored(struct fix *f)
{
	int64_t n = -1;
	store_count(f->c, f->coll, &n, NULL);
	return n;
}

static enum relto_err ingest(struct fix *f, const char *body, size_t batch, size_t max, struct rec *r,
                             struct ingest_stats *st, char *err)
{
	struct ingest_opts opts = {.batch = batch, .max_objects = max, .posted_by = "kor",
	                           .progress = on_progress};
	memset(r, 0, sizeof(*r));
	if (err)
		err[0] = '\0';
	return ingest_body(f->c, f->coll, body, strlen(body), &opts, on_result, r, st, err);
}

/* The mixed body: added, rejected (no created), not an object, an SCO,
** a duplicate, an object with no id, a marking definition, another
** version of the first. */
static char *mixed_body(const char *head, const char *tail)
{
	char i1[512], bad[512], i1v2[512];
	indicator(i1, sizeof(i1), 1, MOD1);
	indicator(bad, sizeof(bad), 2, NULL);
	indicator(i1v2, sizeof(i1v2), 1, MOD2);
	size_t size = 4096;
	char *b = malloc(size);
	if (b)
		snprintf(b, size, "%s[%s, %s, 5, %s,\n %s, {\"type\":\"indicator\"}, %s, %s]%s", head, i1, bad, SCO, i1,
		         MARKING, i1v2, tail);
	return b;
}

static void check_outcomes(struct fix *f, const struct rec *r, const struct ingest_stats *st, int *ok)
{
	*ok = 0;
	if (r->bad || r->calls != 8 || st->total != 8 || st->added != 4 || st->duplicates != 1 || st->rejected != 3) {
		fprintf(stderr, "  calls %zu, stats %zu/%zu/%zu/%zu\n", r->calls, st->total, st->added,
		        st->duplicates, st->rejected);
		return;
	}
	const struct outcome *o = r->o;
	if (o[0].what != INGEST_ADDED || strcmp(o[0].id, "indicator--00000000-0000-4000-8000-000000000001") ||
	    strcmp(o[0].version, MOD1) || strcmp(o[0].message, "(null)"))
		return;
	if (o[1].what != INGEST_REJECTED || strcmp(o[1].id, "indicator--00000000-0000-4000-8000-000000000002") ||
	    strcmp(o[1].version, MOD1) || !strstr(o[1].message, "created"))
		return;
	if (o[2].what != INGEST_REJECTED || strcmp(o[2].id, "objects[2]") || strcmp(o[2].version, "") ||
	    !strstr(o[2].message, "not a JSON object"))
		return;
	/* An SCO is versioned by its date_added, reported as a timestamp. */
	if (o[3].what != INGEST_ADDED || strcmp(o[3].id, SCO_ID) || strlen(o[3].version) != 27 ||
	    o[3].version[26] != 'Z')
		return;
	if (o[4].what != INGEST_DUPLICATE || strcmp(o[4].version, MOD1))
		return;
	if (o[5].what != INGEST_REJECTED || strcmp(o[5].id, "objects[5]") || !strcmp(o[5].message, "(null)"))
		return;
	if (o[6].what != INGEST_ADDED || strcmp(o[6].id, TLP_AMBER) || strcmp(o[6].version, "2017-01-20T00:00:00.000Z"))
		return;
	if (o[7].what != INGEST_ADDED || strcmp(o[7].version, MOD2))
		return;
	*ok = stored(f) == 4;
}

static void check_mixed(struct fix *f, const struct rec *r, const struct ingest_stats *st, int *ok)
{
	check_outcomes(f, r, st, ok);
	if (!*ok)
		for (size_t i = 0; i < 8; i++)
			fprintf(stderr, "  [%zu] seen %d outcome %d id %s version '%s': %s\n", i, r->o[i].seen,
			        r->o[i].what, r->o[i].id, r->o[i].version, r->o[i].message);
}

static void test_envelope(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char *body = mixed_body("{\"more\":false,\"objects\":", ",\"next\":\"x\"}");
	CHECK(body != NULL);
	struct rec r;
	struct ingest_stats st;
	char err[RELTO_ERRBUF_SIZE];
	enum relto_err rc = ingest(&f, body, 100, 0, &r, &st, err);
	int ok = 0;
	if (rc == RELTO_OK)
		check_mixed(&f, &r, &st, &ok);
	else
		fprintf(stderr, "  rc %d: %s\n", rc, err);
	free(body);
	CHECK(ok);
	fix_close(&f);
}

static void test_bundle(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char *body = mixed_body("{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":", "}");
	CHECK(body != NULL);
	struct rec r;
	struct ingest_stats st;
	enum relto_err rc = ingest(&f, body, 3, 0, &r, &st, NULL);
	free(body);
	int ok = 0;
	if (rc == RELTO_OK)
		check_mixed(&f, &r, &st, &ok);
	CHECK(ok);
	fix_close(&f);
}

/* What is stored is each element's bytes as they were in the body. */
static enum relto_err grab(void *ctx, const struct store_row *row)
{
	char *out = ctx;
	size_t used = strlen(out);
	if (used + row->raw_len + 2 > 2048)
		return RELTO_ETOOBIG;
	memcpy(out + used, row->raw, row->raw_len);
	out[used + row->raw_len] = '|';
	out[used + row->raw_len + 1] = '\0';
	return RELTO_OK;
}

static void test_bytes_kept(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	const char *body = "{\"objects\": [\n  " SCO " ,\n\t" MARKING "\n]}";
	struct rec r;
	struct ingest_stats st;
	CHECK(ingest(&f, body, 10, 0, &r, &st, NULL) == RELTO_OK);
	char got[2048] = "";
	struct store_query q = {.coll = f.coll, .limit = 10, .versions.all = 1};
	CHECK(store_query(f.c, &q, 1, grab, got, NULL) == RELTO_OK);
	CHECK_STR(got, SCO "|" MARKING "|");
	fix_close(&f);
}

static void test_max_objects(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char body[4096], a[512], b[512], c[512], d[512];
	indicator(a, sizeof(a), 1, MOD1);
	indicator(b, sizeof(b), 2, MOD1);
	indicator(c, sizeof(c), 3, MOD1);
	indicator(d, sizeof(d), 4, MOD1);
	snprintf(body, sizeof(body), "{\"objects\":[%s,%s,%s,%s]}", a, b, c, d);
	struct rec r;
	struct ingest_stats st;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(ingest(&f, body, 10, 3, &r, &st, err) == RELTO_ETOOBIG);
	CHECK(strstr(err, "more than 3 objects") != NULL);
	CHECK(stored(&f) == 0);
	CHECK(r.progress_calls == 0);
	/* Exactly the maximum is fine. */
	snprintf(body, sizeof(body), "{\"objects\":[%s,%s,%s]}", a, b, c);
	CHECK(ingest(&f, body, 10, 3, &r, &st, err) == RELTO_OK);
	CHECK(st.added == 3 && stored(&f) == 3);
	fix_close(&f);
}

static void test_batches(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char body[4096], one[512];
	size_t used = (size_t)snprintf(body, sizeof(body), "{\"objects\":[");
	for (int i = 1; i <= 5; i++) {
		indicator(one, sizeof(one), i, MOD1);
		used += (size_t)snprintf(body + used, sizeof(body) - used, "%s%s", i > 1 ? "," : "", one);
	}
	snprintf(body + used, sizeof(body) - used, "]}");
	struct rec r;
	struct ingest_stats st;
	CHECK(ingest(&f, body, 2, 0, &r, &st, NULL) == RELTO_OK);
	CHECK(!r.bad && r.calls == 5 && st.total == 5 && st.added == 5);
	for (int i = 0; i < 5; i++)
		CHECK(r.o[i].seen && r.o[i].what == INGEST_ADDED);
	CHECK(stored(&f) == 5);
	CHECK(r.progress_calls >= 2);
	CHECK(r.last_total == strlen(body));
	/* Batch 0 means 1. */
	fix_close(&f);
	CHECK(fix_open(&f) == 0);
	CHECK(ingest(&f, body, 0, 0, &r, &st, NULL) == RELTO_OK);
	CHECK(st.added == 5 && stored(&f) == 5 && r.progress_calls == 5);
	fix_close(&f);
}

/* The header: progress is "called after each stored batch", so five
** objects in batches of two make three calls, the last at the end of the
** last object. */
static void test_progress_every_batch(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char body[4096], one[512];
	size_t used = (size_t)snprintf(body, sizeof(body), "{\"objects\":[");
	for (int i = 1; i <= 5; i++) {
		indicator(one, sizeof(one), i, MOD1);
		used += (size_t)snprintf(body + used, sizeof(body) - used, "%s%s", i > 1 ? "," : "", one);
	}
	size_t end_of_last = used;
	snprintf(body + used, sizeof(body) - used, "]}");
	struct rec r;
	struct ingest_stats st;
	enum relto_err rc = ingest(&f, body, 2, 0, &r, &st, NULL);
	int64_t n = stored(&f);
	fix_close(&f);
	CHECK(rc == RELTO_OK && st.added == 5 && n == 5);
	if (r.progress_calls != 3)
		fprintf(stderr, "  %zu progress calls for 3 stored batches; last at byte %zu of %zu\n",
		        r.progress_calls, r.last_done, r.last_total);
	CHECK(r.progress_calls == 3);
	CHECK(r.last_done == end_of_last);
}

static void test_malformed(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char i1[512];
	indicator(i1, sizeof(i1), 1, MOD1);
	char dup[1024];
	snprintf(dup, sizeof(dup), "{\"objects\":[%s],\"objects\":[]}", i1);
	char trailing[1024];
	snprintf(trailing, sizeof(trailing), "{\"objects\":[%s,]}", i1);
	char late[1024];
	snprintf(late, sizeof(late), "{\"objects\":[%s, {\"a\":1,\"a\":2}]}", i1);
	const char *bodies[] = {"", "   ", "[]", "{", "{\"objects\":{}}", "{\"objects\":5}", dup, trailing, late,
	                        "{\"objects\":[]} {}", "null"};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct rec r;
		struct ingest_stats st;
		char err[RELTO_ERRBUF_SIZE];
		enum relto_err rc = ingest(&f, bodies[i], 10, 0, &r, &st, err);
		if (rc != RELTO_EINVAL || r.calls || !err[0])
			fprintf(stderr, "  body %zu: rc %d, %zu calls: %s\n", i, rc, r.calls, err);
		CHECK(rc == RELTO_EINVAL);
		CHECK(r.calls == 0 && r.progress_calls == 0 && err[0] != '\0');
		CHECK(st.added == 0);
	}
	CHECK(stored(&f) == 0);
	/* No "objects": nothing to do, fine. */
	struct rec r;
	struct ingest_stats st;
	CHECK(ingest(&f, "{\"more\":false}", 10, 0, &r, &st, NULL) == RELTO_OK);
	CHECK(st.total == 0 && r.calls == 0);
	CHECK(ingest(&f, "{\"objects\":[]}", 10, 0, &r, &st, NULL) == RELTO_OK);
	CHECK(st.total == 0);
	fix_close(&f);
}

/* Rejected objects: the id is quoted only when it is a sane string. */
static void test_rejected_ids(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	char longid[400];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	char body[2048];
	snprintf(body, sizeof(body),
	         "{\"objects\":[{\"id\":5},{\"id\":\"\"},{\"id\":\"%s\"},{\"id\":\"indicator--x\",\"modified\":"
	         "\"2016-04-06T20:03:48.1234567890123456789012345Z\"},\"str\",[],null]}",
	         longid);
	struct rec r;
	struct ingest_stats st;
	CHECK(ingest(&f, body, 10, 0, &r, &st, NULL) == RELTO_OK);
	CHECK(!r.bad && st.rejected == 7 && st.total == 7);
	CHECK_STR(r.o[0].id, "objects[0]");
	CHECK_STR(r.o[1].id, "objects[1]");
	CHECK_STR(r.o[2].id, "objects[2]");
	CHECK_STR(r.o[3].id, "indicator--x");
	CHECK_STR(r.o[3].version, ""); /* too long to quote */
	for (int i = 4; i < 7; i++) {
		CHECK(r.o[i].what == INGEST_REJECTED);
		CHECK(strstr(r.o[i].id, "objects[") == r.o[i].id);
	}
	/* A NULL callback is allowed. */
	struct ingest_opts opts = {.batch = 5, .posted_by = "kor"};
	CHECK(ingest_body(f.c, f.coll, SCO, 0, &opts, NULL, NULL, &st, NULL) == RELTO_EINVAL);
	const char *env = "{\"objects\":[" SCO "]}";
	CHECK(ingest_body(f.c, f.coll, env, strlen(env), &opts, NULL, NULL, &st, NULL) == RELTO_OK);
	CHECK(st.added == 1 && stored(&f) == 1);
	fix_close(&f);
}

int main(void)
{
	if (fix_make_dir(dir, sizeof(dir), "ingest"))
		return 1;
	RUN(test_envelope);
	RUN(test_bundle);
	RUN(test_bytes_kept);
	RUN(test_max_objects);
	RUN(test_batches);
	RUN(test_progress_every_batch);
	RUN(test_malformed);
	RUN(test_rejected_ids);
	remove_files();
	rmdir(dir);
	return TEST_DONE();
}
