/*
** impact.c: the impact report (see impact.h).
*/
#include <stdlib.h>
#include <string.h>
#include "impact.h"
#include "release.h"
#include "../policy/policy.h"
#include "../posture/posture.h"

/* What one (variant, set) decision change is attributed to: a run of
** rule indexes in the partner's rules array. */
struct cause {
	int changed;              /* the set's visibility differs before/after */
	uint32_t first, n;
};

struct work {
	const struct relto_config *cfg;
	struct impact_report *r;
	struct release_snapshot *sb, *sa; /* before, after */
	size_t nsets;             /* sets both snapshots know */
	struct cause *causes;     /* [variant * nsets + set], for the current partner */
	uint32_t *cause_rules;    /* rule indexes the causes point into */
	size_t ncause_rules, cause_room;
};

static int visible(unsigned char d)
{
	return d != RELEASE_WITHHOLD;
}

static size_t at(const struct release_snapshot *s, size_t v, size_t p, size_t set)
{
	return (v * s->npartners + p) * s->nsets + set;
}

/* ---- what a partner's report accumulates ---- */

static void count_add(struct impact_count *c, int what, int64_t n)
{
	if (what > 0)
		c->gained += n;
	else if (what < 0)
		c->lost += n;
	else
		c->changed += n;
}

static enum relto_err level_add(struct impact_partner *ip, const char *name, int what, int64_t n)
{
	size_t i = 0;
	while (i < ip->nlevels && strcmp(ip->levels[i].name, name) != 0)
		i++;
	if (i == ip->nlevels) {
		struct impact_level *l = realloc(ip->levels, (i + 1) * sizeof(*l));
		if (!l)
			return RELTO_ENOMEM;
		ip->levels = l;
		memset(&l[i], 0, sizeof(l[i]));
		snprintf(l[i].name, sizeof(l[i].name), "%s", name);
		ip->nlevels++;
	}
	count_add(&ip->levels[i].n, what, n);
	return RELTO_OK;
}

/* The index of rule (gained, line, text) in ip, added if new; -1 when out
** of memory. */
static int rule_index(struct impact_partner *ip, int gained, int line, const char *text)
{
	for (size_t i = 0; i < ip->nrules; i++)
		if (ip->rules[i].gained == gained && ip->rules[i].line == line && strcmp(ip->rules[i].text, text) == 0)
			return (int)i;
	struct impact_rule *r = realloc(ip->rules, (ip->nrules + 1) * sizeof(*r));
	if (!r)
		return -1;
	ip->rules = r;
	r[ip->nrules] = (struct impact_rule){.gained = gained, .line = line, .text = strdup(text)};
	if (!r[ip->nrules].text)
		return -1;
	return (int)ip->nrules++;
}

/* The classification an object in set `set` of variant v is judged at. */
static const char *level_of(const struct release_snapshot *s, size_t v, size_t set)
{
	enum marking_level l = s->markings[set].object.level;
	return l == LEVEL_NONE ? s->variant_names[v] : marking_level_name(l);
}

/* ---- causes: the reasons that differ before and after ---- */

struct side {
	const struct impact_rules *rules;
	const struct posture_partner *pp;
	struct policy_partner bound;
	int default_level;        /* of the variant at hand */
};

static int has_reason(const struct policy_outcome *o, const struct policy_reason *r)
{
	for (size_t i = 0; i < o->nreasons; i++)
		if (o->reasons[i].why == r->why && strcmp(o->reasons[i].text, r->text) == 0)
			return 1;
	return 0;
}

static void outcome(const struct side *sd, const struct marking_result *m, struct policy_outcome *o)
{
	if (!sd->pp) {
		memset(o, 0, sizeof(*o));
		o->decision = POLICY_WITHHOLD;
		o->nreasons = o->nmatched = 1;
		o->reasons[0] = (struct policy_reason){.why = POLICY_WHY_DENY, .line = 0,
		                                       .text = "the partner has no entry in the posture"};
		return;
	}
	policy_eval_bound(&sd->bound, m, sd->default_level, o);
}

static enum relto_err cause_push(struct work *w, struct impact_partner *ip, int gained, int line, const char *text)
{
	int k = rule_index(ip, gained, line, text);
	if (k < 0)
		return RELTO_ENOMEM;
	if (w->ncause_rules == w->cause_room) {
		size_t room = w->cause_room ? w->cause_room * 2 : 64;
		uint32_t *cr = realloc(w->cause_rules, room * sizeof(*cr));
		if (!cr)
			return RELTO_ENOMEM;
		w->cause_rules = cr;
		w->cause_room = room;
	}
	w->cause_rules[w->ncause_rules++] = (uint32_t)k;
	return RELTO_OK;
}

