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
** Threading: no shared state; thread-safe.  Errors: enum relto_err.
*/
#ifndef RELTO_GEN_H
#define RELTO_GEN_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

struct gen_params {
	uint64_t seed;          /* same seed, same output */
	size_t count;           /* objects to emit, marking definitions included */
	/* Collections to spread objects over (the emit callback receives the
	** index into this list); at least 1.  The marking definitions are
	** emitted first into every collection. */
	size_t ncollections;
	/* The base time of generated created/modified timestamps (µs since
	** epoch); objects span the year after it. */
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
** bad parameters (err says which); RELTO_ENOMEM; or emit's code. */
enum relto_err gen_run(const struct gen_params *p, gen_emit_fn emit, void *ctx,
                       char *err);

#endif
