/*
** eval.c: deciding.  policy_partner_bind works out, once per partner,
** every condition that depends on the partner alone (its networks above
** all: walking operators, segments and equipment and finding each vendor
** in the registry is the expensive part), and stores each as one bit.
** policy_eval_bound then walks only what depends on the object, reading
** those bits, with no allocation and no string formatting: a decision
** cache calls it for every (partner, marking set).
**
** Order of a decision (policy.h says the same to callers): unknown
** markings withhold at once; caps lower the clearance; denies and the
** built-in level check withhold; granular markings are stripped by the
** built-in checks and the redact rules.
*/
#include <string.h>
#include "policy_int.h"

struct ectx {
	const struct policy *p;
	const struct policy_partner *b;
	int binding;                      /* computing atoms: do not read them */
	const struct marking_facts *obj;
	int olevel;
	const struct marking_granular *gran;     /* in redact rules */
	const struct marking_facts *field;       /* &gran->facts */
	int flevel;
	int clearance;
	const struct posture_vendor *vendor;      /* inside uses */
	const struct posture_equipment *eq;
};

int policy__eqi(const char *a, const char *b)
{
	if (!a)
		a = "";
	if (!b)
		b = "";
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return 0;
		if (!x)
			return 1;
	}
}

const struct posture_vendor *policy__vendor(const struct posture *ps, const char *id)
{
	for (size_t i = 0; ps && id && i < ps->nvendors; i++)
		if (ps->vendors[i].id && strcmp(ps->vendors[i].id, id) == 0)
			return &ps->vendors[i];
	return NULL;
}

static int ev(const struct ectx *x, int32_t i);

static const struct marking_facts *facts(const struct ectx *x, const struct policy__node *n)
{
	return n->scope == SC_FIELD ? x->field : x->obj;
}

static int level_of(const struct ectx *x, const struct policy__node *n)
{
	if (n->kind == NK_LEVEL)
		return n->ival;
	switch (n->attr) {
	case A_LEVEL: return n->scope == SC_FIELD ? x->flevel : x->olevel;
	case A_P_AGREEMENT: return x->b->agreement;
	case A_P_CLEARANCE: return x->clearance;
	default: return -1;
	}
}

static const char *text_of(const struct ectx *x, const struct policy__node *n)
{
	const struct posture_partner *pp = x->b->partner;
	if (n->kind == NK_STRING)
		return n->str;
	switch (n->attr) {
	case A_P_ID: return pp->id;
	case A_P_NAME: return pp->name;
	case A_P_COUNTRY: return pp->country;
	case A_V_ID: return x->eq ? x->eq->vendor : NULL;
	case A_V_NAME: return x->vendor ? x->vendor->name : NULL;
	case A_V_COUNTRY: return x->vendor ? x->vendor->country : NULL;
	case A_V_RISK: return x->vendor ? x->vendor->risk : NULL;
	default: return NULL;
	}
}

static int tlp_of(const struct ectx *x, const struct policy__node *n)
{
	return n->kind == NK_TLP ? n->ival : (int)facts(x, n)->tlp;
}

static int compare(int a, int b, int op)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	default: return 0;
	}
}

/* The leaves are kept out of line so that ev(), which runs for every node,
** stays small: inlined, they made each call save every register. */
__attribute__((noinline)) static int eval_cmp(const struct ectx *x, const struct policy__node *n)
{
	const struct policy__node *a = &x->p->nodes[n->a], *b = &x->p->nodes[n->b];
	switch (a->type) {
	case TY_LEVEL:
		return compare(level_of(x, a), level_of(x, b), n->op);
	case TY_TLP: {
		int ta = tlp_of(x, a), tb = tlp_of(x, b);
		if ((ta == TLP_NONE || tb == TLP_NONE) && n->op != OP_EQ && n->op != OP_NE)
			return 0; /* no TLP marking is neither above nor below a label */
		return compare(ta, tb, n->op);
	}
	case TY_TEXT: {
		int eq = policy__eqi(text_of(x, a), text_of(x, b));
		return n->op == OP_EQ ? eq : !eq;
	}
	default:
		return 0;
	}
}

