/*
** marking.h: what the data markings of an object say, in one normalized
** form the releasability policy can reason about.
**
** Input: a marking set in stix.h's canonical form (the sorted
** object_marking_refs and granular markings of an object) and a way to
** find marking-definition objects by id.  Output: the release
** requirements of the whole object (struct marking_facts) and, for each
** granular marking, the requirements of the selected properties.
**
** Marking schemes understood (docs/markings.md is the user's reference):
**  - TLP 1.0: the four fixed STIX 2.1 marking-definition ids (WHITE is
**    read as CLEAR); known without being in the store.
**  - TLP 2.0: marking definitions carrying the extension
**    extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d
**    (tlp_2_0: clear, green, amber, amber+strict, red); the five standard
**    ids are known without being in the store.  The nine fixed ids mean
**    what STIX says even if the store holds another object under one of
**    them; TLP content under another id is read as what it says.
**  - ISA ACS 3.0: the extension
**    extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce
**    (control_set.classification U/C/S/TS, control_set.formal_determination
**    with NF = NOFORN, permitted_nationalities as a REL TO list,
**    permitted_organizations, further_sharing FOREIGNGOV deny = NOFORN, and
**    sharedefault=deny with nothing permitting a foreign recipient =
**    NOFORN).  SCI controls and members outside the schema are unknown.
**  - Statement markings: a CAPCO-style banner ("SECRET//REL TO USA, GBR",
**    "SECRET//NOFORN", "TOP SECRET//REL TO USA, FVEY", "S//NF",
**    "UNCLASSIFIED//FOUO"), upper case, any blanks around "//", "/" and
**    ","; the controls ORCON, RELIDO, FOUO, ... are carried in `controls`
**    and restrict no partner by themselves.  Any other statement (a
**    copyright notice) restricts nothing, unless it claims to be a banner
**    (it starts with "//", its first part is a classification in another
**    case, or it has a word such as SECRET, CLASSIFIED, NOFORN or TLP) and
**    does not parse: then it is unknown ("secret//noforn", "NATO SECRET",
**    "TOP SECRET//SI//NOFORN").
** Several markings combine to the most restrictive: the highest
** classification, the intersection of REL TO lists (codes kept as
** written; a tetragraph listed on one side only is replaced by those of
** its members, per marking_expand, that the other side covers), NOFORN if
** any says so (it then overrides any REL TO list), the most restrictive
** TLP, the intersection of organization lists, the union of controls.
** A reference to a marking definition that cannot be found, or a
** marking-definition extension that is not understood, makes the object
** `unknown`: the policy withholds it from everyone but its originator.
** Granular facts are those of that one marking alone: the object's own
** markings apply to every property as well, so a property may be released
** only where the object is released and each granular marking selecting
** it allows it.  `lang` granular markings restrict nobody and are left
** out.
**
** Threading: pure functions over their arguments; thread-safe.
** Errors: enum relto_err; RELTO_EINVAL only for a canonical string that
** is not one (a bug), unknown markings are a result, not an error.
*/
#ifndef RELTO_MARKING_H
#define RELTO_MARKING_H

#include <jansson.h>
#include <stddef.h>
#include "../relto.h"

/* Classification levels as relto names them (the policy's `levels`
** line must use these names for the markings to map onto it). */
enum marking_level {
	LEVEL_NONE = -1,       /* no classification marking */
	LEVEL_UNCLASSIFIED = 0,
	LEVEL_CONFIDENTIAL = 1,
	LEVEL_SECRET = 2,
	LEVEL_TOP_SECRET = 3,
};

enum marking_tlp { TLP_NONE = 0, TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED };

#define MARKING_MAX_CODES 48   /* REL TO entries kept; more is "unknown" */
#define MARKING_CODE_LEN 8     /* "USA", "FVEY" and the NUL */
#define MARKING_MAX_ORGS 16
#define MARKING_ORG_LEN 96

