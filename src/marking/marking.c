/*
** marking.c: the normalized release requirements of a marking set.  This
** file owns the facts themselves (init, the most-restrictive combination,
** the REL TO intersection with its tetragraph table, the banner text) and
** marking_resolve(), which turns a canonical marking set (stix.h) into the
** facts of the whole object and of each granular marking.  Reading one
** marking-definition object is marking_read.c's job.
**
** Everything here is a pure function of its arguments: the tables are
** const, nothing is cached, so the release machinery may call it from any
** thread while it builds a decision cache.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "marking_int.h"

/* ---- tables ------------------------------------------------------------- */

#define TLP1 "marking-definition--"

/* The nine marking definitions STIX fixes.  They are resolved from this
** table, never from the store: a stored object claiming one of these ids
** with other content (a forged "TLP:CLEAR" under TLP:RED's id) must not
** change what the id means. */
static const struct {
	const char *id;
	enum marking_tlp tlp;
} well_known[] = {
	{ TLP1 "613f2e26-407d-48c7-9eca-b8e91df99dc9", TLP_CLEAR },  /* TLP 1.0 WHITE */
	{ TLP1 "34098fce-860f-48ae-8e50-ebd3cc5e41da", TLP_GREEN },  /* TLP 1.0 GREEN */
	{ TLP1 "f88d31f6-486f-44da-b317-01333bde0b82", TLP_AMBER },  /* TLP 1.0 AMBER */
	{ TLP1 "5e57c739-391a-4eb3-b6be-7d15ca92d5ed", TLP_RED },    /* TLP 1.0 RED */
	{ TLP1 "94868c89-83c2-464b-929b-a1a8aa3c8487", TLP_CLEAR },  /* TLP 2.0 CLEAR */
	{ TLP1 "bab4a63c-aed9-4cf5-a766-dfca5abac2bb", TLP_GREEN },  /* TLP 2.0 GREEN */
	{ TLP1 "55d920b0-5e8b-4f79-9ee9-91f868d9b421", TLP_AMBER },  /* TLP 2.0 AMBER */
	{ TLP1 "939a9414-2ddd-4d32-a0cd-375ea402b003", TLP_AMBER_STRICT }, /* TLP 2.0 */
	{ TLP1 "e828b379-4e03-4974-9ac4-e53a884c97c1", TLP_RED },    /* TLP 2.0 RED */
};

/* Coalition tetragraphs.  Only used to intersect lists that mix
** tetragraphs and trigraphs: "REL TO USA, FVEY" and "REL TO USA, GBR,
** KOR" share USA and GBR, which cannot be seen without the members.
** Sorted bytewise.  NATO: the 32 members after Sweden joined (2024-03-07). */
static const char *const fvey_members[] = { "AUS", "CAN", "GBR", "NZL", "USA" };
static const char *const nato_members[] = {
	"ALB", "BEL", "BGR", "CAN", "CZE", "DEU", "DNK", "ESP", "EST", "FIN", "FRA",
	"GBR", "GRC", "HRV", "HUN", "ISL", "ITA", "LTU", "LUX", "LVA", "MKD", "MNE",
	"NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "SWE", "TUR", "USA",
};

/* Control names in banner order, one per MARKING_CTL_* bit. */
static const char *const control_names[] = {
	"ORCON", "ORCON-USGOV", "IMCON", "RELIDO", "PROPIN", "FISA", "FOUO", "DSEN", "LES", "SBU",
};

size_t marking_expand(const char *code, const char *const **members)
{
	if (code && strcmp(code, "FVEY") == 0) {
		*members = fvey_members;
		return sizeof(fvey_members) / sizeof(fvey_members[0]);
	}
	if (code && strcmp(code, "NATO") == 0) {
		*members = nato_members;
		return sizeof(nato_members) / sizeof(nato_members[0]);
	}
	*members = NULL;
	return 0;
}

