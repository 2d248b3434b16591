/*
** query_test.c: unit tests for src/taxii/query.c and cursor.c: each TAXII
** query parameter, which endpoints take which (the rest are ignored, bad
** values included), duplicates, the limit and list rules, match[version],
** the query fingerprint, `next` tokens (round trip, and every way a token
** can be wrong), and the STIX id/type predicates.
*/
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "taxii/cursor.h"
#include "taxii/query.h"

#define ID1 "indicator--11111111-2222-4333-8444-555555555555"
#define ID2 "malware--11111111-2222-4333-8444-666666666666"
#define T1 "2016-05-12T08:17:27.123Z"
#define T1_US INT64_C(1463041047123000)

static enum relto_err parse1(const char *key, const char *value, enum taxii_endpoint ep,
                             struct taxii_query *q, char *err)
{
	struct qparam p = {key, value};
	err[0] = '\0';
	return taxii_query_parse(&p, 1, ep, "coll", 100, 1000, q, err);
}

static void test_defaults(void)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(taxii_query_parse(NULL, 0, EP_OBJECTS, NULL, 100, 1000, &q, err) == RELTO_OK);
	CHECK(q.limit == 100 && !q.has_added_after && q.next == NULL);
	CHECK(q.nids == 0 && q.ntypes == 0 && q.nspec_versions == 0);
	CHECK(q.versions.last && !q.versions.first && !q.versions.all && q.versions.nat == 0);
	taxii_query_free(&q);
	/* A default above the cap is lowered to it. */
	CHECK(taxii_query_parse(NULL, 0, EP_MANIFEST, NULL, 500, 50, &q, err) == RELTO_OK);
	CHECK(q.limit == 50);
	taxii_query_free(&q);
	/* DELETE removes every version by default. */
	CHECK(taxii_query_parse(NULL, 0, EP_DELETE, "x", 100, 1000, &q, err) == RELTO_OK);
	CHECK(q.versions.all && !q.versions.last && !q.versions.first);
	taxii_query_free(&q);
	taxii_query_free(&q); /* twice is harmless */
	taxii_query_free(NULL);
}

static void test_every_parameter(void)
{
	struct qparam p[] = {
		{"added_after", T1},
		{"limit", "7"},
		{"next", "tok"},
		{"match[id]", ID1 "," ID2},
		{"match[type]", "indicator,x-custom-thing"},
		{"match[version]", "first," T1},
		{"match[spec_version]", "2.1,2.0"},
		{"unknown", "whatever"},
		{"match[foo]", "bar"},
		{"LIMIT", "-5"}, /* names are case-sensitive: an unknown parameter */
	};
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = taxii_query_parse(p, sizeof(p) / sizeof(p[0]), EP_OBJECTS, "c", 100, 1000, &q, err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK);
	CHECK(q.has_added_after && q.added_after == T1_US);
	CHECK(q.limit == 7);
	CHECK_STR(q.next, "tok");
	CHECK(q.nids == 2);
	CHECK_STR(q.ids[0], ID1);
	CHECK_STR(q.ids[1], ID2);
	CHECK(q.ntypes == 2);
	CHECK_STR(q.types[1], "x-custom-thing");
	CHECK(q.versions.first && !q.versions.last && !q.versions.all);
	CHECK(q.versions.nat == 1 && q.versions.at == q.version_at && q.versions.at[0] == T1_US);
	CHECK(q.nspec_versions == 2);
	CHECK_STR(q.spec_versions[0], "2.1");
	CHECK_STR(q.spec_versions[1], "2.0");
	taxii_query_free(&q);
	CHECK(q.ids == NULL && q.nids == 0 && q.version_at == NULL);
}

/* A valid value for each parameter; whether each endpoint applies it. */
static const struct qparam valid[7] = {
	{"added_after", T1},        {"limit", "7"},          {"next", "tok"},
	{"match[id]", ID1},         {"match[type]", "indicator"},
	{"match[version]", "first"}, {"match[spec_version]", "2.0"},
};

