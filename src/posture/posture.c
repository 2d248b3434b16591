/*
** posture.c: load and check a posture file (docs/posture.md, format
** "relto-posture/1") into the plain structs of posture.h.
**
** The file is read whole with Jansson, duplicate keys refused, so syntax
** errors come with Jansson's line and column.  Jansson keeps no positions
** for values, so errors of meaning name the place by its JSON path
** ("partners[6].operators[2].segments.ran[0].vendor"), which is as exact
** and survives reformatting.  Unknown keys are refused: a misspelt
** "agreement_levle" silently ignored would leave a partner without the
** limit its agreement sets.  The first error refuses the whole file.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "posture.h"
#include "../jsonh/jsonh.h"
#include "../util/text.h"

#define POSTURE_FORMAT "relto-posture/1"
#define PATH_LEN 160
#define ID_MAX 64

/* Where we are: the file's name for messages and the caller's err. */
struct pctx {
	const char *name;
	char *err;
};

/* "name: path: message" (or "name: message" at the top), RELTO_EINVAL. */
__attribute__((format(printf, 3, 4)))
static enum relto_err fail(struct pctx *c, const char *path, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path[0])
		return relto_seterr(c->err, RELTO_EINVAL, "%s: %s: %s", c->name, path, msg);
	return relto_seterr(c->err, RELTO_EINVAL, "%s: %s", c->name, msg);
}

static enum relto_err oom(struct pctx *c)
{
	return relto_seterr(c->err, RELTO_ENOMEM, "%s: out of memory", c->name);
}

/* Quote a value from the file into out (printable ASCII, cut at 40). */
static const char *q40(const char *s, char out[44])
{
	return text_quote(s, strlen(s), 40, out);
}

/* path + "." + key into out (PATH_LEN bytes); a path too long for it is
** cut and ends in "...".  The key is quoted: it comes from the file. */
static void sub_key(char *out, const char *path, const char *key)
{
	char q[44];
	int n = snprintf(out, PATH_LEN, "%s%s%s", path, path[0] ? "." : "", q40(key, q));
	if (n >= PATH_LEN)
		memcpy(out + PATH_LEN - 4, "...", 4);
}

static void sub_index(char *out, const char *path, size_t i)
{
	int n = snprintf(out, PATH_LEN, "%s[%zu]", path, i);
	if (n >= PATH_LEN)
		memcpy(out + PATH_LEN - 4, "...", 4);
}

/* ---- shapes ------------------------------------------------------------- */

/* o must be an object with every key of required and no key outside
** allowed (both NULL-terminated). */
static enum relto_err check_keys(struct pctx *c, const json_t *o, const char *path,
                                 const char *const *allowed, const char *const *required)
{
	const char *k;
	const json_t *v;
	char q[44];
	if (!json_is_object(o))
		return fail(c, path, "must be an object, not %s", jsonh_kind(o));
	json_object_foreach((json_t *)o, k, v) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, k) != 0)
			a++;
		if (!*a)
			return fail(c, path, "unknown key '%s'", q40(k, q));
	}
	for (; *required; required++)
		if (!json_object_get(o, *required))
			return fail(c, path, "missing '%s'", *required);
	return RELTO_OK;
}

/* The non-empty string at o.key, or NULL when absent; RELTO_EINVAL when
** it is there but not a non-empty string. */
static enum relto_err get_str(struct pctx *c, const json_t *o, const char *path, const char *key,
                              const char **out)
{
	const json_t *v = json_object_get(o, key);
	char p[PATH_LEN];
	*out = NULL;
	if (!v)
		return RELTO_OK;
	sub_key(p, path, key);
	if (!json_is_string(v))
		return fail(c, p, "must be a string, not %s", jsonh_kind(v));
	if (json_string_length(v) == 0 || strlen(json_string_value(v)) != json_string_length(v))
		return fail(c, p, "must be a non-empty string without NUL");
	*out = json_string_value(v);
	return RELTO_OK;
}