const char *marking_level_name(enum marking_level l)
{
	switch (l) {
	case LEVEL_UNCLASSIFIED: return "UNCLASSIFIED";
	case LEVEL_CONFIDENTIAL: return "CONFIDENTIAL";
	case LEVEL_SECRET: return "SECRET";
	case LEVEL_TOP_SECRET: return "TOP_SECRET";
	case LEVEL_NONE: break;
	}
	return "";
}

const char *marking_tlp_name(enum marking_tlp t)
{
	switch (t) {
	case TLP_CLEAR: return "TLP:CLEAR";
	case TLP_GREEN: return "TLP:GREEN";
	case TLP_AMBER: return "TLP:AMBER";
	case TLP_AMBER_STRICT: return "TLP:AMBER+STRICT";
	case TLP_RED: return "TLP:RED";
	case TLP_NONE: break;
	}
	return "";
}

/* ---- building facts ----------------------------------------------------- */

void marking_facts_init(struct marking_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->level = LEVEL_NONE;
	f->tlp = TLP_NONE;
}

int marking__well_known(const char *id, struct marking_facts *f)
{
	for (size_t i = 0; i < sizeof(well_known) / sizeof(well_known[0]); i++) {
		if (strcmp(id, well_known[i].id) == 0) {
			marking_facts_init(f);
			f->tlp = well_known[i].tlp;
			marking__finish(f);
			return 1;
		}
	}
	return 0;
}

void marking__unknown(struct marking_facts *f, const char *fmt, ...)
{
	if (f->unknown)
		return;
	f->unknown = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->why_unknown, sizeof(f->why_unknown), fmt, ap);
	va_end(ap);
}

static int listed(const struct marking_facts *f, const char *code)
{
	for (size_t i = 0; i < f->nrel_to; i++)
		if (strcmp(f->rel_to[i], code) == 0)
			return 1;
	return 0;
}

void marking__add_code(struct marking_facts *f, const char *code, size_t len)
{
	char c[MARKING_CODE_LEN];
	if (len >= sizeof(c)) {
		marking__unknown(f, "REL TO code longer than %d characters", MARKING_CODE_LEN - 1);
		return;
	}
	memcpy(c, code, len);
	c[len] = '\0';
	f->has_rel_to = 1;
	if (listed(f, c))
		return;
	if (f->nrel_to == MARKING_MAX_CODES) {
		marking__unknown(f, "REL TO list longer than %d entries", MARKING_MAX_CODES);
		return;
	}
	memcpy(f->rel_to[f->nrel_to++], c, len + 1);
}

void marking__add_org(struct marking_facts *f, const char *org)
{
	size_t len = strlen(org);
	f->has_orgs = 1;
	if (len >= MARKING_ORG_LEN) {
		marking__unknown(f, "permitted organization longer than %d bytes", MARKING_ORG_LEN - 1);
		return;
	}
	for (size_t i = 0; i < f->norgs; i++)
		if (strcmp(f->orgs[i], org) == 0)
			return;
	if (f->norgs == MARKING_MAX_ORGS) {
		marking__unknown(f, "more than %d permitted organizations", MARKING_MAX_ORGS);
		return;
	}
	memcpy(f->orgs[f->norgs++], org, len + 1);
}

/* ---- canonical order and the banner ------------------------------------- */

/* CAPCO order for REL TO lists: USA first, then trigraphs, then
** tetragraphs, each group alphabetical. */
static int code_rank(const char *c)
{
	return strcmp(c, "USA") == 0 ? 0 : strlen(c) == 3 ? 1 : 2;
}

static int cmp_code(const void *a, const void *b)
{
	const char *x = a, *y = b;
	int rx = code_rank(x), ry = code_rank(y);
	return rx != ry ? rx - ry : strcmp(x, y);
}

