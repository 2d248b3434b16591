/*
** query.c: parse and check TAXII query parameters (see query.h).
*/
#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "query.h"
#include "../util/ts.h"

#define MAX_LIST 1000 /* values in one match[] parameter */

int taxii_is_stix_type(const char *s, size_t len)
{
	if (len < 3 || len > 250 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			return 0;
		if (c == '-' && i + 1 < len && s[i + 1] == '-')
			return 0;
	}
	return 1;
}

int taxii_is_stix_id(const char *s)
{
	const char *sep = strstr(s, "--");
	if (!sep || !taxii_is_stix_type(s, (size_t)(sep - s)))
		return 0;
	const char *u = sep + 2;
	if (strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? u[i] != '-' : !isxdigit((unsigned char)u[i]))
			return 0;
	}
	return 1;
}

/* Which parameters each endpoint takes (bit per parameter). */
enum { P_ADDED_AFTER = 1, P_LIMIT = 2, P_NEXT = 4, P_ID = 8, P_TYPE = 16, P_VERSION = 32, P_SPEC = 64 };
static const char *const param_names[] = {"added_after", "limit", "next", "match[id]",
                                          "match[type]", "match[version]", "match[spec_version]"};
#define NPARAMS 7

static unsigned accepted(enum taxii_endpoint ep)
{
	switch (ep) {
	case EP_OBJECTS:
	case EP_MANIFEST:
		return 127;
	case EP_OBJECT:
		return P_ADDED_AFTER | P_LIMIT | P_NEXT | P_VERSION | P_SPEC;
	case EP_VERSIONS:
		return P_ADDED_AFTER | P_LIMIT | P_NEXT | P_SPEC;
	case EP_DELETE:
		return P_VERSION | P_SPEC;
	}
	return 0;
}

/* Split a comma list into a NULL-free array of heap strings. */
static enum relto_err split(const char *name, const char *v, char ***out, size_t *n, char *err)
{
	size_t count = 1;
	for (const char *p = v; *p; p++)
		count += *p == ',';
	if (count > MAX_LIST)
		return relto_seterr(err, RELTO_EINVAL, "%s: more than %d values", name, MAX_LIST);
	char **arr = calloc(count, sizeof(char *));
	if (!arr)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	*out = arr;
	*n = 0;
	const char *start = v;
	for (size_t i = 0; i < count; i++) {
		const char *end = strchr(start, ',');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		if (len == 0)
			return relto_seterr(err, RELTO_EINVAL, "%s: empty value in the list '%s'", name, v);
		if (!(arr[i] = strndup(start, len)))
			return relto_seterr(err, RELTO_ENOMEM, "out of memory");
		(*n)++;
		start = end ? end + 1 : start + len;
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(arr[i], arr[j]) == 0)
				return relto_seterr(err, RELTO_EINVAL, "%s: '%s' is listed twice", name, arr[i]);
	return RELTO_OK;
}

static enum relto_err parse_limit(const char *v, size_t def, size_t max, size_t *out, char *err)
{
	size_t len = strlen(v);
	int ok = len > 0 && len <= 9;
	for (size_t i = 0; ok && i < len; i++)
		ok = isdigit((unsigned char)v[i]);
	long n = ok ? strtol(v, NULL, 10) : 0;
	if (!ok || n <= 0)
		return relto_seterr(err, RELTO_EINVAL,
		                    "limit: must be a positive whole number of at most 9 digits, got '%.40s'", v);
	(void)def;
	*out = (size_t)n > max ? max : (size_t)n;
	return RELTO_OK;
}

static enum relto_err parse_versions(struct taxii_query *q, const char *v, char *err)
{
	char **items = NULL;
	size_t n = 0;
	enum relto_err rc = split("match[version]", v, &items, &n, err);
	if (!rc && !(q->version_at = calloc(n, sizeof(int64_t))))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		if (strcmp(items[i], "all") == 0)
			q->versions.all = 1;
		else if (strcmp(items[i], "first") == 0)
			q->versions.first = 1;
		else if (strcmp(items[i], "last") == 0)
			q->versions.last = 1;
		else if (ts_parse(items[i], strlen(items[i]), &q->version_at[q->versions.nat], NULL) == RELTO_OK)
			q->versions.nat++;
		else
			rc = relto_seterr(err, RELTO_EINVAL,
			                  "match[version]: '%.60s' is not first, last, all or a STIX timestamp", items[i]);
	}
	q->versions.at = q->version_at;
	if (!rc && q->versions.all && n > 1)
		rc = relto_seterr(err, RELTO_EINVAL, "match[version]: 'all' cannot be combined with other values");
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return rc;
}

