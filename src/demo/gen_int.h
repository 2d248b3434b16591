/*
** gen_int.h: what the three files of the demo generator share; private to
** src/demo (the public contract is gen.h).
**   gen.c        drives a run: randomness, collections, reference pools,
**                later versions, the stream clock, the marking mix.
**   gen_stix.c   writes one object as compact STIX 2.1 JSON.
**   gen_words.c  the const tables: vocabulary, ATT&CK techniques, CVEs,
**                marking definitions, the marking mix, the identities.
**
** Threading: only const tables are shared; a run's state lives in gen.c's
** struct gen.  Functions and tables shared between the files carry the
** gen__ prefix; the short enum names (T_, M_, R_) never leave src/demo.
*/
#ifndef RELTO_GEN_INT_H
#define RELTO_GEN_INT_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../util/buf.h"

/* ---- what is generated ------------------------------------------------- */

enum gen__otype {
	T_IDENTITY, T_MARKING, T_INDICATOR, T_MALWARE, T_ATTACK, T_INTRUSION,
	T_CAMPAIGN, T_VULN, T_REPORT, T_REL, T_SIGHTING, T_N
};

enum gen__rel { R_INDICATES, R_USES, R_TARGETS, R_EXPLOITS, R_ATTRIBUTED, R_N };

enum { GEN__THEME_GENERAL = 0, GEN__THEME_TELECOM = 1, GEN__NTHEMES = 2 };

/* Identities: the hub, one national centre per partner (same order as
** src/demo/posture.json), and sector classes that intrusions target. */
enum { ID_HUB = 0, ID_PARTNER0 = 1, NPARTNERS = 7, ID_CLASS0 = 8, NCLASSES = 4,
       NIDENT = 12, NO_CREATOR = 0xff };

#define GEN__MAX_REFS 12 /* report object_refs; sightings use up to 3 */

/* ---- markings ---------------------------------------------------------- */

enum gen__mark {
	M_TLP1_WHITE, M_TLP1_GREEN, M_TLP1_AMBER, M_TLP1_RED,
	M_TLP2_CLEAR, M_TLP2_GREEN, M_TLP2_AMBER, M_TLP2_AMBER_STRICT, M_TLP2_RED,
	M_ST_U, M_ST_C_JPN_KOR, M_ST_C_NATO, M_ST_S_FVEY, M_ST_S_GBR_KOR,
	M_ST_S_NOFORN, M_ST_TS_FVEY,
	M_ACS_U, M_ACS_C_JPN_KOR, M_ACS_S_FVEY, M_ACS_S_GBR_KOR, M_ACS_S_NF,
	M_ACS_TS_FVEY,
	M_N,
	M_NONE = 0xff
};
/* TLP 1.0 definitions are fixed by STIX 2.1 (7.2.1.4) and known to every
** consumer, so they are referenced but never emitted. */
#define M_FIRST_EMITTED M_TLP2_CLEAR

enum gen__mkind { MK_TLP1, MK_TLP2, MK_STATEMENT, MK_ACS };

struct gen__mdef {
	enum gen__mkind kind;
	const char *uuid;    /* fixed by its standard, or NULL: drawn from the seed */
	const char *name;    /* also the statement of a statement marking */
	const char *value;   /* tlp_2_0 value; ACS control_set JSON */
	const char *policy;  /* ACS policy_reference */
	const char *sharing; /* ACS further_sharing JSON, or NULL */
};
extern const struct gen__mdef gen__marks[M_N];

/* One entry of the marking mix: the object_marking_refs an object gets. */
struct gen__profile {
	uint16_t permille;
	uint8_t n;
	uint8_t m[2];
	uint8_t classified; /* CONFIDENTIAL or above: no granular markings */
};
extern const struct gen__profile gen__profiles[];
extern const size_t gen__nprofiles;

struct gen__ident {
	const char *name;
	const char *cls;     /* identity_class */
	const char *sectors; /* JSON list */
	const char *desc;
};
extern const struct gen__ident gen__idents[NIDENT];

/* ---- vocabulary -------------------------------------------------------- */
/* No string in these tables contains '"', '\' or a control character, so
** gen_stix.c copies them into JSON without an escaping pass. */

struct gen__words {
	const char *const *w;
	size_t n;
};

/* An ATT&CK technique as ATT&CK publishes it. */
struct gen__technique {
	const char *id;        /* "T1190", "T1430.002" */
	const char *name;
	const char *chain;     /* kill_chain_name: "mitre-attack", ... */
	const char *phases[3]; /* NULL-terminated when fewer */
	const char *url;
};

