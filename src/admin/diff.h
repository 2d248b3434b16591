/*
** diff.h: what changed between two versions of the posture or of the
** policy, as lines for people (docs/admin.md: `relto posture diff`,
** `GET /admin/posture/diff`, `GET /admin/policy/diff`).
**
** Posture diffs are structural: vendors are matched by id, partners by id,
** operators by name, segments by name and equipment by vendor, so moving
** or reformatting text shows nothing and each line names one fact:
**   levels: UNCLASSIFIED < SECRET -> UNCLASSIFIED < CONFIDENTIAL < SECRET
**   vendor zte: risk none -> high
**   vendor acme: added (ACME Corp, USA, risk none)      vendor acme: removed
**   partner kor: agreement_level SECRET -> CONFIDENTIAL
**   partner kor: added                                  partner kor: removed
**   partner kor: operator LG Uplus: added               ...: removed
**   partner kor: operator LG Uplus: ran: huawei removed
**   partner kor: operator LG Uplus: ran: ericsson added (deadline 2027-12-31)
**   partner kor: operator LG Uplus: ran: huawei deadline none -> 2027-12-31
**   sources: changed
** Policy diffs are line diffs: "-12: old line", "+12: new line".
**
** Threading: pure functions.  Errors: enum relto_err; out gains nothing
** on failure (lines are collected first and appended at once).  Ownership:
** the caller owns out.
*/
#ifndef RELTO_ADMIN_DIFF_H
#define RELTO_ADMIN_DIFF_H

#include <stddef.h>
#include "../relto.h"
#include "../util/buf.h" /* struct buf */

/* Append to out one line per difference between posture documents a (alen
** bytes, the older) and b (blen bytes), each line ending in "\n", in this
** order: levels; vendors in b's order, then those only in a; partners
** likewise (and within a partner its fields, then operators in b's order
** and removed ones, then segments and equipment the same way); then any
** other top-level field ("format", "sources": "KEY: changed", "KEY: added",
** "KEY: removed").  Scalar values are shown as they are, lists as
** "a, b" ("(empty)" when empty), an absent field as "(absent)", an absent
** removal deadline as "none".  Identical documents append nothing.  The
** documents need not pass posture_load(); a part that is not shaped as the
** format says (a list without unique ids, say) is compared whole
** ("vendors: changed").
**   RELTO_EINVAL: a or b is not JSON or not an object; err says which
**     ("from:LINE:COL: ..." / "to: must be a JSON object, not a list").
**   RELTO_ETOOBIG: out's cap; RELTO_ENOMEM. */
enum relto_err admin_posture_diff(const char *a, size_t alen, const char *b, size_t blen,
                                  struct buf *out, char *err);

/* The largest number of lines admin_text_diff compares on each side. */
#define ADMIN_TEXT_DIFF_MAX_LINES 20000

/* Append the changed lines between texts a (the older) and b, from a
** longest common subsequence of lines: "-N: text\n" for a line of a that
** is gone (N its line number in a, from 1) and "+N: text\n" for a line of b
** that is new (N its line number in b), in the order of the texts (within
** one changed stretch, removals first).  A final line without "\n" counts
** as a line; a "\r" ending a line is not shown.  Identical texts append
** nothing.  Time is at worst proportional to the product of the line
** counts after common leading and trailing lines are set aside; memory is
** linear.
**   RELTO_ETOOBIG: more than ADMIN_TEXT_DIFF_MAX_LINES lines on a side, or
**     out's cap; RELTO_ENOMEM. */
enum relto_err admin_text_diff(const char *a, size_t alen, const char *b, size_t blen,
                               struct buf *out);

#endif
