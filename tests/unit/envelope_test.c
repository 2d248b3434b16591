/*
** envelope_test.c: unit tests for src/stix/envelope.c.  Every body is copied
** to a heap block of exactly its length (no NUL after it), so AddressSanitizer
** catches any read past the end; every span handed to the callback is checked
** to lie inside the body, to start and end on a non-blank byte, to equal the
** expected bytes, and to parse on its own to the value the callback got.
*/
#include <stdint.h>
#include <stdlib.h>
#include <limits.h>
#include <time.h>
#include "test.h"
#include "stix/stix.h"

#define MAX_SPANS 12

/* The countdown lives in the test only; Jansson's allocator hooks take no
** context, so a file-scope counter is the one way to reach them. */
static long alloc_budget = -1; /* -1: no limit */

static void *limited_malloc(size_t n)
{
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

/* What the callback saw. */
struct rec {
	const char *body;
	size_t body_len;
	size_t calls;
	size_t next_index;      /* the index expected on the next call */
	int bad;                /* a span or value failed a check; see stderr */
	size_t stop_at;         /* return stop_rc when index == stop_at */
	enum relto_err stop_rc;
	char *spans[MAX_SPANS]; /* copies of the first spans */
	json_type types[MAX_SPANS];
};

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static enum relto_err record(void *ctx, size_t index, const char *raw, size_t len,
                             json_t *value)
{
	struct rec *r = ctx;
	r->calls++;
	if (index != r->next_index || !value || len == 0 || raw < r->body ||
	    raw + len > r->body + r->body_len || blank(raw[0]) || blank(raw[len - 1])) {
		fprintf(stderr, "  bad call: index %zu (want %zu), len %zu\n", index,
		        r->next_index, len);
		r->bad = 1;
		return RELTO_EINTERNAL;
	}
	r->next_index++;
	/* The span alone is the value, and nothing but it. */
	json_error_t e;
	json_t *again = json_loadb(raw, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	/* (under test_oom this parse may itself run out of memory) */
	if ((!again && alloc_budget < 0) || (again && !json_equal(again, value))) {
		fprintf(stderr, "  span %zu does not re-parse to the value: %.*s\n", index,
		        (int)len, raw);
		r->bad = 1;
	}
	json_decref(again);
	if (index < MAX_SPANS) {
		r->spans[index] = strndup(raw, len);
		r->types[index] = json_typeof(value);
	}
	if (index == r->stop_at)
		return r->stop_rc;
	return RELTO_OK;
}

static void rec_free(struct rec *r)
{
	for (size_t i = 0; i < MAX_SPANS; i++)
		free(r->spans[i]);
}

/* Run the walk over a private heap copy of body[0..len). */
static enum relto_err walk(const char *body, size_t len, struct rec *r, size_t *count,
                           char *err)
{
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return RELTO_ENOMEM;
	memcpy(copy, body, len);
	r->body = copy;
	r->body_len = len;
	enum relto_err rc = stix_envelope_each(copy, len, record, r, count, err);
	free(copy);
	r->body = NULL;
	return rc;
}

struct good_case {
	const char *body;
	size_t count;
	const char *spans[MAX_SPANS]; /* the first ones, NULL-terminated */
};

static const struct good_case good[] = {
	{ "{\"objects\":[{\"type\":\"a\"},{\"type\":\"b\"}]}", 2,
	  { "{\"type\":\"a\"}", "{\"type\":\"b\"}" } },
	/* Whitespace of every kind everywhere, members before and after. */
	{ " \t\r\n{ \"more\" : false ,\n\"objects\"\t:\r\n[\n  {\"a\" : 1 } ,\n\t2\n,\"x\" ] , "
	  "\"next\":\"1\" }\n\t ",
	  3, { "{\"a\" : 1 }", "2", "\"x\"" } },
	{ "{\"objects\":[1]}\n", 1, { "1" } },
	/* A STIX bundle. */
	{ "{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\","
	  "\"objects\":[{\"id\":\"x\"}]}",
	  1, { "{\"id\":\"x\"}" } },
	/* No objects. */
	{ "{\"objects\":[]}", 0, { NULL } },
	{ "{\"objects\":[ \n\t ]}", 0, { NULL } },
	{ "{\"more\":false}", 0, { NULL } },
	{ "{}", 0, { NULL } },
	{ " { } ", 0, { NULL } },
	/* Elements that are not objects reach the callback as they are. */
	{ "{\"objects\":[null,true,false,0,-1.5e3,\"s\",[],{},[1,[2]],{\"a\":{\"b\":[]}}]}", 10,
	  { "null", "true", "false", "0", "-1.5e3", "\"s\"", "[]", "{}", "[1,[2]]",
	    "{\"a\":{\"b\":[]}}" } },
	/* Multi-byte UTF-8 and escapes: spans are bytes, not characters. */
	{ "{\"objects\":[\"\xc3\xa9\xe2\x82\xac\",{\"k\":\"\\u00e9\"},\"\\ud83d\\ude00\","
	  "\"\xf0\x9f\x98\x80\"]}",
	  4, { "\"\xc3\xa9\xe2\x82\xac\"", "{\"k\":\"\\u00e9\"}", "\"\\ud83d\\ude00\"",
	       "\"\xf0\x9f\x98\x80\"" } },
	/* "objects" elsewhere is not the list. */
	{ "{\"more\":{\"objects\":[1,2,3]},\"x\":[{\"objects\":[9]}],\"objects\":[4]}", 1,
	  { "4" } },
	/* The key is compared decoded, as Jansson saw it in the first pass. */
	{ "{\"obj\\u0065cts\":[1]}", 1, { "1" } },
	{ "{\"objects \":[1],\"Objects\":[2]}", 0, { NULL } },
	/* Punctuation inside strings does not confuse the walk. */
	{ "{\"a\":\"]}{[,:\\\"\",\"objects\":[\"]\\\"[,\",{\"b\":\"}\"},\"\\\\\"]}", 3,
	  { "\"]\\\"[,\"", "{\"b\":\"}\"}", "\"\\\\\"" } },
	/* Numbers end exactly where they end. */
	{ "{\"objects\":[1,22 , 333\n,4e4]}", 4, { "1", "22", "333", "4e4" } },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rec r = { .stop_at = SIZE_MAX };
		char err[RELTO_ERRBUF_SIZE] = "";
		size_t count = 99;
		enum relto_err rc = walk(good[i].body, strlen(good[i].body), &r, &count, err);
		if (rc != RELTO_OK || count != good[i].count)
			fprintf(stderr, "  case %zu: rc %d count %zu: %s\n", i, rc, count, err);
		int spans_ok = 1;
		for (size_t j = 0; j < MAX_SPANS && good[i].spans[j]; j++)
			if (!r.spans[j] || strcmp(r.spans[j], good[i].spans[j]) != 0) {
				fprintf(stderr, "  case %zu span %zu: got %s want %s\n", i, j,
				        r.spans[j] ? r.spans[j] : "(none)", good[i].spans[j]);
				spans_ok = 0;
			}
		size_t calls = r.calls;
		int wrong = r.bad;
		rec_free(&r);
		CHECK(rc == RELTO_OK);
		CHECK(err[0] == '\0');
		CHECK(count == good[i].count);
		CHECK(calls == good[i].count);
		CHECK(!wrong);
		CHECK(spans_ok);
	}
}

/* The callback sees the JSON type of non-object elements. */
static void test_types(void)
{
	const char *b = "{\"objects\":[null,true,3,2.5,\"s\",[],{}]}";
	struct rec r = { .stop_at = SIZE_MAX };
	CHECK(walk(b, strlen(b), &r, NULL, NULL) == RELTO_OK);
	static const json_type want[] = { JSON_NULL, JSON_TRUE, JSON_INTEGER, JSON_REAL,
		                          JSON_STRING, JSON_ARRAY, JSON_OBJECT };
	int ok = r.calls == 7;
	for (size_t i = 0; ok && i < 7; i++)
		ok = r.types[i] == want[i];
	rec_free(&r);
	CHECK(ok);
}

struct bad_case {
	const char *body;
	size_t len; /* 0: strlen(body) */
	enum relto_err rc;
	const char *why; /* expected inside the message */
};

static const struct bad_case bad[] = {
	/* Duplicate keys, at the top and at any depth, anywhere in the body. */
	{ "{\"objects\":[],\"objects\":[]}", 0, RELTO_EINVAL, "duplicate object key" },
	{ "{\"obj\\u0065cts\":[1],\"objects\":[2]}", 0, RELTO_EINVAL, "duplicate object key" },
	{ "{\"objects\":[{\"a\":1},{\"b\":{\"c\":1,\"c\":2}}]}", 0, RELTO_EINVAL,
	  "duplicate object key near '\"c\"'" },
	{ "{\"objects\":[{\"id\":\"a\",\"object_marking_refs\":[],\"object_marking_refs\":[]}]}",
	  0, RELTO_EINVAL, "duplicate object key" },
	{ "{\"objects\":[{\"a\":1}],\"more\":{\"x\":1,\"x\":1}}", 0, RELTO_EINVAL,
	  "duplicate object key" },
	{ "{\n\"objects\": [\n{\"a\":1,\n\"a\":2}]}", 0, RELTO_EINVAL, "line 4, column 3" },
	/* Trailing garbage and truncation. */
	{ "{\"objects\":[]}x", 0, RELTO_EINVAL, "end of file expected" },
	{ "{\"objects\":[]} {}", 0, RELTO_EINVAL, "end of file expected" },
	{ "{\"objects\":[]},", 0, RELTO_EINVAL, "end of file expected" },
	{ "{\"objects\":[]}\0", 15, RELTO_EINVAL, "line 1, column 15 (byte 14): NUL byte" },
	{ "{\"objects\":[{\"a\":1}", 0, RELTO_EINVAL, "line 1" },
	{ "{\"objects\":[1,]}", 0, RELTO_EINVAL, "unexpected token" },
	{ "{'objects':[]}", 0, RELTO_EINVAL, "string or '}' expected" },
	{ "{\"objects\":[1]/*c*/}", 0, RELTO_EINVAL, "line 1" },
	{ "{\"objects\":[01]}", 0, RELTO_EINVAL, "invalid token" },
	{ "{\"objects\":[NaN]}", 0, RELTO_EINVAL, "invalid token" },
	/* Not an object at the top. */
	{ "[{\"type\":\"indicator\"}]", 0, RELTO_EINVAL, "body must be a JSON object, not a list" },
	{ "\"objects\"", 0, RELTO_EINVAL, "body must be a JSON object, not a string" },
	{ "42", 0, RELTO_EINVAL, "body must be a JSON object, not a number" },
	{ "null", 0, RELTO_EINVAL, "body must be a JSON object, not null" },
	{ "", 0, RELTO_EINVAL, "empty body" },
	{ " \r\n\t", 0, RELTO_EINVAL, "empty body" },
	/* "objects" must be a list. */
	{ "{\"objects\":{}}", 0, RELTO_EINVAL, "\"objects\" must be a list, not an object" },
	{ "{\"objects\":null}", 0, RELTO_EINVAL, "\"objects\" must be a list, not null" },
	{ "{\"objects\":\"[]\"}", 0, RELTO_EINVAL, "\"objects\" must be a list, not a string" },
	{ "{\"objects\":1}", 0, RELTO_EINVAL, "\"objects\" must be a list, not a number" },
	/* Invalid UTF-8 (messages keep to printable ASCII), NUL, surrogates. */
	{ "{\"objects\":[\"\xff\"]}", 0, RELTO_EINVAL, "unable to decode byte 0xff" },
	{ "{\"objects\":[\"\xc0\xaf\"]}", 0, RELTO_EINVAL, "unable to decode byte 0xc0" },
	{ "{\"objects\":[\"\xed\xa0\x80\"]}", 0, RELTO_EINVAL, "unable to decode byte 0xed" },
	{ "{\"objects\":[\"\xf4\x90\x80\x80\"]}", 0, RELTO_EINVAL, "unable to decode" },
	{ "{\"obj\xe9\":1,\"objects\":[1]}", 0, RELTO_EINVAL, "unable to decode" },
	{ "{\"objects\":[\"a\\u0000b\"]}", 0, RELTO_EINVAL, "\\u0000 is not allowed" },
	{ "{\"objects\":[\0]}", 16, RELTO_EINVAL, "(byte 12): NUL byte in the body" },
	/* Jansson 2.14 alone would drop a NUL after a number or literal. */
	{ "{\"objects\":[5\0]}", 17, RELTO_EINVAL, "(byte 13): NUL byte in the body" },
	{ "{\"objects\":[true\0,1]}", 22, RELTO_EINVAL, "NUL byte in the body" },
	{ "{\n\"objects\":[{\"a\":5\0}]}", 23, RELTO_EINVAL,
	  "line 2, column 18 (byte 19): NUL byte in the body" },
	{ "{\"objects\":[\"\\ud800\"]}", 0, RELTO_EINVAL, "invalid Unicode" },
	{ "{\"objects\":[\"a\tb\"]}", 0, RELTO_EINVAL, "control character" },
	{ "\xef\xbb\xbf{\"objects\":[]}", 0, RELTO_EINVAL, "line 1" },
	/* Numbers Jansson cannot hold are refused, not rounded. */
	{ "{\"objects\":[{\"n\":123456789012345678901234567890}]}", 0, RELTO_EINVAL,
	  "too big integer" },
	{ "{\"objects\":[1e400]}", 0, RELTO_EINVAL, "real number overflow" },
};

static int printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rec r = { .stop_at = SIZE_MAX };
		char err[RELTO_ERRBUF_SIZE] = "";
		size_t count = 99;
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].body);
		enum relto_err rc = walk(bad[i].body, len, &r, &count, err);
		if (rc != bad[i].rc || !strstr(err, bad[i].why))
			fprintf(stderr, "  case %zu: rc %d: %s\n", i, rc, err);
		size_t calls = r.calls;
		rec_free(&r);
		CHECK(rc == bad[i].rc);
		CHECK(calls == 0); /* the body is checked whole before any callback */
		CHECK(count == 0);
		CHECK(strstr(err, bad[i].why) != NULL);
		CHECK(printable(err));
	}
}

