/*
** http_test.c: unit tests for src/http/negotiate.c and reply.c: which
** Accept headers relto can satisfy (real clients' headers included),
** which Content-Types it takes, the status of every error code, and the
** TAXII error body (valid UTF-8 JSON whatever the description holds).
*/
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "http/http.h"

struct accept_case {
	const char *accept;
	int ok;
};

static const struct accept_case accepts[] = {
	/* No header, or nothing in it: anything goes (RFC 9110 12.5.1). */
	{NULL, 1},
	{"", 1},
	{"   ", 1},
	/* Ranges that cover TAXII JSON. */
	{"*/*", 1},
	{"application/*", 1},
	{"APPLICATION/*", 1},
	{"application/taxii+json", 1},
	{"application/taxii+json;version=2.1", 1},
	{"application/taxii+json; version=2.1", 1},
	{"application/taxii+json ; version = 2.1", 1},
	{"application/taxii+json;version=\"2.1\"", 1},
	{"Application/TAXII+JSON;Version=2.1", 1},
	{"application/taxii+json;version=2.1;q=0.5", 1},
	{"application/taxii+json;q=1;version=2.1", 1},
	{"application/taxii+json;version=2.1;charset=utf-8", 1},
	{"\tapplication/taxii+json;version=2.1\t", 1},
	/* Lists. */
	{"text/html, application/taxii+json;version=2.1", 1},
	{"application/taxii+json;version=2.0, application/taxii+json;version=2.1", 1},
	{"application/json,application/taxii+json", 1},
	{"text/plain;q=0.1,*/*;q=0.01", 1},
	/* Real clients. */
	{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", 1}, /* Firefox */
	{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
	 "application/signed-exchange;v=b3;q=0.7", 1}, /* Chrome */
	{"application/taxii+json;version=2.1, application/json;q=0.9", 1}, /* taxii2-client style */
	{"*/*;q=0.1", 1},
	/* Refused. */
	{"application/json", 0},
	{"text/html", 0},
	{"application/taxii+json;version=2.0", 0},
	{"application/taxii+json;version=2", 0},
	{"application/taxii+json;version=\"2.0\"", 0},
	{"application/stix+json;version=2.1", 0},
	{"application/taxii+xml", 0},
	{"application/taxii+json;q=0", 0},
	{"application/taxii+json;version=2.1;q=0", 0},
	{"application/taxii+json;version=2.1;q=0.0", 0},
	{"application/taxii+json;version=2.1;q=\"0\"", 0},
	{"*/*;q=0", 0},
	{"application/*;q=0.000", 0},
	{"application/json, text/html;q=0.9", 0},
	{"text/*", 0},
	{"application", 0},
	{"taxii", 0},
	{"application/taxii+json2", 0},
	{"*/*x", 0},
};

/* A more specific range overrides a less specific one (RFC 9110 12.5.1:
** "the most specific reference has precedence"), so TAXII JSON refused
** explicitly with q=0 stays refused whatever wildcard is also listed. */
static const struct accept_case overrides[] = {
	{"application/taxii+json;q=0, */*", 0},
	{"*/*, application/taxii+json;version=2.1;q=0", 0},
	{"application/taxii+json;q=0, application/*", 0},
	{"application/*;q=0, */*", 0},
	{"application/*;q=0, application/taxii+json", 1},
	{"*/*;q=0, application/taxii+json;version=2.1", 1},
};

static size_t check_accepts(const struct accept_case *cases, size_t n)
{
	size_t wrong = 0;
	for (size_t i = 0; i < n; i++) {
		int got = http_accept_ok(cases[i].accept);
		if (got != cases[i].ok) {
			fprintf(stderr, "  Accept: %s -> %d, want %d\n", cases[i].accept ? cases[i].accept : "(none)",
			        got, cases[i].ok);
			wrong++;
		}
	}
	return wrong;
}

static void test_accept(void)
{
	CHECK(check_accepts(accepts, sizeof(accepts) / sizeof(accepts[0])) == 0);
}

static void test_accept_specific_overrides(void)
{
	CHECK(check_accepts(overrides, sizeof(overrides) / sizeof(overrides[0])) == 0);
}

/* The header bytes are read up to the NUL only (on the heap, so ASan sees
** any over-read), including q values at the very end. */
static void test_accept_bounds(void)
{
	const char *tails[] = {"*/*;q=0", "*/*;q=", "*/*;q", "*/*;", "application/taxii+json;version=",
	                       "application/taxii+json;version=\"", "a/b;q=\"", ";", ",", "*/*;q=0,"};
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		size_t n = strlen(tails[i]) + 1;
		char *h = malloc(n);
		CHECK(h != NULL);
		memcpy(h, tails[i], n);
		(void)http_accept_ok(h);
		(void)http_content_type_ok(h);
		free(h);
	}
	CHECK(http_accept_ok("*/*;q=0,") == 0);
}

