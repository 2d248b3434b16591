/*
** change.c: apply a posture change document (change.h, docs/admin.md
** "Change documents") to a posture document.
**
** The operations work on the parsed document (Jansson), not on the structs
** of posture.h: the structs drop what the loader does not keep (partner
** sources, vendor lists), and what the store keeps is the document.  Each
** operation is checked against the document as the operations before it
** left it, so its error can name exactly what is missing; what the
** operations cannot see alone (a second hub, a bad vendor id, a country
** code) is left to posture_load() on the result, whose message then names
** the place in the new document.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"
#include "../jsonh/jsonh.h"     /* jsonh_kind() for "not a number" */
#include "../posture/posture.h" /* posture_load() checks the input and the result */
#include "../util/text.h"       /* text_quote() for values quoted in messages */

#define Q_MAX 40     /* bytes of one quoted value in a message */
#define ITEM_MAX 60  /* bytes of one item of a list in a message */
#define LIST_MAX 110 /* bytes of a list's items in a message; the rest is counted */
#define OPS_MAX 160  /* the list of known ops, whose message has room for it */

/* The operation being applied: where it is, for messages. */
struct cx {
	json_t *root;      /* the document being changed */
	size_t i;          /* index in the change list */
	const json_t *op;  /* the operation object */
	char *err;
};

/* "changes[N]: message", RELTO_EINVAL. */
__attribute__((format(printf, 2, 3)))
static enum relto_err fail(struct cx *c, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return relto_seterr(c->err, RELTO_EINVAL, "changes[%zu]: %s", c->i, msg);
}

static enum relto_err oom(char *err)
{
	return relto_seterr(err, RELTO_ENOMEM, "out of memory");
}

/* A value from the input quoted for a message (printable ASCII, cut). */
static const char *q(const char *s, char out[Q_MAX + 4])
{
	return text_quote(s, strlen(s), Q_MAX, out);
}

/* ---- lists of names in messages ------------------------------------------ */

/* "a, b, c", or "a, b and 4 more" when the names would not fit: a message
** must stay under RELTO_ERRBUF_SIZE with its prefix and quoted values. */
struct names {
	char s[OPS_MAX + 32];
	size_t len, more;
	size_t limit; /* 0: LIST_MAX */
};

static void names_add(struct names *n, const char *name)
{
	char qs[ITEM_MAX + 4];
	text_quote(name, strlen(name), ITEM_MAX, qs);
	size_t need = (n->len ? 2 : 0) + strlen(qs);
	if (n->more || n->len + need > (n->limit ? n->limit : LIST_MAX)) {
		n->more++;
		return;
	}
	snprintf(n->s + n->len, sizeof(n->s) - n->len, "%s%s", n->len ? ", " : "", qs);
	n->len += need;
}

/* The finished list; "none" when empty. */
static const char *names_end(struct names *n)
{
	if (n->len == 0 && n->more == 0)
		return "none";
	if (n->more)
		snprintf(n->s + n->len, sizeof(n->s) - n->len, " and %zu more", n->more);
	return n->s;
}

/* The values of key in the objects of list. */
static void names_of(struct names *n, const json_t *list, const char *key)
{
	size_t i;
	const json_t *o;
	json_array_foreach(list, i, o) {
		const char *s = json_string_value(json_object_get(o, key));
		if (s)
			names_add(n, s);
	}
}

/* ---- the fields of operations --------------------------------------------- */

enum kind { K_STR, K_DATE, K_STRLIST, K_BOOL };

struct field {
	const char *name;
	enum kind kind;
};

/* Every field any operation takes; a field means the same in each. */
static const struct field fields[] = {
	{ "partner", K_STR },  { "operator", K_STR },      { "segment", K_STR },
	{ "vendor", K_STR },   { "deadline", K_DATE },     { "source", K_STR },
	{ "name", K_STR },     { "country", K_STR },       { "risk", K_STR },
	{ "lists", K_STRLIST }, { "groups", K_STRLIST },   { "agreement_level", K_STR },
	{ "hub", K_BOOL },
};


static int is_text(const json_t *v)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

