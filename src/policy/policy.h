/*
** policy.h: the interface of relto's releasability policy language
** (docs/policy.md is the language reference).  A policy file is parsed,
** checked and compiled once; the compiled policy then decides, for one
** partner and the marking facts of one object (marking.h), whether the
** object is released, released with some granular markings' properties
** redacted, or withheld, and says why.
**
** Two steps, so that a decision cache can be rebuilt quickly: bind a
** partner once (policy_partner_bind works out everything that depends
** only on the partner and its networks, including the effective
** clearance when no cap looks at the object), then evaluate any number of
** marking facts against it (policy_eval_bound).  Evaluation allocates
** nothing and cannot fail.  policy_eval does both for one-off decisions.
**
** Threading: a compiled struct policy is read-only and may be shared by
** any number of threads.  struct policy_partner and struct policy_outcome
** belong to the caller (the stack is fine); a bound partner borrows the
** policy, the posture and the partner, which must outlive it.
** Errors: enum relto_err; functions taking `char *err` (RELTO_ERRBUF_SIZE
** bytes, NULL allowed, first message stays) write "name:line:col: message"
** there.
** Ownership: policy_free() frees everything a policy owns; NULL is a
** no-op.  Reason texts in an outcome point into the policy (rule reasons,
** built-in texts) or into the marking facts (unknown markings): valid
** while both live.
*/
#ifndef RELTO_POLICY_H
#define RELTO_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../marking/marking.h"   /* struct marking_result: what an object's markings say */
#include "../posture/posture.h"   /* struct posture: partners, networks, vendors */
#include "../util/buf.h"          /* struct buf: explanations and reports */

#define POLICY_MAX_LEVELS 64      /* levels a policy may declare */
#define POLICY_MAX_GRANULAR 64    /* granular markings one decision covers (a uint64_t mask) */
#define POLICY_MAX_REASONS 16     /* reasons kept in an outcome; more are counted */
#define POLICY_MAX_ATOMS 512      /* partner-only conditions worked out at bind time;
                                  ** any more are evaluated with each decision */

struct policy;

enum policy_decision {
	POLICY_RELEASE = 0,       /* release the object as stored */
	POLICY_REDACT = 1,        /* release it with the properties of the granular
	                          ** markings in outcome.redact removed */
	POLICY_WITHHOLD = 2,      /* the object does not exist for this partner */
};

/* What produced a reason. */
enum policy_why {
	POLICY_WHY_DENY = 0,      /* a deny rule matched: withheld */
	POLICY_WHY_CAP,           /* a cap rule matched: the clearance was lowered */
	POLICY_WHY_REDACT,        /* a redact rule matched a granular marking */
	POLICY_WHY_UNKNOWN,       /* markings relto cannot read (object: withheld;
	                          ** granular: its properties stripped) */
	POLICY_WHY_ABOVE,         /* built-in: the object's level is above the clearance */
	POLICY_WHY_FIELD_ABOVE,   /* built-in: a granular marking's level is above it */
	POLICY_WHY_NO_LEVEL,      /* built-in: a level the policy does not declare (the
	                          ** object's, the default, or the partner's agreement) */
	POLICY_WHY_LIMIT,         /* built-in: more than POLICY_MAX_GRANULAR granular markings */
};

struct policy_reason {
	enum policy_why why;
	int line;                 /* the rule's line in the policy; 0 for built-ins */
	const char *text;         /* the rule's `because` (or the rule itself when it
	                          ** has none), why_unknown, or a built-in's summary;
	                          ** never NULL.  policy_explain words built-ins fully. */
};

struct policy_outcome {
	enum policy_decision decision;
	int object_level;         /* the level the object was judged at (its marking's
	                          ** or the default), -1 if none */
	int clearance;            /* the partner's effective level after caps, -1 if none */
	int capped_by;            /* line of the cap that set the clearance, 0 if uncapped */
	uint64_t redact;          /* bit i: strip the properties of m->granular[i];
	                          ** 0 unless decision is POLICY_REDACT */
	size_t nreasons;          /* entries used in reasons[] */
	size_t nmatched;          /* reasons there were; > nreasons when some did not fit */
	struct policy_reason reasons[POLICY_MAX_REASONS];
};

/* A partner bound to a policy: what depends only on the partner.  The
** fields are the evaluator's; read them only through the functions here. */
struct policy_partner {
	const struct policy *policy;
	const struct posture *posture;
	const struct posture_partner *partner;
	int agreement;            /* index of the partner's agreement level, -1 if not declared */
	int clearance;            /* before caps (the `clear` line) */
	uint64_t groups;          /* bit g: the policy's group g lists the partner's country */
	uint64_t atoms[POLICY_MAX_ATOMS / 64]; /* values of partner-only conditions */
};

