/*
** names.c: what the names in a policy mean: the attributes (partner.*,
** object.*, field.*, vendor.*) with their types and where each may be
** used, the TLP labels, the policy's own levels and groups, and the
** "did you mean ...?" suggestions that make the checker's errors useful to
** people who write policies by hand.  check.c asks; this file answers.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "policy_int.h"

const char *const policy__tlp_names[6] = { "NONE", "CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED" };

static const char *const segments[] = { "ran", "core", "transport" };

struct attr_def {
	const char *path;
	uint8_t attr, type, scope;
};

static const struct attr_def attrs[] = {
	{ "partner.id", A_P_ID, TY_TEXT, SC_PARTNER },
	{ "partner.name", A_P_NAME, TY_TEXT, SC_PARTNER },
	{ "partner.country", A_P_COUNTRY, TY_TEXT, SC_PARTNER },
	{ "partner.groups", A_P_GROUPS, TY_TEXTSET, SC_PARTNER },
	{ "partner.agreement", A_P_AGREEMENT, TY_LEVEL, SC_PARTNER },
	{ "partner.clearance", A_P_CLEARANCE, TY_LEVEL, SC_CLEARANCE },
	{ "partner.hub", A_P_HUB, TY_BOOL, SC_PARTNER },
	{ "partner.networks", A_P_NETWORKS, TY_NET, SC_PARTNER },
	{ "object.level", A_LEVEL, TY_LEVEL, SC_OBJECT },
	{ "object.rel_to", A_REL_TO, TY_TEXTSET, SC_OBJECT },
	{ "object.has_rel_to", A_HAS_REL_TO, TY_BOOL, SC_OBJECT },
	{ "object.noforn", A_NOFORN, TY_BOOL, SC_OBJECT },
	{ "object.tlp", A_TLP, TY_TLP, SC_OBJECT },
	{ "object.orgs", A_ORGS, TY_TEXTSET, SC_OBJECT },
	{ "object.has_orgs", A_HAS_ORGS, TY_BOOL, SC_OBJECT },
	{ "object.unknown", A_UNKNOWN, TY_BOOL, SC_OBJECT },
	{ "field.level", A_LEVEL, TY_LEVEL, SC_FIELD },
	{ "field.rel_to", A_REL_TO, TY_TEXTSET, SC_FIELD },
	{ "field.has_rel_to", A_HAS_REL_TO, TY_BOOL, SC_FIELD },
	{ "field.noforn", A_NOFORN, TY_BOOL, SC_FIELD },
	{ "field.tlp", A_TLP, TY_TLP, SC_FIELD },
	{ "field.orgs", A_ORGS, TY_TEXTSET, SC_FIELD },
	{ "field.has_orgs", A_HAS_ORGS, TY_BOOL, SC_FIELD },
	{ "field.unknown", A_UNKNOWN, TY_BOOL, SC_FIELD },
	{ "field.selectors", A_SELECTORS, TY_TEXTSET, SC_FIELD },
	{ "vendor.id", A_V_ID, TY_TEXT, SC_VENDOR },
	{ "vendor.name", A_V_NAME, TY_TEXT, SC_VENDOR },
	{ "vendor.country", A_V_COUNTRY, TY_TEXT, SC_VENDOR },
	{ "vendor.risk", A_V_RISK, TY_TEXT, SC_VENDOR },
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

const char *policy__attr_path(int attr, int scope)
{
	for (size_t i = 0; i < NATTRS; i++)
		if (attrs[i].attr == attr && (attrs[i].scope & scope))
			return attrs[i].path;
	return "?";
}

void policy__ck_error(struct policy__ck *C, int line, int col, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	C->failed = 1;
	policy__error(C->d, line, col, "%s", msg);
}

/* ---- suggestions --------------------------------------------------------- */