struct ct_case {
	const char *ct;
	int ok;
};

static const struct ct_case cts[] = {
	{"application/taxii+json;version=2.1", 1},
	{"application/taxii+json", 1},
	{"application/taxii+json; version=2.1", 1},
	{"APPLICATION/TAXII+JSON; VERSION=2.1", 1},
	{"application/taxii+json;version=\"2.1\"", 1},
	{"application/taxii+json;version=2.1;charset=utf-8", 1},
	{"application/taxii+json; charset=UTF-8; version=2.1", 1},
	{"application/taxii+json;charset=\"utf-8\"", 1},
	{" application/taxii+json ", 1},
	{NULL, 0},
	{"", 0},
	{"application/json", 0},
	{"application/stix+json;version=2.1", 0},
	{"application/taxii+json;version=2.0", 0},
	{"application/taxii+json;version=", 0},
	{"application/taxii+json;charset=latin1", 0},
	{"application/taxii+json;charset=utf-16", 0},
	{"application/taxii+json;foo=bar", 0},
	{"application/taxii+json;version=2.1;boundary=x", 0},
	{"application/taxii+json;flag", 0},
	{"*/*", 0},
	{"application/*", 0},
	{"multipart/form-data", 0},
	{"application/taxii+json, application/json", 0},
};

static void test_content_type(void)
{
	size_t wrong = 0;
	for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
		int got = http_content_type_ok(cts[i].ct);
		if (got != cts[i].ok) {
			fprintf(stderr, "  Content-Type: %s -> %d, want %d\n", cts[i].ct ? cts[i].ct : "(none)", got,
			        cts[i].ok);
			wrong++;
		}
	}
	CHECK(wrong == 0);
}

static void test_status_of(void)
{
	static const struct {
		enum relto_err code;
		unsigned status;
	} map[] = {
		{RELTO_OK, 200},          {RELTO_ENOMEM, 503},    {RELTO_EINVAL, 400},
		{RELTO_ENOTFOUND, 404},   {RELTO_ECONFLICT, 409}, {RELTO_EDENIED, 403},
		{RELTO_ETOOBIG, 413},     {RELTO_EUNSUPPORTED, 422}, {RELTO_ESTORE, 503},
		{RELTO_EINTERNAL, 500},   {RELTO_EUNAUTH, 401},   {RELTO_ENOTACCEPT, 406},
		{RELTO_EMEDIATYPE, 415},
	};
	CHECK(sizeof(map) / sizeof(map[0]) == RELTO_EMEDIATYPE + 1); /* every code */
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (http_status_of(map[i].code) != map[i].status)
			fprintf(stderr, "  %s -> %u\n", relto_strerror(map[i].code), http_status_of(map[i].code));
		CHECK(http_status_of(map[i].code) == map[i].status);
	}
	CHECK(http_status_of((enum relto_err)999) == 500);
}

