/*
** check.c: everything about a parsed policy that can be known without a
** partner or an object: what each bare word means where it stands (a
** level, a TLP label, text, a group; names.c knows the names), whether
** each comparison makes sense for its types,
** whether each rule can ever change a decision, and which conditions
** depend on the partner alone (those are computed once per partner by
** policy_partner_bind, not per object).
**
** Every error names the place and, where it can, what the writer probably
** meant: a close name ("did you mean partner.country?"), the right
** operator, or the quotes to add or drop.  Checking goes on after an
** error in one rule, so one run lists the problems of every rule.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "policy_int.h"

/* Names marking.h gives levels 0..3: markings map onto the policy's levels by name. */
static const char *const marking_names[4] = { "UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET" };

/* Properties every STIX object has and a redaction must never strip
** (STIX 2.1 section 3.2: type, id; spec_version, created, modified for
** domain and relationship objects). */
static const char *const required_props[] = { "type", "id", "spec_version", "created", "modified" };

/* A word where a value of type want stands: a level, a TLP label, text.
** Turns the node into NK_LEVEL, NK_TLP or NK_STRING. */
static int resolve_word(struct policy__ck *C, struct policy__node *n, int want, const char *other)
{
	const struct policy *p = C->p;
	if (want == TY_LEVEL) {
		int l = policy__find_level(p, n->str);
		if (l < 0) {
			policy__unknown_level(C, n->str, n->line, n->col);
			return -1;
		}
		n->kind = NK_LEVEL;
		n->ival = l;
		n->type = TY_LEVEL;
		return 0;
	}
	if (want == TY_TLP) {
		int t = policy__find_tlp(n->str);
		if (t < 0) {
			policy__ck_error(C, n->line, n->col, "unknown TLP label '%s' (labels: CLEAR, GREEN, AMBER, AMBER_STRICT, "
			                 "RED, NONE)", n->str);
			return -1;
		}
		n->kind = NK_TLP;
		n->ival = t;
		n->type = TY_TLP;
		return 0;
	}
	if (want == TY_TEXT) {
		if (policy__find_level(p, n->str) >= 0) {
			policy__ck_error(C, n->line, n->col, "%s is a level, but %s is text", n->str, other);
			return -1;
		}
		if (policy__find_group(p, n->str) >= 0) {
			policy__ck_error(C, n->line, n->col, "%s is a group: test membership with 'in', as in %s in %s", n->str,
			                 other, n->str);
			return -1;
		}
		n->kind = NK_STRING;
		n->type = TY_TEXT;
		return 0;
	}
	policy__ck_error(C, n->line, n->col, "'%s' cannot be compared with %s", n->str, other);
	return -1;
}

static const char *type_name(int t)
{
	switch (t) {
	case TY_BOOL: return "yes/no";
	case TY_LEVEL: return "a level";
	case TY_TEXT: return "text";
	case TY_TEXTSET: return "a list";
	case TY_TLP: return "a TLP label";
	case TY_NET: return "a network";
	default: return "a value";
	}
}

/* How an operand reads in messages. */
static const char *show(const struct policy__node *n, char *buf, size_t size)
{
	if (n->kind == NK_STRING)
		snprintf(buf, size, "\"%s\"", n->str);
	else
		snprintf(buf, size, "%s", n->str ? n->str : "?");
	return buf;
}

/* ---- conditions ---------------------------------------------------------- */

static int check_bool(struct policy__ck *C, int32_t i, struct policy__ctx x);

/* Type of an operand: attributes are resolved, words wait for context. */
static int operand(struct policy__ck *C, int32_t i, const struct policy__ctx *x)
{
	struct policy__node *n = &C->p->nodes[i];
	if (n->kind == NK_ATTR)
		return policy__resolve_attr(C, n, x) ? -1 : n->type;
	if (n->kind == NK_STRING)
		return n->type = TY_TEXT;
	if (n->kind == NK_WORD)
		return TY_WORD;
	policy__ck_error(C, n->line, n->col, "expected a value here");
	return -1;
}