/* Is s listed in a REL TO entry code, directly or through a group the
** policy declares (FVEY)?  For the partner's own country the groups were
** looked up at bind time. */
static int rel_to_has(const struct ectx *x, const char *code, const char *s, int is_country)
{
	if (policy__eqi(code, s))
		return 1;
	const struct policy *p = x->p;
	for (int g = 0; g < p->ngroups; g++) {
		if (!policy__eqi(p->groups[g].name, code))
			continue;
		if (is_country)
			return (int)(x->b->groups >> g) & 1;
		for (uint32_t k = 0; k < p->groups[g].n; k++)
			if (policy__eqi(p->groups[g].members[k], s))
				return 1;
		return 0;
	}
	return 0;
}

/* A selector names property s if it is s or a path inside it
** ("external_references.[0].url" is inside "external_references"). */
static int selector_has(const char *sel, const char *s)
{
	size_t n = strlen(s);
	return sel && strncmp(sel, s, n) == 0 && (sel[n] == '\0' || sel[n] == '.');
}

static int eval_in_text(const struct ectx *x, const struct policy__node *a, const struct policy__node *s)
{
	const char *v = text_of(x, a);
	if (s->kind == NK_SET) {
		for (uint32_t k = 0; k < s->nset; k++)
			if (policy__eqi(s->set[k], v))
				return 1;
		return 0;
	}
	const struct marking_facts *f = facts(x, s);
	switch (s->attr) {
	case A_REL_TO: {
		size_t n = f->nrel_to < MARKING_MAX_CODES ? f->nrel_to : MARKING_MAX_CODES;
		int is_country = a->kind == NK_ATTR && a->attr == A_P_COUNTRY;
		for (size_t k = 0; k < n; k++)
			if (rel_to_has(x, f->rel_to[k], v, is_country))
				return 1;
		return 0;
	}
	case A_ORGS: {
		size_t n = f->norgs < MARKING_MAX_ORGS ? f->norgs : MARKING_MAX_ORGS;
		for (size_t k = 0; k < n; k++)
			if (policy__eqi(f->orgs[k], v))
				return 1;
		return 0;
	}
	case A_P_GROUPS: {
		const struct posture_partner *pp = x->b->partner;
		for (size_t k = 0; k < pp->ngroups; k++)
			if (policy__eqi(pp->groups[k], v))
				return 1;
		return 0;
	}
	case A_SELECTORS: {
		const struct marking_granular *g = x->gran;
		for (size_t k = 0; k < g->nselectors; k++)
			if (selector_has(g->selectors[k], v))
				return 1;
		return 0;
	}
	default:
		return 0;
	}
}

__attribute__((noinline)) static int eval_in(const struct ectx *x, const struct policy__node *n)
{
	const struct policy__node *a = &x->p->nodes[n->a], *s = &x->p->nodes[n->b];
	if (s->type == TY_LEVELSET) {
		int l = level_of(x, a);
		return l >= 0 && l < 64 && ((s->mask >> l) & 1);
	}
	if (s->type == TY_TLPSET) {
		int t = tlp_of(x, a);
		return t >= 0 && t < 6 && ((s->mask >> t) & 1);
	}
	return eval_in_text(x, a, s);
}

int policy__uses_matches(const struct policy_partner *b, int32_t uses, const struct posture_equipment *e)
{
	const struct policy__node *u = &b->policy->nodes[uses];
	struct ectx x = { .p = b->policy, .b = b, .binding = 1, .clearance = b->clearance };
	x.eq = e;
	x.vendor = policy__vendor(b->posture, e->vendor);
	if (!ev(&x, u->b))
		return 0;
	/* The exception: equipment whose removal is decided (before the date). */
	if (u->exc && e->has_deadline && (!u->str || strcmp(e->deadline, u->str) < 0))
		return 0;
	return 1;
}

/* Some equipment, of some operator, in the segment (or any), matches. */
__attribute__((noinline)) static int eval_uses(const struct ectx *x, int32_t i)
{
	const struct policy__node *net = &x->p->nodes[x->p->nodes[i].a];
	const struct posture_partner *pp = x->b->partner;
	for (size_t o = 0; o < pp->noperators; o++) {
		const struct posture_operator *op = &pp->operators[o];
		for (size_t s = 0; s < op->nsegments; s++) {
			const struct posture_segment *seg = &op->segments[s];
			if (net->seg && !(seg->name && strcmp(seg->name, net->seg) == 0))
				continue;
			for (size_t e = 0; e < seg->nequipment; e++)
				if (policy__uses_matches(x->b, i, &seg->equipment[e]))
					return 1;
		}
	}
	return 0;
}