/* A callback's non-OK code stops the walk and comes back as is. */
static void test_callback_stops(void)
{
	const char *b = "{\"objects\":[{\"a\":1},{\"a\":2},{\"a\":3}]}";
	struct rec r = { .stop_at = 1, .stop_rc = RELTO_ECONFLICT };
	size_t count = 99;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = walk(b, strlen(b), &r, &count, err);
	size_t calls = r.calls;
	rec_free(&r);
	CHECK(rc == RELTO_ECONFLICT);
	CHECK(calls == 2);
	CHECK(count == 1); /* the calls that returned RELTO_OK */
	CHECK(err[0] == '\0');

	struct rec first = { .stop_at = 0, .stop_rc = RELTO_EDENIED };
	CHECK(walk(b, strlen(b), &first, NULL, NULL) == RELTO_EDENIED);
	calls = first.calls;
	rec_free(&first);
	CHECK(calls == 1);
}

/* NULL callback, count and err are allowed. */
static void test_nulls(void)
{
	const char *b = "{\"objects\":[1,2,3]}";
	size_t count = 0;
	CHECK(stix_envelope_each(b, strlen(b), NULL, NULL, &count, NULL) == RELTO_OK);
	CHECK(count == 3);
	CHECK(stix_envelope_each(b, strlen(b), NULL, NULL, NULL, NULL) == RELTO_OK);
	CHECK(stix_envelope_each("[", 1, NULL, NULL, NULL, NULL) == RELTO_EINVAL);
}