/* Edit distance, capped: names are short and only close ones matter. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest of names to w, if close enough to be a slip; else NULL. */
const char *policy__closest(const char *w, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bd = 99, limit = strlen(w) / 3 + 1;
	for (size_t i = 0; i < n; i++) {
		size_t dd = distance(w, names[i]);
		if (dd < bd) {
			bd = dd;
			best = names[i];
		}
	}
	/* Never "did you mean U?" for X: a suggestion must keep something. */
	return bd <= limit && bd < strlen(w) ? best : NULL;
}

/* A close attribute for a mistyped path, into buf.  The part before the
** dot is matched first (exactly, as an abbreviation like obj, or with a
** slip like partnr), then the rest among that part's attributes: a
** suggestion from another part (sender.level -> field.level) misleads. */
static const char *closest_attr(const char *w, char *buf, size_t size)
{
	static const char *const prefixes[] = { "partner", "object", "field", "vendor" };
	const char *dot = strchr(w, '.');
	char pre[32];
	if (!dot || (size_t)(dot - w) >= sizeof(pre))
		return NULL;
	memcpy(pre, w, (size_t)(dot - w));
	pre[dot - w] = '\0';
	const char *known = NULL;
	for (size_t i = 0; i < 4 && !known; i++)
		if (strcmp(pre, prefixes[i]) == 0 || (strlen(pre) >= 3 && strncmp(prefixes[i], pre, strlen(pre)) == 0))
			known = prefixes[i];
	if (!known)
		known = policy__closest(pre, prefixes, 4);
	if (!known)
		return NULL;
	const char *rests[NATTRS + 3];
	size_t n = 0, kl = strlen(known);
	for (size_t i = 0; i < NATTRS; i++)
		if (strncmp(attrs[i].path, known, kl) == 0 && attrs[i].path[kl] == '.')
			rests[n++] = attrs[i].path + kl + 1;
	if (strcmp(known, "partner") == 0) {
		rests[n++] = "networks.ran";
		rests[n++] = "networks.core";
		rests[n++] = "networks.transport";
	}
	const char *best = strcmp(dot + 1, "") ? policy__closest(dot + 1, rests, n) : NULL;
	if (!best)
		return NULL;
	snprintf(buf, size, "%s.%s", known, best);
	return buf;
}

int policy__find_level(const struct policy *p, const char *w)
{
	for (int i = 0; i < p->nlevels; i++)
		if (strcmp(p->levels[i], w) == 0)
			return i;
	return -1;
}

int policy__find_group(const struct policy *p, const char *w)
{
	for (int i = 0; i < p->ngroups; i++)
		if (p->groups[i].members && strcmp(p->groups[i].name, w) == 0)
			return i;
	return -1;
}

int policy__find_tlp(const char *w)
{
	for (int i = 0; i < 6; i++)
		if (strcmp(policy__tlp_names[i], w) == 0)
			return i;
	if (strcmp(w, "WHITE") == 0)
		return 1; /* TLP 1.0's name for CLEAR */
	return -1;
}

void policy__unknown_level(struct policy__ck *C, const char *w, int line, int col)
{
	const char *s = policy__closest(w, C->p->levels, (size_t)C->p->nlevels);
	if (s)
		policy__ck_error(C, line, col, "unknown level '%s'; did you mean %s? (levels are declared on line %d)", w, s,
		                 C->p->levels_line);
	else
		policy__ck_error(C, line, col, "unknown level '%s' (levels are declared on line %d)", w, C->p->levels_line);
}

/* ---- attributes ---------------------------------------------------------- */