/* Work out, for partner p, which (variant, set) decisions change
** visibility and why.  *any: some decision (visibility or redaction)
** differs at all. */
static enum relto_err find_causes(struct work *w, size_t p, struct impact_partner *ip, int *any)
{
	const struct release_snapshot *sb = w->sb, *sa = w->sa;
	struct side before = {.rules = &w->r->before}, after = {.rules = &w->r->after};
	const char *id = w->cfg->partners[p].id;
	before.pp = posture_find_partner(before.rules->posture, id);
	after.pp = posture_find_partner(after.rules->posture, id);
	if (before.pp)
		policy_partner_bind(before.rules->policy, before.rules->posture, before.pp, &before.bound);
	if (after.pp)
		policy_partner_bind(after.rules->policy, after.rules->posture, after.pp, &after.bound);
	w->ncause_rules = 0;
	*any = 0;
	for (size_t v = 0; v < sb->nvariants; v++) {
		before.default_level = policy_level_find(before.rules->policy, sb->variant_names[v]);
		after.default_level = policy_level_find(after.rules->policy, sa->variant_names[v]);
		for (size_t set = 0; set < w->nsets; set++) {
			struct cause *cz = &w->causes[v * w->nsets + set];
			unsigned char db = sb->decision[at(sb, v, p, set)], da = sa->decision[at(sa, v, p, set)];
			memset(cz, 0, sizeof(*cz));
			if (db != da || sb->redact[at(sb, v, p, set)] != sa->redact[at(sa, v, p, set)])
				*any = 1;
			if (visible(db) == visible(da))
				continue;
			int gained = visible(da);
			struct policy_outcome ob, oa;
			outcome(&before, &sb->markings[set], &ob);
			outcome(&after, &sa->markings[set], &oa);
			const struct policy_outcome *was = gained ? &ob : &oa, *now = gained ? &oa : &ob;
			cz->changed = 1;
			cz->first = (uint32_t)w->ncause_rules;
			enum relto_err rc = RELTO_OK;
			for (size_t i = 0; !rc && i < was->nreasons; i++)
				if (!has_reason(now, &was->reasons[i]))
					rc = cause_push(w, ip, gained, was->reasons[i].line, was->reasons[i].text);
			if (!rc && w->ncause_rules == cz->first)
				rc = cause_push(w, ip, gained, 0,
				                gained ? "a redaction that would remove a required property no longer applies"
				                       : "a redaction would remove a property STIX requires");
			if (rc)
				return rc;
			cz->n = (uint32_t)w->ncause_rules - cz->first;
		}
	}
	return RELTO_OK;
}

/* Count n objects of set `set` (variant v, report collection k) as
** gained (+1), lost (-1) or changed (0). */
static enum relto_err tally(struct work *w, struct impact_partner *ip, size_t v, size_t k, size_t set, int what,
                            int64_t n, int by_reference)
{
	const struct release_snapshot *s = what < 0 ? w->sb : w->sa;
	count_add(&ip->total, what, n);
	count_add(&ip->colls[k], what, n);
	if (level_add(ip, level_of(s, v, set), what, n))
		return RELTO_ENOMEM;
	if (what == 0)
		return RELTO_OK;
	const struct cause *cz = &w->causes[v * w->nsets + set];
	if (!cz->changed || by_reference) {
		int i = rule_index(ip, what > 0, 0, "references: what the object refers to changed visibility");
		if (i < 0)
			return RELTO_ENOMEM;
		ip->rules[i].objects += n;
		return RELTO_OK;
	}
	for (uint32_t i = 0; i < cz->n; i++)
		ip->rules[w->cause_rules[cz->first + i]].objects += n;
	return RELTO_OK;
}

/* ---- exact counting: the store's filter, before and after ---- */

struct seen {
	char *id;
	int64_t set, seq;
	char *hidden;             /* optional references hidden from the partner; NULL: none */
};

struct seen_list {
	struct seen *v;
	size_t n, room;
};