/* The first message in err stays. */
static void test_first_message_stays(void)
{
	char err[RELTO_ERRBUF_SIZE] = "earlier";
	CHECK(stix_envelope_each("[]", 2, NULL, NULL, NULL, err) == RELTO_EINVAL);
	CHECK_STR(err, "earlier");
}

/* Over INT_MAX bytes is refused before a byte is read (Jansson reports
** positions as int). */
static void test_too_large(void)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	char one = '{';
	size_t count = 99;
	CHECK(stix_envelope_each(&one, (size_t)INT_MAX + 1, NULL, NULL, &count, err) ==
	      RELTO_ETOOBIG);
	CHECK(count == 0);
	CHECK(strstr(err, "too large") != NULL);
}

/* Deeper than Jansson's limit: RELTO_ETOOBIG, not a crash. */
static void test_too_deep(void)
{
	size_t depth = 5000, len = 12 + 2 * depth + 2;
	char *b = malloc(len);
	CHECK(b != NULL);
	memcpy(b, "{\"objects\":[", 12);
	memset(b + 12, '[', depth);
	memset(b + 12 + depth, ']', depth);
	memcpy(b + 12 + 2 * depth, "]}", 2);
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = stix_envelope_each(b, len, NULL, NULL, NULL, err);
	free(b);
	CHECK(rc == RELTO_ETOOBIG);
	CHECK(strstr(err, "nested deeper than") != NULL);
}

