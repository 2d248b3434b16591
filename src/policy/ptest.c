/*
** ptest.c: the policy test runner (`relto policy test`).  A policy author
** writes the decisions a policy must make, one a line, next to the policy:
**
**   default UNCLASSIFIED
**   expect kor withhold  level=SECRET rel_to=USA,GBR,KOR   because line 31
**   expect gbr release   level=SECRET rel_to=USA,FVEY
**   expect kor redact    level=UNCLASSIFIED field description level=SECRET
**   expect deu clearance UNCLASSIFIED                      because "core network"
**
** and the runner evaluates each against the policy and a posture, the way
** the server would, and reports the ones that do not hold with the full
** explanation.  The format is documented in docs/policy.md.  A mistake in
** the test file itself (an unknown partner, a misspelt fact) is an error
** with its place, not a failed expectation: a test that cannot say what
** it means must not pass or fail quietly.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_int.h"
#include "../util/text.h" /* text_quote() for quoting input in messages */

#define MAX_TOKS 128
#define MAX_FIELDS 8      /* granular markings one expectation describes */
#define MAX_SELECTORS 16
#define MAX_BECAUSE 8

static const char *const marking_names[4] = { "UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET" };

struct tok {
	char *s;       /* NUL-terminated (in the line's copy), unescaped if quoted */
	int col, quoted;
};

/* One expectation, as read. */
struct expect {
	int decision;                       /* enum policy_decision, or -1: a clearance check */
	int clearance;
	int lines[MAX_BECAUSE], nlines;
	const char *texts[MAX_BECAUSE];
	int ntexts;
	const struct posture_partner *partner;
	struct marking_result m;
	struct marking_granular g[MAX_FIELDS];
	char *sel[MAX_FIELDS][MAX_SELECTORS];
};

struct runner {
	const struct policy *p;
	const struct posture *posture;
	const char *name;
	int line;
	int dflt;                /* the default level, an index */
	char *err;
	struct buf *out;         /* the report being built */
	int total, failed;
};

static enum relto_err terr(struct runner *R, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum relto_err terr(struct runner *R, int col, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char q[80];
	return relto_seterr(R->err, RELTO_EINVAL, "%s:%d:%d: %s", text_quote(R->name, strlen(R->name), 60, q),
	                    R->line, col, msg);
}

/* Split one line (mutable copy) into words and "quoted text". */
static enum relto_err split(struct runner *R, char *s, struct tok *t, int *nt)
{
	int n = 0;
	char *p = s;
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#')
			break;
		if (n == MAX_TOKS)
			return terr(R, (int)(p - s) + 1, "too many words on one line");
		t[n].col = (int)(p - s) + 1;
		t[n].quoted = *p == '"';
		if (*p == '"') {
			char *w = ++p;
			t[n].s = w;
			while (*p && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				*w++ = *p++;
			}
			if (*p != '"')
				return terr(R, t[n].col, "the text starting here is not closed with '\"'");
			*p++ = '\0';
			*w = '\0';
		} else {
			t[n].s = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r')
				p++;
			if (*p)
				*p++ = '\0';
		}
		n++;
	}
	*nt = n;
	return RELTO_OK;
}

static int marking_level(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, marking_names[i]) == 0)
			return i;
	return -1;
}

static int tlp_value(const char *s)
{
	if (strcmp(s, "AMBER+STRICT") == 0)
		return TLP_AMBER_STRICT;
	if (strcmp(s, "WHITE") == 0)
		return TLP_CLEAR;
	for (int i = 0; i < 6; i++)
		if (strcmp(s, policy__tlp_names[i]) == 0)
			return i;
	return -1;
}

/* rel_to=USA,GBR or orgs=a,b: comma-separated, into fixed-width slots. */
static enum relto_err codes(struct runner *R, const struct tok *t, char *v, size_t width, size_t max,
                            size_t *n)
{
	*n = 0;
	char *s = strchr(t->s, '=') + 1;
	while (*s) {
		char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		if (len == 0 || len >= width)
			return terr(R, t->col, "'%.*s' is not a code relto keeps (1 to %zu characters)", (int)len, s,
			            width - 1);
		if (*n == max)
			return terr(R, t->col, "more than %zu entries", max);
		memcpy(v + *n * width, s, len);
		v[*n * width + len] = '\0';
		(*n)++;
		s += len + (c ? 1 : 0);
	}
	return RELTO_OK;
}