/* Parse an error body; NULL unless it is a JSON object of exactly the
** expected members. */
static json_t *parse_body(const struct buf *b)
{
	json_error_t je;
	json_t *v = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		fprintf(stderr, "  not JSON: %s (%s)\n", b->data, je.text);
	if (v && !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static void test_error_body(void)
{
	static const struct {
		unsigned status;
		const char *title;
	} titles[] = {
		{400, "Bad request"}, {401, "Authentication required"}, {403, "Forbidden"},
		{404, "Not found"}, {405, "Method not allowed"}, {406, "Not acceptable"},
		{409, "Conflict"}, {413, "Request entity too large"}, {415, "Unsupported media type"},
		{422, "Unprocessable entity"}, {429, "Too many requests"}, {503, "Service unavailable"},
		{500, "Internal server error"}, {418, "Internal server error"},
	};
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		struct buf b;
		buf_init(&b, 4096);
		CHECK(http_error_body(&b, titles[i].status, "limit: bad") == RELTO_OK);
		json_t *v = parse_body(&b);
		buf_free(&b);
		CHECK(v != NULL);
		char want[8];
		snprintf(want, sizeof(want), "%u", titles[i].status);
		int ok = json_object_size(v) == 3 &&
		         json_is_string(json_object_get(v, "http_status")) &&
		         strcmp(json_string_value(json_object_get(v, "http_status")), want) == 0 &&
		         json_is_string(json_object_get(v, "title")) &&
		         strcmp(json_string_value(json_object_get(v, "title")), titles[i].title) == 0 &&
		         strcmp(json_string_value(json_object_get(v, "description")), "limit: bad") == 0;
		json_decref(v);
		CHECK(ok);
	}
	/* No description (NULL or empty): no member. */
	struct buf b;
	buf_init(&b, 4096);
	CHECK(http_error_body(&b, 404, NULL) == RELTO_OK);
	CHECK_STR(b.data, "{\"title\":\"Not found\",\"http_status\":\"404\"}");
	CHECK(http_error_body(&b, 404, "") == RELTO_OK); /* replaces, not appends */
	CHECK_STR(b.data, "{\"title\":\"Not found\",\"http_status\":\"404\"}");
	buf_free(&b);
}

/* Whatever bytes the description quotes, the body is valid UTF-8 JSON
** and keeps the printable ASCII as it was. */
static void test_error_body_sanitized(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"quote \" and \\ backslash", "quote \" and \\ backslash"},
		{"bad id 'caf\xc3\xa9'", "bad id 'caf?" "?'"},
		{"cut \xe2\x82", "cut ??"},
		{"bytes \xff\xfe\x80", "bytes ???"},
		{"ctl \x01\x1f\x7f\n\t end", "ctl ????? end"},
		{"<script>alert(1)</script>", "<script>alert(1)</script>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, 4096);
		CHECK(http_error_body(&b, 400, cases[i].in) == RELTO_OK);
		for (size_t j = 0; j < b.len; j++)
			CHECK((unsigned char)b.data[j] >= 0x20 && (unsigned char)b.data[j] < 0x7f);
		json_t *v = parse_body(&b);
		buf_free(&b);
		CHECK(v != NULL);
		const char *d = json_string_value(json_object_get(v, "description"));
		int same = d && strcmp(d, cases[i].out) == 0;
		if (!same)
			fprintf(stderr, "  case %zu: description %s\n", i, d ? d : "(none)");
		json_decref(v);
		CHECK(same);
	}
	/* A long description is cut (at RELTO_ERRBUF_SIZE - 1), still valid. */
	char longd[1000];
	memset(longd, 'x', sizeof(longd) - 1);
	longd[sizeof(longd) - 1] = '\0';
	struct buf b;
	buf_init(&b, 4096);
	CHECK(http_error_body(&b, 400, longd) == RELTO_OK);
	json_t *v = parse_body(&b);
	buf_free(&b);
	CHECK(v != NULL);
	size_t dl = json_string_length(json_object_get(v, "description"));
	json_decref(v);
	CHECK(dl == RELTO_ERRBUF_SIZE - 1);
}

/* A body that does not fit the buffer's cap is refused, not cut. */
static void test_error_body_cap(void)
{
	struct buf b;
	buf_init(&b, 20);
	CHECK(http_error_body(&b, 400, "a description") != RELTO_OK);
	buf_free(&b);
}

int main(void)
{
	RUN(test_accept);
	RUN(test_accept_specific_overrides);
	RUN(test_accept_bounds);
	RUN(test_content_type);
	RUN(test_status_of);
	RUN(test_error_body);
	RUN(test_error_body_sanitized);
	RUN(test_error_body_cap);
	return TEST_DONE();
}