struct big_ctx {
	const char *body;
	size_t calls;
	int bad;
};

static enum relto_err check_big(void *ctx, size_t index, const char *raw, size_t len,
                                json_t *value)
{
	struct big_ctx *c = ctx;
	/* Element i is {"i":i}: its bytes and its value must agree. */
	char want[40];
	int n = snprintf(want, sizeof(want), "{\"i\":%zu}", index);
	if ((size_t)n != len || memcmp(raw, want, len) != 0 ||
	    json_integer_value(json_object_get(value, "i")) != (json_int_t)index)
		c->bad = 1;
	c->calls++;
	return RELTO_OK;
}

/* A million small objects: linear time (a quadratic walk would take
** minutes here), every span right. */
static void test_million(void)
{
	size_t n = 1000000, cap = 32 + n * 20, len = 0;
	char *b = malloc(cap);
	CHECK(b != NULL);
	len += (size_t)snprintf(b, cap, "{\"more\":false,\"objects\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"i\":%zu}", i ? "," : "", i);
	len += (size_t)snprintf(b + len, cap - len, "]}");
	struct big_ctx c = { b, 0, 0 };
	size_t count = 0;
	clock_t t0 = clock();
	enum relto_err rc = stix_envelope_each(b, len, check_big, &c, &count, NULL);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	free(b);
	fprintf(stderr, "  (1M objects, %zu bytes: %.2f s)\n", len, secs);
	CHECK(rc == RELTO_OK);
	CHECK(count == n);
	CHECK(c.calls == n);
	CHECK(!c.bad);
}