static const char applies[5][8] = {
	/* added_after limit next id type version spec */
	[EP_OBJECTS] = {1, 1, 1, 1, 1, 1, 1},
	[EP_MANIFEST] = {1, 1, 1, 1, 1, 1, 1},
	[EP_OBJECT] = {1, 1, 1, 0, 0, 1, 1},
	[EP_VERSIONS] = {1, 1, 1, 0, 0, 0, 1},
	[EP_DELETE] = {0, 0, 0, 0, 0, 1, 1},
};

/* Did parameter k take effect in q? */
static int took(const struct taxii_query *q, int k)
{
	switch (k) {
	case 0: return q->has_added_after;
	case 1: return q->limit == 7;
	case 2: return q->next != NULL;
	case 3: return q->nids == 1;
	case 4: return q->ntypes == 1;
	case 5: return q->versions.first;
	default: return q->nspec_versions == 1;
	}
}

static void test_endpoint_parameters(void)
{
	size_t wrong = 0;
	for (int ep = EP_OBJECTS; ep <= EP_DELETE; ep++) {
		for (int k = 0; k < 7; k++) {
			struct taxii_query q;
			char err[RELTO_ERRBUF_SIZE] = "";
			enum relto_err rc = taxii_query_parse(&valid[k], 1, (enum taxii_endpoint)ep, "s", 100, 1000, &q, err);
			if (rc != RELTO_OK || took(&q, k) != applies[ep][k]) {
				fprintf(stderr, "  endpoint %d, %s: rc %d, took %d (%s)\n", ep, valid[k].key, rc,
				        took(&q, k), err);
				wrong++;
			}
			taxii_query_free(&q);
			/* Where it does not apply, even a bad value is ignored. */
			struct qparam junk = {valid[k].key, "!!bad!!"};
			rc = taxii_query_parse(&junk, 1, (enum taxii_endpoint)ep, "s", 100, 1000, &q, err);
			if (!applies[ep][k] && rc != RELTO_OK) {
				fprintf(stderr, "  endpoint %d refused an ignored %s (%s)\n", ep, valid[k].key, err);
				wrong++;
			}
			if (applies[ep][k] && k != 2 && rc != RELTO_EINVAL) { /* any next text is a token */
				fprintf(stderr, "  endpoint %d accepted a bad %s\n", ep, valid[k].key);
				wrong++;
			}
			taxii_query_free(&q);
		}
	}
	CHECK(wrong == 0);
}

static void test_duplicates(void)
{
	size_t wrong = 0;
	for (int k = 0; k < 7; k++) {
		struct qparam two[3] = {valid[k], {"other", "x"}, valid[k]};
		struct taxii_query q;
		char err[RELTO_ERRBUF_SIZE] = "";
		char want[64];
		snprintf(want, sizeof(want), "%s: given more than once", valid[k].key);
		enum relto_err rc = taxii_query_parse(two, 3, EP_OBJECTS, "s", 100, 1000, &q, err);
		if (rc != RELTO_EINVAL || strcmp(err, want) != 0) {
			fprintf(stderr, "  %s twice: rc %d: %s\n", valid[k].key, rc, err);
			wrong++;
		}
		/* A valueless second copy counts too. */
		two[2].value = NULL;
		if (taxii_query_parse(two, 3, EP_OBJECTS, "s", 100, 1000, &q, NULL) != RELTO_EINVAL)
			wrong++;
	}
	CHECK(wrong == 0);
}

static void test_empty_values(void)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	for (int k = 0; k < 7; k++) {
		CHECK(parse1(valid[k].key, NULL, EP_OBJECTS, &q, err) == RELTO_EINVAL);
		CHECK(strstr(err, "empty") != NULL);
		CHECK(parse1(valid[k].key, "", EP_OBJECTS, &q, err) == RELTO_EINVAL);
	}
}

struct limit_case {
	const char *v;
	size_t want; /* 0: refused */
};

