/*
** release.c: the decision cache (see release.h).
*/
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "release.h"
#include "redact.h"
#include "../stix/stix.h"
#include "../policy/policy.h"

/* A policy and a posture as a snapshot build needs them: each configured
** partner's posture entry, and the collections' default levels. */
struct rules_view {
	const struct policy *pol;
	const struct posture *pos;
	const struct posture_partner **pp;   /* per config partner, or NULL */
	char **variants;                     /* distinct default level names */
	int *variant_level;                  /* their policy level indexes */
	size_t nvariants;
};

struct release {
	const struct relto_config *cfg;
	struct rules_view view;              /* the rules in force */
	pthread_mutex_t lock;                /* guards cur and every refs */
	pthread_mutex_t rebuild;             /* one rebuild at a time */
	struct release_snapshot *cur;
	uint64_t next_id;
};

void release_snapshot_free(struct release_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->released && i < s->nvariants * s->npartners; i++)
		free(s->released[i]);
	for (size_t i = 0; s->markings && i < s->nsets; i++)
		marking_result_clear(&s->markings[i]);
	for (size_t v = 0; s->variant_names && v < s->nvariants; v++)
		free(s->variant_names[v]);
	free(s->variant_names);
	free(s->released);
	free(s->nreleased);
	free(s->markings);
	free(s->decision);
	free(s->redact);
	free(s->unfiltered);
	for (size_t i = 0; s->reasons && i < s->nreasons; i++)
		free(s->reasons[i]);
	free(s->reasons);
	free(s->why);
	free(s);
}

/* ---- reading the store ---- */

struct defs {
	json_t *by_id;     /* id -> parsed marking definition */
	size_t n;
};

static enum relto_err keep_def(void *ctx, const char *id, const char *raw, size_t len)
{
	struct defs *d = ctx;
	d->n++;
	if (!d->by_id)
		return RELTO_OK; /* only counting */
	json_t *v = json_loadb(raw, len, 0, NULL);
	if (v && json_object_set_new(d->by_id, id, v) != 0)
		return RELTO_ENOMEM;
	return RELTO_OK;
}

static const json_t *lookup_def(void *ctx, const char *id)
{
	const struct defs *d = ctx;
	return json_object_get(d->by_id, id);
}

struct sets {
	char **canon;
	size_t n, room;
};

static enum relto_err keep_set(void *ctx, int64_t num, const char *canon)
{
	struct sets *s = ctx;
	if (num < 0 || num > 10000000)
		return RELTO_ESTORE;
	while ((size_t)num >= s->room) {
		size_t room = s->room ? s->room * 2 : 64;
		char **c = realloc(s->canon, room * sizeof(*c));
		if (!c)
			return RELTO_ENOMEM;
		memset(c + s->room, 0, (room - s->room) * sizeof(*c));
		s->canon = c;
		s->room = room;
	}
	if (!(s->canon[num] = strdup(canon)))
		return RELTO_ENOMEM;
	if ((size_t)num + 1 > s->n)
		s->n = (size_t)num + 1;
	return RELTO_OK;
}

static void sets_free(struct sets *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->canon[i]);
	free(s->canon);
}

/* ---- deciding ---- */

/* One decision.  A redaction that could take a property some object type
** requires withholds instead: the decision is made per marking set, before
** the object's type is known, and every list (objects, manifest,
** versions) must agree on what exists. */
static const struct policy_reason no_posture = {POLICY_WHY_DENY, 0, "the partner has no posture entry"};
static const struct policy_reason required_redaction = {
	POLICY_WHY_REDACT, 0, "a redaction would remove a property STIX requires"};