/* The release requirements of an object (or of some of its properties). */
struct marking_facts {
	enum marking_level level;
	/* has_rel_to: releasable only to the listed countries/groups, as
	** written (trigraphs like "GBR", tetragraphs like "FVEY", "NATO"),
	** in CAPCO order (USA, trigraphs, tetragraphs); has_rel_to with
	** nrel_to == 0 means releasable to no country.  Matching a partner
	** against a tetragraph is the policy's job (posture groups). */
	int has_rel_to;
	size_t nrel_to;
	char rel_to[MARKING_MAX_CODES][MARKING_CODE_LEN];
	int noforn;                /* NOFORN / ACS formal_determination NF */
	enum marking_tlp tlp;
	int has_orgs;              /* only these organizations (ACS permitted_organizations);
	                           ** sorted, norgs == 0 means none */
	size_t norgs;
	char orgs[MARKING_MAX_ORGS][MARKING_ORG_LEN];
	int unknown;               /* a marking relto cannot read */
	char why_unknown[160];     /* e.g. "marking-definition--... is not in the store" */
	char banner[128];          /* human summary, e.g. "SECRET//REL TO USA, GBR; TLP:AMBER" */
	/* MARKING_CTL_* bits: dissemination controls read (ORCON, RELIDO,
	** FOUO, ...) that restrict no partner by themselves; kept so the
	** banner and a policy can see them.  Combined by union. */
	unsigned controls;
};

/* Dissemination controls relto recognises and carries but does not
** enforce (docs/markings.md).  Any control not listed here makes a
** banner unknown. */
enum marking_control {
	MARKING_CTL_ORCON = 1u << 0,       /* ORCON, OC */
	MARKING_CTL_ORCON_USGOV = 1u << 1, /* ORCON-USGOV */
	MARKING_CTL_IMCON = 1u << 2,       /* IMCON, IMC */
	MARKING_CTL_RELIDO = 1u << 3,      /* RELIDO */
	MARKING_CTL_PROPIN = 1u << 4,      /* PROPIN, PR; ACS sensitivity PR */
	MARKING_CTL_FISA = 1u << 5,        /* FISA; ACS caveat FISA */
	MARKING_CTL_FOUO = 1u << 6,        /* FOUO; ACS formal_determination FOUO */
	MARKING_CTL_DSEN = 1u << 7,        /* DSEN */
	MARKING_CTL_LES = 1u << 8,         /* LES; ACS sensitivity LES */
	MARKING_CTL_SBU = 1u << 9,         /* SBU */
};

/* Find a marking-definition object by id; return it borrowed (valid until
** the caller's next call), or NULL if the store has none. */
typedef const json_t *(*marking_lookup_fn)(void *ctx, const char *id);

/* One granular marking's effect: these selectors carry these facts. */
struct marking_granular {
	size_t nselectors;
	char **selectors;          /* heap; freed by marking_result_clear */
	struct marking_facts facts;
};

struct marking_result {
	struct marking_facts object;   /* from object_marking_refs */
	size_t ngranular;
	struct marking_granular *granular;
};

/* Set f to "no markings": LEVEL_NONE, TLP_NONE, no lists, not unknown,
** banner "".  (A zeroed struct is not that: level 0 is UNCLASSIFIED.)
** The identity of marking_combine.  Cannot fail. */
void marking_facts_init(struct marking_facts *f);

/* Read one marking-definition object into facts (alone, as if it were
** the only marking).  Cannot fail: what it cannot read sets unknown. */
void marking_read_definition(const json_t *def, struct marking_facts *out);

/* Combine b into a: the most restrictive of both (see the top comment). */
void marking_combine(struct marking_facts *a, const struct marking_facts *b);

/* Resolve a canonical marking set (stix.h `marking_canon`; "" means no
** markings) into *out.  RELTO_OK (release with marking_result_clear);
** RELTO_EINVAL for a malformed canonical string; RELTO_ENOMEM. */
enum relto_err marking_resolve(const char *canon, marking_lookup_fn lookup, void *ctx,
                               struct marking_result *out, char *err);
void marking_result_clear(struct marking_result *r);

/* The members of a coalition tetragraph relto knows, as ISO 3166-1
** alpha-3 trigraphs sorted bytewise: FVEY (USA, AUS, CAN, GBR, NZL) and
** NATO (the 32 members as of 2024).  Returns the count and points
** *members at a constant table; 0 and *members = NULL for any other code
** (trigraphs, unknown tetragraphs).  marking_combine uses it to intersect
** REL TO lists that mix tetragraphs and trigraphs; a policy that matches
** a partner against a tetragraph should use the partner's posture groups
** (docs/posture.md), which this table must agree with.  Cannot fail. */
size_t marking_expand(const char *code, const char *const **members);

/* "UNCLASSIFIED", ... or "" for LEVEL_NONE; "TLP:AMBER+STRICT", ... */
const char *marking_level_name(enum marking_level l);
const char *marking_tlp_name(enum marking_tlp t);

#endif