static int ev(const struct ectx *x, int32_t i)
{
	const struct policy__node *n = &x->p->nodes[i];
	if (n->atom >= 0 && !x->binding)
		return (int)(x->b->atoms[n->atom >> 6] >> (n->atom & 63)) & 1;
	switch (n->kind) {
	case NK_AND: return ev(x, n->a) && ev(x, n->b);
	case NK_OR: return ev(x, n->a) || ev(x, n->b);
	case NK_NOT: return !ev(x, n->a);
	case NK_CMP: return eval_cmp(x, n);
	case NK_IN: return eval_in(x, n);
	case NK_USES: return eval_uses(x, i);
	case NK_ATTR:
		switch (n->attr) {
		case A_P_HUB: return x->b->partner->hub != 0;
		case A_HAS_REL_TO: return facts(x, n)->has_rel_to != 0;
		case A_NOFORN: return facts(x, n)->noforn != 0;
		case A_HAS_ORGS: return facts(x, n)->has_orgs != 0;
		default: return 0;
		}
	default:
		return 0;
	}
}

/* ---- binding --------------------------------------------------------------- */

void policy_partner_bind(const struct policy *p, const struct posture *posture,
                         const struct posture_partner *partner, struct policy_partner *out)
{
	memset(out, 0, sizeof(*out));
	out->policy = p;
	out->posture = posture;
	out->partner = partner;
	out->agreement = partner->agreement_level ? policy_level_find(p, partner->agreement_level) : -1;
	out->clearance = p->clear_attr ? out->agreement : p->clear_level;
	for (int g = 0; g < p->ngroups; g++)
		for (uint32_t k = 0; k < p->groups[g].n; k++)
			if (policy__eqi(p->groups[g].members[k], partner->country))
				out->groups |= (uint64_t)1 << g;
	struct ectx x = { .p = p, .b = out, .binding = 1, .clearance = out->clearance };
	/* Atoms may read partner.clearance when every cap is per partner, so
	** the caps go first. */
	if (p->caps_per_partner) {
		for (size_t k = 0; k < p->ncaps; k++) {
			const struct policy__rule *r = &p->rules[p->caps[k]];
			if (r->level < x.clearance && (r->cond < 0 || ev(&x, r->cond)))
				x.clearance = r->level;
		}
	}
	for (size_t k = 0; k < p->natoms; k++)
		if (ev(&x, p->atoms[k]))
			out->atoms[k >> 6] |= (uint64_t)1 << (k & 63);
}

/* ---- deciding -------------------------------------------------------------- */

static void reason(struct policy_outcome *o, enum policy_why why, int line, const char *text)
{
	o->nmatched++;
	if (o->nreasons < POLICY_MAX_REASONS) {
		struct policy_reason *r = &o->reasons[o->nreasons++];
		r->why = why;
		r->line = line;
		r->text = text;
	}
}

static int map_level(const struct policy *p, enum marking_level l, int dflt)
{
	if (l == LEVEL_NONE)
		return dflt >= 0 && dflt < p->nlevels ? dflt : -1;
	if ((int)l < 0 || (int)l > 3)
		return -1;
	return p->mlevel[l];
}

/* Caps: every matching one is a reason; the lowest wins. */
static void apply_caps(struct ectx *x, struct policy_outcome *o)
{
	const struct policy *p = x->p;
	for (size_t k = 0; k < p->ncaps; k++) {
		const struct policy__rule *r = &p->rules[p->caps[k]];
		if (r->cond >= 0 && !ev(x, r->cond))
			continue;
		reason(o, POLICY_WHY_CAP, r->line, r->text);
		if (r->level < x->clearance) {
			x->clearance = r->level;
			o->capped_by = r->line;
		}
	}
}