static int cmp_org(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* A bounded writer for the banner: once full it stops, and the banner
** ends in "..." so a cut summary never passes for a whole one. */
struct bw {
	char *out;
	size_t cap, len;
	int cut;
};

static void bw_put(struct bw *w, const char *s)
{
	size_t n = strlen(s);
	if (w->cut)
		return;
	if (w->len + n >= w->cap) {
		w->cut = 1;
		memcpy(w->out + w->cap - 4, "...", 4);
		return;
	}
	memcpy(w->out + w->len, s, n + 1);
	w->len += n;
}

/* The dissemination part: controls, then NOFORN or the REL TO list. */
static void banner_dissem(struct bw *w, const struct marking_facts *f)
{
	int first = 1;
	for (size_t i = 0; i < sizeof(control_names) / sizeof(control_names[0]); i++) {
		if (!(f->controls & (1u << i)))
			continue;
		bw_put(w, first ? "//" : "/");
		bw_put(w, control_names[i]);
		first = 0;
	}
	/* NOFORN wins over any REL TO list (CAPCO rollup), so it alone shows. */
	if (f->noforn || f->has_rel_to)
		bw_put(w, first ? "//" : "/");
	if (f->noforn) {
		bw_put(w, "NOFORN");
	} else if (f->has_rel_to) {
		bw_put(w, "REL TO ");
		for (size_t i = 0; i < f->nrel_to; i++) {
			bw_put(w, i ? ", " : "");
			bw_put(w, f->rel_to[i]);
		}
		if (f->nrel_to == 0)
			bw_put(w, "(nobody)");
	}
}

void marking__finish(struct marking_facts *f)
{
	qsort(f->rel_to, f->nrel_to, sizeof(f->rel_to[0]), cmp_code);
	qsort(f->orgs, f->norgs, sizeof(f->orgs[0]), cmp_org);
	struct bw w = { f->banner, sizeof(f->banner), 0, 0 };
	f->banner[0] = '\0';
	if (f->level != LEVEL_NONE)
		bw_put(&w, f->level == LEVEL_TOP_SECRET ? "TOP SECRET" : marking_level_name(f->level));
	banner_dissem(&w, f);
	if (f->tlp != TLP_NONE) {
		bw_put(&w, w.len ? "; " : "");
		bw_put(&w, marking_tlp_name(f->tlp));
	}
	if (f->has_orgs) {
		bw_put(&w, w.len ? "; ORGS " : "ORGS ");
		for (size_t i = 0; i < f->norgs; i++) {
			bw_put(&w, i ? ", " : "");
			bw_put(&w, f->orgs[i]);
		}
		if (f->norgs == 0)
			bw_put(&w, "(nobody)");
	}
	if (f->unknown)
		bw_put(&w, w.len ? "; UNKNOWN" : "UNKNOWN");
}

/* ---- combination -------------------------------------------------------- */

/* Is trigraph m a member of a tetragraph f lists? */
static int in_listed_group(const struct marking_facts *f, const char *m)
{
	for (size_t i = 0; i < f->nrel_to; i++) {
		const char *const *members;
		size_t n = marking_expand(f->rel_to[i], &members);
		for (size_t k = 0; k < n; k++)
			if (strcmp(members[k], m) == 0)
				return 1;
	}
	return 0;
}

/* Does f's list release to code?  A trigraph is covered when listed or a
** member of a listed tetragraph relto knows; a tetragraph only when
** listed as written (a group is not covered by some of its members). */
static int covered(const struct marking_facts *f, const char *code)
{
	return listed(f, code) || (strlen(code) == 3 && in_listed_group(f, code));
}

/* Members of x's tetragraphs that y does not list but covers, added to r
** unless a tetragraph already in r covers them. */
static void add_expanded(struct marking_facts *r, const struct marking_facts *x,
                         const struct marking_facts *y)
{
	for (size_t i = 0; i < x->nrel_to; i++) {
		const char *const *members;
		size_t n = marking_expand(x->rel_to[i], &members);
		if (listed(y, x->rel_to[i]))
			continue;
		for (size_t k = 0; k < n; k++)
			if (covered(y, members[k]) && !in_listed_group(r, members[k]))
				marking__add_code(r, members[k], strlen(members[k]));
	}
}

/* a's REL TO list becomes the countries and groups both lists release to.
** Codes stay as written where both lists cover them; a tetragraph only one
** side lists is replaced by those of its members the other side covers.
** A tetragraph relto does not know cannot be expanded, so it survives only
** if both sides list it: the result may be narrower than the truth, never
** wider. */
static void intersect_rel_to(struct marking_facts *a, const struct marking_facts *b)
{
	struct marking_facts r;
	marking_facts_init(&r);
	r.has_rel_to = 1;
	for (size_t i = 0; i < a->nrel_to; i++)
		if (covered(b, a->rel_to[i]))
			marking__add_code(&r, a->rel_to[i], strlen(a->rel_to[i]));
	for (size_t i = 0; i < b->nrel_to; i++)
		if (covered(a, b->rel_to[i]))
			marking__add_code(&r, b->rel_to[i], strlen(b->rel_to[i]));
	add_expanded(&r, a, b);
	add_expanded(&r, b, a);
	if (r.unknown)
		marking__unknown(a, "%s", r.why_unknown);
	memcpy(a->rel_to, r.rel_to, sizeof(r.rel_to));
	a->nrel_to = r.nrel_to;
}

static void intersect_orgs(struct marking_facts *a, const struct marking_facts *b)
{
	size_t out = 0;
	for (size_t i = 0; i < a->norgs; i++) {
		int both = 0;
		for (size_t k = 0; k < b->norgs && !both; k++)
			both = strcmp(a->orgs[i], b->orgs[k]) == 0;
		if (both && out != i)
			memcpy(a->orgs[out], a->orgs[i], sizeof(a->orgs[i]));
		out += both;
	}
	a->norgs = out;
}

void marking_combine(struct marking_facts *a, const struct marking_facts *b)
{
	if (a == b) {
		marking__finish(a);
		return;
	}
	if (b->level > a->level)
		a->level = b->level;
	if (b->has_rel_to && a->has_rel_to) {
		intersect_rel_to(a, b);
	} else if (b->has_rel_to) {
		a->has_rel_to = 1;
		a->nrel_to = b->nrel_to;
		memcpy(a->rel_to, b->rel_to, sizeof(b->rel_to));
	}
	a->noforn |= b->noforn;
	if (b->tlp > a->tlp)
		a->tlp = b->tlp;
	if (b->has_orgs && a->has_orgs) {
		intersect_orgs(a, b);
	} else if (b->has_orgs) {
		a->has_orgs = 1;
		a->norgs = b->norgs;
		memcpy(a->orgs, b->orgs, sizeof(b->orgs));
	}
	if (b->unknown)
		marking__unknown(a, "%s", b->why_unknown);
	a->controls |= b->controls;
	marking__finish(a);
}

/* ---- resolving a canonical marking set ---------------------------------- */

/* The facts of the marking definition id: the fixed table, else the
** store.  What cannot be found or read makes the facts unknown. */
static void resolve_ref(const char *id, marking_lookup_fn lookup, void *ctx,
                        struct marking_facts *f)
{
	if (marking__well_known(id, f))
		return;
	const json_t *def = lookup ? lookup(ctx, id) : NULL;
	if (!def) {
		marking_facts_init(f);
		marking__unknown(f, "%s is not in the store", id);
		marking__finish(f);
		return;
	}
	/* A lookup that hands back another object is a bug elsewhere; trust
	** neither object. */
	const char *got = json_string_value(json_object_get(def, "id"));
	if (!got || strcmp(got, id) != 0) {
		marking_facts_init(f);
		marking__unknown(f, "%s: the store returned another object", id);
		marking__finish(f);
		return;
	}
	marking_read_definition(def, f);
}

/* A non-empty list of strings (the shape stix.h's canonical form has). */
static int string_list(const json_t *v)
{
	size_t i;
	const json_t *s;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	json_array_foreach(v, i, s)
		if (!json_is_string(s))
			return 0;
	return 1;
}

/* Is root the canonical form: {"o": [ids], "g": [[marking, [selectors]]]}
** with at least one of the two keys and nothing else? */
static int canon_shape(const json_t *root)
{
	const json_t *o = json_object_get(root, "o"), *g = json_object_get(root, "g");
	size_t want = (o != NULL) + (g != NULL), i;
	const json_t *e;
	if (!json_is_object(root) || want == 0 || json_object_size(root) != want)
		return 0;
	if (o && !string_list(o))
		return 0;
	if (g && (!json_is_array(g) || json_array_size(g) == 0))
		return 0;
	json_array_foreach(g, i, e) {
		if (!json_is_array(e) || json_array_size(e) != 2 || !json_is_string(json_array_get(e, 0)) ||
		    !string_list(json_array_get(e, 1)))
			return 0;
	}
	return 1;
}

/* Fill one granular entry from the canonical pair e; RELTO_ENOMEM leaves
** what was allocated for marking_result_clear. */
static enum relto_err resolve_granular(const json_t *e, marking_lookup_fn lookup, void *ctx,
                                       struct marking_granular *g)
{
	const json_t *sels = json_array_get(e, 1), *s;
	size_t i;
	g->selectors = calloc(json_array_size(sels), sizeof(*g->selectors));
	if (!g->selectors)
		return RELTO_ENOMEM;
	json_array_foreach(sels, i, s) {
		g->selectors[i] = strdup(json_string_value(s));
		if (!g->selectors[i])
			return RELTO_ENOMEM;
		g->nselectors++;
	}
	resolve_ref(json_string_value(json_array_get(e, 0)), lookup, ctx, &g->facts);
	return RELTO_OK;
}

/* The granular part: one entry per marking_ref pair; "lang:" pairs say
** which language a property is in and restrict nobody, so they are left
** out. */
static enum relto_err resolve_all_granular(const json_t *g, marking_lookup_fn lookup, void *ctx,
                                           struct marking_result *out)
{
	size_t i, n = 0;
	const json_t *e;
	json_array_foreach(g, i, e)
		n += strncmp(json_string_value(json_array_get(e, 0)), "lang:", 5) != 0;
	if (n == 0)
		return RELTO_OK;
	out->granular = calloc(n, sizeof(*out->granular));
	if (!out->granular)
		return RELTO_ENOMEM;
	json_array_foreach(g, i, e) {
		if (strncmp(json_string_value(json_array_get(e, 0)), "lang:", 5) == 0)
			continue;
		struct marking_granular *gr = &out->granular[out->ngranular++];
		marking_facts_init(&gr->facts);
		enum relto_err rc = resolve_granular(e, lookup, ctx, gr);
		if (rc)
			return rc;
	}
	return RELTO_OK;
}

enum relto_err marking_resolve(const char *canon, marking_lookup_fn lookup, void *ctx,
                               struct marking_result *out, char *err)
{
	memset(out, 0, sizeof(*out));
	marking_facts_init(&out->object);
	if (!canon)
		return relto_seterr(err, RELTO_EINVAL, "marking set: NULL");
	if (!*canon)
		return RELTO_OK;
	json_error_t je;
	json_t *root = json_loads(canon, JSON_REJECT_DUPLICATES, &je);
	if (!root && json_error_code(&je) == json_error_out_of_memory)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory reading a marking set");
	if (!root || !canon_shape(root)) {
		json_decref(root);
		return relto_seterr(err, RELTO_EINVAL, "marking set is not in the canonical form");
	}
	size_t i;
	const json_t *ref;
	json_array_foreach(json_object_get(root, "o"), i, ref) {
		struct marking_facts f;
		resolve_ref(json_string_value(ref), lookup, ctx, &f);
		marking_combine(&out->object, &f);
	}
	enum relto_err rc = RELTO_OK;
	const json_t *g = json_object_get(root, "g");
	if (g)
		rc = resolve_all_granular(g, lookup, ctx, out);
	json_decref(root);
	if (rc) {
		marking_result_clear(out);
		return relto_seterr(err, rc, "out of memory resolving a marking set");
	}
	return RELTO_OK;
}

void marking_result_clear(struct marking_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ngranular; i++) {
		for (size_t k = 0; k < r->granular[i].nselectors; k++)
			free(r->granular[i].selectors[k]);
		free(r->granular[i].selectors);
	}
	free(r->granular);
	memset(r, 0, sizeof(*r));
	marking_facts_init(&r->object);
}