/* One fact of an object or a granular marking: level=, rel_to=, noforn,
** tlp=, orgs=, unknown. */
static enum relto_err fact(struct runner *R, const struct tok *t, struct marking_facts *f)
{
	const char *s = t->s, *eq = strchr(s, '=');
	const char *v = eq ? eq + 1 : "";
	size_t klen = eq ? (size_t)(eq - s) : strlen(s);
	if (!t->quoted && strcmp(s, "noforn") == 0) {
		f->noforn = 1;
	} else if (!t->quoted && strcmp(s, "unknown") == 0) {
		f->unknown = 1;
		snprintf(f->why_unknown, sizeof(f->why_unknown), "marked unreadable by the test");
	} else if (eq && klen == 5 && strncmp(s, "level", 5) == 0) {
		int l = marking_level(v);
		if (l < 0)
			return terr(R, t->col, "level=%s: markings carry UNCLASSIFIED, CONFIDENTIAL, SECRET or TOP_SECRET", v);
		f->level = (enum marking_level)l;
	} else if (eq && klen == 3 && strncmp(s, "tlp", 3) == 0) {
		int l = tlp_value(v);
		if (l < 0)
			return terr(R, t->col, "tlp=%s: TLP labels are CLEAR, GREEN, AMBER, AMBER_STRICT, RED, NONE", v);
		f->tlp = (enum marking_tlp)l;
	} else if (eq && klen == 6 && strncmp(s, "rel_to", 6) == 0) {
		f->has_rel_to = 1;
		return codes(R, t, &f->rel_to[0][0], MARKING_CODE_LEN, MARKING_MAX_CODES, &f->nrel_to);
	} else if (eq && klen == 4 && strncmp(s, "orgs", 4) == 0) {
		f->has_orgs = 1;
		return codes(R, t, &f->orgs[0][0], MARKING_ORG_LEN, MARKING_MAX_ORGS, &f->norgs);
	} else {
		char q[64];
		return terr(R, t->col, "unknown fact '%s' (facts: level=, rel_to=, noforn, tlp=, orgs=, unknown)",
		            text_quote(s, strlen(s), 40, q));
	}
	return RELTO_OK;
}

static const struct posture_partner *find_partner(const struct posture *ps, const char *id)
{
	for (size_t i = 0; i < ps->npartners; i++)
		if (policy__eqi(ps->partners[i].id, id))
			return &ps->partners[i];
	return NULL;
}

static enum relto_err outcome(struct runner *R, const struct tok *t, int nt, int *i, struct expect *e)
{
	static const char *const words[] = { "release", "redact", "withhold" };
	for (int d = 0; d < 3; d++) {
		if (!t[*i].quoted && strcmp(t[*i].s, words[d]) == 0) {
			e->decision = d;
			(*i)++;
			return RELTO_OK;
		}
	}
	if (t[*i].quoted || strcmp(t[*i].s, "clearance") != 0)
		return terr(R, t[*i].col, "expected release, redact, withhold or clearance LEVEL after the partner");
	if (*i + 1 >= nt || (e->clearance = policy_level_find(R->p, t[*i + 1].s)) < 0)
		return terr(R, *i + 1 < nt ? t[*i + 1].col : t[*i].col, "expected one of the policy's levels after 'clearance'");
	e->decision = -1;
	*i += 2;
	return RELTO_OK;
}

/* because line N | because "text" */
static enum relto_err because(struct runner *R, const struct tok *t, int nt, int *i, struct expect *e)
{
	int k = *i + 1;
	if (k < nt && t[k].quoted) {
		if (e->ntexts == MAX_BECAUSE)
			return terr(R, t[k].col, "more than %d 'because'", MAX_BECAUSE);
		e->texts[e->ntexts++] = t[k].s;
		*i = k + 1;
		return RELTO_OK;
	}
	char *end = NULL;
	long n = k + 1 < nt && strcmp(t[k].s, "line") == 0 ? strtol(t[k + 1].s, &end, 10) : 0;
	if (!end || *end || n <= 0 || n > 1000000)
		return terr(R, k < nt ? t[k].col : t[*i].col, "expected 'line N' or quoted text after 'because'");
	if (e->nlines == MAX_BECAUSE)
		return terr(R, t[k].col, "more than %d 'because'", MAX_BECAUSE);
	e->lines[e->nlines++] = (int)n;
	*i = k + 2;
	return RELTO_OK;
}