/* A kind of malware: a phrase for descriptions and its malware_types
** value (STIX malware-type-ov). */
struct gen__kind {
	const char *phrase;
	const char *type;
};

/* A real CVE, summarised. */
struct gen__cve {
	const char *id;
	const char *summary;
};

/* Everything one theme draws from. */
struct gen__theme {
	struct gen__words subjects;      /* "A state-sponsored intrusion set" */
	struct gen__words verbs;         /* "has compromised" */
	struct gen__words targets;       /* "Diameter edge agents at ..." */
	struct gen__words methods;       /* "by sending SS7 MAP ... queries" */
	struct gen__words outcomes;      /* one closing sentence */
	struct gen__words short_targets; /* "roaming interconnects" (titles) */
	struct gen__words actor_adj;     /* intrusion set names: adj + noun */
	struct gen__words actor_noun;
	struct gen__words malware_pre;   /* malware names: prefix + suffix */
	struct gen__words platforms;     /* "carrier-grade Linux hosts ..." */
	struct gen__words goals;         /* intrusion-set goals */
	struct gen__words objectives;    /* campaign objectives */
	struct gen__words domains;       /* first labels of host names */
	const struct gen__technique *techniques;
	size_t ntechniques;
	const struct gen__cve *cves;
	size_t ncves;
};
extern const struct gen__theme gen__themes[GEN__NTHEMES];

extern const struct gen__words gen__malware_suf;   /* "Hook", "Tap" */
extern const struct gen__kind gen__malware_kinds[];
extern const size_t gen__nmalware_kinds;
extern const struct gen__words gen__capabilities;  /* "that listens ..." */
extern const struct gen__words gen__campaign_a;    /* "Quiet" */
extern const struct gen__words gen__campaign_b;    /* "Roaming" */
extern const struct gen__words gen__doc_tlds;      /* "example.net" */
extern const struct gen__words gen__url_paths;     /* "/api/v1/status" */
extern const struct gen__words gen__update_notes;  /* later versions */
extern const struct gen__words gen__rel_notes;     /* relationship text */

/* ---- randomness -------------------------------------------------------- */
/* xoshiro256** (Blackman and Vigna) seeded with splitmix64: small, fast,
** and the same sequence on every platform. */

struct gen__rng {
	uint64_t s[4];
};

static inline uint64_t gen__splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void gen__rng_seed(struct gen__rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = gen__splitmix64(&seed);
}

static inline uint64_t gen__rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t gen__next(struct gen__rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = gen__rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = gen__rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n) for n < 2^32 by multiply-shift: no division, and a
** bias of n / 2^32, far below anything the demo can show. */
static inline uint32_t gen__below(struct gen__rng *r, uint32_t n)
{
	return (uint32_t)(((gen__next(r) >> 32) * n) >> 32);
}

static inline const char *gen__pick(struct gen__rng *r, const struct gen__words *ws)
{
	return ws->w[gen__below(r, (uint32_t)ws->n)];
}

/* ---- objects ----------------------------------------------------------- */

/* A STIX id: its type and its UUID (version 4 form) as two halves. */
struct gen__ref {
	uint64_t hi, lo;
	uint8_t type;
};

/* One generated object, small and fixed-size so that a later version can
** be queued by value: everything else (names, patterns, words) is derived
** again from seed. */
struct gen__obj {
	struct gen__ref id;
	int64_t created, modified; /* ms since the epoch */
	uint64_t seed;             /* content seed */
	uint32_t count;            /* sighting count */
	uint16_t coll;
	uint8_t theme, profile, granular, version, revoked;
	uint8_t versions_left, creator, rel, nrefs;
	struct gen__ref refs[GEN__MAX_REFS];
};

/* The ids of a run's marking definitions and identities. */
struct gen__ids {
	struct gen__ref mark[M_N];
	struct gen__ref ident[NIDENT];
};

/* Write o into b (reset first) as one compact JSON object.  RELTO_OK;
** RELTO_ETOOBIG or RELTO_ENOMEM from the buffer. */
enum relto_err gen__put_object(struct buf *b, const struct gen__ids *ids,
			       const struct gen__obj *o);
/* Write marking definition m (M_FIRST_EMITTED..M_N-1); created at base_ms
** unless its standard fixes the date. */
enum relto_err gen__put_marking(struct buf *b, const struct gen__ids *ids, int m,
				int64_t base_ms);
/* Write identity i, created at base_ms, marked TLP:CLEAR. */
enum relto_err gen__put_identity(struct buf *b, const struct gen__ids *ids, int i,
				 int64_t base_ms);

#endif
