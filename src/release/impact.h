/*
** impact.h: what a change of policy or posture does to what each partner
** receives (docs/admin.md, "The impact report").  The same report answers
** an applied change and a what-if: per partner login, objects gained,
** lost and changed (served differently: another version, redaction or
** hidden references), by collection, by
** classification level, and the policy reasons that caused them.
**
** Two ways of counting, both from two decision snapshots built off to the
** side (release_snapshot_build), so nothing in force is touched:
**  - exact: for each partner whose decisions differ, the store's own
**    visibility filter is run over each readable collection before and
**    after, and the visible object ids are compared; references, earlier
**    versions and the partner's own objects count as a request sees them.
**  - by marking set: one grouped count of the store (objects by the
**    marking set of their latest version) weighed with the decisions;
**    cost independent of the number of objects, but references and
**    earlier versions are not followed.
**
** Threading: a report is plain data owned by the caller.  Computing one
** reads the store through the connection given and allocates.
*/
#ifndef RELTO_IMPACT_H
#define RELTO_IMPACT_H

#include <stdint.h>
#include "../relto.h"
#include "../config/config.h"
#include "../store/store.h"
#include "../util/buf.h"

struct policy;
struct posture;

/* One side of a comparison: the rules and their stored versions (0: the
** configured file; -1: hypothetical, for what-if). */
struct impact_rules {
	const struct policy *policy;
	const struct posture *posture;
	int64_t policy_version, posture_version;
};

struct impact_count {
	int64_t gained, lost, changed;
};

struct impact_level {
	char name[32];            /* "SECRET", or a collection's default level */
	struct impact_count n;
};

struct impact_rule {
	int gained;               /* 1: its end let objects through; 0: it withholds them now */
	int line;                 /* in the policy of that side; 0 for built-ins */
	char *text;               /* the reason; "references" for objects that follow
	                          ** what they refer to */
	int64_t objects;
};

struct impact_partner {
	int index;                /* into cfg->partners */
	struct impact_count total;
	struct impact_count *colls; /* per report collection */
	struct impact_level *levels;
	size_t nlevels;
	struct impact_rule *rules;
	size_t nrules;
};

struct impact_report {
	int exact;
	struct impact_rules before, after; /* versions only: the pointers are not kept */
	const struct relto_config *cfg;
	size_t ncolls;
	const struct collection **colls;   /* every configured collection */
	size_t npartners;
	struct impact_partner *partners;   /* every non-admin login, config order */
};

/* Compare what `before` and `after` decide over the store's objects.
** cfg's collections must be mapped to store keys.  RELTO_OK and *out
** (impact_free); RELTO_EINVAL (a collection's default level is not a
** level of a policy); RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err impact_compute(const struct relto_config *cfg, struct store_conn *c,
                              const struct impact_rules *before, const struct impact_rules *after, int exact,
                              struct impact_report **out, char *err);
void impact_free(struct impact_report *r);

/* The report as the JSON of docs/admin.md, appended to out (no newline). */
enum relto_err impact_json(const struct impact_report *r, struct buf *out);

/* The report as a table for a terminal, appended to out. */
enum relto_err impact_table(const struct impact_report *r, struct buf *out);

/* What each partner login receives under `rules` now: per partner, the
** objects it receives (exactly, through the store's filter, summed over
** the collections it may read), the objects withheld from it by their
** marking set (latest versions, not its own), and the reason most of
** those are withheld for.  Appends to out a table (one line per partner,
** with the two main reasons) or, with json, {"partners": [{"partner",
** "receives", "withheld", "levels": [{"level", "receives", "withheld"}],
** "reasons": [{"line", "rule", "objects"}]}]} (docs/admin.md).  For the
** demo's start, the admin API and the console.  RELTO_OK; RELTO_EINVAL;
** RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err impact_receiving(const struct relto_config *cfg, struct store_conn *c, const struct impact_rules *rules,
                                int json, struct buf *out, char *err);

/* For each partner login and each rule that decides a withholding: the
** objects (latest versions, not the partner's own) withheld by their
** markings for that rule, counted by marking set (cheap at any size).
** fn gets (partner id, rule line (0: built-in), rule text, objects).  For
** the metrics.  RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM; fn's code. */
typedef enum relto_err (*impact_withheld_fn)(void *ctx, const char *partner, int line, const char *rule,
                                             int64_t objects);
enum relto_err impact_withheld_each(const struct relto_config *cfg, struct store_conn *c,
                                    const struct impact_rules *rules, impact_withheld_fn fn, void *ctx, char *err);

#endif