/* field SELECTOR[,SELECTOR...] facts... */
static enum relto_err field(struct runner *R, const struct tok *t, int nt, int *i, struct expect *e)
{
	struct marking_result *m = &e->m;
	if (m->ngranular == MAX_FIELDS)
		return terr(R, t[*i].col, "more than %d fields", MAX_FIELDS);
	if (*i + 1 >= nt || strchr(t[*i + 1].s, '='))
		return terr(R, t[*i].col, "expected the selected properties after 'field' (field description level=SECRET)");
	struct marking_granular *g = &e->g[m->ngranular];
	g->selectors = e->sel[m->ngranular];
	g->facts.level = LEVEL_NONE;
	m->ngranular++;
	char *s = t[*i + 1].s;
	for (;;) {
		if (g->nselectors == MAX_SELECTORS)
			return terr(R, t[*i + 1].col, "more than %d selectors", MAX_SELECTORS);
		g->selectors[g->nselectors++] = s;
		char *c = strchr(s, ',');
		if (!c)
			break;
		*c = '\0';
		s = c + 1;
	}
	*i += 2;
	return RELTO_OK;
}

static enum relto_err parse_expect(struct runner *R, const struct tok *t, int nt, struct expect *e)
{
	if (nt < 3)
		return terr(R, t[0].col, "expected 'expect PARTNER DECISION [facts]'");
	e->partner = find_partner(R->posture, t[1].s);
	if (!e->partner) {
		char ids[160] = "";
		size_t at = 0;
		for (size_t k = 0; k < R->posture->npartners && at + 24 < sizeof(ids); k++) {
			int w = snprintf(ids + at, sizeof(ids) - at, "%s%.20s", k ? ", " : "", R->posture->partners[k].id);
			at += w > 0 ? (size_t)w : 0;
		}
		return terr(R, t[1].col, "no partner '%.40s' in the posture (partners: %s%s)", t[1].s, ids,
		            at + 24 >= sizeof(ids) ? ", ..." : "");
	}
	e->m.object.level = LEVEL_NONE;
	e->m.granular = e->g;
	int i = 2;
	enum relto_err rc = outcome(R, t, nt, &i, e);
	struct marking_facts *f = &e->m.object;
	while (!rc && i < nt) {
		if (!t[i].quoted && strcmp(t[i].s, "object") == 0) {
			f = &e->m.object;
			i++;
		} else if (!t[i].quoted && strcmp(t[i].s, "field") == 0) {
			rc = field(R, t, nt, &i, e);
			if (!rc)
				f = &e->g[e->m.ngranular - 1].facts;
		} else if (!t[i].quoted && strcmp(t[i].s, "because") == 0) {
			rc = because(R, t, nt, &i, e);
		} else {
			rc = fact(R, &t[i], f);
			i++;
		}
	}
	return rc;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Case-insensitive substring: reasons are prose. */
static int contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *h = hay; *h; h++) {
		size_t k = 0;
		while (k < n && h[k] && lower(h[k]) == lower(needle[k]))
			k++;
		if (k == n)
			return 1;
	}
	return n == 0;
}