/* Granular markings: built-in checks, then each redact rule over all of
** them (so each rule is one reason however many markings it strips). */
static void apply_granular(struct ectx *x, const struct marking_result *m, struct policy_outcome *o)
{
	const struct policy *p = x->p;
	uint64_t unread = 0;
	int said_unknown = 0, said_above = 0, said_level = 0;
	for (size_t i = 0; i < m->ngranular; i++) {
		const struct marking_facts *f = &m->granular[i].facts;
		int fl = map_level(p, f->level, x->olevel);
		if (f->unknown) {
			unread |= (uint64_t)1 << i;
			if (!said_unknown++)
				reason(o, POLICY_WHY_UNKNOWN, 0, f->why_unknown[0] ? f->why_unknown : "a marking relto cannot read");
		} else if (fl < 0) {
			unread |= (uint64_t)1 << i;
			if (!said_level++)
				reason(o, POLICY_WHY_NO_LEVEL, 0, "a granular marking's level is not one of the policy's levels");
		} else if (fl > x->clearance) {
			o->redact |= (uint64_t)1 << i;
			if (!said_above++)
				reason(o, POLICY_WHY_FIELD_ABOVE, 0, "a granular marking is above the partner's clearance");
		}
	}
	o->redact |= unread;
	for (size_t k = 0; k < p->nredacts; k++) {
		const struct policy__rule *r = &p->rules[p->redacts[k]];
		int hit = 0;
		for (size_t i = 0; i < m->ngranular; i++) {
			if ((unread >> i) & 1)
				continue;
			x->gran = &m->granular[i];
			x->field = &x->gran->facts;
			x->flevel = map_level(p, x->field->level, x->olevel);
			if (r->cond < 0 || ev(x, r->cond)) {
				o->redact |= (uint64_t)1 << i;
				hit = 1;
			}
		}
		if (hit)
			reason(o, POLICY_WHY_REDACT, r->line, r->text);
	}
}

void policy_eval_bound(const struct policy_partner *b, const struct marking_result *m,
                       int default_level, struct policy_outcome *out)
{
	const struct policy *p = b->policy;
	out->decision = POLICY_WITHHOLD;
	out->redact = 0;
	out->nreasons = out->nmatched = 0;
	out->capped_by = 0;
	out->clearance = -1;
	out->object_level = -1;
	if (m->object.unknown) {
		reason(out, POLICY_WHY_UNKNOWN, 0,
		       m->object.why_unknown[0] ? m->object.why_unknown : "a marking relto cannot read");
		return;
	}
	struct ectx x = { .p = p, .b = b, .obj = &m->object, .clearance = b->clearance };
	x.olevel = x.flevel = map_level(p, m->object.level, default_level);
	apply_caps(&x, out);
	out->clearance = x.clearance;
	out->object_level = x.olevel;
	int withhold = 0;
	for (size_t k = 0; k < p->ndenies; k++) {
		const struct policy__rule *r = &p->rules[p->denies[k]];
		if (r->cond < 0 || ev(&x, r->cond)) {
			reason(out, POLICY_WHY_DENY, r->line, r->text);
			withhold = 1;
		}
	}
	if (x.clearance < 0 || x.olevel < 0) {
		reason(out, POLICY_WHY_NO_LEVEL, 0,
		       x.clearance < 0 ? "the partner's agreement level is not one of the policy's levels"
		                       : "the object's level is not one of the policy's levels");
		return;
	}
	if (x.olevel > x.clearance) {
		reason(out, POLICY_WHY_ABOVE, 0, "the object's level is above the partner's clearance");
		return;
	}
	if (withhold)
		return;
	if (m->ngranular > POLICY_MAX_GRANULAR) {
		reason(out, POLICY_WHY_LIMIT, 0, "more granular markings than relto can redact");
		return;
	}
	apply_granular(&x, m, out);
	out->decision = out->redact ? POLICY_REDACT : POLICY_RELEASE;
}

void policy_eval(const struct policy *p, const struct posture *posture,
                 const struct posture_partner *partner, const struct marking_result *m,
                 int default_level, struct policy_outcome *out)
{
	struct policy_partner b;
	policy_partner_bind(p, posture, partner, &b);
	policy_eval_bound(&b, m, default_level, out);
}