static enum release_decision decide(const struct policy_partner *b, const struct marking_result *m,
                                    int default_level, uint64_t *redact, struct policy_reason *why)
{
	struct policy_outcome out;
	static const struct policy_reason none = {POLICY_WHY_DENY, 0, "withheld by the policy"};
	*redact = 0;
	why->text = NULL; /* released: no reason */
	if (!b) {
		*why = no_posture;
		return RELEASE_WITHHOLD;
	}
	policy_eval_bound(b, m, default_level, &out);
	if (out.decision == POLICY_RELEASE)
		return RELEASE_FULL;
	if (out.decision != POLICY_REDACT) {
		/* A copy: the outcome is on this stack; the text (the policy's,
		** or a built-in's constant) outlives it. */
		*why = *policy_main_reason(&out, &none);
		return RELEASE_WITHHOLD;
	}
	for (size_t g = 0; g < m->ngranular; g++) {
		if (!(out.redact >> g & 1))
			continue;
		for (size_t k = 0; k < m->granular[g].nselectors; k++)
			if (redact_may_be_required(m->granular[g].selectors[k])) {
				*why = required_redaction;
				return RELEASE_WITHHOLD;
			}
	}
	*redact = out.redact;
	return RELEASE_PARTIAL;
}

/* The index of why's text in s->reasons, added if new; 0 when out of
** memory (no reason is better than no snapshot). */
static uint16_t intern_reason(struct release_snapshot *s, const struct policy_reason *why)
{
	char label[300];
	if (why->line)
		snprintf(label, sizeof(label), "policy line %d: %s", why->line, why->text);
	else
		snprintf(label, sizeof(label), "%s", why->text);
	for (size_t i = 1; i < s->nreasons; i++)
		if (strcmp(s->reasons[i], label) == 0)
			return (uint16_t)i;
	if (s->nreasons >= UINT16_MAX)
		return 0;
	char **r = realloc(s->reasons, (s->nreasons + 1) * sizeof(*r));
	if (!r)
		return 0;
	s->reasons = r;
	if (!(r[s->nreasons] = strdup(label)))
		return 0;
	return (uint16_t)s->nreasons++;
}

static enum relto_err fill(const struct rules_view *rv, struct release_snapshot *s)
{
	size_t np = s->npartners, ns = s->nsets;
	/* Bind each partner once: what depends on the partner alone (its
	** networks, its clearance) is worked out here, not per set. */
	struct policy_partner *bound = calloc(np + 1, sizeof(*bound));
	if (!bound)
		return RELTO_ENOMEM;
	for (size_t p = 0; p < np; p++)
		if (rv->pp[p])
			policy_partner_bind(rv->pol, rv->pos, rv->pp[p], &bound[p]);
	/* Reasons repeat (one rule withholds many sets): the last one seen is
	** remembered by line and text pointer, so a label is made once. */
	const char *last_text = NULL;
	int last_line = -1;
	uint16_t last_index = 0;
	for (size_t v = 0; v < s->nvariants; v++) {
		for (size_t p = 0; p < np; p++) {
			size_t row = v * np + p;
			int64_t *list = malloc((ns ? ns : 1) * sizeof(int64_t));
			if (!list) {
				free(bound);
				return RELTO_ENOMEM;
			}
			s->released[row] = list;
			for (size_t set = 0; set < ns; set++) {
				size_t at = row * ns + set;
				struct policy_reason why;
				enum release_decision d = decide(rv->pp[p] ? &bound[p] : NULL, &s->markings[set],
				                                 rv->variant_level[v], &s->redact[at], &why);
				s->decision[at] = (unsigned char)d;
				if (why.text && (why.text != last_text || why.line != last_line)) {
					last_text = why.text;
					last_line = why.line;
					last_index = intern_reason(s, &why);
				}
				s->why[at] = why.text ? last_index : 0;
				if (d != RELEASE_WITHHOLD)
					list[s->nreleased[row]++] = (int64_t)set;
			}
		}
	}
	free(bound);
	return RELTO_OK;
}