static const struct limit_case limits[] = {
	{"1", 1}, {"7", 7}, {"999", 999}, {"1000", 1000}, {"1001", 1000},
	{"999999999", 1000}, {"000000005", 5}, {"0", 0}, {"000", 0}, {"-1", 0},
	{"+5", 0}, {" 5", 0}, {"5 ", 0}, {"1.5", 0}, {"1e3", 0}, {"0x10", 0},
	{"abc", 0}, {"1000000000", 0}, {"0000000005", 0}, {"99999999999999999999", 0},
	{"\xd9\xa5", 0}, /* ARABIC-INDIC DIGIT FIVE */
};

static void test_limit(void)
{
	size_t wrong = 0;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct taxii_query q;
		char err[RELTO_ERRBUF_SIZE];
		enum relto_err rc = parse1("limit", limits[i].v, EP_OBJECTS, &q, err);
		int ok = limits[i].want ? rc == RELTO_OK && q.limit == limits[i].want
		                        : rc == RELTO_EINVAL && strncmp(err, "limit: must be a positive whole number", 38) == 0;
		if (!ok) {
			fprintf(stderr, "  limit '%s': rc %d limit %zu: %s\n", limits[i].v, rc, rc ? 0 : q.limit, err);
			wrong++;
		}
		if (!rc)
			taxii_query_free(&q);
	}
	CHECK(wrong == 0);
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(parse1("limit", "-1", EP_OBJECTS, &q, err) == RELTO_EINVAL);
	CHECK_STR(err, "limit: must be a positive whole number of at most 9 digits, got '-1'");
}

struct list_case {
	const char *key, *v, *why; /* why: NULL when valid */
};

static const struct list_case lists[] = {
	{"match[id]", ID1, NULL},
	{"match[id]", ID1 "," ID2, NULL},
	{"match[id]", "x-foo--11111111-2222-4333-8444-555555555555", NULL},
	{"match[id]", ID1 ",", "empty value in the list"},
	{"match[id]", "," ID1, "empty value in the list"},
	{"match[id]", ID1 ",," ID2, "empty value in the list"},
	{"match[id]", ID1 "," ID1, "is listed twice"},
	{"match[id]", "indicator--123", "is not valid here"},
	{"match[id]", "indicator", "is not valid here"},
	{"match[id]", "Indicator--11111111-2222-4333-8444-555555555555", "is not valid here"},
	{"match[id]", "indicator--11111111-2222-4333-8444-55555555555G", "is not valid here"},
	{"match[id]", "indicator-11111111-2222-4333-8444-555555555555", "is not valid here"},
	{"match[id]", ID1 " ", "is not valid here"},
	{"match[type]", "indicator,malware,x-mitre-tactic", NULL},
	{"match[type]", "ipv4-addr", NULL},
	{"match[type]", "indicator,indicator", "is listed twice"},
	{"match[type]", "Indicator", "is not valid here"},
	{"match[type]", "ab", "is not valid here"},
	{"match[type]", "a--b", "is not valid here"},
	{"match[type]", "-abc", "is not valid here"},
	{"match[type]", "abc-", "is not valid here"},
	{"match[type]", "in dicator", "is not valid here"},
	{"match[type]", "indicator,", "empty value"},
	{"match[spec_version]", "2.1", NULL},
	{"match[spec_version]", "2.0,2.1", NULL},
	{"match[spec_version]", "2.1,2.1", "is listed twice"},
	{"match[spec_version]", "2", "is not valid here"},
	{"match[spec_version]", "2.", "is not valid here"},
	{"match[spec_version]", "2.1.1", "is not valid here"},
	{"match[spec_version]", "2.10", "is not valid here"},
	{"match[spec_version]", "v2.1", "is not valid here"},
	{"match[spec_version]", "a.b", "is not valid here"},
};

static void test_lists(void)
{
	size_t wrong = 0;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct taxii_query q;
		char err[RELTO_ERRBUF_SIZE];
		enum relto_err rc = parse1(lists[i].key, lists[i].v, EP_OBJECTS, &q, err);
		int ok = lists[i].why ? rc == RELTO_EINVAL && strncmp(err, lists[i].key, strlen(lists[i].key)) == 0 &&
		                                strstr(err, lists[i].why)
		                      : rc == RELTO_OK;
		if (!ok) {
			fprintf(stderr, "  %s=%s: rc %d: %s\n", lists[i].key, lists[i].v, rc, err);
			wrong++;
		}
		if (!rc)
			taxii_query_free(&q);
	}
	CHECK(wrong == 0);
}

