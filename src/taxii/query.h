/*
** query.h: TAXII 2.1 query parameters (section 3.4): added_after, limit,
** next, match[id], match[type], match[version], match[spec_version].
**
** Rules relto applies (docs/taxii.md says the same to users):
**  - a parameter given twice is an error (400); unknown parameters and
**    match fields an endpoint does not support are ignored (3.4 "MAY");
**  - list values are comma-separated with no empty items;
**  - limit is a positive integer of at most 9 digits, lowered to the
**    server's max_page_size; without it the default page size applies;
**  - match[version] takes first, last and STIX timestamps in any
**    combination, or `all` alone; default last (for DELETE: all).
** A query also gets a fingerprint: a digest of every parameter that
** selects objects (all but limit and next), which `next` tokens carry so
** a token can only continue the query it came from.
**
** Threading: no shared state.  Ownership: taxii_query_free() releases
** what taxii_query_parse() allocated; free(NULL)-safe.
*/
#ifndef RELTO_TAXII_QUERY_H
#define RELTO_TAXII_QUERY_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../store/store.h"

/* Which endpoint the query is for; decides which parameters apply. */
enum taxii_endpoint { EP_OBJECTS, EP_MANIFEST, EP_OBJECT, EP_VERSIONS, EP_DELETE };

struct qparam {
	const char *key, *value; /* decoded; value may be NULL for "?key" */
};

#define QUERY_FINGERPRINT_LEN 32

struct taxii_query {
	int has_added_after;
	int64_t added_after;
	size_t limit;                 /* effective page size */
	const char *next;             /* the raw token, or NULL */
	char **ids, **types, **spec_versions;
	size_t nids, ntypes, nspec_versions;
	struct store_versions versions;
	int64_t *version_at;          /* storage behind versions.at */
	unsigned char fingerprint[QUERY_FINGERPRINT_LEN];
};

/* Parse params (n of them) for endpoint ep.  scope: what the URL names
** beyond the endpoint (the collection id, and the object id for
** EP_OBJECT/EP_VERSIONS/EP_DELETE), part of the fingerprint so a token
** from one collection or object is refused on another.  RELTO_OK and *q filled; RELTO_EINVAL with err naming the
** parameter and the problem ("limit: must be a positive whole number,
** got '-1'"); RELTO_ENOMEM. */
enum relto_err taxii_query_parse(const struct qparam *params, size_t n, enum taxii_endpoint ep,
                                 const char *scope, size_t default_limit, size_t max_limit,
                                 struct taxii_query *q, char *err);
void taxii_query_free(struct taxii_query *q);

/* Is s a STIX identifier ("type--UUID")?  Is s a STIX type name? */
int taxii_is_stix_id(const char *s);
int taxii_is_stix_type(const char *s, size_t len);

#endif
