/*
** release.h: the decision cache (DESIGN.md decisions 2 and 3): for every
** partner and every interned marking set, may the partner receive objects
** carrying that set, in full, in part, or not at all.
**
** A snapshot is computed off to the side from the compiled policy, the
** posture and the store's marking sets, and published with one pointer
** swap; a request takes the current snapshot at its start and keeps it to
** its end, so a change applies to every request that starts after it and
** to none that started before.  Snapshots are reference-counted and freed
** when the last request using one ends.
**
** Decisions depend on the partner, the marking set, and the default level
** of the collection (objects without a classification marking take it),
** so a snapshot holds one table per distinct default level ("variant").
** Partners with the admin role are not filtered; a login with no posture
** entry receives nothing but what it posted itself.
**
** Threading: release_get/release_put from any thread; release_rebuild
** from one thread at a time (it serializes itself).
*/
#ifndef RELTO_RELEASE_H
#define RELTO_RELEASE_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../config/config.h"
#include "../marking/marking.h"
#include "../posture/posture.h"
#include "../store/store.h"
#include "../util/buf.h"

struct policy;

enum release_decision { RELEASE_WITHHOLD = 0, RELEASE_FULL = 1, RELEASE_PARTIAL = 2 };

struct release_snapshot {
	uint64_t id;               /* 1, 2, ...: part of every page-cache key */
	size_t npartners;          /* config->npartners */
	size_t nsets;              /* marking sets 0 .. nsets-1 */
	size_t nvariants;
	char **variant_names;      /* the default level of each variant */
	unsigned char *decision;   /* [(variant * npartners + partner) * nsets + set] */
	uint64_t *redact;          /* same index: granular entries to strip */
	/* Per (variant, partner): the released sets (full or partial),
	** ascending, for the store's visibility filter. */
	int64_t **released;
	size_t *nreleased;
	unsigned char *unfiltered; /* per partner: admin, sees everything */
	struct marking_result *markings; /* per set, for redaction */
	size_t ndefinitions;       /* marking definitions it was built from */
	/* Why each withholding (same index as decision): reasons[why[i]], a
	** short text for the audit trail ("policy line 9: not on the REL TO
	** list"); why 0 and reasons[0] "" for decisions that release. */
	uint16_t *why;
	char **reasons;
	size_t nreasons;
	int refs;                  /* guarded by the holder's lock */
};

struct release;

/* Build the holder and its first snapshot.  Borrows cfg, pol and pos,
** which must outlive it (a later change swaps them with
** release_set_rules).  RELTO_OK; RELTO_EINVAL when a collection's
** default level is not a policy level; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err release_new(const struct relto_config *cfg, const struct policy *pol,
                           const struct posture *pos, struct store_conn *c, struct release **out,
                           char *err);
void release_free(struct release *rl);

/* Recompute every decision from the store's current marking sets and
** marking definitions, and publish the result.  On failure the old
** snapshot stays in force.  RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err release_rebuild(struct release *rl, struct store_conn *c, char *err);

/* Replace the policy and the posture and rebuild.  On success the old
** ones are handed back in *old_pol / *old_pos for the caller to free (no
** snapshot refers to them); on failure nothing changes and the new ones
** are handed back there instead.  RELTO_OK; RELTO_EINVAL (a collection's
** default level is not in the new policy); RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err release_set_rules(struct release *rl, struct store_conn *c, const struct policy *pol,
                                 const struct posture *pos, const struct policy **old_pol,
                                 const struct posture **old_pos, char *err);

/* Has the store gained marking sets or marking definitions since the
** current snapshot was built (e.g. by an import from another process)?
** RELTO_OK and *stale; RELTO_ESTORE. */
enum relto_err release_stale(struct release *rl, struct store_conn *c, int *stale, char *err);

/* Explain what partner_id receives of one object (raw, len bytes, as
** stored in collection col, posted by posted_by): the policy's decision
** and every reason (policy_explain), the markings as read, and the
** originator rule.  Appends lines to out.  RELTO_OK; RELTO_ENOTFOUND for
** a partner the configuration lacks; RELTO_EINVAL for an object that
** does not validate; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err release_explain(struct release *rl, struct store_conn *c, const char *partner_id,
                               const struct collection *col, const char *raw, size_t len,
                               const char *posted_by, struct buf *out, char *err);

/* Build a snapshot of what pol and pos would decide, exactly as a rebuild
** would, without publishing it: for what-if and impact reports.  Free it
** with release_snapshot_free.  RELTO_OK; RELTO_EINVAL (a collection's
** default level is not in pol); RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err release_snapshot_build(const struct relto_config *cfg, const struct policy *pol,
                                      const struct posture *pos, struct store_conn *c,
                                      struct release_snapshot **out, char *err);
void release_snapshot_free(struct release_snapshot *s);

/* The current snapshot, held until release_put.  Never NULL. */
const struct release_snapshot *release_get(struct release *rl);
void release_put(struct release *rl, const struct release_snapshot *s);

/* The variant (default-level table) of a collection in snapshot s. */
size_t release_variant(const struct release_snapshot *s, const struct collection *col);

/* The decision for one partner, variant and set; sets the snapshot does
** not know (interned after it was built) are withheld until the rebuild
** that follows their ingest. */
enum release_decision release_decide(const struct release_snapshot *s, size_t variant, int partner,
                                     int64_t set, uint64_t *redact);

/* Why objects of set are withheld from partner: the snapshot's reason,
** or a fixed text for sets the snapshot does not know and for sets that
** are released (then the object was withheld through its references).
** Never NULL; valid while s is held. */
const char *release_reason(const struct release_snapshot *s, size_t variant, int partner, int64_t set);

#endif