static enum relto_err build(const struct relto_config *cfg, const struct rules_view *rv, struct store_conn *c,
                            struct release_snapshot **out, char *err)
{
	struct defs defs = {.by_id = json_object()};
	struct sets sets = {0};
	struct release_snapshot *s = calloc(1, sizeof(*s));
	enum relto_err rc = defs.by_id && s ? RELTO_OK : relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc)
		rc = store_marking_definitions(c, keep_def, &defs, err);
	if (!rc)
		rc = store_marking_sets(c, keep_set, &sets, err);
	size_t np = cfg->npartners, ns = sets.n, nv = rv->nvariants;
	if (!rc) {
		s->npartners = np;
		s->nsets = ns;
		s->nvariants = nv;
		s->decision = calloc(nv * np * ns + 1, 1);
		s->redact = calloc(nv * np * ns + 1, sizeof(uint64_t));
		s->released = calloc(nv * np + 1, sizeof(int64_t *));
		s->nreleased = calloc(nv * np + 1, sizeof(size_t));
		s->unfiltered = calloc(np + 1, 1);
		s->markings = calloc(ns + 1, sizeof(struct marking_result));
		s->why = calloc(nv * np * ns + 1, sizeof(uint16_t));
		s->reasons = calloc(1, sizeof(char *));
		if (s->reasons && (s->reasons[0] = strdup("")))
			s->nreasons = 1;
		s->variant_names = calloc(nv + 1, sizeof(char *));
		if (!s->decision || !s->redact || !s->released || !s->nreleased || !s->unfiltered || !s->markings ||
		    !s->variant_names || !s->why || !s->nreasons)
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	for (size_t v = 0; !rc && v < nv; v++)
		if (!(s->variant_names[v] = strdup(rv->variants[v])))
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < ns; i++)
		rc = marking_resolve(sets.canon[i] ? sets.canon[i] : "", lookup_def, &defs, &s->markings[i], err);
	for (size_t p = 0; !rc && p < np; p++)
		s->unfiltered[p] = cfg->partners[p].role == ROLE_ADMIN;
	s->ndefinitions = defs.n;
	if (!rc)
		rc = fill(rv, s);
	json_decref(defs.by_id);
	sets_free(&sets);
	if (rc) {
		release_snapshot_free(s);
		return rc == RELTO_ENOMEM ? relto_seterr(err, rc, "out of memory") : rc;
	}
	*out = s;
	return RELTO_OK;
}

/* ---- the holder ---- */

static void view_clear(struct rules_view *rv)
{
	for (size_t v = 0; v < rv->nvariants; v++)
		free(rv->variants[v]);
	free(rv->variants);
	free(rv->variant_level);
	free(rv->pp);
	memset(rv, 0, sizeof(*rv));
}

/* Map the configured partners onto pos and the collections' default
** levels onto pol.  RELTO_EINVAL when a default level is not a level of
** pol; RELTO_ENOMEM.  On failure rv is cleared. */
static enum relto_err view_init(struct rules_view *rv, const struct relto_config *cfg, const struct policy *pol,
                                const struct posture *pos, char *err)
{
	memset(rv, 0, sizeof(*rv));
	rv->pol = pol;
	rv->pos = pos;
	enum relto_err rc = (rv->pp = calloc(cfg->npartners + 1, sizeof(*rv->pp))) ? RELTO_OK
	                    : relto_seterr(err, RELTO_ENOMEM, "out of memory");
	for (size_t p = 0; !rc && p < cfg->npartners; p++)
		rv->pp[p] = posture_find_partner(pos, cfg->partners[p].id);
	for (size_t i = 0; !rc && i < cfg->nroots; i++)
		for (size_t j = 0; !rc && j < cfg->roots[i].ncollections; j++) {
			const char *name = cfg->roots[i].collections[j].default_level;
			size_t v = 0;
			while (v < rv->nvariants && strcmp(rv->variants[v], name) != 0)
				v++;
			if (v < rv->nvariants)
				continue;
			int level = policy_level_find(pol, name);
			if (level < 0) {
				rc = relto_seterr(err, RELTO_EINVAL, "collection %s: default level '%s' is not a level of the policy",
				                  cfg->roots[i].collections[j].id, name);
				break;
			}
			char **names = realloc(rv->variants, (v + 1) * sizeof(char *));
			int *levels = names ? realloc(rv->variant_level, (v + 1) * sizeof(int)) : NULL;
			if (names)
				rv->variants = names;
			if (levels)
				rv->variant_level = levels;
			if (!levels || !(names[v] = strdup(name))) {
				rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
				break;
			}
			levels[v] = level;
			rv->nvariants++;
		}
	if (rc)
		view_clear(rv);
	return rc;
}

