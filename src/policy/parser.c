/*
** parser.c: the one hand-written parser in relto.  It turns the tokens of
** a policy into declarations (levels, groups, clear) and rules whose
** conditions are trees of struct policy__node (policy_int.h).  The
** grammar is in docs/policy.md; in short:
**
**   statement = "levels" WORD { "<" WORD }
**             | "group" WORD "=" member { "," member }
**             | "clear" operand
**             | ( "deny" | "cap" WORD | "redact" )
**               [ "when" cond ] [ "unless" cond ] [ "because" STRING ]
**   cond      = and { "or" and }          (and/or mixed need parentheses)
**   and       = unary { "and" unary }
**   unary     = "not" unary | "(" cond ")" | test
**   test      = operand [ op operand | [ "not" ] "in" set
**                       | "uses" vtest [ "unless" "that" "equipment" "has"
**                         "a" "removal" "deadline" [ "before" DATE ] ] ]
**
** Names are not resolved here (check.c does that, with the whole policy
** in view).  A statement with an error is reported once and skipped up to
** the next statement keyword, so one run shows every broken statement.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_int.h"
#include "../util/text.h" /* text_quote() for quoting input in messages */

struct parser {
	struct policy *p;
	const struct policy__token *t;
	size_t i, n;
	struct policy__diag *d;
	int failed;   /* this statement has an error: stop, then resync */
	int depth;
};

static const struct policy__token *peek(const struct parser *P, size_t ahead)
{
	size_t i = P->i + ahead;
	return &P->t[i < P->n ? i : P->n - 1];
}

static const struct policy__token *next(struct parser *P)
{
	const struct policy__token *t = peek(P, 0);
	if (P->i < P->n - 1)
		P->i++;
	return t;
}

static int is_kw(const struct policy__token *t, int kw)
{
	return t->kind == TK_KW && t->sub == kw;
}

static int is_op(const struct policy__token *t, int op)
{
	return t->kind == TK_OP && t->sub == op;
}

static int is_word(const struct policy__token *t, const char *w)
{
	return t->kind == TK_WORD && strlen(w) == t->n && memcmp(t->p, w, t->n) == 0;
}

static int starts_statement(const struct policy__token *t)
{
	return t->kind == TK_EOF ||
	       (t->kind == TK_KW && (t->sub == KW_LEVELS || t->sub == KW_GROUP || t->sub == KW_CLEAR ||
	                             t->sub == KW_DENY || t->sub == KW_CAP || t->sub == KW_REDACT));
}

/* Report at t, once per statement (what follows a first error is noise). */
static void __attribute__((format(printf, 3, 4)))
perr(struct parser *P, const struct policy__token *t, const char *fmt, ...)
{
	if (P->failed)
		return;
	P->failed = 1;
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	policy__error(P->d, t->line, t->col, "%s", msg);
}

/* "expected X, found Y", with a hint for the usual slips. */
static void expected(struct parser *P, const char *what)
{
	const struct policy__token *t = peek(P, 0);
	char found[96];
	policy__tok_describe(t, found, sizeof(found));
	if (is_op(t, OP_ASSIGN))
		perr(P, t, "expected %s, found '=': to compare, write '=='", what);
	else if (is_word(t, "AND") || is_word(t, "OR") || is_word(t, "NOT"))
		perr(P, t, "expected %s, found %s: keywords are lower case", what, found);
	else
		perr(P, t, "expected %s, found %s", what, found);
}

static char *dup_tok(struct parser *P, const struct policy__token *t)
{
	char *s = policy__strndup(&P->p->arena, t->kind == TK_STRING ? t->str : t->p,
	                          t->kind == TK_STRING ? strlen(t->str) : t->n);
	if (!s)
		P->d->nomem = 1;
	return s;
}

