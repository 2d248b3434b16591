/*
** policy.c: the policy's life cycle: the arena a compiled policy lives in,
** how diagnostics are collected and worded, the pipeline from text to a
** compiled policy (lexer, parser, checker), and the small accessors of
** policy.h.  The stages themselves are in lexer.c, parser.c and check.c.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_int.h"

/* ---- arena ------------------------------------------------------------ */

/* A compiled policy is many small pieces (strings, lists, rules) that all
** die together, so they come from chunks freed as a whole: no per-piece
** bookkeeping, no partial-free paths to get wrong. */
struct policy__chunk {
	struct policy__chunk *next;
	size_t used, size;
	max_align_t data[]; /* aligned for anything */
};

#define CHUNK_SIZE 16384

void *policy__alloc(struct policy__arena *a, size_t n)
{
	size_t align = sizeof(max_align_t);
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) / align * align;
	struct policy__chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		/* A big request gets a chunk of its own behind the current one,
		** so the current one's free space is not wasted. */
		if (n > CHUNK_SIZE && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *policy__strndup(struct policy__arena *a, const char *s, size_t n)
{
	char *p = policy__alloc(a, n + 1);
	if (p) {
		if (n)
			memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void policy__arena_free(struct policy__arena *a)
{
	struct policy__chunk *c = a->head;
	while (c) {
		struct policy__chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* ---- diagnostics ------------------------------------------------------ */

void policy__error(struct policy__diag *d, int line, int col, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->nerrors++;
	if (d->nerrors == 1) {
		/* Place first, then as much of the message as fits: the place is
		** what a reader needs most. */
		int k = snprintf(d->first, sizeof(d->first), "%s:%d:%d: ", d->name, line, col);
		size_t at = k < 0 ? 0 : (size_t)k < sizeof(d->first) ? (size_t)k : sizeof(d->first) - 1;
		size_t room = sizeof(d->first) - 1 - at, n = strlen(msg);
		memcpy(d->first + at, msg, n < room ? n : room);
		d->first[at + (n < room ? n : room)] = '\0';
	}
	if (d->out && d->nerrors <= POLICY__MAX_ERRORS) {
		if (buf_printf(d->out, "%s:%d:%d: %s\n", d->name, line, col, msg))
			d->nomem = 1;
	}
}

/* ---- pipeline ---------------------------------------------------------- */

/* Every stage runs only if the one before found no error: a checker
** looking at a half-parsed rule would only add noise to the real error. */
struct policy *policy__build(const char *name, const char *text, size_t len, struct policy__diag *d)
{
	struct policy__tokens t = { 0 };
	struct policy *p = calloc(1, sizeof(*p));
	if (!p) {
		d->nomem = 1;
		return NULL;
	}
	p->name = policy__strndup(&p->arena, name, strlen(name));
	if (!p->name)
		goto nomem;
	if (policy__lex(text, len, &t, &p->arena, d))
		goto fail;
	if (d->nerrors)
		goto fail;
	if (policy__parse(p, &t, d))
		goto fail;
	if (d->nerrors)
		goto fail;
	if (policy__check(p, d))
		goto fail;
	if (d->nerrors)
		goto fail;
	policy__tokens_free(&t);
	return p;
nomem:
	d->nomem = 1;
fail:
	policy__tokens_free(&t);
	policy_free(p);
	return NULL;
}

/* Why a policy text is refused before it is read at all. */
static enum relto_err precheck(const char *name, size_t len, char *err)
{
	if (len > POLICY__MAX_TEXT)
		return relto_seterr(err, RELTO_ETOOBIG, "%s: the policy is larger than %u bytes", name,
		                    POLICY__MAX_TEXT);
	return RELTO_OK;
}

enum relto_err policy_compile(const char *name, const char *text, size_t len, struct policy **out,
                              char *err)
{
	struct policy__diag d = { .name = name ? name : "policy" };
	enum relto_err rc = precheck(d.name, len, err);
	if (rc)
		return rc;
	struct policy *p = policy__build(d.name, text, len, &d);
	if (d.nomem)
		return relto_seterr(err, RELTO_ENOMEM, "%s: out of memory", d.name);
	if (!p)
		return relto_seterr(err, RELTO_EINVAL, "%s", d.first);
	*out = p;
	return RELTO_OK;
}

enum relto_err policy_check(const char *name, const char *text, size_t len, struct buf *diag,
                            int *nerrors)
{
	struct policy__diag d = { .name = name ? name : "policy", .out = diag };
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = precheck(d.name, len, err);
	if (rc) {
		if (buf_printf(diag, "%s\n", err))
			return RELTO_ENOMEM;
		if (nerrors)
			*nerrors = 1;
		return rc;
	}
	struct policy *p = policy__build(d.name, text, len, &d);
	policy_free(p);
	if (nerrors)
		*nerrors = d.nerrors;
	if (d.nomem)
		return RELTO_ENOMEM;
	if (d.nerrors > POLICY__MAX_ERRORS) {
		if (nerrors)
			*nerrors = POLICY__MAX_ERRORS;
		if (buf_printf(diag, "%s: too many errors, stopped after %d\n", d.name, POLICY__MAX_ERRORS))
			return RELTO_ENOMEM;
	}
	return d.nerrors ? RELTO_EINVAL : RELTO_OK;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->nodes);
	free(p->rules);
	policy__arena_free(&p->arena);
	free(p);
}

/* ---- accessors --------------------------------------------------------- */

int policy_nlevels(const struct policy *p)
{
	return p->nlevels;
}

const char *policy_level_name(const struct policy *p, int level)
{
	if (level < 0 || level >= p->nlevels)
		return "";
	return p->levels[level];
}

int policy_level_find(const struct policy *p, const char *name)
{
	for (int i = 0; i < p->nlevels; i++)
		if (strcmp(p->levels[i], name) == 0)
			return i;
	return -1;
}

const char *policy_decision_name(enum policy_decision d)
{
	switch (d) {
	case POLICY_RELEASE: return "release";
	case POLICY_REDACT: return "redact";
	case POLICY_WITHHOLD: return "withhold";
	}
	return "withhold";
}

const struct policy_reason *policy_main_reason(const struct policy_outcome *o, const struct policy_reason *none)
{
	for (size_t i = 0; i < o->nreasons; i++)
		if (o->reasons[i].why == POLICY_WHY_DENY || o->reasons[i].why == POLICY_WHY_UNKNOWN)
			return &o->reasons[i];
	for (size_t i = 0; i < o->nreasons; i++)
		if (o->reasons[i].why == POLICY_WHY_ABOVE && o->capped_by)
			for (size_t j = 0; j < o->nreasons; j++)
				if (o->reasons[j].why == POLICY_WHY_CAP && o->reasons[j].line == o->capped_by)
					return &o->reasons[j];
	for (size_t i = 0; i < o->nreasons; i++)
		if (o->reasons[i].why != POLICY_WHY_CAP)
			return &o->reasons[i];
	return o->nreasons ? &o->reasons[0] : none;
}