/* Judge one expectation; on failure, say what happened and why. */
static enum relto_err judge(struct runner *R, const char *raw, size_t rawlen, const struct expect *e)
{
	struct policy_outcome o;
	struct buf ex;
	buf_init(&ex, 1 << 20);
	policy_eval(R->p, R->posture, e->partner, &e->m, R->dflt, &o);
	enum relto_err rc = policy_explain(R->p, R->posture, e->partner, &e->m, R->dflt, &ex);
	struct buf why;
	buf_init(&why, 1 << 16);
	if (!rc && e->decision >= 0 && (int)o.decision != e->decision)
		rc = buf_printf(&why, "    expected %s, got %s\n", policy_decision_name((enum policy_decision)e->decision),
		                policy_decision_name(o.decision));
	if (!rc && e->decision < 0 && o.clearance != e->clearance)
		rc = buf_printf(&why, "    expected clearance %s, got %s\n", policy_level_name(R->p, e->clearance),
		                o.clearance >= 0 ? policy_level_name(R->p, o.clearance) : "none");
	for (int k = 0; k < e->nlines && !rc; k++) {
		int found = 0;
		for (size_t j = 0; j < o.nreasons; j++)
			found |= o.reasons[j].line == e->lines[k];
		if (!found)
			rc = buf_printf(&why, "    expected a reason from line %d\n", e->lines[k]);
	}
	for (int k = 0; k < e->ntexts && !rc; k++)
		if (!contains(ex.data ? ex.data : "", e->texts[k]))
			rc = buf_printf(&why, "    expected a reason mentioning \"%s\"\n", e->texts[k]);
	R->total++;
	if (!rc && why.len) {
		R->failed++;
		rc = buf_printf(R->out, "%s:%d: FAILED %.*s\n%s", R->name, R->line, (int)rawlen, raw, why.data);
		for (const char *s = ex.data; !rc && s && *s;) {
			const char *nl = strchr(s, '\n');
			size_t n = nl ? (size_t)(nl - s) : strlen(s);
			rc = buf_printf(R->out, "    | %.*s\n", (int)n, s);
			s += n + (nl ? 1 : 0);
		}
	}
	buf_free(&why);
	buf_free(&ex);
	return rc;
}

static enum relto_err run_line(struct runner *R, char *s, const char *raw, size_t rawlen, struct expect *e)
{
	struct tok t[MAX_TOKS];
	int nt = 0;
	enum relto_err rc = split(R, s, t, &nt);
	if (rc || nt == 0)
		return rc;
	if (!t[0].quoted && strcmp(t[0].s, "default") == 0) {
		if (nt != 2 || (R->dflt = policy_level_find(R->p, t[1].s)) < 0)
			return terr(R, nt > 1 ? t[1].col : t[0].col, "expected 'default LEVEL' with one of the policy's levels");
		return RELTO_OK;
	}
	if (t[0].quoted || strcmp(t[0].s, "expect") != 0)
		return terr(R, t[0].col, "a test line starts with 'expect' or 'default' (or # for a comment)");
	memset(e, 0, sizeof(*e));
	rc = parse_expect(R, t, nt, e);
	return rc ? rc : judge(R, raw, rawlen, e);
}

enum relto_err policy_test_run(const struct policy *p, const struct posture *posture,
                               const char *name, const char *text, size_t len,
                               struct buf *report, int *failures, char *err)
{
	struct buf out;
	buf_init(&out, report->cap);
	struct runner R = { p, posture, name ? name : "tests", 0, 0, err, &out, 0, 0 };
	if (len > POLICY__MAX_TEXT)
		return relto_seterr(err, RELTO_ETOOBIG, "%s: the test file is larger than %u bytes", R.name,
		                    POLICY__MAX_TEXT);
	struct expect *e = malloc(sizeof(*e));
	char *line = malloc(len + 1);
	enum relto_err rc = e && line ? RELTO_OK : RELTO_ENOMEM;
	for (size_t at = 0; !rc && at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		R.line++;
		if (memchr(text + at, '\0', n))
			rc = terr(&R, 1, "NUL byte in the test file");
		if (!rc) {
			memcpy(line, text + at, n);
			line[n] = '\0';
			rc = run_line(&R, line, text + at, n, e);
		}
		at += n + 1;
	}
	if (!rc)
		rc = buf_printf(&out, "%s: %d expectations, %d failed\n", R.name, R.total, R.failed);
	if (!rc)
		rc = buf_append(report, out.data, out.len);
	if (!rc && failures)
		*failures = R.failed;
	if (rc == RELTO_ENOMEM || rc == RELTO_ETOOBIG)
		relto_seterr(err, rc, "%s: %s while running the tests", R.name, relto_strerror(rc));
	buf_free(&out);
	free(line);
	free(e);
	return rc;
}