int32_t policy__node_new(struct policy *p, int kind, int line, int col, struct policy__diag *d)
{
	if (p->nnodes >= POLICY__MAX_NODES) {
		policy__error(d, line, col, "the policy is too large (more than %d conditions)",
		              POLICY__MAX_NODES);
		return -1;
	}
	if (p->nnodes == p->anodes) {
		size_t want = p->anodes ? p->anodes * 2 : 64;
		struct policy__node *v = realloc(p->nodes, want * sizeof(*v));
		if (!v) {
			d->nomem = 1;
			return -1;
		}
		p->nodes = v;
		p->anodes = want;
	}
	struct policy__node *n = &p->nodes[p->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->a = n->b = n->atom = -1;
	n->line = line;
	n->col = col;
	return (int32_t)p->nnodes++;
}

static int32_t node(struct parser *P, int kind, const struct policy__token *at, int32_t a, int32_t b)
{
	int32_t i = policy__node_new(P->p, kind, at->line, at->col, P->d);
	if (i < 0) {
		P->failed = 1;
		return -1;
	}
	P->p->nodes[i].a = a;
	P->p->nodes[i].b = b;
	return i;
}

/* ---- lists ------------------------------------------------------------- */

/* member { "," member }, members being words or quoted text.  paren: the
** list is inside ( ) and ends at ')'. */
static int parse_members(struct parser *P, int paren, struct policy__member **out, uint32_t *nout)
{
	size_t start = P->i, n = 0;
	for (;;) {
		const struct policy__token *t = peek(P, 0);
		if (t->kind != TK_WORD && t->kind != TK_STRING) {
			expected(P, n ? "a name after ','" : "a name (a country code, a group, a level)");
			return -1;
		}
		next(P);
		n++;
		if (!is_op(peek(P, 0), OP_COMMA))
			break;
		next(P);
	}
	if (paren && !is_op(peek(P, 0), OP_RPAREN)) {
		expected(P, "',' or ')' in the list");
		return -1;
	}
	struct policy__member *m = policy__alloc(&P->p->arena, n * sizeof(*m));
	if (!m) {
		P->d->nomem = 1;
		return -1;
	}
	for (size_t i = 0, k = start; i < n; i++, k += 2) {
		const struct policy__token *t = &P->t[k];
		m[i].s = dup_tok(P, t);
		if (!m[i].s)
			return -1;
		m[i].quoted = t->kind == TK_STRING;
		m[i].line = t->line;
		m[i].col = t->col;
	}
	*out = m;
	*nout = (uint32_t)n;
	return 0;
}

/* ---- conditions -------------------------------------------------------- */

static int32_t parse_cond(struct parser *P);

/* An attribute path, a bare word or quoted text. */
static int32_t parse_operand(struct parser *P, const char *what)
{
	const struct policy__token *t = peek(P, 0);
	int kind;
	if (t->kind == TK_PATH)
		kind = NK_ATTR;
	else if (t->kind == TK_WORD)
		kind = NK_WORD;
	else if (t->kind == TK_STRING)
		kind = NK_STRING;
	else if (t->kind == TK_DATE) {
		perr(P, t, "a date can only follow 'before' in a removal-deadline exception");
		return -1;
	} else {
		expected(P, what);
		return -1;
	}
	next(P);
	int32_t i = node(P, kind, t, -1, -1);
	if (i >= 0 && !(P->p->nodes[i].str = dup_tok(P, t)))
		return -1;
	return i;
}

/* What follows `in`: an attribute, a group name or a ( list ). */
static int32_t parse_set(struct parser *P)
{
	const struct policy__token *t = peek(P, 0);
	if (!is_op(t, OP_LPAREN))
		return parse_operand(P, "a list after 'in': an attribute like object.rel_to, a group, or (USA, GBR)");
	next(P);
	int32_t i = node(P, NK_SET, t, -1, -1);
	if (i < 0)
		return -1;
	if (is_op(peek(P, 0), OP_RPAREN)) {
		perr(P, t, "an empty list: name at least one member");
		return -1;
	}
	struct policy__member *m;
	uint32_t n;
	if (parse_members(P, 1, &m, &n))
		return -1;
	next(P); /* ) */
	P->p->nodes[i].mem = m;
	P->p->nodes[i].nmem = n;
	return i;
}

/* unless that equipment has a removal deadline [before DATE] */
static int parse_exception(struct parser *P, int32_t uses)
{
	static const char *const words[] = { "that", "equipment", "has", "a", "removal", "deadline" };
	next(P); /* unless */
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		if (!is_word(peek(P, 0), words[k])) {
			expected(P, "'that equipment has a removal deadline' (then optionally 'before YYYY-MM-DD')");
			return -1;
		}
		next(P);
	}
	P->p->nodes[uses].exc = 1;
	if (!is_word(peek(P, 0), "before"))
		return 0;
	next(P);
	const struct policy__token *t = peek(P, 0);
	if (t->kind != TK_DATE) {
		expected(P, "a date (YYYY-MM-DD) after 'before'");
		return -1;
	}
	next(P);
	if (!(P->p->nodes[uses].str = dup_tok(P, t)))
		return -1;
	return 0;
}