enum relto_err release_snapshot_build(const struct relto_config *cfg, const struct policy *pol,
                                      const struct posture *pos, struct store_conn *c,
                                      struct release_snapshot **out, char *err)
{
	struct rules_view rv;
	enum relto_err rc = view_init(&rv, cfg, pol, pos, err);
	if (!rc)
		rc = build(cfg, &rv, c, out, err);
	if (!rc)
		(*out)->refs = 1;
	view_clear(&rv);
	return rc;
}

enum relto_err release_new(const struct relto_config *cfg, const struct policy *pol,
                           const struct posture *pos, struct store_conn *c, struct release **out,
                           char *err)
{
	struct release *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	rl->cfg = cfg;
	pthread_mutex_init(&rl->lock, NULL);
	pthread_mutex_init(&rl->rebuild, NULL);
	enum relto_err rc = view_init(&rl->view, cfg, pol, pos, err);
	if (!rc)
		rc = release_rebuild(rl, c, err);
	if (rc) {
		release_free(rl);
		return rc;
	}
	*out = rl;
	return RELTO_OK;
}

void release_free(struct release *rl)
{
	if (!rl)
		return;
	release_snapshot_free(rl->cur);
	view_clear(&rl->view);
	pthread_mutex_destroy(&rl->lock);
	pthread_mutex_destroy(&rl->rebuild);
	free(rl);
}

/* Build and publish a snapshot; the caller holds rl->rebuild. */
static enum relto_err rebuild_locked(struct release *rl, struct store_conn *c, char *err)
{
	struct release_snapshot *s = NULL;
	enum relto_err rc = build(rl->cfg, &rl->view, c, &s, err);
	if (!rc) {
		pthread_mutex_lock(&rl->lock);
		struct release_snapshot *old = rl->cur;
		s->id = ++rl->next_id;
		s->refs = 1; /* the holder's own reference */
		rl->cur = s;
		int last = old && --old->refs == 0;
		pthread_mutex_unlock(&rl->lock);
		if (last)
			release_snapshot_free(old);
	}
	return rc;
}

enum relto_err release_rebuild(struct release *rl, struct store_conn *c, char *err)
{
	pthread_mutex_lock(&rl->rebuild);
	enum relto_err rc = rebuild_locked(rl, c, err);
	pthread_mutex_unlock(&rl->rebuild);
	return rc;
}

enum relto_err release_set_rules(struct release *rl, struct store_conn *c, const struct policy *pol,
                                 const struct posture *pos, const struct policy **old_pol,
                                 const struct posture **old_pos, char *err)
{
	struct rules_view next;
	*old_pol = pol;
	*old_pos = pos;
	enum relto_err rc = view_init(&next, rl->cfg, pol, pos, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&rl->rebuild);
	struct rules_view prev = rl->view;
	rl->view = next;
	rc = rebuild_locked(rl, c, err);
	if (rc) {
		rl->view = prev;
		view_clear(&next);
	} else {
		*old_pol = prev.pol;
		*old_pos = prev.pos;
		view_clear(&prev);
	}
	pthread_mutex_unlock(&rl->rebuild);
	return rc;
}