/* 1000 values are allowed, 1001 are not. */
static void test_list_size(void)
{
	size_t n = 1001, len = n * 4;
	char *v = malloc(len + 1);
	CHECK(v != NULL);
	for (size_t i = 0; i < n; i++)
		snprintf(v + i * 4, 5, "%c%c%c,", 'a' + (int)(i / 676), 'a' + (int)(i / 26 % 26), 'a' + (int)(i % 26));
	v[len - 1] = '\0'; /* 1001 values */
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	enum relto_err rc = parse1("match[type]", v, EP_OBJECTS, &q, err);
	int refused = rc == RELTO_EINVAL && strstr(err, "more than 1000 values");
	v[len - 5] = '\0'; /* 1000 values */
	rc = parse1("match[type]", v, EP_OBJECTS, &q, err);
	free(v);
	CHECK(refused);
	CHECK(rc == RELTO_OK && q.ntypes == 1000);
	taxii_query_free(&q);
}

static void test_versions(void)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(parse1("match[version]", "first,last," T1 ",2020-01-01T00:00:00Z", EP_OBJECTS, &q, err) == RELTO_OK);
	CHECK(q.versions.first && q.versions.last && !q.versions.all && q.versions.nat == 2);
	CHECK(q.versions.at[0] == T1_US && q.versions.at[1] == INT64_C(1577836800000000));
	taxii_query_free(&q);
	CHECK(parse1("match[version]", "last", EP_OBJECT, &q, err) == RELTO_OK);
	CHECK(q.versions.last && !q.versions.first && q.versions.nat == 0);
	taxii_query_free(&q);
	CHECK(parse1("match[version]", "all", EP_MANIFEST, &q, err) == RELTO_OK);
	CHECK(q.versions.all && !q.versions.first && !q.versions.last);
	taxii_query_free(&q);
	CHECK(parse1("match[version]", T1, EP_DELETE, &q, err) == RELTO_OK);
	CHECK(!q.versions.all && !q.versions.last && q.versions.nat == 1); /* no default added */
	taxii_query_free(&q);
	CHECK(parse1("match[version]", "first", EP_DELETE, &q, err) == RELTO_OK);
	CHECK(q.versions.first && !q.versions.all);
	taxii_query_free(&q);

	static const char *const bad_v[][2] = {
		{"all,first", "'all' cannot be combined"}, {"last,all", "'all' cannot be combined"},
		{"all," T1, "'all' cannot be combined"},   {"all,all", "listed twice"},
		{"first,first", "listed twice"},           {"latest", "is not first, last, all"},
		{"First", "is not first, last, all"},      {"2016-05-12", "is not first, last, all"},
		{"first,", "empty value"},                 {"2016-02-30T00:00:00Z", "is not first"},
	};
	size_t wrong = 0;
	for (size_t i = 0; i < sizeof(bad_v) / sizeof(bad_v[0]); i++) {
		enum relto_err rc = parse1("match[version]", bad_v[i][0], EP_OBJECTS, &q, err);
		if (rc != RELTO_EINVAL || strncmp(err, "match[version]: ", 16) || !strstr(err, bad_v[i][1])) {
			fprintf(stderr, "  match[version]=%s: rc %d: %s\n", bad_v[i][0], rc, err);
			wrong++;
		}
	}
	CHECK(wrong == 0);
}

static void test_added_after(void)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(parse1("added_after", "1970-01-01T00:00:00Z", EP_VERSIONS, &q, err) == RELTO_OK);
	CHECK(q.has_added_after && q.added_after == 0);
	taxii_query_free(&q);
	const char *bad_t[] = {"yesterday", "2016-05-12", "2016-05-12T08:17:27", "1463041047", "2016-05-12T08:17:27+00:00"};
	for (size_t i = 0; i < sizeof(bad_t) / sizeof(bad_t[0]); i++) {
		CHECK(parse1("added_after", bad_t[i], EP_OBJECTS, &q, err) == RELTO_EINVAL);
		CHECK(strstr(err, bad_t[i]) != NULL);
	}
}