static enum relto_err keep_row(void *ctx, const struct store_row *row)
{
	struct seen_list *l = ctx;
	if (l->n == l->room) {
		size_t room = l->room ? l->room * 2 : 1024;
		struct seen *v = realloc(l->v, room * sizeof(*v));
		if (!v)
			return RELTO_ENOMEM;
		l->v = v;
		l->room = room;
	}
	struct seen *e = &l->v[l->n];
	e->hidden = row->hidden_refs && strcmp(row->hidden_refs, "[]") != 0 ? strdup(row->hidden_refs) : NULL;
	if (!(e->id = strdup(row->id)) || (row->hidden_refs && strcmp(row->hidden_refs, "[]") != 0 && !e->hidden)) {
		free(e->id);
		free(e->hidden);
		return RELTO_ENOMEM;
	}
	e->set = row->marking_set;
	e->seq = row->seq;
	l->n++;
	return RELTO_OK;
}

static void seen_clear(struct seen_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].id);
		free(l->v[i].hidden);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->id, ((const struct seen *)b)->id);
}

/* The objects partner p receives from collection col under snapshot s. */
static enum relto_err visible_ids(struct store_conn *c, const struct release_snapshot *s, size_t v, size_t p,
                                  const char *partner_id, const struct collection *col, struct seen_list *out,
                                  char *err)
{
	size_t row = v * s->npartners + p;
	struct store_query q = {
		.coll = col->store_id,
		.versions = {.last = 1},
		.limit = (size_t)INT64_MAX,
		.vis = {.on = 1, .sets = s->released[row], .nsets = s->nreleased[row], .originator = partner_id},
	};
	enum relto_err rc = store_query(c, &q, 0, keep_row, out, err);
	if (rc == RELTO_ENOMEM)
		return relto_seterr(err, rc, "out of memory");
	if (!rc && out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_id);
	return rc;
}

static int64_t set_in(const struct work *w, int64_t set)
{
	return set >= 0 && (size_t)set < w->nsets ? set : -1;
}

/* Is an object the partner receives before (b) and after (a) served
** differently: another version, another redaction, or other references
** hidden from its object_refs? */
static int served_differently(const struct work *w, size_t v, size_t p, const struct seen *b, const struct seen *a)
{
	if (b->seq != a->seq)
		return 1;
	if ((b->hidden == NULL) != (a->hidden == NULL) || (b->hidden && strcmp(b->hidden, a->hidden) != 0))
		return 1;
	int64_t set = set_in(w, a->set);
	return set >= 0 && w->sb->redact[at(w->sb, v, p, (size_t)set)] != w->sa->redact[at(w->sa, v, p, (size_t)set)];
}

static enum relto_err exact_partner(struct work *w, struct store_conn *c, size_t p, struct impact_partner *ip,
                                    char *err)
{
	enum relto_err rc = RELTO_OK;
	const char *id = w->cfg->partners[p].id;
	for (size_t k = 0; !rc && k < w->r->ncolls; k++) {
		const struct collection *col = w->r->colls[k];
		if (!col->can_read[p])
			continue;
		size_t v = release_variant(w->sb, col);
		struct seen_list b = {0}, a = {0};
		rc = visible_ids(c, w->sb, v, p, id, col, &b, err);
		if (!rc)
			rc = visible_ids(c, w->sa, v, p, id, col, &a, err);
		size_t i = 0, j = 0;
		while (!rc && (i < b.n || j < a.n)) {
			int cmp = i == b.n ? 1 : j == a.n ? -1 : strcmp(b.v[i].id, a.v[j].id);
			if (cmp < 0) {
				int64_t set = set_in(w, b.v[i].set);
				if (set >= 0)
					rc = tally(w, ip, v, k, (size_t)set, -1, 1, 0);
				i++;
			} else if (cmp > 0) {
				int64_t set = set_in(w, a.v[j].set);
				if (set >= 0)
					rc = tally(w, ip, v, k, (size_t)set, +1, 1, 0);
				j++;
			} else {
				if (served_differently(w, v, p, &b.v[i], &a.v[j])) {
					int64_t set = set_in(w, a.v[j].set);
					if (set >= 0)
						rc = tally(w, ip, v, k, (size_t)set, 0, 1, 0);
				}
				i++;
				j++;
			}
		}
		seen_clear(&b);
		seen_clear(&a);
		if (rc == RELTO_ENOMEM)
			relto_seterr(err, rc, "out of memory");
	}
	return rc;
}

/* ---- counting by marking set ---- */

struct setcount {
	size_t k;                 /* report collection */
	int64_t set;
	char *posted_by;
	int64_t n;
};

struct setcounts {
	const struct impact_report *r;
	struct setcount *v;
	size_t n, room;
};

