/*
** explain.c: a decision in words, for `relto policy explain`, the policy
** test runner and audit: the decision, the clearance and what set it,
** each reason with its line, the equipment that made a network condition
** true (the evidence a partner would ask for), and what happens to each
** granular marking.  Not on any hot path, so it re-evaluates freely.
*/
#include <string.h>
#include "policy_int.h"

/* The rule a reason came from: its text pointer is the rule's own. */
static const struct policy__rule *rule_of(const struct policy *p, const struct policy_reason *r)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].line == r->line && p->rules[i].text == r->text)
			return &p->rules[i];
	return NULL;
}

static const char *tlp_label(int t)
{
	static const char *const labels[6] = { "", "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER",
	                                       "TLP:AMBER+STRICT", "TLP:RED" };
	return t >= 0 && t < 6 ? labels[t] : "TLP:?";
}

static enum relto_err rel_to_list(struct buf *out, const struct marking_facts *f)
{
	size_t n = f->nrel_to < MARKING_MAX_CODES ? f->nrel_to : MARKING_MAX_CODES;
	enum relto_err rc = buf_puts(out, "REL TO ");
	for (size_t i = 0; i < n && !rc; i++)
		rc = buf_printf(out, "%s%.*s", i ? ", " : "", MARKING_CODE_LEN, f->rel_to[i]);
	return rc;
}

enum relto_err policy__describe_facts(const struct policy *p, const struct marking_facts *f,
                                      int level, struct buf *out)
{
	enum relto_err rc = RELTO_OK;
	const char *sep = "";
	if (level >= 0) {
		rc = buf_printf(out, "%s%s", policy_level_name(p, level),
		                f->level == LEVEL_NONE ? " (the default: no classification marking)" : "");
		sep = ", ";
	}
	if (!rc && f->has_rel_to) {
		rc = buf_puts(out, sep);
		if (!rc)
			rc = rel_to_list(out, f);
		sep = ", ";
	}
	if (!rc && f->noforn) {
		rc = buf_printf(out, "%sNOFORN", sep);
		sep = ", ";
	}
	if (!rc && f->tlp != TLP_NONE) {
		rc = buf_printf(out, "%s%s", sep, tlp_label((int)f->tlp));
		sep = ", ";
	}
	if (!rc && f->has_orgs) {
		size_t n = f->norgs < MARKING_MAX_ORGS ? f->norgs : MARKING_MAX_ORGS;
		rc = buf_printf(out, "%sonly to ", sep);
		for (size_t i = 0; i < n && !rc; i++)
			rc = buf_printf(out, "%s%.*s", i ? ", " : "", MARKING_ORG_LEN, f->orgs[i]);
		sep = ", ";
	}
	if (!rc && !*sep)
		rc = buf_puts(out, "no markings");
	return rc;
}

/* Evidence for a network condition: the equipment that matches. */
static enum relto_err evidence(const struct policy_partner *b, int32_t uses, struct buf *out)
{
	const struct policy *p = b->policy;
	const struct policy__node *net = &p->nodes[p->nodes[uses].a];
	const struct posture_partner *pp = b->partner;
	enum relto_err rc = RELTO_OK;
	int found = 0;
	for (size_t o = 0; o < pp->noperators && !rc; o++) {
		const struct posture_operator *op = &pp->operators[o];
		for (size_t s = 0; s < op->nsegments && !rc; s++) {
			const struct posture_segment *seg = &op->segments[s];
			if (net->seg && !(seg->name && strcmp(seg->name, net->seg) == 0))
				continue;
			for (size_t e = 0; e < seg->nequipment && !rc; e++) {
				const struct posture_equipment *q = &seg->equipment[e];
				if (!policy__uses_matches(b, uses, q))
					continue;
				const struct posture_vendor *v = policy__vendor(b->posture, q->vendor);
				found = 1;
				rc = buf_printf(out, "      %s, %s: %s (%s, risk %s), %s%s%s%s%s\n", op->name ? op->name : "?",
				                seg->name ? seg->name : "?", q->vendor ? q->vendor : "?",
				                v && v->country ? v->country : "country unknown",
				                v && v->risk ? v->risk : "unknown",
				                q->has_deadline ? "removal deadline " : "no removal deadline",
				                q->has_deadline ? q->deadline : "", q->source ? " [" : "",
				                q->source ? q->source : "", q->source ? "]" : "");
			}
		}
	}
	if (!rc && !found)
		rc = buf_printf(out, "      %s: no equipment matches\n", net->seg ? net->seg : "no network segment");
	return rc;
}

