/*
** fuzz_query.c: libFuzzer target for TAXII query strings and filters.  The
** input is the query part of a URL ("limit=10&match[type]=indicator"); it
** is split at '&' and '=' and percent-decoded the way libmicrohttpd hands
** parameters to the server (at most 64 of them, a key without '=' has a
** NULL value), then taxii_query_parse() reads it for every endpoint
** (objects, manifest, object, versions, delete).  When a query with a
** `next` token parses, the token is read with cursor_read() under a fixed
** key and the query's fingerprint, as the objects handler does.
**
** Checks besides the sanitizers (abort() on failure): a refused query
** says why; a parsed one has a page size between 1
** and the maximum, a version filter, and lists whose entries are
** non-empty and as many as their counts say; a fingerprint does not
** depend on limit or next; parsing the same parameters twice gives the
** same fingerprint.
** Run: tests/fuzz/run (see tests/fuzz/README.md).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "taxii/cursor.h"
#include "taxii/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARAMS 64       /* as src/http/server.c */
#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000
#define COLLECTION "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
#define OBJECT "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"

static const unsigned char key[STORE_SECRET_LEN] = "relto fuzz_query: a fixed key..";

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_query: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s in place ("%5B" -> '['); a '%' not followed by two
** hex digits stays as it is.  A decoded NUL ends the string, as it does
** for the C strings libmicrohttpd passes on. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		int hi, lo;
		if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
			*o++ = (char)(hi * 16 + lo);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* Split text (NUL-terminated, modified) into at most MAX_PARAMS params.
** Returns how many; -1 when there are more (the server answers 400). */
static int split(char *text, struct qparam *params)
{
	int n = 0;
	char *p = text;
	while (*p) {
		char *amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		if (*p) {
			if (n == MAX_PARAMS)
				return -1;
			char *eq = strchr(p, '=');
			if (eq)
				*eq++ = '\0';
			unescape(p);
			if (eq)
				unescape(eq);
			params[n++] = (struct qparam){.key = p, .value = eq};
		}
		if (!amp)
			break;
		p = amp + 1;
	}
	return n;
}

/* (Messages may quote the input as it is: http/reply.c cleans them.) */
static void check_message(const char *err)
{
	if (!err[0])
		fail("query refused without saying why", NULL);
}

static void check_list(char **v, size_t n, const char *name)
{
	if (n && !v)
		fail("list count without a list", name);
	for (size_t i = 0; i < n; i++)
		if (!v[i] || !v[i][0])
			fail("empty entry in a parsed list", name);
}

static void check_parsed(const struct taxii_query *q)
{
	if (q->limit < 1 || q->limit > MAX_LIMIT)
		fail("page size out of range", NULL);
	const struct store_versions *v = &q->versions;
	if (!v->all && !v->first && !v->last && !v->nat)
		fail("no version filter after parsing", NULL);
	if (v->nat && !v->at)
		fail("version timestamps counted but not kept", NULL);
	check_list(q->ids, q->nids, "match[id]");
	check_list(q->types, q->ntypes, "match[type]");
	check_list(q->spec_versions, q->nspec_versions, "match[spec_version]");
	for (size_t i = 0; i < q->nids; i++)
		if (!taxii_is_stix_id(q->ids[i]))
			fail("match[id] kept an entry that is not a STIX id", q->ids[i]);
}

/* The same query without limit and next must have the same fingerprint. */
static void check_fingerprint(const struct qparam *params, int n, enum taxii_endpoint ep,
                              const char *scope, const struct taxii_query *q)
{
	struct qparam rest[MAX_PARAMS];
	int m = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(params[i].key, "limit") != 0 && strcmp(params[i].key, "next") != 0)
			rest[m++] = params[i];
	struct taxii_query q2;
	enum relto_err rc = taxii_query_parse(rest, (size_t)m, ep, scope, DEFAULT_LIMIT, MAX_LIMIT, &q2, NULL);
	if (rc == RELTO_ENOMEM)
		return;
	if (rc != RELTO_OK)
		fail("query refused once limit and next are taken out", NULL);
	if (memcmp(q->fingerprint, q2.fingerprint, QUERY_FINGERPRINT_LEN) != 0)
		fail("fingerprint depends on limit or next", NULL);
	taxii_query_free(&q2);
}

static void one(const struct qparam *params, int n, enum taxii_endpoint ep, const char *scope)
{
	struct taxii_query q;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = taxii_query_parse(params, (size_t)n, ep, scope, DEFAULT_LIMIT, MAX_LIMIT, &q, err);
	if (rc == RELTO_EINVAL) {
		check_message(err);
		return;
	}
	if (rc == RELTO_ENOMEM)
		return;
	if (rc != RELTO_OK)
		fail("taxii_query_parse returned an unexpected code", relto_strerror(rc));
	check_parsed(&q);
	check_fingerprint(params, n, ep, scope, &q);
	if (q.next) {
		int64_t date_added = 0, seq = 0;
		char cerr[RELTO_ERRBUF_SIZE] = "";
		if (cursor_read(key, q.fingerprint, q.next, &date_added, &seq, cerr) == RELTO_EINVAL)
			check_message(cerr);
	}
	taxii_query_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct qparam params[MAX_PARAMS];
	int n = split(text, params);
	if (n >= 0) {
		one(params, n, EP_OBJECTS, COLLECTION);
		one(params, n, EP_MANIFEST, COLLECTION);
		one(params, n, EP_OBJECT, COLLECTION "/" OBJECT);
		one(params, n, EP_VERSIONS, COLLECTION "/" OBJECT);
		one(params, n, EP_DELETE, NULL);
	}
	free(text);
	return 0;
}