static enum relto_err check_list(const char *name, char **v, size_t n, int (*ok)(const char *), char *err)
{
	for (size_t i = 0; i < n; i++)
		if (!ok(v[i]))
			return relto_seterr(err, RELTO_EINVAL, "%s: '%.80s' is not valid here", name, v[i]);
	return RELTO_OK;
}

static int type_ok(const char *s)
{
	return taxii_is_stix_type(s, strlen(s));
}

static int spec_ok(const char *s)
{
	return isdigit((unsigned char)s[0]) && s[1] == '.' && isdigit((unsigned char)s[2]) && !s[3];
}

static enum relto_err parse_one(struct taxii_query *q, int which, const char *v,
                                size_t def, size_t max, char *err)
{
	switch (which) {
	case 0:
		q->has_added_after = 1;
		return ts_parse(v, strlen(v), &q->added_after, NULL) == RELTO_OK
		               ? RELTO_OK
		               : relto_seterr(err, RELTO_EINVAL, "added_after: '%.60s' is not a timestamp", v);
	case 1:
		return parse_limit(v, def, max, &q->limit, err);
	case 2:
		q->next = v;
		return *v ? RELTO_OK : relto_seterr(err, RELTO_EINVAL, "next: empty token");
	case 3: {
		enum relto_err rc = split("match[id]", v, &q->ids, &q->nids, err);
		return rc ? rc : check_list("match[id]", q->ids, q->nids, taxii_is_stix_id, err);
	}
	case 4: {
		enum relto_err rc = split("match[type]", v, &q->types, &q->ntypes, err);
		return rc ? rc : check_list("match[type]", q->types, q->ntypes, type_ok, err);
	}
	case 5:
		return parse_versions(q, v, err);
	default: {
		enum relto_err rc = split("match[spec_version]", v, &q->spec_versions, &q->nspec_versions, err);
		return rc ? rc : check_list("match[spec_version]", q->spec_versions, q->nspec_versions, spec_ok, err);
	}
	}
}

enum relto_err taxii_query_parse(const struct qparam *params, size_t n, enum taxii_endpoint ep,
                                 const char *scope, size_t default_limit, size_t max_limit,
                                 struct taxii_query *q, char *err)
{
	memset(q, 0, sizeof(*q));
	q->limit = default_limit < max_limit ? default_limit : max_limit;
	const char *seen[NPARAMS] = {0};
	unsigned want = accepted(ep);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NPARAMS; k++) {
			if (strcmp(params[i].key, param_names[k]) != 0)
				continue;
			if (seen[k])
				return relto_seterr(err, RELTO_EINVAL, "%s: given more than once", param_names[k]);
			seen[k] = params[i].value ? params[i].value : "";
		}
	}
	enum relto_err rc = RELTO_OK;
	for (int k = 0; !rc && k < NPARAMS; k++) {
		if (!seen[k] || !(want & (1u << k)))
			continue;
		if (!*seen[k])
			rc = relto_seterr(err, RELTO_EINVAL, "%s: empty value", param_names[k]);
		else
			rc = parse_one(q, k, seen[k], default_limit, max_limit, err);
	}
	/* TAXII 3.4.1: by default a query sees the latest version; a DELETE
	** without match[version] removes the object, every version of it. */
	if (!rc && !q->versions.all && !q->versions.first && !q->versions.last && !q->versions.nat) {
		if (ep == EP_DELETE)
			q->versions.all = 1;
		else
			q->versions.last = 1;
	}
	/* Fingerprint: endpoint, object id and each selecting parameter. */
	crypto_generichash_state st;
	unsigned char e = (unsigned char)ep;
	crypto_generichash_init(&st, NULL, 0, QUERY_FINGERPRINT_LEN);
	crypto_generichash_update(&st, &e, 1);
	if (scope)
		crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
	for (int k = 0; k < NPARAMS; k++) {
		if (k == 1 || k == 2 || !seen[k] || !(want & (1u << k)))
			continue;
		crypto_generichash_update(&st, (const unsigned char *)param_names[k], strlen(param_names[k]) + 1);
		crypto_generichash_update(&st, (const unsigned char *)seen[k], strlen(seen[k]) + 1);
	}
	crypto_generichash_final(&st, q->fingerprint, QUERY_FINGERPRINT_LEN);
	if (rc)
		taxii_query_free(q);
	return rc;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void taxii_query_free(struct taxii_query *q)
{
	if (!q)
		return;
	free_list(q->ids, q->nids);
	free_list(q->types, q->ntypes);
	free_list(q->spec_versions, q->nspec_versions);
	free(q->version_at);
	q->ids = q->types = q->spec_versions = NULL;
	q->nids = q->ntypes = q->nspec_versions = 0;
	q->version_at = NULL;
}