static enum relto_err keep_count(void *ctx, int64_t coll, int64_t set, const char *posted_by, int64_t n)
{
	struct setcounts *sc = ctx;
	size_t k = 0;
	while (k < sc->r->ncolls && sc->r->colls[k]->store_id != coll)
		k++;
	if (k == sc->r->ncolls)
		return RELTO_OK; /* a collection the configuration no longer has */
	if (sc->n == sc->room) {
		size_t room = sc->room ? sc->room * 2 : 256;
		struct setcount *v = realloc(sc->v, room * sizeof(*v));
		if (!v)
			return RELTO_ENOMEM;
		sc->v = v;
		sc->room = room;
	}
	sc->v[sc->n] = (struct setcount){.k = k, .set = set, .posted_by = strdup(posted_by), .n = n};
	if (!sc->v[sc->n].posted_by)
		return RELTO_ENOMEM;
	sc->n++;
	return RELTO_OK;
}

static enum relto_err by_set_partner(struct work *w, const struct setcounts *sc, size_t p,
                                     struct impact_partner *ip)
{
	const char *id = w->cfg->partners[p].id;
	for (size_t i = 0; i < sc->n; i++) {
		const struct setcount *e = &sc->v[i];
		const struct collection *col = w->r->colls[e->k];
		if (!col->can_read[p] || strcmp(e->posted_by, id) == 0 || set_in(w, e->set) < 0)
			continue;
		size_t v = release_variant(w->sb, col), set = (size_t)e->set;
		unsigned char db = w->sb->decision[at(w->sb, v, p, set)], da = w->sa->decision[at(w->sa, v, p, set)];
		int what;
		if (visible(db) != visible(da))
			what = visible(da) ? +1 : -1;
		else if (visible(db) && w->sb->redact[at(w->sb, v, p, set)] != w->sa->redact[at(w->sa, v, p, set)])
			what = 0;
		else
			continue;
		if (tally(w, ip, v, e->k, set, what, e->n, 0))
			return RELTO_ENOMEM;
	}
	return RELTO_OK;
}

/* ---- the report ---- */

static enum relto_err report_new(const struct relto_config *cfg, struct impact_report **out)
{
	struct impact_report *r = calloc(1, sizeof(*r));
	if (!r)
		return RELTO_ENOMEM;
	r->cfg = cfg;
	*out = r;
	for (size_t i = 0; i < cfg->nroots; i++)
		r->ncolls += cfg->roots[i].ncollections;
	if (!(r->colls = calloc(r->ncolls + 1, sizeof(*r->colls))))
		return RELTO_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < cfg->nroots; i++)
		for (size_t j = 0; j < cfg->roots[i].ncollections; j++)
			r->colls[k++] = &cfg->roots[i].collections[j];
	if (!(r->partners = calloc(cfg->npartners + 1, sizeof(*r->partners))))
		return RELTO_ENOMEM;
	for (size_t p = 0; p < cfg->npartners; p++) {
		if (cfg->partners[p].role == ROLE_ADMIN)
			continue;
		struct impact_partner *ip = &r->partners[r->npartners++];
		ip->index = (int)p;
		if (!(ip->colls = calloc(r->ncolls + 1, sizeof(*ip->colls))))
			return RELTO_ENOMEM;
	}
	return RELTO_OK;
}