static enum relto_err check_field(struct cx *c, const char *key, const json_t *v)
{
	enum kind kind = K_STR;
	char qs[Q_MAX + 4];
	size_t i;
	const json_t *e;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].name, key) == 0)
			kind = fields[i].kind;
	switch (kind) {
	case K_STR:
		if (!json_is_string(v))
			return fail(c, "'%s' must be a string", key);
		if (!is_text(v))
			return fail(c, "'%s' must be a non-empty string without NUL", key);
		return RELTO_OK;
	case K_DATE:
		if (json_is_null(v) || (is_text(v) && posture_is_date(json_string_value(v))))
			return RELTO_OK;
		if (json_is_string(v))
			return fail(c, "'%s' must be a date YYYY-MM-DD or null, not '%s'", key,
			            q(json_string_value(v), qs));
		return fail(c, "'%s' must be a date YYYY-MM-DD or null, not %s", key, jsonh_kind(v));
	case K_STRLIST:
		if (!json_is_array(v))
			return fail(c, "'%s' must be a list of strings, not %s", key, jsonh_kind(v));
		json_array_foreach(v, i, e)
			if (!is_text(e))
				return fail(c, "'%s' must be a list of strings", key);
		return RELTO_OK;
	case K_BOOL:
		if (!json_is_boolean(v))
			return fail(c, "'%s' must be true or false, not %s", key, jsonh_kind(v));
		return RELTO_OK;
	}
	return RELTO_OK;
}

/* The string field key of the operation, or NULL when absent. */
static const char *field(const struct cx *c, const char *key)
{
	return json_string_value(json_object_get(c->op, key));
}

/* ---- finding things in the document --------------------------------------- */

/* The object of list whose key is value, and its index. */
static json_t *find(const json_t *list, const char *key, const char *value, size_t *at)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o) {
		const char *s = json_string_value(json_object_get(o, key));
		if (s && strcmp(s, value) == 0) {
			if (at)
				*at = i;
			return o;
		}
	}
	return NULL;
}

/* Where an equipment operation acts.  Any member may be NULL until found. */
struct at {
	json_t *partner;
	size_t pi;
	json_t *operator;
	size_t oi;
	json_t *segments; /* the operator's segments object */
	json_t *segment;  /* the segment's list; NULL when the segment is absent */
	json_t *entry;    /* the vendor's entry in it; NULL when absent */
	size_t ei;
};

static enum relto_err find_partner(struct cx *c, struct at *a)
{
	const json_t *partners = json_object_get(c->root, "partners");
	const char *id = field(c, "partner");
	char qs[Q_MAX + 4];
	struct names n = { .len = 0 };
	if ((a->partner = find(partners, "id", id, &a->pi)) != NULL)
		return RELTO_OK;
	names_of(&n, partners, "id");
	return fail(c, "unknown partner '%s' (known: %s)", q(id, qs), names_end(&n));
}

static enum relto_err find_operator(struct cx *c, struct at *a)
{
	const json_t *ops = json_object_get(a->partner, "operators");
	const char *name = field(c, "operator");
	char qp[Q_MAX + 4], qo[Q_MAX + 4];
	struct names n = { .len = 0 };
	if ((a->operator = find(ops, "name", name, &a->oi)) != NULL) {
		a->segments = json_object_get(a->operator, "segments");
		return RELTO_OK;
	}
	names_of(&n, ops, "name");
	return fail(c, "partner '%s' has no operator '%s' (it has: %s)", q(field(c, "partner"), qp),
	            q(name, qo), names_end(&n));
}

static enum relto_err check_vendor_known(struct cx *c)
{
	char qs[Q_MAX + 4];
	if (find(json_object_get(c->root, "vendors"), "id", field(c, "vendor"), NULL))
		return RELTO_OK;
	return fail(c, "unknown vendor '%s'", q(field(c, "vendor"), qs));
}

/* "kor/LG Uplus", quoted for a message. */
static const char *where(const struct cx *c, char out[2 * Q_MAX + 9])
{
	char qp[Q_MAX + 4], qo[Q_MAX + 4];
	snprintf(out, 2 * Q_MAX + 9, "%s/%s", q(field(c, "partner"), qp), q(field(c, "operator"), qo));
	return out;
}