/* network uses vtest [exception] */
static int32_t parse_uses(struct parser *P, int32_t net)
{
	const struct policy__token *at = next(P); /* uses */
	int32_t pred;
	const struct policy__token *t = peek(P, 0);
	if (is_op(t, OP_LPAREN)) {
		next(P);
		pred = parse_cond(P);
		if (pred < 0)
			return -1;
		if (!is_op(peek(P, 0), OP_RPAREN)) {
			if (!P->failed)
				perr(P, t, "this '(' is not closed");
			return -1;
		}
		next(P);
	} else {
		int32_t left = parse_operand(P, "a vendor test after 'uses', like vendor.risk == \"high\"");
		if (left < 0)
			return -1;
		const struct policy__token *op = peek(P, 0);
		if (op->kind != TK_OP || op->sub > OP_GE) {
			if (is_kw(op, KW_IN) || is_kw(op, KW_NOT)) {
				perr(P, op, "after 'uses', put an 'in' test in parentheses: uses (vendor.id in (huawei, zte))");
			} else {
				expected(P, "a comparison such as == after the vendor attribute");
			}
			return -1;
		}
		next(P);
		int32_t right = parse_operand(P, "a value to compare with");
		if (right < 0)
			return -1;
		pred = node(P, NK_CMP, op, left, right);
		if (pred < 0)
			return -1;
		P->p->nodes[pred].op = op->sub;
	}
	int32_t u = node(P, NK_USES, at, net, pred);
	if (u < 0)
		return -1;
	if (is_kw(peek(P, 0), KW_UNLESS) && is_word(peek(P, 1), "that") && parse_exception(P, u))
		return -1;
	return u;
}

/* operand [ op operand | [not] in set | uses ... ] */
static int32_t parse_test(struct parser *P)
{
	int32_t left = parse_operand(P, "a condition (an attribute such as partner.country, or 'not', or '(')");
	if (left < 0)
		return -1;
	const struct policy__token *t = peek(P, 0);
	if (is_kw(t, KW_USES))
		return parse_uses(P, left);
	int neg = 0;
	if (is_kw(t, KW_NOT) && is_kw(peek(P, 1), KW_IN)) {
		neg = 1;
		next(P);
		t = peek(P, 0);
	} else if (is_kw(t, KW_NOT)) {
		perr(P, t, "'not' goes before a condition, or before 'in' ('not in')");
		return -1;
	}
	if (is_kw(t, KW_IN)) {
		next(P);
		int32_t set = parse_set(P);
		if (set < 0)
			return -1;
		int32_t in = node(P, NK_IN, t, left, set);
		return neg && in >= 0 ? node(P, NK_NOT, t, in, -1) : in;
	}
	if (is_op(t, OP_ASSIGN)) {
		perr(P, t, "to compare, write '==' ('=' only appears in group declarations)");
		return -1;
	}
	if (t->kind != TK_OP || t->sub > OP_GE)
		return left; /* a yes/no attribute on its own: check.c says if it is one */
	next(P);
	int32_t right = parse_operand(P, "a value to compare with");
	if (right < 0)
		return -1;
	int32_t c = node(P, NK_CMP, t, left, right);
	if (c >= 0)
		P->p->nodes[c].op = t->sub;
	return c;
}