enum relto_err impact_compute(const struct relto_config *cfg, struct store_conn *c,
                              const struct impact_rules *before, const struct impact_rules *after, int exact,
                              struct impact_report **out, char *err)
{
	struct work w = {.cfg = cfg};
	struct setcounts sc = {0};
	enum relto_err rc = report_new(cfg, &w.r);
	if (!rc) {
		w.r->exact = exact;
		w.r->before = *before;
		w.r->after = *after;
		sc.r = w.r;
		rc = release_snapshot_build(cfg, before->policy, before->posture, c, &w.sb, err);
	} else {
		relto_seterr(err, rc, "out of memory");
	}
	if (!rc)
		rc = release_snapshot_build(cfg, after->policy, after->posture, c, &w.sa, err);
	if (!rc) {
		w.nsets = w.sb->nsets < w.sa->nsets ? w.sb->nsets : w.sa->nsets;
		if (!(w.causes = calloc(w.sb->nvariants * w.nsets + 1, sizeof(*w.causes))))
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	if (!rc && !exact)
		rc = store_set_counts(c, keep_count, &sc, err);
	for (size_t i = 0; !rc && i < w.r->npartners; i++) {
		struct impact_partner *ip = &w.r->partners[i];
		int any = 0;
		rc = find_causes(&w, (size_t)ip->index, ip, &any);
		if (!rc && any)
			rc = exact ? exact_partner(&w, c, (size_t)ip->index, ip, err)
			           : by_set_partner(&w, &sc, (size_t)ip->index, ip);
		if (rc == RELTO_ENOMEM)
			relto_seterr(err, rc, "out of memory");
		/* Rules that in the end explain no object are not reported. */
		size_t kept = 0;
		for (size_t k = 0; !rc && k < ip->nrules; k++) {
			if (ip->rules[k].objects)
				ip->rules[kept++] = ip->rules[k];
			else
				free(ip->rules[k].text);
		}
		if (!rc)
			ip->nrules = kept;
	}
	for (size_t i = 0; i < sc.n; i++)
		free(sc.v[i].posted_by);
	free(sc.v);
	free(w.causes);
	free(w.cause_rules);
	release_snapshot_free(w.sb);
	release_snapshot_free(w.sa);
	if (rc) {
		impact_free(w.r);
		return rc;
	}
	*out = w.r;
	return RELTO_OK;
}

void impact_free(struct impact_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->npartners; i++) {
		struct impact_partner *ip = &r->partners[i];
		for (size_t k = 0; k < ip->nrules; k++)
			free(ip->rules[k].text);
		free(ip->rules);
		free(ip->levels);
		free(ip->colls);
	}
	free(r->partners);
	free(r->colls);
	free(r);
}

/* ---- rendering ---- */

static enum relto_err counts_json(struct buf *b, const struct impact_count *n)
{
	return buf_printf(b, "\"gained\": %lld, \"lost\": %lld, \"changed\": %lld", (long long)n->gained,
	                  (long long)n->lost, (long long)n->changed);
}

static int nonzero(const struct impact_count *n)
{
	return n->gained || n->lost || n->changed;
}

static enum relto_err partner_json(const struct impact_report *r, const struct impact_partner *ip,
                                   struct buf *b)
{
	enum relto_err rc = buf_puts(b, "{\"partner\": ");
	if (!rc)
		rc = buf_put_json_string(b, r->cfg->partners[ip->index].id);
	if (!rc)
		rc = buf_puts(b, ", ");
	if (!rc)
		rc = counts_json(b, &ip->total);
	if (!rc)
		rc = buf_puts(b, ", \"collections\": [");
	int first = 1;
	for (size_t k = 0; !rc && k < r->ncolls; k++) {
		if (!nonzero(&ip->colls[k]))
			continue;
		rc = buf_printf(b, "%s{\"collection\": \"%s\", \"alias\": ", first ? "" : ", ", r->colls[k]->id);
		if (!rc)
			rc = r->colls[k]->alias ? buf_put_json_string(b, r->colls[k]->alias) : buf_puts(b, "null");
		if (!rc)
			rc = buf_puts(b, ", ");
		if (!rc)
			rc = counts_json(b, &ip->colls[k]);
		if (!rc)
			rc = buf_putc(b, '}');
		first = 0;
	}
	if (!rc)
		rc = buf_puts(b, "], \"levels\": [");
	for (size_t l = 0; !rc && l < ip->nlevels; l++) {
		rc = buf_printf(b, "%s{\"level\": ", l ? ", " : "");
		if (!rc)
			rc = buf_put_json_string(b, ip->levels[l].name);
		if (!rc)
			rc = buf_puts(b, ", ");
		if (!rc)
			rc = counts_json(b, &ip->levels[l].n);
		if (!rc)
			rc = buf_putc(b, '}');
	}
	if (!rc)
		rc = buf_puts(b, "], \"rules\": [");
	for (size_t k = 0; !rc && k < ip->nrules; k++) {
		const struct impact_rule *ru = &ip->rules[k];
		rc = buf_printf(b, "%s{\"effect\": \"%s\", \"line\": %d, \"rule\": ", k ? ", " : "",
		                ru->gained ? "gained" : "lost", ru->line);
		if (!rc)
			rc = buf_put_json_string(b, ru->text);
		if (!rc)
			rc = buf_printf(b, ", \"objects\": %lld}", (long long)ru->objects);
	}
	if (!rc)
		rc = buf_puts(b, "]}");
	return rc;
}