/* Partner, operator, the vendor in the registry, then the segment (which
** may be absent only when creating) and the vendor's entry in it (which
** may be absent: the caller decides). */
static enum relto_err find_equipment(struct cx *c, struct at *a, int creating)
{
	static const char *const known[] = { "ran", "core", "transport" };
	const char *seg = field(c, "segment"), *vendor = field(c, "vendor");
	char qs[Q_MAX + 4], w[2 * Q_MAX + 9];
	enum relto_err rc = find_partner(c, a);
	if (!rc)
		rc = find_operator(c, a);
	if (!rc)
		rc = check_vendor_known(c);
	if (rc)
		return rc;
	a->segment = json_object_get(a->segments, seg);
	if (!a->segment && !creating) {
		struct names n = { .len = 0 };
		const char *k;
		json_t *v;
		json_object_foreach(a->segments, k, v)
			names_add(&n, k);
		return fail(c, "%s has no segment '%s' (it has: %s)", where(c, w), q(seg, qs),
		            names_end(&n));
	}
	if (!a->segment) {
		int ok = 0;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok |= strcmp(seg, known[i]) == 0;
		if (!ok)
			return fail(c, "unknown segment '%s' (ran, core or transport)", q(seg, qs));
		return RELTO_OK;
	}
	a->entry = find(a->segment, "vendor", vendor, &a->ei);
	return RELTO_OK;
}

static enum relto_err no_entry(struct cx *c)
{
	char qs[Q_MAX + 4], qv[Q_MAX + 4], w[2 * Q_MAX + 9];
	return fail(c, "segment '%s' of %s has no vendor '%s'", q(field(c, "segment"), qs),
	            where(c, w), q(field(c, "vendor"), qv));
}

/* ---- building objects ------------------------------------------------------ */

/* Set o.key to v (stolen; NULL means out of memory).  Nonzero on failure,
** so that a chain of puts reads as one condition. */
static int put(json_t *o, const char *key, json_t *v)
{
	return !o || json_object_set_new(o, key, v) != 0;
}

/* A copy of the operation's field key, or dflt (a new string) when absent. */
static json_t *copy_or(const struct cx *c, const char *key, json_t *dflt)
{
	const json_t *v = json_object_get(c->op, key);
	if (!v)
		return dflt;
	json_decref(dflt);
	return json_deep_copy(v);
}

/* Append o (stolen; NULL means out of memory) to list. */
static enum relto_err append(struct cx *c, json_t *list, json_t *o)
{
	if (!o || json_array_append_new(list, o) != 0)
		return oom(c->err);
	return RELTO_OK;
}

/* ---- the operations -------------------------------------------------------- */

static enum relto_err op_remove_equipment(struct cx *c)
{
	struct at a = { .partner = NULL };
	enum relto_err rc = find_equipment(c, &a, 0);
	if (rc)
		return rc;
	if (!a.entry)
		return no_entry(c);
	json_array_remove(a.segment, a.ei);
	/* A segment is a non-empty list; an absent one is unknown, not empty,
	** but the loader admits no other way to say the vendor is gone. */
	if (json_array_size(a.segment) == 0)
		json_object_del(a.segments, field(c, "segment"));
	return RELTO_OK;
}

static enum relto_err op_add_equipment(struct cx *c)
{
	struct at a = { .partner = NULL };
	char qs[Q_MAX + 4], qv[Q_MAX + 4], w[2 * Q_MAX + 9];
	const json_t *deadline = json_object_get(c->op, "deadline");
	enum relto_err rc = find_equipment(c, &a, 1);
	if (rc)
		return rc;
	if (a.entry)
		return fail(c, "segment '%s' of %s already has vendor '%s'", q(field(c, "segment"), qs),
		            where(c, w), q(field(c, "vendor"), qv));
	json_t *e = json_object();
	if (put(e, "vendor", json_string(field(c, "vendor"))) ||
	    (json_is_string(deadline) && put(e, "removal_deadline", json_deep_copy(deadline))) ||
	    put(e, "source", copy_or(c, "source", json_string(ADMIN_DEFAULT_SOURCE)))) {
		json_decref(e);
		return oom(c->err);
	}
	if (!a.segment) {
		a.segment = json_array();
		if (put(a.segments, field(c, "segment"), a.segment)) {
			json_decref(e);
			return oom(c->err);
		}
	}
	return append(c, a.segment, e);
}