/* get_str, then a heap copy in *out (NULL when absent). */
static enum relto_err dup_str(struct pctx *c, const json_t *o, const char *path, const char *key,
                              char **out)
{
	const char *s;
	enum relto_err rc = get_str(c, o, path, key, &s);
	if (rc || !s)
		return rc;
	*out = strdup(s);
	return *out ? RELTO_OK : oom(c);
}

/* The list at o.key (present: check_keys saw to it). */
static enum relto_err get_list(struct pctx *c, const json_t *o, const char *path, const char *key,
                               const json_t **out)
{
	char p[PATH_LEN];
	*out = json_object_get(o, key);
	if (json_is_array(*out))
		return RELTO_OK;
	sub_key(p, path, key);
	return fail(c, p, "must be a list, not %s", jsonh_kind(*out));
}

/* [a-z0-9-] (and '_' when underscore), 1..ID_MAX characters. */
static int is_token(const char *s, int underscore)
{
	size_t n = strlen(s);
	if (n == 0 || n > ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      (underscore && *s == '_')))
			return 0;
	return 1;
}

static int is_country(const char *s)
{
	return strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] >= 'A' && s[2] <= 'Z';
}

int posture_is_date(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y == 0 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

/* A required string with a check; msg says what it must be. */
static enum relto_err checked_str(struct pctx *c, const json_t *o, const char *path, const char *key,
                                  int (*ok)(const char *), const char *msg, char **out)
{
	enum relto_err rc = dup_str(c, o, path, key, out);
	char p[PATH_LEN], q[44];
	if (rc || ok(*out))
		return rc;
	sub_key(p, path, key);
	return fail(c, p, "'%s' %s", q40(*out, q), msg);
}

/* ---- levels and vendors ------------------------------------------------- */

static enum relto_err load_levels(struct pctx *c, const json_t *root, struct posture *p)
{
	const json_t *l, *v;
	size_t i;
	char path[PATH_LEN], q[44];
	enum relto_err rc = get_list(c, root, "", "levels", &l);
	if (rc)
		return rc;
	if (json_array_size(l) == 0)
		return fail(c, "levels", "must name at least one level");
	p->levels = calloc(json_array_size(l), sizeof(*p->levels));
	if (!p->levels)
		return oom(c);
	json_array_foreach(l, i, v) {
		sub_index(path, "levels", i);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return fail(c, path, "must be a non-empty string, not %s", jsonh_kind(v));
		if (posture_level(p, json_string_value(v)) >= 0)
			return fail(c, path, "'%s' is listed twice", q40(json_string_value(v), q));
		if (!(p->levels[p->nlevels] = strdup(json_string_value(v))))
			return oom(c);
		p->nlevels++;
	}
	return RELTO_OK;
}

static int token_dash(const char *s)
{
	return is_token(s, 0);
}

/* "<list>" or "<list>:<YYYY-MM-DD>", list a lower-case token. */
static int is_list_entry(const char *s)
{
	char name[ID_MAX + 1];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	if (n > ID_MAX)
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	return is_token(name, 0) && (!colon || posture_is_date(colon + 1));
}

static enum relto_err check_vendor_lists(struct pctx *c, const json_t *v, const char *path)
{
	const json_t *lists, *e;
	size_t i;
	char p[PATH_LEN], q[44];
	enum relto_err rc = get_list(c, v, path, "lists", &lists);
	json_array_foreach(lists, i, e) {
		if (rc)
			break;
		char lp[PATH_LEN];
		sub_key(lp, path, "lists");
		sub_index(p, lp, i);
		if (!json_is_string(e))
			rc = fail(c, p, "must be a string, not %s", jsonh_kind(e));
		else if (!is_list_entry(json_string_value(e)))
			rc = fail(c, p, "'%s' is not <list> or <list>:YYYY-MM-DD",
			          q40(json_string_value(e), q));
	}
	return rc;
}

static enum relto_err load_vendor(struct pctx *c, const json_t *v, const char *path,
                                  struct posture *p)
{
	static const char *const keys[] = { "id", "name", "country", "risk", "lists", "source", NULL };
	struct posture_vendor *d = &p->vendors[p->nvendors];
	char sp[PATH_LEN], q[44];
	enum relto_err rc = check_keys(c, v, path, keys, keys);
	if (!rc)
		rc = checked_str(c, v, path, "id", token_dash, "is not a lower-case token [a-z0-9-]", &d->id);
	p->nvendors += d->id != NULL; /* from here posture_free frees it */
	if (!rc && posture_find_vendor(p, d->id) != d)
		rc = fail(c, path, "vendor id '%s' is listed twice", q40(d->id, q));
	if (!rc)
		rc = dup_str(c, v, path, "name", &d->name);
	if (!rc)
		rc = checked_str(c, v, path, "country", is_country, "is not an ISO 3166-1 alpha-3 code",
		                 &d->country);
	if (!rc)
		rc = dup_str(c, v, path, "risk", &d->risk);
	if (!rc && strcmp(d->risk, "high") != 0 && strcmp(d->risk, "none") != 0) {
		sub_key(sp, path, "risk");
		rc = fail(c, sp, "must be \"high\" or \"none\", not '%s'", q40(d->risk, q));
	}
	if (!rc)
		rc = check_vendor_lists(c, v, path);
	if (!rc)
		rc = dup_str(c, v, path, "source", &d->source);
	return rc;
}

static enum relto_err load_vendors(struct pctx *c, const json_t *root, struct posture *p)
{
	const json_t *l, *v;
	size_t i;
	char path[PATH_LEN];
	enum relto_err rc = get_list(c, root, "", "vendors", &l);
	if (rc || json_array_size(l) == 0)
		return rc;
	p->vendors = calloc(json_array_size(l), sizeof(*p->vendors));
	if (!p->vendors)
		return oom(c);
	json_array_foreach(l, i, v) {
		sub_index(path, "vendors", i);
		if ((rc = load_vendor(c, v, path, p)) != RELTO_OK)
			return rc;
	}
	return RELTO_OK;
}

/* ---- operators ---------------------------------------------------------- */

static enum relto_err load_equipment(struct pctx *c, const json_t *e, const char *path,
                                     const struct posture *p, struct posture_segment *s)
{
	static const char *const keys[] = { "vendor", "removal_deadline", "source", NULL };
	static const char *const required[] = { "vendor", "source", NULL };
	struct posture_equipment *q = &s->equipment[s->nequipment];
	const char *deadline = NULL;
	char sp[PATH_LEN], qv[44];
	enum relto_err rc = check_keys(c, e, path, keys, required);
	if (!rc)
		rc = dup_str(c, e, path, "vendor", &q->vendor);
	s->nequipment += q->vendor != NULL;
	sub_key(sp, path, "vendor");
	if (!rc && !posture_find_vendor(p, q->vendor))
		rc = fail(c, sp, "unknown vendor '%s' (not in vendors)", q40(q->vendor, qv));
	for (size_t i = 0; !rc && i + 1 < s->nequipment; i++)
		if (strcmp(s->equipment[i].vendor, q->vendor) == 0)
			rc = fail(c, sp, "vendor '%s' appears twice in this segment", q40(q->vendor, qv));
	if (!rc)
		rc = get_str(c, e, path, "removal_deadline", &deadline);
	if (!rc && deadline) {
		sub_key(sp, path, "removal_deadline");
		if (!posture_is_date(deadline))
			return fail(c, sp, "'%s' is not a date YYYY-MM-DD", q40(deadline, qv));
		q->has_deadline = 1;
		memcpy(q->deadline, deadline, sizeof(q->deadline));
	}
	if (!rc)
		rc = dup_str(c, e, path, "source", &q->source);
	return rc;
}

/* A segment: a known name and a non-empty list of equipment entries. */
static enum relto_err load_segment(struct pctx *c, const char *name, const json_t *list,
                                   const char *path, const struct posture *p,
                                   struct posture_segment *s)
{
	static const char *const names[] = { "ran", "core", "transport" };
	int known = 0;
	char ep[PATH_LEN], q[44];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		known |= strcmp(name, names[i]) == 0;
	if (!known)
		return fail(c, path, "unknown segment '%s' (ran, core or transport)", q40(name, q));
	if (!json_is_array(list) || json_array_size(list) == 0)
		return fail(c, path, "must be a non-empty list of vendor entries");
	if (!(s->name = strdup(name)) ||
	    !(s->equipment = calloc(json_array_size(list), sizeof(*s->equipment))))
		return oom(c);
	size_t i;
	const json_t *e;
	json_array_foreach(list, i, e) {
		sub_index(ep, path, i);
		enum relto_err rc = load_equipment(c, e, ep, p, s);
		if (rc)
			return rc;
	}
	return RELTO_OK;
}

static enum relto_err load_operator(struct pctx *c, const json_t *o, const char *path,
                                    const struct posture *p, struct posture_partner *pt)
{
	static const char *const keys[] = { "name", "segments", NULL };
	struct posture_operator *op = &pt->operators[pt->noperators];
	const json_t *segs, *list;
	const char *sname;
	char sp[PATH_LEN], segp[PATH_LEN], q[44];
	enum relto_err rc = check_keys(c, o, path, keys, keys);
	if (!rc)
		rc = dup_str(c, o, path, "name", &op->name);
	pt->noperators += op->name != NULL;
	for (size_t i = 0; !rc && i + 1 < pt->noperators; i++)
		if (strcmp(pt->operators[i].name, op->name) == 0)
			rc = fail(c, path, "operator '%s' is listed twice for this partner", q40(op->name, q));
	if (rc)
		return rc;
	segs = json_object_get(o, "segments");
	sub_key(sp, path, "segments");
	if (!json_is_object(segs))
		return fail(c, sp, "must be an object, not %s", jsonh_kind(segs));
	if (json_object_size(segs) &&
	    !(op->segments = calloc(json_object_size(segs), sizeof(*op->segments))))
		return oom(c);
	json_object_foreach((json_t *)segs, sname, list) {
		sub_key(segp, sp, sname);
		rc = load_segment(c, sname, list, segp, p, &op->segments[op->nsegments++]);
		if (rc)
			return rc;
	}
	return RELTO_OK;
}

/* ---- partners ----------------------------------------------------------- */

static enum relto_err load_groups(struct pctx *c, const json_t *v, const char *path,
                                  struct posture_partner *pt)
{
	const json_t *l, *g;
	size_t i;
	char gp[PATH_LEN], p[PATH_LEN], q[44];
	enum relto_err rc = get_list(c, v, path, "groups", &l);
	if (rc || json_array_size(l) == 0)
		return rc;
	sub_key(gp, path, "groups");
	if (!(pt->groups = calloc(json_array_size(l), sizeof(*pt->groups))))
		return oom(c);
	json_array_foreach(l, i, g) {
		sub_index(p, gp, i);
		const char *s = json_string_value(g);
		if (!s || !is_token(s, 0))
			return fail(c, p, "must be a lower-case group name [a-z0-9-]");
		for (size_t k = 0; k < pt->ngroups; k++)
			if (strcmp(pt->groups[k], s) == 0)
				return fail(c, p, "group '%s' is listed twice", q40(s, q));
		if (!(pt->groups[pt->ngroups] = strdup(s)))
			return oom(c);
		pt->ngroups++;
	}
	return RELTO_OK;
}

static enum relto_err load_operators(struct pctx *c, const json_t *v, const char *path,
                                     const struct posture *p, struct posture_partner *pt)
{
	const json_t *l, *o;
	size_t i;
	char op[PATH_LEN], ip[PATH_LEN];
	enum relto_err rc = get_list(c, v, path, "operators", &l);
	if (rc || json_array_size(l) == 0)
		return rc;
	if (!(pt->operators = calloc(json_array_size(l), sizeof(*pt->operators))))
		return oom(c);
	sub_key(op, path, "operators");
	json_array_foreach(l, i, o) {
		sub_index(ip, op, i);
		if ((rc = load_operator(c, o, ip, p, pt)) != RELTO_OK)
			return rc;
	}
	return RELTO_OK;
}

static int partner_token(const char *s)
{
	return is_token(s, 1);
}

static enum relto_err load_partner(struct pctx *c, const json_t *v, const char *path,
                                   struct posture *p)
{
	static const char *const keys[] = { "id", "name", "country", "groups", "agreement_level",
		                            "hub", "source", "operators", NULL };
	struct posture_partner *pt = &p->partners[p->npartners];
	char sp[PATH_LEN], q[44];
	const char *source;
	enum relto_err rc = check_keys(c, v, path, keys, keys);
	if (!rc)
		rc = checked_str(c, v, path, "id", partner_token, "is not a partner id [a-z0-9_-]", &pt->id);
	p->npartners += pt->id != NULL;
	if (!rc && posture_find_partner(p, pt->id) != pt)
		rc = fail(c, path, "partner id '%s' is listed twice", q40(pt->id, q));
	if (!rc)
		rc = dup_str(c, v, path, "name", &pt->name);
	if (!rc)
		rc = checked_str(c, v, path, "country", is_country, "is not an ISO 3166-1 alpha-3 code",
		                 &pt->country);
	if (!rc)
		rc = load_groups(c, v, path, pt);
	if (!rc)
		rc = dup_str(c, v, path, "agreement_level", &pt->agreement_level);
	if (!rc && posture_level(p, pt->agreement_level) < 0) {
		sub_key(sp, path, "agreement_level");
		rc = fail(c, sp, "'%s' is not one of levels", q40(pt->agreement_level, q));
	}
	const json_t *hub = json_object_get(v, "hub");
	if (!rc && !json_is_boolean(hub)) {
		sub_key(sp, path, "hub");
		rc = fail(c, sp, "must be true or false, not %s", jsonh_kind(hub));
	}
	pt->hub = json_is_true(hub);
	if (!rc)
		rc = get_str(c, v, path, "source", &source); /* checked, not kept (posture.h) */
	if (!rc)
		rc = load_operators(c, v, path, p, pt);
	return rc;
}

static enum relto_err load_partners(struct pctx *c, const json_t *root, struct posture *p)
{
	const json_t *l, *v;
	size_t i, hub = 0, hubs = 0;
	char path[PATH_LEN], hp[PATH_LEN];
	enum relto_err rc = get_list(c, root, "", "partners", &l);
	if (rc)
		return rc;
	if (json_array_size(l) && !(p->partners = calloc(json_array_size(l), sizeof(*p->partners))))
		return oom(c);
	json_array_foreach(l, i, v) {
		sub_index(path, "partners", i);
		if ((rc = load_partner(c, v, path, p)) != RELTO_OK)
			return rc;
		if (p->partners[i].hub && hubs++) {
			sub_key(hp, path, "hub");
			return fail(c, hp, "a second hub (partners[%zu] is the hub)", hub);
		}
		hub = p->partners[i].hub ? i : hub;
	}
	if (hubs == 0)
		return fail(c, "partners", "no partner has \"hub\": true (exactly one must)");
	return RELTO_OK;
}

/* ---- the document ------------------------------------------------------- */

/* Refuse a NUL byte (Jansson 2.14 drops one after a number instead of
** failing), naming its line and column as Jansson would. */
static enum relto_err check_nul(struct pctx *c, const char *json, size_t len)
{
	const char *z = memchr(json, '\0', len);
	if (!z)
		return RELTO_OK;
	int line = 1, col = 1;
	for (const char *s = json; s < z; s++) {
		if (*s == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)*s & 0xc0) != 0x80) {
			col++; /* count characters, not UTF-8 continuation bytes */
		}
	}
	return relto_seterr(c->err, RELTO_EINVAL, "%s:%d:%d: NUL byte in the file", c->name, line, col);
}