/* Level comparisons that can never be true (above the top, below the bottom). */
static int never_true(struct policy__ck *C, const struct policy__node *c)
{
	const struct policy__node *a = &C->p->nodes[c->a], *b = &C->p->nodes[c->b];
	int top = C->p->nlevels - 1, op = c->op;
	const struct policy__node *lit = b->kind == NK_LEVEL ? b : a->kind == NK_LEVEL ? a : NULL;
	if (!lit || (a->kind == NK_LEVEL && b->kind == NK_LEVEL))
		return 0;
	if (lit == a) /* mirror so the literal is on the right */
		op = op == OP_LT ? OP_GT : op == OP_GT ? OP_LT : op == OP_LE ? OP_GE : op == OP_GE ? OP_LE : op;
	if ((op == OP_GT && lit->ival == top) || (op == OP_LT && lit->ival == 0)) {
		policy__ck_error(C, c->line, c->col, "this comparison is never true: no level is %s %s",
		                 op == OP_GT ? "above" : "below", C->p->levels[lit->ival]);
		return 1;
	}
	return 0;
}

static int check_cmp(struct policy__ck *C, struct policy__node *c, const struct policy__ctx *x)
{
	int32_t ia = c->a, ib = c->b;
	int ta = operand(C, ia, x), tb = operand(C, ib, x);
	if (ta < 0 || tb < 0)
		return -1;
	struct policy__node *a = &C->p->nodes[ia], *b = &C->p->nodes[ib];
	char sa[96], sb[96];
	show(a, sa, sizeof(sa));
	show(b, sb, sizeof(sb));
	if (a->kind != NK_ATTR && b->kind != NK_ATTR) {
		policy__ck_error(C, c->line, c->col, "%s %s %s compares two fixed values: one side should be an attribute",
		                 sa, policy__op_names[c->op], sb);
		return -1;
	}
	if (ta == TY_WORD && resolve_word(C, a, tb, sb))
		return -1;
	if (tb == TY_WORD && resolve_word(C, b, ta, sa))
		return -1;
	ta = a->type;
	tb = b->type;
	const struct policy__node *at = a->kind == NK_ATTR ? a : b;
	char sat[96];
	show(at, sat, sizeof(sat));
	if (ta == TY_BOOL || tb == TY_BOOL) {
		policy__ck_error(C, c->line, c->col, "%s is yes/no: write %s or not %s, without '%s'", sat, sat, sat,
		                 policy__op_names[c->op]);
		return -1;
	}
	if (ta == TY_TEXTSET || tb == TY_TEXTSET) {
		policy__ck_error(C, c->line, c->col, "%s is a list: test membership with 'in' (partner.country in %s)", sat, sat);
		return -1;
	}
	if (ta == TY_NET || tb == TY_NET) {
		policy__ck_error(C, c->line, c->col, "%s is a network: test it with 'uses' (%s uses vendor.risk == \"high\")", sat,
		                 sat);
		return -1;
	}
	if (ta != tb) {
		const struct policy__node *s = a->kind == NK_STRING ? a : b->kind == NK_STRING ? b : NULL;
		if (s && (policy__find_level(C->p, s->str) >= 0 || policy__find_tlp(s->str) >= 0))
			policy__ck_error(C, c->line, c->col, "%s is %s and \"%s\" is text: write %s without quotes", sat,
			                 type_name(at->type), s->str, s->str);
		else
			policy__ck_error(C, c->line, c->col, "cannot compare %s (%s) with %s (%s)", sa, type_name(ta), sb,
			                 type_name(tb));
		return -1;
	}
	if (ta == TY_TEXT && c->op != OP_EQ && c->op != OP_NE) {
		policy__ck_error(C, c->line, c->col, "text can only be compared with == or !=, not '%s'", policy__op_names[c->op]);
		return -1;
	}
	if (ta == TY_TLP && c->op != OP_EQ && c->op != OP_NE &&
	    ((a->kind == NK_TLP && a->ival == 0) || (b->kind == NK_TLP && b->ival == 0))) {
		policy__ck_error(C, c->line, c->col, "NONE (no TLP marking) has no order: compare it with == or !=");
		return -1;
	}
	if (ta == TY_LEVEL && never_true(C, c))
		return -1;
	c->type = TY_BOOL;
	c->scope = a->scope | b->scope;
	return 0;
}

/* Is this text a property STIX requires (a redaction may not strip it)? */
static int required_prop(const char *s)
{
	for (size_t i = 0; i < sizeof(required_props) / sizeof(required_props[0]); i++)
		if (strcmp(s, required_props[i]) == 0)
			return 1;
	return 0;
}