static enum relto_err op_set_deadline(struct cx *c)
{
	struct at a = { .partner = NULL };
	const json_t *deadline = json_object_get(c->op, "deadline");
	enum relto_err rc = find_equipment(c, &a, 0);
	if (rc)
		return rc;
	if (!a.entry)
		return no_entry(c);
	if (json_is_null(deadline)) {
		json_object_del(a.entry, "removal_deadline");
		return RELTO_OK;
	}
	if (json_object_get(a.entry, "removal_deadline"))
		return put(a.entry, "removal_deadline", json_deep_copy(deadline)) ? oom(c->err) : RELTO_OK;
	/* A new key would go last; the format's order puts it after "vendor",
	** so the entry is rebuilt in that order. */
	json_t *e = json_object();
	const char *k;
	json_t *v;
	int bad = !e;
	json_object_foreach(a.entry, k, v) {
		bad = bad || put(e, k, json_incref(v));
		if (strcmp(k, "vendor") == 0)
			bad = bad || put(e, "removal_deadline", json_deep_copy(deadline));
	}
	if (bad || json_array_set_new(a.segment, a.ei, e) != 0) {
		json_decref(bad ? e : NULL);
		return oom(c->err);
	}
	return RELTO_OK;
}

static enum relto_err op_add_operator(struct cx *c)
{
	struct at a = { .partner = NULL };
	char qp[Q_MAX + 4], qo[Q_MAX + 4];
	enum relto_err rc = find_partner(c, &a);
	if (rc)
		return rc;
	json_t *ops = json_object_get(a.partner, "operators");
	if (find(ops, "name", field(c, "operator"), NULL))
		return fail(c, "partner '%s' already has operator '%s'", q(field(c, "partner"), qp),
		            q(field(c, "operator"), qo));
	json_t *o = json_object();
	if (put(o, "name", json_string(field(c, "operator"))) || put(o, "segments", json_object())) {
		json_decref(o);
		return oom(c->err);
	}
	return append(c, ops, o);
}

static enum relto_err op_remove_operator(struct cx *c)
{
	struct at a = { .partner = NULL };
	enum relto_err rc = find_partner(c, &a);
	if (!rc)
		rc = find_operator(c, &a);
	if (!rc)
		json_array_remove(json_object_get(a.partner, "operators"), a.oi);
	return rc;
}

/* The fields of o named in keys that the operation gives, copied over. */
static enum relto_err set_fields(struct cx *c, json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const json_t *v = json_object_get(c->op, *keys);
		if (v && put(o, *keys, json_deep_copy(v)))
			return oom(c->err);
	}
	return RELTO_OK;
}

/* A set- operation must change something; a new entry needs required. */
static enum relto_err check_set(struct cx *c, const char *what, const char *id, int exists,
                                const char *const *settable, const char *const *required)
{
	struct names all = { .len = 0 }, missing = { .len = 0 };
	char qs[Q_MAX + 4];
	int given = 0;
	for (; *settable; settable++) {
		names_add(&all, *settable);
		given |= json_object_get(c->op, *settable) != NULL;
	}
	if (!given)
		return fail(c, "set-%s gives nothing to change (%s)", what, names_end(&all));
	if (exists)
		return RELTO_OK;
	struct names req = { .len = 0 };
	for (; *required; required++) {
		names_add(&req, *required);
		if (!json_object_get(c->op, *required))
			names_add(&missing, *required);
	}
	if (missing.len)
		return fail(c, "new %s '%s' needs %s (missing: %s)", what, q(id, qs), names_end(&req),
		            names_end(&missing));
	return RELTO_OK;
}

static enum relto_err op_set_vendor(struct cx *c)
{
	static const char *const settable[] = { "name", "country", "risk", "lists", "source", NULL };
	static const char *const required[] = { "name", "country", "risk", "source", NULL };
	json_t *vendors = json_object_get(c->root, "vendors");
	json_t *v = find(vendors, "id", field(c, "vendor"), NULL);
	const char *risk = field(c, "risk");
	char qs[Q_MAX + 4];
	enum relto_err rc = check_set(c, "vendor", field(c, "vendor"), v != NULL, settable, required);
	if (rc)
		return rc;
	if (risk && strcmp(risk, "high") != 0 && strcmp(risk, "none") != 0)
		return fail(c, "'risk' must be \"high\" or \"none\", not '%s'", q(risk, qs));
	if (v)
		return set_fields(c, v, settable);
	v = json_object();
	if (put(v, "id", json_string(field(c, "vendor"))) ||
	    put(v, "name", json_string(field(c, "name"))) ||
	    put(v, "country", json_string(field(c, "country"))) ||
	    put(v, "risk", json_string(risk)) ||
	    put(v, "lists", copy_or(c, "lists", json_array())) ||
	    put(v, "source", json_string(field(c, "source")))) {
		json_decref(v);
		return oom(c->err);
	}
	return append(c, vendors, v);
}