/* Resolve an NK_ATTR path and check it may be used where it stands. */
/* The definition of a path; for partner.networks.<segment>, *seg gets the
** segment.  NULL (with the error reported) when there is none. */
static const struct attr_def *lookup_attr(struct policy__ck *C, const struct policy__node *n, const char **seg)
{
	const char *path = n->str, *net = "partner.networks.";
	size_t nl = strlen(net);
	*seg = NULL;
	if (strncmp(path, net, nl) == 0) {
		size_t ns = sizeof(segments) / sizeof(segments[0]);
		for (size_t i = 0; i < ns; i++)
			if (strcmp(path + nl, segments[i]) == 0)
				*seg = segments[i];
		if (!*seg) {
			const char *near = policy__closest(path + nl, segments, ns);
			policy__ck_error(C, n->line, n->col, "unknown network segment '%s'%s%s%s (segments: ran, core, "
			                 "transport)", path + nl, near ? "; did you mean " : "", near ? near : "",
			                 near ? "?" : "");
			return NULL;
		}
		path = "partner.networks";
	}
	for (size_t i = 0; i < NATTRS; i++)
		if (strcmp(attrs[i].path, path) == 0)
			return &attrs[i];
	char sug[64];
	const char *near = closest_attr(path, sug, sizeof(sug));
	if (near)
		policy__ck_error(C, n->line, n->col, "unknown attribute '%s'; did you mean %s?", path, near);
	else if (strncmp(path, "partner.", 8) && strncmp(path, "object.", 7) && strncmp(path, "field.", 6) &&
	         strncmp(path, "vendor.", 7))
		policy__ck_error(C, n->line, n->col, "unknown attribute '%s': attributes start with partner., object., "
		                 "field. or vendor.", path);
	else
		policy__ck_error(C, n->line, n->col, "unknown attribute '%s' (docs/policy.md lists them)", path);
	return NULL;
}

/* Whether def may be used where it stands: 0, or 1 with why in msg. */
static int misplaced(const struct attr_def *def, const struct policy__ctx *x, char *msg, size_t size)
{
	const char *p = def->path;
	if (def->attr == A_UNKNOWN)
		snprintf(msg, size, "%s is never true when rules run: what relto cannot read is withheld (objects) "
		         "or redacted (granular markings) before any rule", p);
	else if (def->scope == SC_FIELD && x->kind != RK_REDACT)
		snprintf(msg, size, "%s describes one granular marking: it can only be used in redact rules", p);
	else if (def->scope == SC_VENDOR && !x->in_uses)
		snprintf(msg, size, "%s is about one piece of equipment: use it after 'uses', as in "
		         "partner.networks.ran uses vendor.risk == \"high\"", p);
	else if (x->in_uses && (def->scope & (SC_OBJECT | SC_FIELD | SC_CLEARANCE)))
		snprintf(msg, size, "inside 'uses' only vendor.* and the partner's own facts are known, not %s", p);
	else if (def->attr == A_P_CLEARANCE && x->kind != RK_DENY && x->kind != RK_REDACT)
		snprintf(msg, size, "%s cannot use %s: it is what 'clear' and the caps compute",
		         x->kind == RK_CAP ? "a cap" : "'clear'", p);
	else
		return 0;
	return 1;
}

int policy__resolve_attr(struct policy__ck *C, struct policy__node *n, const struct policy__ctx *x)
{
	const char *seg;
	char msg[RELTO_ERRBUF_SIZE];
	const struct attr_def *def = lookup_attr(C, n, &seg);
	if (!def)
		return -1;
	if (misplaced(def, x, msg, sizeof(msg))) {
		policy__ck_error(C, n->line, n->col, "%s", msg);
		return -1;
	}
	n->kind = NK_ATTR;
	n->attr = def->attr;
	n->type = def->type;
	n->scope = def->scope;
	n->seg = seg;
	return 0;
}

/* Suggest the attribute a bare word in condition position stands for. */
void policy__word_as_condition(struct policy__ck *C, const struct policy__node *n)
{
	for (size_t i = 0; i < NATTRS; i++) {
		const char *dot = strrchr(attrs[i].path, '.');
		if (attrs[i].type == TY_BOOL && strcmp(dot + 1, n->str) == 0) {
			policy__ck_error(C, n->line, n->col, "'%s' is not a condition; did you mean %s?", n->str, attrs[i].path);
			return;
		}
	}
	policy__ck_error(C, n->line, n->col, "'%s' is not a condition: compare an attribute, as in partner.country == \"USA\"",
	                 n->str);
}