/* The header: err names the parameter and the problem, as every other
** parameter's message does ("limit: ...", "match[id]: ..."). */
static void test_added_after_names_parameter(void)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(parse1("added_after", "yesterday", EP_OBJECTS, &q, err) == RELTO_EINVAL);
	if (strncmp(err, "added_after: ", 13) != 0)
		fprintf(stderr, "  message: %s\n", err);
	CHECK(strncmp(err, "added_after: ", 13) == 0);
}

/* Fingerprint of a query given as "key=value" strings. */
static int fp_of(enum taxii_endpoint ep, const char *scope, const char *const *kv, size_t n,
                 unsigned char out[QUERY_FINGERPRINT_LEN])
{
	struct qparam p[8];
	char keys[8][32];
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		snprintf(keys[i], sizeof(keys[i]), "%.*s", (int)(eq - kv[i]), kv[i]);
		p[i].key = keys[i];
		p[i].value = eq + 1;
	}
	struct taxii_query q;
	if (taxii_query_parse(p, n, ep, scope, 100, 1000, &q, NULL) != RELTO_OK)
		return -1;
	memcpy(out, q.fingerprint, QUERY_FINGERPRINT_LEN);
	taxii_query_free(&q);
	return 0;
}

static void test_fingerprint(void)
{
	static const char *const base[] = {("added_after=" T1), ("match[id]=" ID1), "match[type]=indicator",
	                                   "match[version]=first", "match[spec_version]=2.1"};
	unsigned char a[QUERY_FINGERPRINT_LEN], b[QUERY_FINGERPRINT_LEN];
	CHECK(fp_of(EP_OBJECTS, "c1", base, 5, a) == 0);
	CHECK(fp_of(EP_OBJECTS, "c1", base, 5, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);

	/* The same parameters in another order, and with limit/next/unknown. */
	const char *const shuffled[] = {"match[spec_version]=2.1", "limit=3", base[3], base[2], "next=abc",
	                                base[1], "foo=bar", base[0]};
	CHECK(fp_of(EP_OBJECTS, "c1", shuffled, 8, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);

	/* Any one selecting parameter changed, dropped, or the scope or endpoint. */
	static const char *const other[] = {"added_after=2016-05-12T08:17:28Z", ("match[id]=" ID2),
	                                    "match[type]=malware", "match[version]=last", "match[spec_version]=2.0"};
	for (size_t i = 0; i < 5; i++) {
		const char *changed[5];
		memcpy(changed, base, sizeof(changed));
		changed[i] = other[i];
		CHECK(fp_of(EP_OBJECTS, "c1", changed, 5, b) == 0);
		CHECK(memcmp(a, b, sizeof(a)) != 0);
		changed[i] = "ignored=1";
		CHECK(fp_of(EP_OBJECTS, "c1", changed, 5, b) == 0);
		CHECK(memcmp(a, b, sizeof(a)) != 0);
	}
	CHECK(fp_of(EP_OBJECTS, "c2", base, 5, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(fp_of(EP_OBJECTS, NULL, base, 5, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(fp_of(EP_MANIFEST, "c1", base, 5, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);

	/* Parameters an endpoint ignores do not count for it. */
	const char *const del1[] = {"match[version]=first", ("added_after=" T1), "limit=4"};
	const char *const del2[] = {"match[version]=first", ("match[id]=" ID2)};
	CHECK(fp_of(EP_DELETE, "c1/" ID1, del1, 3, a) == 0);
	CHECK(fp_of(EP_DELETE, "c1/" ID1, del2, 2, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	CHECK(fp_of(EP_DELETE, "c1/" ID2, del2, 2, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	/* No parameters at all still fingerprints the scope. */
	CHECK(fp_of(EP_OBJECTS, "c1", NULL, 0, a) == 0);
	CHECK(fp_of(EP_OBJECTS, "c2", NULL, 0, b) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static void test_cursor_roundtrip(void)
{
	unsigned char key[STORE_SECRET_LEN], fp[QUERY_FINGERPRINT_LEN];
	memset(key, 0x5a, sizeof(key));
	memset(fp, 0xa5, sizeof(fp));
	static const int64_t vals[][2] = {
		{0, 0}, {1, 2}, {T1_US, 42}, {-1, -1}, {INT64_MIN, INT64_MAX}, {INT64_MAX, INT64_MIN},
	};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char tok[CURSOR_TOKEN_SIZE];
		cursor_make(key, fp, vals[i][0], vals[i][1], tok);
		CHECK(strlen(tok) == 44);
		CHECK(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 44);
		int64_t da = 7, seq = 7;
		char err[RELTO_ERRBUF_SIZE] = "";
		CHECK(cursor_read(key, fp, tok, &da, &seq, err) == RELTO_OK);
		CHECK(da == vals[i][0] && seq == vals[i][1]);
		CHECK(err[0] == '\0');
	}
	/* Deterministic: the same position makes the same token. */
	char t1[CURSOR_TOKEN_SIZE], t2[CURSOR_TOKEN_SIZE];
	cursor_make(key, fp, 5, 6, t1);
	cursor_make(key, fp, 5, 6, t2);
	CHECK_STR(t1, t2);
	cursor_make(key, fp, 5, 7, t2);
	CHECK(strcmp(t1, t2) != 0);
}

static void test_cursor_refused(void)
{
	unsigned char key[STORE_SECRET_LEN], fp[QUERY_FINGERPRINT_LEN];
	memset(key, 1, sizeof(key));
	memset(fp, 2, sizeof(fp));
	char tok[CURSOR_TOKEN_SIZE], bad_tok[256];
	cursor_make(key, fp, T1_US, 9, tok);
	size_t wrong = 0;
	int64_t da = 7, seq = 7;

	/* Every character changed, one at a time (to another valid one). */
	for (size_t i = 0; i < strlen(tok); i++) {
		snprintf(bad_tok, sizeof(bad_tok), "%s", tok);
		bad_tok[i] = bad_tok[i] == 'A' ? 'B' : 'A';
		if (cursor_read(key, fp, bad_tok, &da, &seq, NULL) != RELTO_EINVAL)
			wrong++;
	}
	CHECK(wrong == 0);
	/* Truncated, extended, padded, garbage. */
	const char *garbage[] = {"", "A", "!!!!", "not a token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	                         "////////////////////////////////////////////"};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		if (cursor_read(key, fp, garbage[i], &da, &seq, NULL) != RELTO_EINVAL)
			wrong++;
	for (size_t cut = 1; cut <= 8; cut++) {
		snprintf(bad_tok, sizeof(bad_tok), "%.*s", (int)(strlen(tok) - cut), tok);
		if (cursor_read(key, fp, bad_tok, &da, &seq, NULL) != RELTO_EINVAL)
			wrong++;
	}
	/* A byte outside the URL-safe alphabet in place of '_' or any other
	** character: refused, never read as '_' (a fuzzing finding). */
	for (size_t i = 0; i < strlen(tok); i++) {
		snprintf(bad_tok, sizeof(bad_tok), "%s", tok);
		bad_tok[i] = (char)0x9f;
		if (cursor_read(key, fp, bad_tok, &da, &seq, NULL) != RELTO_EINVAL)
			wrong++;
	}
	const char *tails[] = {"A", "AA", "AAAA", "=", "==", " ", "\n", "%3D"};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(bad_tok, sizeof(bad_tok), "%s%s", tok, tails[i]);
		if (cursor_read(key, fp, bad_tok, &da, &seq, NULL) != RELTO_EINVAL)
			wrong++;
	}
	char longtok[200];
	memset(longtok, 'A', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	if (cursor_read(key, fp, longtok, &da, &seq, NULL) != RELTO_EINVAL)
		wrong++;
	CHECK(wrong == 0);
	CHECK(da == 7 && seq == 7); /* never written on failure */

	/* Another query's fingerprint, another store's key. */
	char err[RELTO_ERRBUF_SIZE] = "";
	unsigned char fp2[QUERY_FINGERPRINT_LEN], key2[STORE_SECRET_LEN];
	memcpy(fp2, fp, sizeof(fp2));
	fp2[31] ^= 1;
	CHECK(cursor_read(key, fp2, tok, &da, &seq, err) == RELTO_EINVAL);
	CHECK(strstr(err, "belongs to a different query") != NULL);
	memcpy(key2, key, sizeof(key2));
	key2[0] ^= 0x80;
	CHECK(cursor_read(key2, fp, tok, &da, &seq, NULL) == RELTO_EINVAL);
	err[0] = '\0';
	CHECK(cursor_read(key, fp, "%%%", &da, &seq, err) == RELTO_EINVAL);
	CHECK_STR(err, "next: not a token this server issued");
	CHECK(cursor_read(key, fp, tok, &da, &seq, NULL) == RELTO_OK && da == T1_US && seq == 9);
}

static void test_stix_predicates(void)
{
	static const char *const ids_ok[] = {ID1, ID2, "x-a--00000000-0000-0000-0000-000000000000",
	                                     "ipv4-addr--ABCDEF01-2222-4333-8444-555555555555"};
	static const char *const ids_bad[] = {"", "--", "indicator--", "indicator",
	                                      "indicator--11111111-2222-4333-8444-5555555555555",
	                                      "indicator--11111111-2222-4333-8444-55555555555",
	                                      "indicator--11111111-2222-4333-8444x555555555555",
	                                      "ab--11111111-2222-4333-8444-555555555555",
	                                      "x--y--11111111-2222-4333-8444-555555555555",
	                                      "Indicator--11111111-2222-4333-8444-555555555555",
	                                      "indicator---11111111-2222-4333-8444-555555555555",
	                                      "indicator--{1111111-2222-4333-8444-555555555555"};
	for (size_t i = 0; i < sizeof(ids_ok) / sizeof(ids_ok[0]); i++)
		CHECK(taxii_is_stix_id(ids_ok[i]));
	for (size_t i = 0; i < sizeof(ids_bad) / sizeof(ids_bad[0]); i++) {
		if (taxii_is_stix_id(ids_bad[i]))
			fprintf(stderr, "  accepted id '%s'\n", ids_bad[i]);
		CHECK(!taxii_is_stix_id(ids_bad[i]));
	}
	CHECK(taxii_is_stix_type("abc", 3));
	CHECK(taxii_is_stix_type("x-mitre-tactic", 14));
	CHECK(taxii_is_stix_type("3ds", 3)); /* digits allowed anywhere here */
	CHECK(taxii_is_stix_type("indicator--x", 9)); /* len counts, not the NUL */
	CHECK(!taxii_is_stix_type("ab", 2));
	CHECK(!taxii_is_stix_type("", 0));
	CHECK(!taxii_is_stix_type("-ab", 3));
	CHECK(!taxii_is_stix_type("ab-", 3));
	CHECK(!taxii_is_stix_type("a--b", 4));
	CHECK(!taxii_is_stix_type("a_b", 3));
	CHECK(!taxii_is_stix_type("aBc", 3));
	char t[252];
	memset(t, 'a', sizeof(t));
	CHECK(taxii_is_stix_type(t, 250));
	CHECK(!taxii_is_stix_type(t, 251));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_defaults);
	RUN(test_every_parameter);
	RUN(test_endpoint_parameters);
	RUN(test_duplicates);
	RUN(test_empty_values);
	RUN(test_limit);
	RUN(test_lists);
	RUN(test_list_size);
	RUN(test_versions);
	RUN(test_added_after);
	RUN(test_added_after_names_parameter);
	RUN(test_fingerprint);
	RUN(test_cursor_roundtrip);
	RUN(test_cursor_refused);
	RUN(test_stix_predicates);
	return TEST_DONE();
}