static enum relto_err op_remove_vendor(struct cx *c)
{
	json_t *vendors = json_object_get(c->root, "vendors");
	const char *id = field(c, "vendor");
	struct names uses = { .len = 0 };
	char qs[Q_MAX + 4];
	size_t vi, i, j, k;
	const json_t *pt, *op, *e;
	const char *seg;
	json_t *list;
	if (!find(vendors, "id", id, &vi))
		return fail(c, "unknown vendor '%s'", q(id, qs));
	json_array_foreach(json_object_get(c->root, "partners"), i, pt)
		json_array_foreach(json_object_get(pt, "operators"), j, op)
			json_object_foreach(json_object_get(op, "segments"), seg, list)
				json_array_foreach(list, k, e) {
					const char *v = json_string_value(json_object_get(e, "vendor"));
					char use[3 * ITEM_MAX];
					if (!v || strcmp(v, id) != 0)
						continue;
					snprintf(use, sizeof(use), "%s/%s/%s",
					         json_string_value(json_object_get(pt, "id")),
					         json_string_value(json_object_get(op, "name")), seg);
					names_add(&uses, use);
				}
	if (uses.len || uses.more)
		return fail(c, "vendor '%s' is still in use: %s", q(id, qs), names_end(&uses));
	json_array_remove(vendors, vi);
	return RELTO_OK;
}

static enum relto_err op_set_partner(struct cx *c)
{
	static const char *const settable[] = { "name", "country", "groups", "agreement_level",
		                                "hub", "source", NULL };
	static const char *const required[] = { "name", "country", "agreement_level", NULL };
	json_t *partners = json_object_get(c->root, "partners");
	const json_t *levels = json_object_get(c->root, "levels");
	const char *id = field(c, "partner"), *level = field(c, "agreement_level");
	json_t *p = find(partners, "id", id, NULL);
	char qs[Q_MAX + 4];
	enum relto_err rc = check_set(c, "partner", id, p != NULL, settable, required);
	if (rc)
		return rc;
	if (level) {
		struct names n = { .len = 0 };
		size_t i;
		const json_t *l;
		int ok = 0;
		json_array_foreach(levels, i, l) {
			names_add(&n, json_string_value(l));
			ok |= strcmp(json_string_value(l), level) == 0;
		}
		if (!ok)
			return fail(c, "'agreement_level' '%s' is not one of the levels (%s)", q(level, qs),
			            names_end(&n));
	}
	if (p)
		return set_fields(c, p, settable);
	p = json_object();
	if (put(p, "id", json_string(id)) || put(p, "name", json_string(field(c, "name"))) ||
	    put(p, "country", json_string(field(c, "country"))) ||
	    put(p, "groups", copy_or(c, "groups", json_array())) ||
	    put(p, "agreement_level", json_string(level)) ||
	    put(p, "hub", copy_or(c, "hub", json_false())) ||
	    put(p, "source", copy_or(c, "source", json_string(ADMIN_DEFAULT_SOURCE))) ||
	    put(p, "operators", json_array())) {
		json_decref(p);
		return oom(c->err);
	}
	return append(c, partners, p);
}

static enum relto_err op_remove_partner(struct cx *c)
{
	struct at a = { .partner = NULL };
	enum relto_err rc = find_partner(c, &a);
	if (!rc)
		json_array_remove(json_object_get(c->root, "partners"), a.pi);
	return rc;
}

/* ---- the change list -------------------------------------------------------- */

struct opdef {
	const char *name;
	const char *const fields[8]; /* every field but "op"; NULL-terminated */
	size_t nrequired;            /* the first nrequired of fields are required */
	enum relto_err (*apply)(struct cx *c);
};

static const struct opdef opdefs[] = {
	{ "remove-equipment", { "partner", "operator", "segment", "vendor" }, 4, op_remove_equipment },
	{ "add-equipment", { "partner", "operator", "segment", "vendor", "deadline", "source" }, 4,
	  op_add_equipment },
	{ "set-deadline", { "partner", "operator", "segment", "vendor", "deadline" }, 5,
	  op_set_deadline },
	{ "add-operator", { "partner", "operator" }, 2, op_add_operator },
	{ "remove-operator", { "partner", "operator" }, 2, op_remove_operator },
	{ "set-vendor", { "vendor", "name", "country", "risk", "lists", "source" }, 1, op_set_vendor },
	{ "remove-vendor", { "vendor" }, 1, op_remove_vendor },
	{ "set-partner", { "partner", "name", "country", "groups", "agreement_level", "hub", "source" },
	  1, op_set_partner },
	{ "remove-partner", { "partner" }, 1, op_remove_partner },
};