/* A written ( list ) whose members are text: words, quoted text, groups. */
static int text_list(struct policy__ck *C, struct policy__node *s)
{
	size_t n = 0;
	for (uint32_t k = 0; k < s->nmem; k++) {
		int g = s->mem[k].quoted ? -1 : policy__find_group(C->p, s->mem[k].s);
		n += g >= 0 ? C->p->groups[g].n : 1;
	}
	if (n > POLICY__MAX_SET) {
		policy__ck_error(C, s->line, s->col, "the list has more than %d members", POLICY__MAX_SET);
		return -1;
	}
	s->set = policy__alloc(&C->p->arena, (n ? n : 1) * sizeof(*s->set));
	if (!s->set) {
		C->d->nomem = 1;
		return -1;
	}
	for (uint32_t k = 0; k < s->nmem; k++) {
		const struct policy__member *m = &s->mem[k];
		int g = m->quoted ? -1 : policy__find_group(C->p, m->s);
		if (g >= 0) {
			for (uint32_t j = 0; j < C->p->groups[g].n; j++)
				s->set[s->nset++] = C->p->groups[g].members[j];
		} else if (!m->quoted && policy__find_level(C->p, m->s) >= 0) {
			policy__ck_error(C, m->line, m->col, "%s is a level, but the list holds text", m->s);
			return -1;
		} else {
			s->set[s->nset++] = m->s;
		}
	}
	s->type = TY_TEXTSET;
	return 0;
}

/* A written ( list ) of levels or TLP labels, as a bit mask. */
static int enum_list(struct policy__ck *C, struct policy__node *s, int want)
{
	for (uint32_t k = 0; k < s->nmem; k++) {
		const struct policy__member *m = &s->mem[k];
		int v = want == TY_LEVEL ? policy__find_level(C->p, m->s) : policy__find_tlp(m->s);
		if (v < 0 || m->quoted) {
			if (want == TY_LEVEL)
				policy__unknown_level(C, m->s, m->line, m->col);
			else
				policy__ck_error(C, m->line, m->col, "unknown TLP label '%s' (labels: CLEAR, GREEN, AMBER, "
				                 "AMBER_STRICT, RED, NONE)", m->s);
			return -1;
		}
		s->mask |= (uint64_t)1 << v;
	}
	s->type = want == TY_LEVEL ? TY_LEVELSET : TY_TLPSET;
	return 0;
}

/* The right side of `in`. */
static int check_set(struct policy__ck *C, int32_t is, int left, const struct policy__ctx *x)
{
	struct policy__node *s = &C->p->nodes[is];
	if (s->kind == NK_SET)
		return left == TY_LEVEL || left == TY_TLP ? enum_list(C, s, left) : text_list(C, s);
	if (s->kind == NK_WORD) {
		int g = policy__find_group(C->p, s->str);
		if (g < 0) {
			const char *names[POLICY__MAX_GROUPS];
			for (int k = 0; k < C->p->ngroups; k++)
				names[k] = C->p->groups[k].name;
			const char *near = policy__closest(s->str, names, (size_t)C->p->ngroups);
			if (near)
				policy__ck_error(C, s->line, s->col, "unknown group '%s'; did you mean %s?", s->str, near);
			else
				policy__ck_error(C, s->line, s->col, "'%s' is not a group: declare it (group %s = ...) or write a list "
				                 "in parentheses, (%s, ...)", s->str, s->str, s->str);
			return -1;
		}
		s->kind = NK_SET;
		s->set = C->p->groups[g].members;
		s->nset = C->p->groups[g].n;
		s->type = TY_TEXTSET;
		return 0;
	}
	if (s->kind == NK_ATTR) {
		if (policy__resolve_attr(C, s, x))
			return -1;
		if (s->type != TY_TEXTSET) {
			policy__ck_error(C, s->line, s->col, "'in' needs a list on its right, and %s is %s", s->str, type_name(s->type));
			return -1;
		}
		return 0;
	}
	policy__ck_error(C, s->line, s->col, "'in' needs a list on its right: a group, a list attribute such as "
	                 "object.rel_to, or a list in parentheses like (USA, GBR)");
	return -1;
}