/* Every uses test in a rule's condition, with its evidence. */
static enum relto_err evidence_all(const struct policy_partner *b, int32_t i, struct buf *out)
{
	if (i < 0)
		return RELTO_OK;
	const struct policy__node *n = &b->policy->nodes[i];
	if (n->kind == NK_USES)
		return evidence(b, i, out);
	if (n->kind == NK_AND || n->kind == NK_OR || n->kind == NK_NOT) {
		enum relto_err rc = evidence_all(b, n->a, out);
		return rc ? rc : evidence_all(b, n->b, out);
	}
	return RELTO_OK;
}

enum relto_err policy__explain_reason(const struct policy_partner *b, const struct policy_outcome *o,
                                      const struct policy_reason *r, struct buf *out)
{
	const struct policy *p = b->policy;
	const char *who = b->partner->id ? b->partner->id : "the partner";
	const struct policy__rule *rule;
	switch (r->why) {
	case POLICY_WHY_DENY:
		return buf_printf(out, "line %d, deny: %s", r->line, r->text);
	case POLICY_WHY_REDACT:
		return buf_printf(out, "line %d, redact: %s", r->line, r->text);
	case POLICY_WHY_CAP:
		rule = rule_of(p, r);
		return buf_printf(out, "line %d, cap %s: %s", r->line, rule ? policy_level_name(p, rule->level) : "?",
		                  r->text);
	case POLICY_WHY_UNKNOWN:
		return buf_printf(out, "%s: %s", o->decision == POLICY_WITHHOLD ?
		                  "withheld because relto cannot read the object's markings" :
		                  "a granular marking relto cannot read is stripped", r->text);
	case POLICY_WHY_ABOVE:
	case POLICY_WHY_FIELD_ABOVE: {
		const char *lead = r->why == POLICY_WHY_ABOVE ? policy_level_name(p, o->object_level)
		                                               : "a granular marking";
		enum relto_err rc = buf_printf(out, "%s is above %s's clearance %s", lead, who,
		                               policy_level_name(p, o->clearance));
		if (rc)
			return rc;
		if (o->capped_by) {
			struct policy_reason cr = { POLICY_WHY_CAP, o->capped_by, NULL };
			for (size_t i = 0; i < o->nreasons; i++)
				if (o->reasons[i].why == POLICY_WHY_CAP && o->reasons[i].line == o->capped_by)
					cr.text = o->reasons[i].text;
			return buf_printf(out, " (capped by line %d: %s)", o->capped_by, cr.text ? cr.text : "a cap");
		}
		return buf_printf(out, " (%s, line %d)", p->clear_attr ? "its agreement level" : "the policy's clear line",
		                  p->clear_line);
	}
	case POLICY_WHY_NO_LEVEL:
		if (o->clearance < 0 && p->clear_attr)
			return buf_printf(out, "%s's agreement level '%s' is not one of the policy's levels", who,
			                  b->partner->agreement_level ? b->partner->agreement_level : "");
		return buf_printf(out, "%s", r->text);
	case POLICY_WHY_LIMIT:
		return buf_printf(out, "%s (more than %d): withheld", r->text, POLICY_MAX_GRANULAR);
	}
	return buf_puts(out, r->text);
}