/* With Jansson's Nth allocation failing, the walk completes correctly or
** fails cleanly: no crash, no leak (ASan checks at exit), no wrong span.
** Jansson reports some failed allocations as syntax errors ("string or '}'
** expected" when it cannot allocate a key), so RELTO_EINVAL and, from the
** second pass, RELTO_EINTERNAL are possible here besides RELTO_ENOMEM. */
static void test_oom(void)
{
	const char *b = "{\"more\":{\"a\":[1,2]},\"objects\":[{\"a\":\"xyz\",\"b\":[1,{}]},"
	                "\"long string to make the lexer grow its buffer\",3]}";
	int saw_enomem = 0, ok_after = 0;
	for (long n = 0; n < 500 && !ok_after; n++) {
		struct rec r = { .stop_at = SIZE_MAX };
		char err[RELTO_ERRBUF_SIZE] = "";
		json_set_alloc_funcs(limited_malloc, free);
		alloc_budget = n;
		enum relto_err rc = walk(b, strlen(b), &r, NULL, err);
		alloc_budget = -1;
		json_set_alloc_funcs(malloc, free);
		size_t calls = r.calls;
		int wrong = r.bad;
		rec_free(&r);
		CHECK(rc == RELTO_OK || rc == RELTO_ENOMEM || rc == RELTO_EINVAL ||
		      rc == RELTO_EINTERNAL);
		CHECK(!wrong);
		CHECK(rc != RELTO_OK || calls == 3);
		CHECK(rc == RELTO_OK || err[0] != '\0');
		saw_enomem |= rc == RELTO_ENOMEM;
		ok_after = rc == RELTO_OK;
	}
	CHECK(saw_enomem);
	CHECK(ok_after);
}

int main(void)
{
	RUN(test_good);
	RUN(test_types);
	RUN(test_bad);
	RUN(test_callback_stops);
	RUN(test_nulls);
	RUN(test_first_message_stays);
	RUN(test_too_large);
	RUN(test_too_deep);
	RUN(test_oom);
	RUN(test_million);
	return TEST_DONE();
}