static int check_in(struct policy__ck *C, struct policy__node *in, const struct policy__ctx *x)
{
	int32_t ia = in->a, ib = in->b;
	int ta = operand(C, ia, x);
	if (ta < 0)
		return -1;
	if (ta == TY_WORD)
		ta = TY_TEXT; /* a bare word before `in` is a code: USA in object.rel_to */
	if (ta == TY_TEXTSET || ta == TY_BOOL || ta == TY_NET) {
		struct policy__node *a = &C->p->nodes[ia];
		policy__ck_error(C, a->line, a->col, "the left side of 'in' is one value, and %s is %s", a->str, type_name(ta));
		return -1;
	}
	if (check_set(C, ib, ta, x))
		return -1;
	struct policy__node *a = &C->p->nodes[ia], *s = &C->p->nodes[ib];
	if (a->kind != NK_ATTR && s->kind != NK_ATTR) {
		policy__ck_error(C, in->line, in->col, "this 'in' test compares fixed values: one side should be an attribute");
		return -1;
	}
	if (s->type == TY_TEXTSET && ta != TY_TEXT) {
		policy__ck_error(C, a->line, a->col, "%s is %s, but %s holds text", a->str, type_name(ta),
		                 s->kind == NK_ATTR ? s->str : "the list");
		return -1;
	}
	if (a->kind == NK_WORD) {
		a->kind = NK_STRING;
		a->type = TY_TEXT;
	}
	if (s->kind == NK_ATTR && s->attr == A_SELECTORS && a->kind == NK_STRING && !x->neg &&
	    required_prop(a->str)) {
		policy__ck_error(C, a->line, a->col, "'%s' is a property every STIX object must have: stripping it would "
		                 "withhold the object, so a redact rule may not name it (write a deny rule instead)", a->str);
		return -1;
	}
	in->type = TY_BOOL;
	in->scope = a->scope | s->scope;
	return 0;
}

static int check_uses(struct policy__ck *C, struct policy__node *u, const struct policy__ctx *x)
{
	int32_t ia = u->a, ib = u->b;
	if (x->in_uses) {
		policy__ck_error(C, u->line, u->col, "'uses' inside 'uses': test one network at a time and join them with and/or");
		return -1;
	}
	struct policy__node *a = &C->p->nodes[ia];
	if (a->kind != NK_ATTR || strncmp(a->str, "partner.networks", 16) != 0) {
		policy__ck_error(C, a->line, a->col, "'uses' needs partner.networks or partner.networks.<segment> on its left, "
		                 "as in partner.networks.ran uses vendor.risk == \"high\"");
		return -1;
	}
	if (policy__resolve_attr(C, a, x))
		return -1;
	struct policy__ctx inner = *x;
	inner.in_uses = 1;
	if (check_bool(C, ib, inner))
		return -1;
	u = &C->p->nodes[(size_t)(u - C->p->nodes)];
	u->type = TY_BOOL;
	u->scope = (uint8_t)(SC_PARTNER | (C->p->nodes[ib].scope & ~SC_VENDOR));
	return 0;
}

static int check_bool(struct policy__ck *C, int32_t i, struct policy__ctx x)
{
	struct policy__node *n = &C->p->nodes[i];
	int32_t a = n->a, b = n->b;
	int rc = 0;
	switch (n->kind) {
	case NK_AND:
	case NK_OR:
		rc = check_bool(C, a, x);
		rc |= check_bool(C, b, x);
		break;
	case NK_NOT:
		x.neg = !x.neg;
		rc = check_bool(C, a, x);
		break;
	case NK_CMP:
		return check_cmp(C, n, &x);
	case NK_IN:
		return check_in(C, n, &x);
	case NK_USES:
		return check_uses(C, n, &x);
	case NK_ATTR:
		if (policy__resolve_attr(C, n, &x))
			return -1;
		if (n->type == TY_BOOL)
			return 0;
		if (n->attr == A_REL_TO || n->attr == A_ORGS)
			policy__ck_error(C, n->line, n->col, "%s is a list, not yes/no: to ask whether there is one, use %s",
			                 n->str, n->attr == A_REL_TO ? (n->scope == SC_FIELD ? "field.has_rel_to" : "object.has_rel_to")
			                                 : (n->scope == SC_FIELD ? "field.has_orgs" : "object.has_orgs"));
		else if (n->type == TY_NET)
			policy__ck_error(C, n->line, n->col, "%s is a network: test it with 'uses' (%s uses vendor.risk == \"high\")",
			                 n->str, n->str);
		else
			policy__ck_error(C, n->line, n->col, "%s is %s, not yes/no: compare it (%s == ...)", n->str,
			                 type_name(n->type), n->str);
		return -1;
	case NK_WORD:
		policy__word_as_condition(C, n);
		return -1;
	default:
		policy__ck_error(C, n->line, n->col, "text on its own is not a condition");
		return -1;
	}
	if (rc)
		return -1;
	n = &C->p->nodes[i];
	n->type = TY_BOOL;
	n->scope = (uint8_t)(C->p->nodes[a].scope | (b >= 0 ? C->p->nodes[b].scope : 0));
	return 0;
}

