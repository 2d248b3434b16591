/*
** posture.h: the partners' trust posture: who each partner is (country,
** groups, the highest classification its sharing agreement allows) and
** which vendors' equipment runs in each segment (ran, core, transport,
** ...) of each of its telecom operators, with decided removal deadlines;
** and the vendor registry with each vendor's risk rating.
**
** Loaded from the documented JSON format (docs/posture.md, format
** "relto-posture/1") with Jansson; every error names the place as
** "file:line:col: message" (Jansson's position for syntax errors, the
** JSON path for meaning errors: "file: partners[6].operators[2]: unknown
** vendor 'hauwei'").  A posture with any error is refused whole.
**
** The structs are plain data so that tests and the what-if machinery can
** build and copy postures directly.  Threading: a loaded posture is
** read-only and may be shared.  Ownership: posture_free() frees all;
** NULL is a no-op.
*/
#ifndef RELTO_POSTURE_H
#define RELTO_POSTURE_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

struct posture_vendor {
	char *id;        /* "huawei" */
	char *name;
	char *country;   /* ISO 3166-1 alpha-3 */
	char *risk;      /* "high", "none", ... as the registry says */
	char *source;    /* may be NULL */
};

struct posture_equipment {
	char *vendor;          /* a vendor id in the registry */
	int has_deadline;
	char deadline[11];     /* "2027-12-31" when has_deadline */
	char *source;          /* may be NULL */
};

struct posture_segment {
	char *name;            /* "ran", "core", "transport", ... */
	struct posture_equipment *equipment;
	size_t nequipment;
};

struct posture_operator {
	char *name;            /* "LG Uplus" */
	struct posture_segment *segments;
	size_t nsegments;
};

struct posture_partner {
	char *id;              /* lower-case, the login id: "kor" */
	char *name;
	char *country;         /* "KOR" */
	char **groups;         /* "fvey", "nato" */
	size_t ngroups;
	char *agreement_level; /* a level name: "SECRET" */
	int hub;               /* the hub itself */
	struct posture_operator *operators;
	size_t noperators;
};

struct posture {
	char **levels;         /* lowest first: UNCLASSIFIED ... TOP_SECRET */
	size_t nlevels;
	struct posture_vendor *vendors;
	size_t nvendors;
	struct posture_partner *partners;
	size_t npartners;
};

/* Parse and check a posture document (len bytes of JSON) read from name.
** Checks: format "relto-posture/1", unique partner and vendor ids, every
** equipment vendor in the registry, agreement levels among levels,
** deadlines as YYYY-MM-DD real dates, country codes three upper-case
** letters, partner ids [a-z0-9_-].  RELTO_OK and *out; RELTO_EINVAL with
** err as above; RELTO_ENOMEM. */
enum relto_err posture_load(const char *name, const char *json, size_t len, struct posture **out,
                            char *err);
void posture_free(struct posture *p);

/* Is s a removal deadline as the format writes them: YYYY-MM-DD, a real
** day of the proleptic Gregorian calendar?  (Change operations check
** theirs the same way.) */
int posture_is_date(const char *s);

/* Lookups; NULL when absent. */
const struct posture_partner *posture_find_partner(const struct posture *p, const char *id);
const struct posture_vendor *posture_find_vendor(const struct posture *p, const char *id);
/* Index of a level name in p->levels, or -1. */
int posture_level(const struct posture *p, const char *name);

#endif