#define NOPDEFS (sizeof(opdefs) / sizeof(opdefs[0]))

/* Unknown fields, then missing ones, then each field's type. */
static enum relto_err check_fields(struct cx *c, const struct opdef *d)
{
	const char *k;
	json_t *v;
	char qs[Q_MAX + 4];
	enum relto_err rc;
	json_object_foreach((json_t *)c->op, k, v) {
		const char *const *f = d->fields;
		while (*f && strcmp(*f, k) != 0)
			f++;
		if (!*f && strcmp(k, "op") != 0)
			return fail(c, "unknown field '%s' for %s", q(k, qs), d->name);
	}
	for (size_t i = 0; i < d->nrequired; i++)
		if (!json_object_get(c->op, d->fields[i]))
			return fail(c, "missing '%s' for %s", d->fields[i], d->name);
	for (const char *const *f = d->fields; *f; f++)
		if ((v = json_object_get(c->op, *f)) != NULL && (rc = check_field(c, *f, v)) != RELTO_OK)
			return rc;
	return RELTO_OK;
}

static enum relto_err apply_one(struct cx *c)
{
	const json_t *name = json_object_get(c->op, "op");
	char qs[Q_MAX + 4];
	struct names known = { .limit = OPS_MAX };
	enum relto_err rc;
	if (!json_is_object(c->op))
		return fail(c, "must be an object, not %s", jsonh_kind(c->op));
	if (!name)
		return fail(c, "missing 'op'");
	if (!json_is_string(name))
		return fail(c, "'op' must be a string");
	for (size_t i = 0; i < NOPDEFS; i++) {
		if (strcmp(opdefs[i].name, json_string_value(name)) != 0)
			continue;
		if ((rc = check_fields(c, &opdefs[i])) != RELTO_OK)
			return rc;
		return opdefs[i].apply(c);
	}
	for (size_t i = 0; i < NOPDEFS; i++)
		names_add(&known, opdefs[i].name);
	return fail(c, "unknown op '%s' (known: %s)", q(json_string_value(name), qs), names_end(&known));
}

/* The document as text: two-space indentation, a final newline. */
static enum relto_err dump(const json_t *root, char **out, char *err)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return oom(err);
	size_t n = strlen(text);
	char *t = realloc(text, n + 2);
	if (!t) {
		free(text);
		return oom(err);
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*out = t;
	return RELTO_OK;
}