enum relto_err impact_json(const struct impact_report *r, struct buf *b)
{
	enum relto_err rc = buf_printf(b,
	                               "{\"exact\": %s, \"before\": {\"posture\": %lld, \"policy\": %lld},"
	                               " \"after\": {\"posture\": %lld, \"policy\": %lld}, \"partners\": [",
	                               r->exact ? "true" : "false", (long long)r->before.posture_version,
	                               (long long)r->before.policy_version, (long long)r->after.posture_version,
	                               (long long)r->after.policy_version);
	for (size_t i = 0; !rc && i < r->npartners; i++) {
		if (i)
			rc = buf_puts(b, ", ");
		if (!rc)
			rc = partner_json(r, &r->partners[i], b);
	}
	if (!rc)
		rc = buf_puts(b, "]}");
	return rc;
}

/* "+52 -3 ~1", leaving out zeros; "0" when all are. */
static enum relto_err delta_text(struct buf *b, const struct impact_count *n)
{
	enum relto_err rc = RELTO_OK;
	if (!nonzero(n))
		return buf_puts(b, "0");
	const char *sep = "";
	if (n->gained && !(rc = buf_printf(b, "+%lld", (long long)n->gained)))
		sep = " ";
	if (!rc && n->lost && !(rc = buf_printf(b, "%s-%lld", sep, (long long)n->lost)))
		sep = " ";
	if (!rc && n->changed)
		rc = buf_printf(b, "%s~%lld", sep, (long long)n->changed);
	return rc;
}

enum relto_err impact_table(const struct impact_report *r, struct buf *b)
{
	enum relto_err rc = buf_printf(b, "impact (%s): objects gained (+), lost (-), served differently (~)\n",
	                               r->exact ? "exact" : "by marking set");
	if (!rc)
		rc = buf_printf(b, "%-10s %8s %8s %8s  %s\n", "partner", "gained", "lost", "changed", "where");
	for (size_t i = 0; !rc && i < r->npartners; i++) {
		const struct impact_partner *ip = &r->partners[i];
		rc = buf_printf(b, "%-10s %8lld %8lld %8lld  ", r->cfg->partners[ip->index].id,
		                (long long)ip->total.gained, (long long)ip->total.lost, (long long)ip->total.changed);
		if (!rc && !nonzero(&ip->total))
			rc = buf_puts(b, "no change");
		const char *sep = "";
		for (size_t k = 0; !rc && k < r->ncolls; k++) {
			if (!nonzero(&ip->colls[k]))
				continue;
			const char *name = r->colls[k]->alias ? r->colls[k]->alias : r->colls[k]->id;
			if (!(rc = buf_printf(b, "%s%s ", sep, name)))
				rc = delta_text(b, &ip->colls[k]);
			sep = ", ";
		}
		sep = "; ";
		for (size_t l = 0; !rc && l < ip->nlevels; l++) {
			if (!(rc = buf_printf(b, "%s%s ", sep, ip->levels[l].name)))
				rc = delta_text(b, &ip->levels[l].n);
			sep = ", ";
		}
		if (!rc)
			rc = buf_putc(b, '\n');
		for (size_t k = 0; !rc && k < ip->nrules; k++) {
			const struct impact_rule *ru = &ip->rules[k];
			if (ru->line)
				rc = buf_printf(b, "%10s %s %lld: line %d: %s\n", "", ru->gained ? "gained" : "lost",
				                (long long)ru->objects, ru->line, ru->text);
			else
				rc = buf_printf(b, "%10s %s %lld: %s\n", "", ru->gained ? "gained" : "lost",
				                (long long)ru->objects, ru->text);
		}
	}
	return rc;
}

/* ---- what each partner receives now ---- */

struct reason_count {
	const char *text;         /* points into the policy or a built-in */
	int line;
	int64_t n;
};

static enum relto_err count_reason(struct reason_count **v, size_t *n, const struct policy_reason *r, int64_t k)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].line == r->line && strcmp((*v)[i].text, r->text) == 0) {
			(*v)[i].n += k;
			return RELTO_OK;
		}
	struct reason_count *m = realloc(*v, (*n + 1) * sizeof(*m));
	if (!m)
		return RELTO_ENOMEM;
	*v = m;
	m[(*n)++] = (struct reason_count){.text = r->text, .line = r->line, .n = k};
	return RELTO_OK;
}

/* Per level: objects received and withheld. */
struct level_rw {
	char name[32];
	int64_t received, withheld;
};

static struct level_rw *level_rw_of(struct level_rw **v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0)
			return &(*v)[i];
	struct level_rw *m = realloc(*v, (*n + 1) * sizeof(*m));
	if (!m)
		return NULL;
	*v = m;
	memset(&m[*n], 0, sizeof(m[*n]));
	snprintf(m[*n].name, sizeof(m[*n].name), "%s", name);
	return &m[(*n)++];
}