/* ---- declarations --------------------------------------------------------- */

static void check_levels(struct policy__ck *C)
{
	struct policy *p = C->p;
	int last = -1, last_m = -1;
	for (int m = 0; m < 4; m++) {
		p->mlevel[m] = policy__find_level(p, marking_names[m]);
		if (p->mlevel[m] < 0)
			continue;
		if (p->mlevel[m] < last)
			policy__ck_error(C, p->levels_line, p->levels_col, "markings rank %s below %s: declare the levels in that order",
			                 marking_names[last_m], marking_names[m]);
		last = p->mlevel[m];
		last_m = m;
	}
}

static void check_groups(struct policy__ck *C)
{
	struct policy *p = C->p;
	for (int i = 0; i < p->ngroups; i++) {
		struct policy__group *g = &p->groups[i];
		C->failed = 0;
		if (policy__find_group(p, g->name) >= 0) {
			policy__ck_error(C, g->line, g->col, "group %s is declared twice (first on line %d)", g->name,
			                 p->groups[policy__find_group(p, g->name)].line);
			continue;
		}
		if (policy__find_level(p, g->name) >= 0) {
			policy__ck_error(C, g->line, g->col, "%s is a level; a group needs another name", g->name);
			continue;
		}
		/* Expand members naming earlier groups; text_list does the work. */
		struct policy__node tmp = { .mem = g->mem, .nmem = g->nmem, .line = g->line, .col = g->col };
		for (uint32_t k = 0; k < g->nmem; k++)
			if (strcmp(g->mem[k].s, g->name) == 0 && !g->mem[k].quoted)
				policy__ck_error(C, g->mem[k].line, g->mem[k].col, "group %s lists itself", g->name);
		if (C->failed || text_list(C, &tmp))
			continue;
		g->members = tmp.set;
		g->n = tmp.nset;
	}
}

static void check_clear(struct policy__ck *C)
{
	struct policy *p = C->p;
	if (p->clear_node < 0) {
		policy__ck_error(C, 1, 1, "the policy has no 'clear' line: say where clearances start, usually "
		                 "'clear partner.agreement'");
		return;
	}
	struct policy__node *n = &p->nodes[p->clear_node];
	struct policy__ctx x = { -1, 0, 0 };
	if (n->kind == NK_WORD) {
		if (resolve_word(C, n, TY_LEVEL, "a level") == 0)
			p->clear_level = n->ival;
		return;
	}
	if (n->kind == NK_ATTR && policy__resolve_attr(C, n, &x) == 0) {
		if (n->attr == A_P_AGREEMENT) {
			p->clear_attr = 1;
			return;
		}
		policy__ck_error(C, n->line, n->col, "'clear' takes partner.agreement or a level, not %s", n->str);
		return;
	}
	if (n->kind == NK_STRING)
		policy__ck_error(C, n->line, n->col, "'clear' takes partner.agreement or a level, written without quotes");
}

/* ---- rules ------------------------------------------------------------- */

/* Rules that can never change a decision are errors: they mislead whoever
** reads the policy into thinking they do something. */
static void check_reachable(struct policy__ck *C)
{
	struct policy *p = C->p;
	int min_cap = p->clear_attr ? p->nlevels : p->clear_level + 1, min_line = p->clear_line;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy__rule *r = &p->rules[i];
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->rules[j].canon, r->canon) == 0) {
				policy__ck_error(C, r->line, r->col, "this rule repeats line %d", p->rules[j].line);
				break;
			}
		}
		if (r->kind == RK_DENY && r->cond < 0 && i + 1 < p->nrules) {
			const struct policy__rule *nx = &p->rules[i + 1];
			policy__ck_error(C, nx->line, nx->col, "this rule can never change a decision: the deny on line %d "
			                 "withholds every object%s", r->line, i + 2 < p->nrules ? " (nor can the rules after it)" : "");
			return;
		}
		if (r->kind != RK_CAP || r->level < 0)
			continue;
		if (r->level == p->nlevels - 1)
			policy__ck_error(C, r->lline, r->lcol, "a cap at %s, the highest level, can never lower a clearance",
			                 p->levels[r->level]);
		else if (r->level + 1 >= min_cap)
			policy__ck_error(C, r->lline, r->lcol, "a cap at %s can never lower a clearance: line %d already holds "
			                 "everyone at %s", p->levels[r->level], min_line, p->levels[min_cap - 1]);
		else if (r->cond < 0) {
			min_cap = r->level + 1;
			min_line = r->line;
		}
	}
}

