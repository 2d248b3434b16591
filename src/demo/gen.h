/*
** gen.h: a deterministic generator of realistic STIX 2.1 intelligence,
** for the demo (a few thousand objects) and the benchmarks (up to
** millions).  The same parameters always yield the same bytes.
**
** Objects: identities (the hub and partner organisations), marking
** definitions, indicators with STIX patterns, malware, attack patterns,
** intrusion sets, campaigns, vulnerabilities, reports whose object_refs
** name earlier objects, relationships and sightings between earlier
** objects, and several versions of some objects (later `modified`).
** Markings: a documented mix of TLP 1.0, TLP 2.0, classification and
** REL TO markings (ISA ACS 3.0 extension and CAPCO-style statement
** markings), and granular markings on sensitive properties: see
** docs/demo-data.md.
**
** Order: first every marking definition the objects use (all but the four
** TLP 1.0 ones, which STIX fixes and consumers know) into every
** collection, then the identities into every collection, then the body.
** The implementation is gen.c (the run), gen_stix.c (JSON) and
** gen_words.c (tables), sharing the private gen_int.h.
**
** Threading: no shared state; thread-safe.  Errors: enum relto_err.
** Memory: about 0.5 MB plus 18 KB per collection, whatever the count.
*/
#ifndef RELTO_GEN_H
#define RELTO_GEN_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

struct gen_params {
	uint64_t seed;          /* same seed, same output */
	/* Objects to emit, that is calls of emit: the header (30 objects per
	** collection: 18 marking definitions and 12 identities) included.  A
	** count inside the header emits its first count objects. */
	size_t count;
	/* Collections to spread objects over (the emit callback receives the
	** index into this list), 1..256.  The marking definitions and
	** identities go into every collection; every other object into one.
	** With one collection, general and telecom material mix; with more,
	** even collections get general and odd ones telecom material. */
	size_t ncollections;
	/* The base time of generated created/modified timestamps (µs since
	** epoch, 1970..9000); objects span the year after it.  Marking
	** definitions are created at base_time, except the TLP 2.0 ones,
	** which keep their published 2022-10-01 date. */
	int64_t base_time;
};

/* Receive one object: json is its compact JSON text (len bytes, NUL
** terminated, valid only during the call), collection the index of the
** collection it belongs to.  Return RELTO_OK to continue, anything else
** stops generation and is returned by gen_run. */
typedef enum relto_err (*gen_emit_fn)(void *ctx, size_t collection,
                                      const char *json, size_t len);

/* Fill p with the defaults: seed 1, count 3000, 2 collections, base time
** 2025-01-01T00:00:00Z. */
void gen_params_default(struct gen_params *p);

/* Generate p->count objects, calling emit for each, in an order where every
** reference points at an object emitted before (in the same collection).
** Memory use does not grow with count beyond a small, bounded pool of
** recent ids kept to pick references from.  RELTO_OK; RELTO_EINVAL for
** bad parameters (err says which; nothing was emitted); RELTO_ENOMEM; or
** emit's code, after which emit is not called again. */
enum relto_err gen_run(const struct gen_params *p, gen_emit_fn emit, void *ctx,
                       char *err);

#endif