static enum relto_err load_doc(struct pctx *c, const json_t *root, struct posture *p)
{
	static const char *const keys[] = { "format", "levels", "vendors", "partners", "sources", NULL };
	static const char *const required[] = { "format", "levels", "vendors", "partners", NULL };
	const char *format, *sources;
	char q[44];
	if (!json_is_object(root))
		return fail(c, "", "must be a JSON object, not %s", jsonh_kind(root));
	enum relto_err rc = check_keys(c, root, "", keys, required);
	if (!rc)
		rc = get_str(c, root, "", "format", &format);
	if (!rc && strcmp(format, POSTURE_FORMAT) != 0)
		rc = fail(c, "format", "'%s' is not " POSTURE_FORMAT, q40(format, q));
	if (!rc)
		rc = get_str(c, root, "", "sources", &sources);
	if (!rc)
		rc = load_levels(c, root, p);
	if (!rc)
		rc = load_vendors(c, root, p);
	if (!rc)
		rc = load_partners(c, root, p);
	return rc;
}

enum relto_err posture_load(const char *name, const char *json, size_t len, struct posture **out,
                            char *err)
{
	struct pctx c = { name ? name : "posture", err };
	json_error_t je;
	if (!json)
		return relto_seterr(err, RELTO_EINVAL, "%s: no document", c.name);
	enum relto_err rc = check_nul(&c, json, len);
	if (rc)
		return rc;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		if (json_error_code(&je) == json_error_out_of_memory)
			return oom(&c);
		return relto_seterr(err, RELTO_EINVAL, "%s:%d:%d: %s", c.name, je.line, je.column, je.text);
	}
	struct posture *p = calloc(1, sizeof(*p));
	rc = p ? load_doc(&c, root, p) : oom(&c);
	json_decref(root);
	if (rc) {
		posture_free(p);
		return rc;
	}
	*out = p;
	return RELTO_OK;
}