static int check_rule(struct policy__ck *C, struct policy__rule *r)
{
	struct policy__ctx x = { r->kind, 0, 0 };
	if (r->kind == RK_CAP) {
		r->level = policy__find_level(C->p, r->level_name);
		if (r->level < 0)
			policy__unknown_level(C, r->level_name, r->lline, r->lcol);
	}
	if (r->cond >= 0 && check_bool(C, r->cond, x))
		return -1;
	return C->failed ? -1 : 0;
}

/* Give each largest partner-only condition an atom: its value is worked
** out once per partner by policy_partner_bind.  Past POLICY_MAX_ATOMS a
** condition is simply evaluated with each decision: slower, same answer
** (the evaluator never needs an atom to be right). */
static void mark_atoms(struct policy *p, int32_t i)
{
	struct policy__node *n = &p->nodes[i];
	int per_partner = SC_PARTNER | SC_VENDOR | (p->caps_per_partner ? SC_CLEARANCE : 0);
	if ((n->scope & ~per_partner) == 0) {
		if (p->natoms < POLICY_MAX_ATOMS) {
			n->atom = (int32_t)p->natoms;
			p->atoms[p->natoms++] = i;
		}
		return;
	}
	if (n->kind == NK_AND || n->kind == NK_OR) {
		mark_atoms(p, n->a);
		mark_atoms(p, n->b);
	} else if (n->kind == NK_NOT) {
		mark_atoms(p, n->a);
	}
}

static int index_rules(struct policy__ck *C)
{
	struct policy *p = C->p;
	size_t n = p->nrules ? p->nrules : 1;
	p->caps = policy__alloc(&p->arena, n * sizeof(int32_t));
	p->denies = policy__alloc(&p->arena, n * sizeof(int32_t));
	p->redacts = policy__alloc(&p->arena, n * sizeof(int32_t));
	p->atoms = policy__alloc(&p->arena, POLICY_MAX_ATOMS * sizeof(int32_t));
	if (!p->caps || !p->denies || !p->redacts || !p->atoms) {
		C->d->nomem = 1;
		return -1;
	}
	p->caps_per_partner = 1;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct policy__rule *r = &p->rules[i];
		if (r->kind == RK_CAP) {
			p->caps[p->ncaps++] = (int32_t)i;
			if (r->cond >= 0 && (p->nodes[r->cond].scope & SC_OBJECT))
				p->caps_per_partner = 0;
		} else if (r->kind == RK_DENY) {
			p->denies[p->ndenies++] = (int32_t)i;
		} else {
			p->redacts[p->nredacts++] = (int32_t)i;
		}
	}
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].cond >= 0)
			mark_atoms(p, p->rules[i].cond);
	return 0;
}

int policy__check(struct policy *p, struct policy__diag *d)
{
	struct policy__ck C = { p, d, 0 };
	if (!p->levels) {
		policy__ck_error(&C, 1, 1, "the policy declares no levels: add a line such as "
		                 "'levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET' (lowest first)");
		return 0; /* every level name would be unknown: stop here */
	}
	check_levels(&C);
	C.failed = 0;
	check_groups(&C);
	C.failed = 0;
	check_clear(&C);
	for (size_t i = 0; i < p->nrules && !d->nomem; i++) {
		C.failed = 0;
		check_rule(&C, &p->rules[i]);
		if (d->nerrors > POLICY__MAX_ERRORS)
			break;
	}
	if (d->nomem)
		return -1;
	if (d->nerrors)
		return 0;
	check_reachable(&C);
	if (d->nerrors)
		return 0;
	return index_rules(&C);
}