static enum relto_err explain_clearance(const struct policy_partner *b, const struct policy_outcome *o,
                                        struct buf *out)
{
	const struct policy *p = b->policy;
	if (o->clearance < 0)
		return buf_puts(out, "  clearance: none\n");
	enum relto_err rc = buf_printf(out, "  clearance: %s", policy_level_name(p, o->clearance));
	if (!rc && p->clear_attr)
		rc = buf_printf(out, " (agreement %s, line %d", policy_level_name(p, b->agreement), p->clear_line);
	else if (!rc)
		rc = buf_printf(out, " (clear %s, line %d", policy_level_name(p, p->clear_level), p->clear_line);
	if (!rc && o->capped_by)
		rc = buf_printf(out, "; capped by line %d", o->capped_by);
	return rc ? rc : buf_puts(out, ")\n");
}

static enum relto_err explain_granular(const struct policy *p, const struct marking_result *m,
                                       const struct policy_outcome *o, struct buf *out)
{
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; i < m->ngranular && i < POLICY_MAX_GRANULAR && !rc; i++) {
		const struct marking_granular *g = &m->granular[i];
		rc = buf_printf(out, "  granular marking %zu (", i + 1);
		for (size_t k = 0; k < g->nselectors && !rc; k++)
			rc = buf_printf(out, "%s%s", k ? ", " : "", g->selectors[k] ? g->selectors[k] : "?");
		if (!rc)
			rc = buf_puts(out, "): ");
		if (!rc && g->facts.unknown)
			rc = buf_puts(out, "unreadable");
		else if (!rc) {
			int lvl = g->facts.level == LEVEL_NONE ? o->object_level
			        : ((int)g->facts.level >= 0 && (int)g->facts.level < 4 ? p->mlevel[g->facts.level] : -1);
			rc = policy__describe_facts(p, &g->facts, lvl, out);
		}
		if (!rc)
			rc = buf_printf(out, ": %s\n", (o->redact >> i) & 1 ? "stripped" : "kept");
	}
	return rc;
}

enum relto_err policy_explain(const struct policy *p, const struct posture *posture,
                              const struct posture_partner *partner,
                              const struct marking_result *m, int default_level,
                              struct buf *out)
{
	struct policy_partner b;
	struct policy_outcome o;
	policy_partner_bind(p, posture, partner, &b);
	policy_eval_bound(&b, m, default_level, &o);
	size_t mark = out->len;
	enum relto_err rc = buf_printf(out, "%s (%s): %s\n  object: ", partner->id ? partner->id : "?",
	                               partner->name ? partner->name : "?", policy_decision_name(o.decision));
	if (!rc && m->object.unknown)
		rc = buf_puts(out, "markings relto cannot read");
	else if (!rc)
		rc = policy__describe_facts(p, &m->object, o.object_level, out);
	if (!rc && m->object.banner[0])
		rc = buf_printf(out, " [%.*s]", (int)sizeof(m->object.banner), m->object.banner);
	if (!rc)
		rc = buf_putc(out, '\n');
	if (!rc && !m->object.unknown)
		rc = explain_clearance(&b, &o, out);
	for (size_t i = 0; i < o.nreasons && !rc; i++) {
		const struct policy_reason *r = &o.reasons[i];
		rc = buf_puts(out, "  ");
		if (!rc)
			rc = policy__explain_reason(&b, &o, r, out);
		if (!rc)
			rc = buf_putc(out, '\n');
		const struct policy__rule *rule = r->line ? rule_of(p, r) : NULL;
		if (!rc && rule && r->why != POLICY_WHY_REDACT)
			rc = evidence_all(&b, rule->cond, out);
	}
	if (!rc && o.nmatched > o.nreasons)
		rc = buf_printf(out, "  (%zu more reasons)\n", o.nmatched - o.nreasons);
	if (!rc && o.decision != POLICY_WITHHOLD)
		rc = explain_granular(p, m, &o, out);
	if (rc) { /* leave out as it was */
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return rc;
}