static int32_t parse_unary(struct parser *P)
{
	const struct policy__token *t = peek(P, 0);
	if (++P->depth > POLICY__MAX_DEPTH) {
		perr(P, t, "the condition is nested too deeply (more than %d levels)", POLICY__MAX_DEPTH);
		return -1;
	}
	int32_t r;
	if (is_kw(t, KW_NOT)) {
		next(P);
		r = parse_unary(P);
		if (r >= 0)
			r = node(P, NK_NOT, t, r, -1);
	} else if (is_op(t, OP_LPAREN)) {
		next(P);
		r = parse_cond(P);
		if (r >= 0 && !is_op(peek(P, 0), OP_RPAREN)) {
			const struct policy__token *u = peek(P, 0);
			char found[96];
			perr(P, t, "this '(' is not closed (found %s at line %d, column %d)",
			     policy__tok_describe(u, found, sizeof(found)), u->line, u->col);
			r = -1;
		} else if (r >= 0) {
			next(P);
		}
	} else {
		r = parse_test(P);
	}
	P->depth--;
	return r;
}

/* and/or chains.  Mixing them without parentheses is refused: a reader
** of `a and b or c` should not need to know which binds tighter. */
static int32_t parse_cond(struct parser *P)
{
	int32_t left = parse_unary(P);
	if (left < 0)
		return -1;
	int joiner = -1;
	while (is_kw(peek(P, 0), KW_AND) || is_kw(peek(P, 0), KW_OR)) {
		const struct policy__token *t = next(P);
		if (joiner >= 0 && joiner != t->sub) {
			perr(P, t, "'and' and 'or' are mixed: add parentheses to say which goes first, "
			     "e.g. a and (b or c)");
			return -1;
		}
		joiner = t->sub;
		int32_t right = parse_unary(P);
		if (right < 0)
			return -1;
		left = node(P, t->sub == KW_AND ? NK_AND : NK_OR, t, left, right);
		if (left < 0)
			return -1;
	}
	return left;
}

/* ---- statements -------------------------------------------------------- */

static void parse_levels(struct parser *P)
{
	const struct policy__token *kw = next(P);
	struct policy *p = P->p;
	if (p->levels) {
		perr(P, kw, "levels are declared twice (first on line %d)", p->levels_line);
		return;
	}
	p->levels = policy__alloc(&p->arena, POLICY_MAX_LEVELS * sizeof(*p->levels));
	if (!p->levels) {
		P->d->nomem = 1;
		return;
	}
	p->levels_line = kw->line;
	p->levels_col = kw->col;
	for (;;) {
		const struct policy__token *t = peek(P, 0);
		if (t->kind != TK_WORD) {
			expected(P, p->nlevels ? "a level name after '<'" : "the lowest level's name");
			return;
		}
		for (int i = 0; i < p->nlevels; i++) {
			if (strlen(p->levels[i]) == t->n && memcmp(p->levels[i], t->p, t->n) == 0) {
				perr(P, t, "level %s is declared twice", p->levels[i]);
				return;
			}
		}
		if (p->nlevels == POLICY_MAX_LEVELS) {
			perr(P, t, "more than %d levels", POLICY_MAX_LEVELS);
			return;
		}
		if (!(p->levels[p->nlevels++] = dup_tok(P, t)))
			return;
		next(P);
		t = peek(P, 0);
		if (is_op(t, OP_LT)) {
			next(P);
			continue;
		}
		if (is_op(t, OP_GT) || is_op(t, OP_COMMA) || is_op(t, OP_LE))
			perr(P, t, "levels are listed lowest first, separated by '<': "
			     "levels UNCLASSIFIED < CONFIDENTIAL < SECRET");
		return;
	}
}

static void parse_group(struct parser *P)
{
	const struct policy__token *kw = next(P);
	struct policy *p = P->p;
	const struct policy__token *name = peek(P, 0);
	if (name->kind != TK_WORD) {
		expected(P, "the group's name after 'group' (group FVEY = USA, GBR, CAN, AUS, NZL)");
		return;
	}
	next(P);
	if (!is_op(peek(P, 0), OP_ASSIGN)) {
		expected(P, "'=' after the group's name");
		return;
	}
	next(P);
	if (!p->groups && !(p->groups = policy__alloc(&p->arena, POLICY__MAX_GROUPS * sizeof(*p->groups)))) {
		P->d->nomem = 1;
		return;
	}
	if (p->ngroups == POLICY__MAX_GROUPS) {
		perr(P, kw, "more than %d groups", POLICY__MAX_GROUPS);
		return;
	}
	struct policy__group *g = &p->groups[p->ngroups];
	if (parse_members(P, 0, &g->mem, &g->nmem))
		return;
	if (!(g->name = dup_tok(P, name)))
		return;
	g->line = name->line;
	g->col = name->col;
	p->ngroups++;
}