static int by_count_desc(const void *a, const void *b)
{
	int64_t x = ((const struct reason_count *)a)->n, y = ((const struct reason_count *)b)->n;
	return x < y ? 1 : x > y ? -1 : 0;
}

static enum relto_err receiving_line(struct buf *out, int json, int first, const char *id, int admin, int64_t received,
                                     int64_t withheld, const struct level_rw *lv, size_t nlv,
                                     const struct reason_count *why, size_t nwhy)
{
	enum relto_err rc;
	if (!json) {
		rc = buf_printf(out, "%-10s %9lld %9lld  ", id, (long long)received, (long long)withheld);
		if (!rc && !nwhy)
			rc = buf_puts(out, admin ? "(not filtered)" : "-");
		/* The two reasons that withhold the most, with their counts. */
		for (size_t i = 0; !rc && i < nwhy && i < 2; i++)
			rc = why[i].line ? buf_printf(out, "%sline %d: %s (%lld)", i ? "; " : "", why[i].line, why[i].text,
			                              (long long)why[i].n)
			                 : buf_printf(out, "%s%s (%lld)", i ? "; " : "", why[i].text, (long long)why[i].n);
		return rc ? rc : buf_putc(out, '\n');
	}
	rc = buf_printf(out, "%s{\"partner\": ", first ? "" : ", ");
	if (!rc)
		rc = buf_put_json_string(out, id);
	if (!rc)
		rc = buf_printf(out, ", \"receives\": %lld, \"withheld\": %lld, \"levels\": [", (long long)received,
		                (long long)withheld);
	for (size_t i = 0; !rc && i < nlv; i++) {
		rc = buf_printf(out, "%s{\"level\": ", i ? ", " : "");
		if (!rc)
			rc = buf_put_json_string(out, lv[i].name);
		if (!rc)
			rc = buf_printf(out, ", \"receives\": %lld, \"withheld\": %lld}", (long long)lv[i].received,
			                (long long)lv[i].withheld);
	}
	if (!rc)
		rc = buf_puts(out, "], \"reasons\": [");
	for (size_t i = 0; !rc && i < nwhy; i++) {
		rc = buf_printf(out, "%s{\"line\": %d, \"rule\": ", i ? ", " : "", why[i].line);
		if (!rc)
			rc = buf_put_json_string(out, why[i].text);
		if (!rc)
			rc = buf_printf(out, ", \"objects\": %lld}", (long long)why[i].n);
	}
	return rc ? rc : buf_puts(out, "]}");
}

/* What the rules in force decide now, for the overviews below: one
** snapshot and the store's grouped count. */
struct now {
	struct impact_report *r;   /* for its partner and collection lists */
	struct release_snapshot *s;
	struct setcounts sc;
};

static enum relto_err now_open(const struct relto_config *cfg, struct store_conn *c, const struct impact_rules *rules,
                               struct now *n, char *err)
{
	memset(n, 0, sizeof(*n));
	enum relto_err rc = report_new(cfg, &n->r);
	if (rc)
		relto_seterr(err, rc, "out of memory");
	n->sc.r = n->r;
	if (!rc)
		rc = release_snapshot_build(cfg, rules->policy, rules->posture, c, &n->s, err);
	if (!rc)
		rc = store_set_counts(c, keep_count, &n->sc, err);
	return rc;
}

static void now_close(struct now *n)
{
	for (size_t i = 0; i < n->sc.n; i++)
		free(n->sc.v[i].posted_by);
	free(n->sc.v);
	release_snapshot_free(n->s);
	impact_free(n->r);
}

