/*
** redact.h: the served copy of an object that a partner may receive only
** in part: properties under granular markings it may not see are removed,
** and references to objects it may not see are removed from object_refs.
** The copy is still valid STIX 2.1: when a required property would go,
** or every entry of a required list, the object is withheld instead.
**
** Only objects that need it are parsed and re-serialized (DESIGN.md
** decision 1); everything else is served as stored.  Redacted copies are
** written compactly with keys in their original order.
**
** Threading: pure functions; thread-safe.  Errors: enum relto_err.
*/
#ifndef RELTO_REDACT_H
#define RELTO_REDACT_H

#include <stddef.h>
#include "../relto.h"
#include "../util/buf.h"

/* What to take out of one object. */
struct redaction {
	const char *const *selectors;  /* STIX granular-marking selectors to strip */
	size_t nselectors;
	const char *hidden_refs;       /* JSON list of ids to drop from object_refs, or NULL */
};

/* Append to out the copy of the object raw (len bytes, valid STIX JSON)
** with what r names taken out, and set *withheld = 0; or, when the copy
** would lose a required property (or all of object_refs), append nothing
** and set *withheld = 1.  RELTO_OK; RELTO_EINVAL if raw does not parse;
** RELTO_ENOMEM / RELTO_ETOOBIG from out. */
enum relto_err redact_object(const char *raw, size_t len, const struct redaction *r, struct buf *out,
                             int *withheld);

/* Is property (a top-level name) required on objects of type?  Covers the
** STIX 2.1 common properties and the required properties of every SDO,
** SRO and marking definition. */
int redact_is_required(const char *type, const char *property);

/* Could stripping selector remove a property that some object type
** requires?  Used when a decision is made per marking set, before the
** object (and so its type) is known: such a redaction withholds instead,
** so that every list (objects, manifest, versions) agrees. */
int redact_may_be_required(const char *selector);

/* ---- a cache of partial copies ----
** A partial copy depends only on the stored bytes (a row never changes:
** its seq names them), the selectors stripped and the references hidden,
** so it can be kept across requests and snapshots under those three,
** compared whole.  Direct-mapped, bounded by max_bytes (keys included);
** thread-safe. */
struct redact_cache;

enum relto_err redact_cache_new(size_t max_bytes, struct redact_cache **out);
void redact_cache_free(struct redact_cache *rc);

/* redact_object() for row seq, through the cache (NULL: no cache). */
enum relto_err redact_cached(struct redact_cache *cache, int64_t seq, const char *raw, size_t len,
                             const struct redaction *r, struct buf *out, int *withheld);

#endif