enum relto_err release_explain(struct release *rl, struct store_conn *c, const char *partner_id,
                               const struct collection *col, const char *raw, size_t len,
                               const char *posted_by, struct buf *out, char *err)
{
	int p = config_find_partner(rl->cfg, partner_id);
	if (p < 0)
		return relto_seterr(err, RELTO_ENOTFOUND, "no partner '%s' in the configuration", partner_id);
	json_t *obj = json_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL);
	struct stix_meta meta = {0};
	struct marking_result m = {0};
	struct defs defs = {.by_id = json_object()};
	enum relto_err rc = obj && defs.by_id ? stix_validate(obj, &meta, err) : relto_seterr(err, RELTO_EINVAL, "not JSON");
	if (!rc)
		rc = store_marking_definitions(c, keep_def, &defs, err);
	if (!rc)
		rc = marking_resolve(meta.marking_canon ? meta.marking_canon : "", lookup_def, &defs, &m, err);
	const struct posture_partner *pp = rl->view.pp[p];
	if (!rc)
		rc = buf_printf(out, "%s for partner %s (collection %s, default level %s)\n", meta.id, partner_id, col->id,
		                col->default_level);
	if (!rc && m.object.banner[0])
		rc = buf_printf(out, "markings: %s\n", m.object.banner);
	if (!rc && rl->cfg->partners[p].role == ROLE_ADMIN)
		rc = buf_puts(out, "decision: release (administrators are not filtered)\n");
	else if (!rc && !pp)
		rc = buf_printf(out, "decision: withhold (%s has no entry in the posture)\n", partner_id);
	else if (!rc)
		rc = policy_explain(rl->view.pol, rl->view.pos, pp, &m, policy_level_find(rl->view.pol, col->default_level),
		                    out);
	if (!rc && posted_by && strcmp(posted_by, partner_id) == 0)
		rc = buf_printf(out, "note: %s posted this object, so it receives it whatever the decision above\n",
		                partner_id);
	marking_result_clear(&m);
	stix_meta_clear(&meta);
	json_decref(defs.by_id);
	json_decref(obj);
	return rc;
}

static enum relto_err count_set(void *ctx, int64_t num, const char *canon)
{
	(void)canon;
	size_t *n = ctx;
	if ((size_t)num + 1 > *n)
		*n = (size_t)num + 1;
	return RELTO_OK;
}

enum relto_err release_stale(struct release *rl, struct store_conn *c, int *stale, char *err)
{
	size_t nsets = 0;
	struct defs defs = {0};
	enum relto_err rc = store_marking_sets(c, count_set, &nsets, err);
	if (!rc)
		rc = store_marking_definitions(c, keep_def, &defs, err);
	if (rc)
		return rc;
	const struct release_snapshot *s = release_get(rl);
	*stale = nsets != s->nsets || defs.n != s->ndefinitions;
	release_put(rl, s);
	return RELTO_OK;
}

const struct release_snapshot *release_get(struct release *rl)
{
	pthread_mutex_lock(&rl->lock);
	struct release_snapshot *s = rl->cur;
	s->refs++;
	pthread_mutex_unlock(&rl->lock);
	return s;
}

void release_put(struct release *rl, const struct release_snapshot *cs)
{
	if (!cs)
		return;
	struct release_snapshot *s = (struct release_snapshot *)cs;
	pthread_mutex_lock(&rl->lock);
	int last = --s->refs == 0;
	pthread_mutex_unlock(&rl->lock);
	if (last)
		release_snapshot_free(s);
}

size_t release_variant(const struct release_snapshot *s, const struct collection *col)
{
	for (size_t v = 0; v < s->nvariants; v++)
		if (strcmp(s->variant_names[v], col->default_level) == 0)
			return v;
	return 0;
}

enum release_decision release_decide(const struct release_snapshot *s, size_t variant, int partner,
                                     int64_t set, uint64_t *redact)
{
	*redact = 0;
	if (partner < 0 || (size_t)partner >= s->npartners || set < 0 || (size_t)set >= s->nsets ||
	    variant >= s->nvariants)
		return RELEASE_WITHHOLD;
	size_t at = (variant * s->npartners + (size_t)partner) * s->nsets + (size_t)set;
	*redact = s->redact[at];
	return (enum release_decision)s->decision[at];
}

const char *release_reason(const struct release_snapshot *s, size_t variant, int partner, int64_t set)
{
	if (partner < 0 || (size_t)partner >= s->npartners || variant >= s->nvariants)
		return "not decided";
	if (set < 0 || (size_t)set >= s->nsets)
		return "marking set not decided yet";
	size_t at = (variant * s->npartners + (size_t)partner) * s->nsets + (size_t)set;
	if (s->decision[at] != RELEASE_WITHHOLD)
		return "refers to an object that is withheld";
	return s->why[at] && s->why[at] < s->nreasons ? s->reasons[s->why[at]] : "withheld by the policy";
}