/* The objects withheld from partner p by their markings (latest versions,
** not its own), by deciding rule into *why, and by level into *lv when lv
** is not NULL; *withheld gets their number. */
static enum relto_err withheld_by_reason(const struct now *n, const struct impact_rules *rules, size_t p,
                                         struct reason_count **why, size_t *nwhy, struct level_rw **lv, size_t *nlv,
                                         int64_t *withheld)
{
	static const struct policy_reason redaction = {POLICY_WHY_REDACT, 0,
	                                               "a redaction would remove a property STIX requires"};
	const struct release_snapshot *s = n->s;
	const char *id = n->r->cfg->partners[p].id;
	struct side sd = {.rules = rules, .pp = posture_find_partner(rules->posture, id)};
	if (sd.pp)
		policy_partner_bind(rules->policy, rules->posture, sd.pp, &sd.bound);
	enum relto_err rc = RELTO_OK;
	*withheld = 0;
	for (size_t e = 0; !rc && e < n->sc.n; e++) {
		const struct setcount *x = &n->sc.v[e];
		const struct collection *col = n->r->colls[x->k];
		if (!col->can_read[p] || strcmp(x->posted_by, id) == 0 || x->set < 0 || (size_t)x->set >= s->nsets)
			continue;
		size_t v = release_variant(s, col);
		if (visible(s->decision[at(s, v, p, (size_t)x->set)]))
			continue;
		*withheld += x->n;
		if (lv) {
			struct level_rw *lw = level_rw_of(lv, nlv, level_of(s, v, (size_t)x->set));
			if (!lw)
				return RELTO_ENOMEM;
			lw->withheld += x->n;
		}
		struct policy_outcome o;
		sd.default_level = policy_level_find(rules->policy, s->variant_names[v]);
		outcome(&sd, &s->markings[x->set], &o);
		rc = count_reason(why, nwhy, policy_main_reason(&o, &redaction), x->n);
	}
	return rc;
}

enum relto_err impact_receiving(const struct relto_config *cfg, struct store_conn *c, const struct impact_rules *rules,
                                int json, struct buf *out, char *err)
{
	struct now n;
	enum relto_err rc = now_open(cfg, c, rules, &n, err);
	if (!rc)
		rc = json ? buf_puts(out, "{\"partners\": [")
		          : buf_printf(out, "%-10s %9s %9s  %s\n", "partner", "receives", "withheld", "mostly because (objects)");
	for (size_t i = 0; !rc && i < n.r->npartners; i++) {
		size_t p = (size_t)n.r->partners[i].index;
		const char *id = cfg->partners[p].id;
		int64_t received = 0, withheld = 0;
		struct level_rw *lv = NULL;
		size_t nlv = 0;
		for (size_t k = 0; !rc && k < n.r->ncolls; k++) {
			if (!n.r->colls[k]->can_read[p])
				continue;
			struct seen_list l = {0};
			size_t v = release_variant(n.s, n.r->colls[k]);
			rc = visible_ids(c, n.s, v, p, id, n.r->colls[k], &l, err);
			received += (int64_t)l.n;
			for (size_t j = 0; !rc && j < l.n; j++) {
				if (l.v[j].set < 0 || (size_t)l.v[j].set >= n.s->nsets)
					continue;
				struct level_rw *e = level_rw_of(&lv, &nlv, level_of(n.s, v, (size_t)l.v[j].set));
				if (e)
					e->received++;
				else
					rc = RELTO_ENOMEM;
			}
			seen_clear(&l);
		}
		struct reason_count *why = NULL;
		size_t nwhy = 0;
		if (!rc)
			rc = withheld_by_reason(&n, rules, p, &why, &nwhy, &lv, &nlv, &withheld);
		if (nwhy)
			qsort(why, nwhy, sizeof(*why), by_count_desc);
		if (!rc)
			rc = receiving_line(out, json, i == 0, id, cfg->partners[p].role == ROLE_ADMIN, received, withheld, lv,
			                    nlv, why, nwhy);
		free(why);
		free(lv);
	}
	if (!rc && json)
		rc = buf_puts(out, "]}");
	now_close(&n);
	if (rc == RELTO_ENOMEM)
		relto_seterr(err, rc, "out of memory");
	return rc;
}

enum relto_err impact_withheld_each(const struct relto_config *cfg, struct store_conn *c,
                                    const struct impact_rules *rules, impact_withheld_fn fn, void *ctx, char *err)
{
	struct now n;
	enum relto_err rc = now_open(cfg, c, rules, &n, err);
	for (size_t i = 0; !rc && i < n.r->npartners; i++) {
		size_t p = (size_t)n.r->partners[i].index;
		struct reason_count *why = NULL;
		size_t nwhy = 0;
		int64_t withheld = 0;
		rc = withheld_by_reason(&n, rules, p, &why, &nwhy, NULL, NULL, &withheld);
		for (size_t w = 0; !rc && w < nwhy; w++)
			rc = fn(ctx, cfg->partners[p].id, why[w].line, why[w].text, why[w].n);
		free(why);
	}
	now_close(&n);
	if (rc == RELTO_ENOMEM)
		relto_seterr(err, rc, "out of memory");
	return rc;
}