/* ---- freeing and lookups ------------------------------------------------ */

static void free_partner(struct posture_partner *pt)
{
	for (size_t k = 0; k < pt->ngroups; k++)
		free(pt->groups[k]);
	for (size_t o = 0; o < pt->noperators; o++) {
		struct posture_operator *op = &pt->operators[o];
		for (size_t s = 0; s < op->nsegments; s++) {
			for (size_t e = 0; e < op->segments[s].nequipment; e++) {
				free(op->segments[s].equipment[e].vendor);
				free(op->segments[s].equipment[e].source);
			}
			free(op->segments[s].equipment);
			free(op->segments[s].name);
		}
		free(op->segments);
		free(op->name);
	}
	free(pt->operators);
	free(pt->groups);
	free(pt->id);
	free(pt->name);
	free(pt->country);
	free(pt->agreement_level);
}

void posture_free(struct posture *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nlevels; i++)
		free(p->levels[i]);
	free(p->levels);
	for (size_t i = 0; i < p->nvendors; i++) {
		free(p->vendors[i].id);
		free(p->vendors[i].name);
		free(p->vendors[i].country);
		free(p->vendors[i].risk);
		free(p->vendors[i].source);
	}
	free(p->vendors);
	for (size_t i = 0; i < p->npartners; i++)
		free_partner(&p->partners[i]);
	free(p->partners);
	free(p);
}

const struct posture_partner *posture_find_partner(const struct posture *p, const char *id)
{
	for (size_t i = 0; p && id && i < p->npartners; i++)
		if (strcmp(p->partners[i].id, id) == 0)
			return &p->partners[i];
	return NULL;
}

const struct posture_vendor *posture_find_vendor(const struct posture *p, const char *id)
{
	for (size_t i = 0; p && id && i < p->nvendors; i++)
		if (strcmp(p->vendors[i].id, id) == 0)
			return &p->vendors[i];
	return NULL;
}

int posture_level(const struct posture *p, const char *name)
{
	for (size_t i = 0; p && name && i < p->nlevels; i++)
		if (strcmp(p->levels[i], name) == 0)
			return (int)i;
	return -1;
}