static void parse_clear(struct parser *P)
{
	const struct policy__token *kw = next(P);
	struct policy *p = P->p;
	if (p->clear_node >= 0) {
		perr(P, kw, "'clear' appears twice (first on line %d): a policy has one starting clearance",
		     p->clear_line);
		return;
	}
	int32_t n = parse_operand(P, "the starting clearance after 'clear': partner.agreement or a level");
	if (n < 0)
		return;
	p->clear_node = n;
	p->clear_line = kw->line;
}

/* The rule as one line, tokens joined by single spaces: what a reason
** says when the rule has no `because`, and how duplicates are found. */
static const char *canon(struct parser *P, size_t from, size_t to)
{
	struct buf b;
	buf_init(&b, POLICY__MAX_TEXT);
	for (size_t k = from; k < to; k++) {
		const struct policy__token *t = &P->t[k];
		int glue = k == from || is_op(t, OP_RPAREN) || is_op(t, OP_COMMA) ||
		           is_op(&P->t[k - 1], OP_LPAREN);
		if ((!glue && buf_putc(&b, ' ')) || buf_append(&b, t->p, t->n)) {
			buf_free(&b);
			P->d->nomem = 1;
			return NULL;
		}
	}
	char *s = policy__strndup(&P->p->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	if (!s)
		P->d->nomem = 1;
	return s;
}

static struct policy__rule *rule_new(struct parser *P, const struct policy__token *kw)
{
	struct policy *p = P->p;
	if (p->nrules >= POLICY__MAX_RULES) {
		perr(P, kw, "more than %d rules", POLICY__MAX_RULES);
		return NULL;
	}
	if (p->nrules == p->arules) {
		size_t want = p->arules ? p->arules * 2 : 32;
		struct policy__rule *v = realloc(p->rules, want * sizeof(*v));
		if (!v) {
			P->d->nomem = 1;
			return NULL;
		}
		p->rules = v;
		p->arules = want;
	}
	struct policy__rule *r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->when = r->unless = r->cond = -1;
	r->level = -1;
	r->line = kw->line;
	r->col = kw->col;
	return r;
}

/* A word where a statement should start. */
static void not_a_statement(struct parser *P, const struct policy__token *t)
{
	if (t->kind == TK_WORD && (is_word(t, "allow") || is_word(t, "permit") || is_word(t, "release")))
		perr(P, t, "there is no '%.*s' rule: everything the rules do not deny is released "
		     "(statements: levels, group, clear, deny, cap, redact)", (int)t->n, t->p);
	else
		expected(P, "a statement (levels, group, clear, deny, cap or redact)");
}

/* The clauses of a rule: [when cond] [unless cond] [because "text"]. */
static int parse_clauses(struct parser *P, struct policy__rule *r)
{
	if (is_kw(peek(P, 0), KW_WHEN)) {
		next(P);
		if ((r->when = parse_cond(P)) < 0)
			return -1;
	}
	if (is_kw(peek(P, 0), KW_UNLESS)) {
		const struct policy__token *t = next(P);
		if (is_word(peek(P, 0), "that")) {
			perr(P, t, "'unless that equipment ...' must follow a 'uses' test");
			return -1;
		}
		if ((r->unless = parse_cond(P)) < 0)
			return -1;
	}
	size_t end = P->i;
	if (is_kw(peek(P, 0), KW_BECAUSE)) {
		next(P);
		const struct policy__token *t = peek(P, 0);
		if (t->kind != TK_STRING) {
			expected(P, "the reason in double quotes after 'because'");
			return -1;
		}
		next(P);
		if (!(r->because = dup_tok(P, t)))
			return -1;
	}
	const struct policy__token *t = peek(P, 0);
	if (!starts_statement(t)) {
		if (is_kw(t, KW_WHEN) || is_kw(t, KW_UNLESS) || is_kw(t, KW_BECAUSE))
			perr(P, t, "'%s' is out of place: a rule reads [when ...] [unless ...] [because \"...\"], in that order",
			     policy__kw_names[t->sub]);
		else if (t->line > P->t[P->i - 1].line && t->kind == TK_WORD)
			not_a_statement(P, t);
		else if (r->when < 0 && r->unless < 0 && (t->kind == TK_PATH || is_kw(t, KW_NOT) || is_op(t, OP_LPAREN)))
			perr(P, t, "a condition starts with 'when': %s when ...", r->kind == RK_DENY ? "deny" :
			     r->kind == RK_CAP ? "cap LEVEL" : "redact");
		else
			expected(P, "the end of the rule (the next statement starts with levels, group, clear, deny, cap or redact)");
		return -1;
	}
	return (int)end; /* where the rule's text ends, for canon() */
}

static void parse_rule(struct parser *P)
{
	size_t from = P->i;
	const struct policy__token *kw = next(P);
	struct policy__rule *r = rule_new(P, kw);
	if (!r)
		return;
	r->kind = kw->sub == KW_DENY ? RK_DENY : kw->sub == KW_CAP ? RK_CAP : RK_REDACT;
	if (r->kind == RK_CAP) {
		const struct policy__token *t = peek(P, 0);
		if (t->kind != TK_WORD) {
			expected(P, "the level to cap at after 'cap' (cap CONFIDENTIAL when ...)");
			return;
		}
		next(P);
		if (!(r->level_name = dup_tok(P, t)))
			return;
		r->lline = t->line;
		r->lcol = t->col;
	}
	int end = parse_clauses(P, r);
	if (end < 0)
		return;
	if (!(r->canon = canon(P, from, (size_t)end)))
		return;
	r->text = r->because ? r->because : r->canon;
	/* cond = when and not unless: one tree for the evaluator. */
	int32_t cond = r->when;
	if (r->unless >= 0) {
		const struct policy__node *u = &P->p->nodes[r->unless];
		struct policy__token at = { .line = u->line, .col = u->col };
		int32_t neg = node(P, NK_NOT, &at, r->unless, -1);
		if (neg < 0)
			return;
		cond = cond < 0 ? neg : node(P, NK_AND, &at, cond, neg);
		if (cond < 0)
			return;
	}
	r->cond = cond;
	P->p->nrules++;
}

static void parse_statement(struct parser *P)
{
	const struct policy__token *t = peek(P, 0);
	P->failed = 0;
	P->depth = 0;
	if (is_kw(t, KW_LEVELS))
		parse_levels(P);
	else if (is_kw(t, KW_GROUP))
		parse_group(P);
	else if (is_kw(t, KW_CLEAR))
		parse_clear(P);
	else if (is_kw(t, KW_DENY) || is_kw(t, KW_CAP) || is_kw(t, KW_REDACT))
		parse_rule(P);
	else
		not_a_statement(P, t);
	/* Declarations end where the next statement starts, too.  What
	** follows on a new line was probably meant as a statement. */
	const struct policy__token *u = peek(P, 0);
	if (!P->failed && !starts_statement(u)) {
		if (P->i > 0 && u->line > P->t[P->i - 1].line)
			not_a_statement(P, u);
		else
			expected(P, "the end of the statement (the next one starts with levels, group, clear, deny, cap or redact)");
	}
	if (P->failed) {
		if (P->i == (size_t)(t - P->t))
			next(P);
		while (!starts_statement(peek(P, 0)))
			next(P);
	}
}

int policy__parse(struct policy *p, const struct policy__tokens *t, struct policy__diag *d)
{
	struct parser P = { p, t->v, 0, t->n, d, 0, 0 };
	p->clear_node = -1;
	while (peek(&P, 0)->kind != TK_EOF) {
		parse_statement(&P);
		if (d->nomem)
			return -1;
		if (d->nerrors > POLICY__MAX_ERRORS)
			break;
	}
	return 0;
}