enum relto_err admin_posture_change(const char *posture_json, size_t len, const json_t *changes,
                                    char **out, char *err)
{
	struct posture *p = NULL;
	json_error_t je;
	char *text = NULL;
	enum relto_err rc;
	if (!json_is_array(changes))
		return relto_seterr(err, RELTO_EINVAL, "changes: must be a list of operations, not %s",
		                    jsonh_kind(changes));
	if (json_array_size(changes) == 0)
		return relto_seterr(err, RELTO_EINVAL, "changes: the list is empty (no operations)");
	/* The operations assume the document's shape the loader checks. */
	if ((rc = posture_load("posture in force", posture_json, len, &p, err)) != RELTO_OK)
		return rc;
	posture_free(p);
	p = NULL;
	json_t *root = json_loadb(posture_json, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return oom(err); /* it loaded a moment ago */
	struct cx c = { root, 0, NULL, err };
	for (c.i = 0; c.i < json_array_size(changes); c.i++) {
		c.op = json_array_get(changes, c.i);
		if ((rc = apply_one(&c)) != RELTO_OK)
			goto out;
	}
	if ((rc = dump(root, &text, err)) != RELTO_OK)
		goto out;
	if ((rc = posture_load("after the changes", text, strlen(text), &p, err)) != RELTO_OK)
		goto out;
	posture_free(p);
	*out = text;
	text = NULL;
out:
	free(text);
	json_decref(root);
	return rc;
}

/* ---- CLI flags -------------------------------------------------------------- */

enum date_mode { DATE_NONE, DATE_OPTIONAL, DATE_REQUIRED };

/* PARTNER/OPERATOR/SEGMENT/VENDOR[@DATE] into op (an equipment operation). */
static enum relto_err equipment_flag(const char *flag, const char *opname, const char *arg,
                                     enum date_mode mode, const char *expected, json_t *changes,
                                     char *err)
{
	static const char *const keys[] = { "partner", "operator", "segment", "vendor" };
	char qa[84];
	char *copy = strdup(arg), *part[4], *s, *date = NULL;
	size_t n = 0;
	if (!copy)
		return oom(err);
	for (s = copy; n < 4; n++) {
		part[n] = s;
		if (!(s = strchr(s, '/')))
			break;
		*s++ = '\0';
	}
	if (n == 3 && (date = strchr(part[3], '@')) != NULL)
		*date++ = '\0';
	int ok = n == 3 && part[0][0] && part[1][0] && part[2][0] && part[3][0] &&
	         (mode != DATE_NONE || !date) && (mode != DATE_REQUIRED || date) && (!date || date[0]);
	if (!ok) {
		free(copy);
		return relto_seterr(err, RELTO_EINVAL, "--%s: expected %s, got '%s'", flag, expected,
		                    text_quote(arg, strlen(arg), 80, qa));
	}
	int clear = date && mode == DATE_REQUIRED && strcmp(date, "none") == 0;
	if (date && !clear && !posture_is_date(date)) {
		enum relto_err rc = relto_seterr(err, RELTO_EINVAL, "--%s: '%s' is not a date YYYY-MM-DD",
		                                 flag, text_quote(date, strlen(date), 40, qa));
		free(copy);
		return rc;
	}
	json_t *o = json_object();
	int bad = put(o, "op", json_string(opname));
	for (size_t i = 0; i < 4; i++)
		bad = bad || put(o, keys[i], json_string(part[i]));
	if (date)
		bad = bad || put(o, "deadline", clear ? json_null() : json_string(date));
	free(copy);
	if (bad || json_array_append_new(changes, o) != 0) {
		json_decref(bad ? o : NULL);
		return oom(err);
	}
	return RELTO_OK;
}

/* VENDOR=RISK into a set-vendor operation. */
static enum relto_err vendor_risk_flag(const char *arg, json_t *changes, char *err)
{
	const char *eq = strchr(arg, '=');
	char qa[84];
	if (!eq || eq == arg || !eq[1])
		return relto_seterr(err, RELTO_EINVAL, "--vendor-risk: expected VENDOR=RISK, got '%s'",
		                    text_quote(arg, strlen(arg), 80, qa));
	json_t *o = json_object();
	if (put(o, "op", json_string("set-vendor")) ||
	    put(o, "vendor", json_stringn(arg, (size_t)(eq - arg))) ||
	    put(o, "risk", json_string(eq + 1))) {
		json_decref(o);
		return oom(err);
	}
	if (json_array_append_new(changes, o) != 0)
		return oom(err);
	return RELTO_OK;
}

enum relto_err admin_change_from_flag(const char *flag, const char *arg, json_t *changes,
                                      char *err)
{
	char qf[44];
	if (!flag || !arg || !json_is_array(changes))
		return relto_seterr(err, RELTO_EINVAL, "a change flag needs a name, an argument and a list");
	if (strncmp(flag, "--", 2) == 0)
		flag += 2;
	if (strcmp(flag, "remove-equipment") == 0)
		return equipment_flag(flag, flag, arg, DATE_NONE, "PARTNER/OPERATOR/SEGMENT/VENDOR",
		                      changes, err);
	if (strcmp(flag, "add-equipment") == 0)
		return equipment_flag(flag, flag, arg, DATE_OPTIONAL,
		                      "PARTNER/OPERATOR/SEGMENT/VENDOR[@YYYY-MM-DD]", changes, err);
	if (strcmp(flag, "set-deadline") == 0)
		return equipment_flag(flag, flag, arg, DATE_REQUIRED,
		                      "PARTNER/OPERATOR/SEGMENT/VENDOR@YYYY-MM-DD or @none", changes, err);
	if (strcmp(flag, "vendor-risk") == 0)
		return vendor_risk_flag(arg, changes, err);
	return relto_seterr(err, RELTO_EINVAL,
	                    "unknown change flag '--%s' (--remove-equipment, --add-equipment, "
	                    "--set-deadline or --vendor-risk)",
	                    text_quote(flag, strlen(flag), 40, qf));
}