/* Parse, check and compile len bytes of policy text read from name (used
** in messages).  RELTO_OK and *out (free with policy_free); RELTO_EINVAL
** with the first error as "name:line:col: message" in err; RELTO_ETOOBIG
** for text over 1 MiB; RELTO_ENOMEM.  On failure *out is untouched. */
enum relto_err policy_compile(const char *name, const char *text, size_t len, struct policy **out,
                              char *err);
void policy_free(struct policy *p);

/* Like policy_compile but only checks, and appends every error (up to 20)
** to diag, one "name:line:col: message\n" line each; *nerrors (may be
** NULL) gets their count.  RELTO_OK when the policy is valid, RELTO_EINVAL
** when not, RELTO_ETOOBIG/RELTO_ENOMEM when diag or memory ran out.  For
** `relto policy check`. */
enum relto_err policy_check(const char *name, const char *text, size_t len, struct buf *diag,
                            int *nerrors);

/* The policy's levels, lowest first.  policy_level_find returns the index
** of name (exact spelling) or -1; policy_level_name returns "" for an index
** out of range.  The default level passed to the evaluator is an index. */
int policy_nlevels(const struct policy *p);
const char *policy_level_name(const struct policy *p, int level);
int policy_level_find(const struct policy *p, const char *name);

/* Bind partner (an entry of posture->partners) to p: compute its agreement
** level, its network conditions and every other condition that depends on
** the partner alone.  Cannot fail; a partner whose agreement level the
** policy does not declare has no clearance and every object is withheld
** from it (POLICY_WHY_NO_LEVEL). */
void policy_partner_bind(const struct policy *p, const struct posture *posture,
                         const struct posture_partner *partner, struct policy_partner *out);

/* Decide one object for a bound partner.  m: the object's marking facts
** (borrowed; m->granular may be NULL when m->ngranular is 0).
** default_level: the level index an object without a classification
** marking takes (its collection's default).  Fills *out.  Cannot fail and
** allocates nothing.  What the decision means:
**  - m->object.unknown: withheld, reason why_unknown, nothing else runs;
**  - clearance = the `clear` level lowered by every matching cap;
**  - withheld if any deny rule matches, or if the object's level is above
**    the clearance (built-in), or if a level is not declared;
**  - otherwise, a granular marking whose facts are unknown, whose level is
**    above the clearance (built-in), or that a redact rule matches, sets
**    its bit in out->redact and the decision is POLICY_REDACT.  The caller
**    withholds the object instead if a redaction would remove a property
**    STIX requires.
** Every matching rule adds its reason, in this order: caps, denies,
** built-ins, redacts (each in policy order). */
void policy_eval_bound(const struct policy_partner *b, const struct marking_result *m,
                       int default_level, struct policy_outcome *out);

/* policy_partner_bind then policy_eval_bound, for a single decision. */
void policy_eval(const struct policy *p, const struct posture *posture,
                 const struct posture_partner *partner, const struct marking_result *m,
                 int default_level, struct policy_outcome *out);

/* The reason that decided a withholding, for summaries (impact reports,
** the audit trail): a deny or an unreadable marking first; an object above
** the clearance is put down to the cap that set the clearance, if one
** did; else the first reason there is; none when there are no reasons. */
const struct policy_reason *policy_main_reason(const struct policy_outcome *o, const struct policy_reason *none);

/* "release", "redact" or "withhold". */
const char *policy_decision_name(enum policy_decision d);

/* Decide as policy_eval does and append a human-readable explanation to
** out: the decision, the clearance and what set it, every reason with its
** line, the equipment that made a network condition true, and what
** happens to each granular marking.  Several lines, each ending in '\n'.
** RELTO_OK; RELTO_ETOOBIG/RELTO_ENOMEM from out (which keeps what it had
** before the failing append). */
enum relto_err policy_explain(const struct policy *p, const struct posture *posture,
                              const struct posture_partner *partner,
                              const struct marking_result *m, int default_level,
                              struct buf *out);

/* Run a policy test file (the format is in docs/policy.md: lines like
** `expect kor withhold object level=SECRET rel_to=USA,GBR`) of len bytes,
** read from name, against p and posture.  Appends to report one block per
** failed expectation (the line, what was expected, what happened, the
** explanation) and a last line "name: N expectations, M failed".
** RELTO_OK with *failures = M (the test ran; M may be non-zero);
** RELTO_EINVAL when the test file itself is wrong ("name:line:col:
** message" in err: a syntax error, an unknown partner or level), nothing
** appended; RELTO_ETOOBIG/RELTO_ENOMEM. */
enum relto_err policy_test_run(const struct policy *p, const struct posture *posture,
                               const char *name, const char *text, size_t len,
                               struct buf *report, int *failures, char *err);

#endif
