/*
** metrics.h: counters for Prometheus (GET /metrics, admin role): requests
** by endpoint and status, latency histograms by endpoint, objects served
** by partner, page-cache hits, decision-cache rebuilds, store errors.
** Lock-free: every counter is a relaxed atomic, so counting costs a
** request a few nanoseconds.  Rendered in the Prometheus text format
** (version 0.0.4).
**
** Objects withheld are not counted per request: they are filtered out
** inside the store query (DESIGN.md decision 2), so a page does not know
** how many it skipped.  Instead relto_objects_withheld is a gauge of what
** each partner does not receive now, by the rule that withholds it,
** worked out at each scrape (release/impact.h: by marking set, cheap).
**
** Threading: metrics_* from any thread.  Ownership: metrics_free frees.
*/
#ifndef RELTO_METRICS_H
#define RELTO_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../config/config.h"
#include "../util/buf.h"

/* What a request was for (its route). */
enum metrics_endpoint {
	EP_M_DISCOVERY = 0, EP_M_API_ROOT, EP_M_STATUS, EP_M_COLLECTIONS, EP_M_COLLECTION, EP_M_OBJECTS_GET,
	EP_M_OBJECTS_POST, EP_M_OBJECT_GET, EP_M_OBJECT_DELETE, EP_M_MANIFEST, EP_M_VERSIONS, EP_M_ADMIN,
	EP_M_HEALTH, EP_M_METRICS, EP_M_OTHER, EP_M_COUNT
};

struct metrics;

/* For cfg's partners.  RELTO_OK and *out; RELTO_ENOMEM. */
enum relto_err metrics_new(const struct relto_config *cfg, struct metrics **out);
void metrics_free(struct metrics *m);

/* One answered request: endpoint, HTTP status, microseconds taken, the
** partner (-1 before authentication), objects (or manifest entries)
** served, and whether the page cache answered. */
void metrics_request(struct metrics *m, enum metrics_endpoint ep, unsigned status, int64_t us, int partner,
                     size_t served, int cached);
void metrics_rebuild(struct metrics *m);
void metrics_store_error(struct metrics *m);

/* One relto_objects_withheld sample (the header first when first). */
enum relto_err metrics_withheld_sample(struct buf *out, int first, const char *partner, int line, const char *rule,
                                       int64_t objects);

/* Append the text format to out; gauges given by the caller. */
enum relto_err metrics_render(const struct metrics *m, int64_t policy_version, int64_t posture_version,
                              uint64_t snapshot, struct buf *out);

#endif
