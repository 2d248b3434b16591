/*
** stix.c: check one STIX 2.1 object's common properties (type, id,
** spec_version, created/modified, created_by_ref, revoked, data markings)
** and extract what the store and the release filter need into struct
** stix_meta, including the canonical form of the object's markings that
** the store interns as a marking set (DESIGN.md decision 2).
**
** Only the common properties are checked: they decide identity, versioning
** and releasability.  Type-specific properties are the producer's business.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stix.h"
#include "../jsonh/jsonh.h"
#include "../util/text.h"
#include "../util/ts.h"

/* Longest piece of input quoted back in an error message, so that the
** message still fits RELTO_ERRBUF_SIZE. */
#define QUOTE_MAX 80

/* The STIX 2.1 cyber-observable types (section 6), sorted for bsearch.
** They may omit spec_version and carry neither created nor modified. */
static const char *const sco_types[] = {
	"artifact", "autonomous-system", "directory", "domain-name", "email-addr",
	"email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
	"network-traffic", "process", "software", "url", "user-account",
	"windows-registry-key", "x509-certificate",
};

/* How an object is versioned, which decides what it must carry. */
enum kind {
	KIND_SDO,     /* SDOs, SROs, language-content, extension-definition, custom */
	KIND_SCO,     /* created/modified optional, spec_version optional */
	KIND_MARKING, /* created required, modified forbidden */
};

/* A timestamp property as found on the object. */
struct tsprop {
	const char *text; /* NULL when the property is absent */
	size_t len;
	int64_t us;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Read the string property key.  RELTO_OK with *s = NULL when absent;
** EINVAL when it is not a string or holds a NUL (which C code downstream
** would silently cut at). */
static enum relto_err get_str(const json_t *obj, const char *key, const char **s,
                              size_t *len, char *err)
{
	const json_t *v = json_object_get(obj, key);
	*s = NULL;
	*len = 0;
	if (!v)
		return RELTO_OK;
	if (!json_is_string(v))
		return relto_seterr(err, RELTO_EINVAL, "%s: must be a string, not %s", key,
		                    jsonh_kind(v));
	*s = json_string_value(v);
	*len = json_string_length(v);
	if (strlen(*s) != *len)
		return relto_seterr(err, RELTO_EINVAL, "%s: contains a NUL character", key);
	return RELTO_OK;
}

/* STIX 2.1 section 3.1: 3..250 of a-z 0-9 '-', starting with a letter, not
** ending with '-', and no "--" (which separates type from UUID in an id). */
static enum relto_err check_type(const char *t, size_t n, char *err)
{
	const char *why = NULL;
	if (n < 3)
		why = "shorter than 3 characters";
	else if (n > STIX_TYPE_MAX)
		why = "longer than 250 characters";
	else if (t[0] < 'a' || t[0] > 'z')
		why = "must start with a letter a-z";
	else if (t[n - 1] == '-')
		why = "must not end with '-'";
	for (size_t i = 0; !why && i < n; i++) {
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			why = "only a-z, 0-9 and '-' are allowed";
		else if (t[i] == '-' && i + 1 < n && t[i + 1] == '-')
			why = "must not contain '--'";
	}
	char q[QUOTE_MAX + 4];
	if (why)
		return relto_seterr(err, RELTO_EINVAL, "type: '%s' is not a STIX type (%s)",
		                    text_quote(t, n, QUOTE_MAX, q), why);
	if (n == 6 && memcmp(t, "bundle", 6) == 0)
		return relto_seterr(err, RELTO_EINVAL,
		                    "type: 'bundle' is a container, not an object");
	return RELTO_OK;
}

/* Why u (36 bytes) is not a UUID in lower-case 8-4-4-4-12 form, or NULL. */
static const char *uuid_problem(const char *u)
{
	for (int i = 0; i < 36; i++) {
		char c = u[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return "not 8-4-4-4-12 hex";
		} else if (c >= 'A' && c <= 'F') {
			return "UUID must be lower-case";
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return "not 8-4-4-4-12 hex";
		}
	}
	return NULL;
}

/* Check that s is "<type>--<UUID>", naming prop in the message. */
static enum relto_err check_ref(const char *s, size_t n, const char *type, const char *prop,
                                char *err)
{
	size_t tn = strlen(type);
	char q[QUOTE_MAX + 4];
	if (n < tn + 2 || memcmp(s, type, tn) != 0 || s[tn] != '-' || s[tn + 1] != '-')
		return relto_seterr(err, RELTO_EINVAL, "%s: '%s' is not '%s--<UUID>'", prop,
		                    text_quote(s, n, QUOTE_MAX, q), type);
	const char *why = n == tn + 2 + 36 ? uuid_problem(s + tn + 2) : "not 8-4-4-4-12 hex";
	if (why)
		return relto_seterr(err, RELTO_EINVAL, "%s: '%s' is not '%s--<UUID>' (%s)", prop,
		                    text_quote(s, n, QUOTE_MAX, q), type, why);
	return RELTO_OK;
}

/* A custom object declared by an extension definition as a new SCO
** ("extensions": {"extension-definition--…": {"extension_type":
** "new-sco"}}) is versioned like the built-in SCOs. */
static int declares_new_sco(const json_t *obj)
{
	const json_t *exts = json_object_get(obj, "extensions");
	const char *key;
	const json_t *ext;
	json_object_foreach((json_t *)exts, key, ext) {
		const char *et = json_string_value(json_object_get(ext, "extension_type"));
		if (strncmp(key, "extension-definition--", 22) == 0 && et &&
		    strcmp(et, "new-sco") == 0)
			return 1;
	}
	return 0;
}

static enum kind kind_of(const char *type, const json_t *obj)
{
	if (strcmp(type, "marking-definition") == 0)
		return KIND_MARKING;
	if (bsearch(&type, sco_types, sizeof(sco_types) / sizeof(sco_types[0]),
	            sizeof(sco_types[0]), cmp_str))
		return KIND_SCO;
	return declares_new_sco(obj) ? KIND_SCO : KIND_SDO;
}

/* spec_version: required but for SCOs, and "2.1" wherever it is given. */
static enum relto_err check_spec_version(const json_t *obj, enum kind k, const char *type,
                                         struct stix_meta *m, char *err)
{
	const char *s;
	size_t n;
	enum relto_err rc = get_str(obj, "spec_version", &s, &n, err);
	if (rc)
		return rc;
	char q[QUOTE_MAX + 4];
	if (!s && k != KIND_SCO)
		return relto_seterr(err, RELTO_EINVAL, "spec_version: missing (required on %s)",
		                    type);
	if (s && (n != 3 || memcmp(s, "2.1", 3) != 0))
		return relto_seterr(err, RELTO_EINVAL,
		                    "spec_version: '%s' is not '2.1' (relto takes STIX 2.1 only)",
		                    text_quote(s, n, QUOTE_MAX, q));
	memcpy(m->spec_version, "2.1", 4);
	return RELTO_OK;
}

static enum relto_err get_ts(const json_t *obj, const char *key, struct tsprop *t, char *err)
{
	enum relto_err rc = get_str(obj, key, &t->text, &t->len, err);
	if (rc || !t->text)
		return rc;
	char why[RELTO_ERRBUF_SIZE] = "";
	if (ts_parse(t->text, t->len, &t->us, why))
		return relto_seterr(err, RELTO_EINVAL, "%s: %s", key, why);
	return RELTO_OK;
}

/* created and modified: presence by kind, order, and the version key. */
static enum relto_err check_versioning(const json_t *obj, enum kind k, const char *type,
                                       struct stix_meta *m, char *err)
{
	struct tsprop created, modified;
	enum relto_err rc = get_ts(obj, "created", &created, err);
	if (!rc)
		rc = get_ts(obj, "modified", &modified, err);
	if (rc)
		return rc;
	if (k != KIND_SCO && !created.text)
		return relto_seterr(err, RELTO_EINVAL, "created: missing (required on %s)", type);
	if (k == KIND_SDO && !modified.text)
		return relto_seterr(err, RELTO_EINVAL, "modified: missing (required on %s)", type);
	if (k == KIND_MARKING && modified.text)
		return relto_seterr(err, RELTO_EINVAL,
		                    "modified: not allowed on marking-definition "
		                    "(marking definitions are not versioned)");
	if (created.text && modified.text && modified.us < created.us)
		return relto_seterr(err, RELTO_EINVAL, "modified: earlier than created");

	m->has_created = created.text != NULL;
	m->created = created.text ? created.us : 0;
	const struct tsprop *v = modified.text ? &modified : created.text ? &created : NULL;
	if (!v)
		return RELTO_OK;
	/* version_text is kept as written; 39 characters allow 18 fraction
	** digits, far past the microseconds relto can tell apart. */
	if (v->len >= sizeof(m->version_text))
		return relto_seterr(err, RELTO_EINVAL, "%s: longer than %zu characters",
		                    v == &modified ? "modified" : "created",
		                    sizeof(m->version_text) - 1);
	m->has_version = 1;
	m->version = v->us;
	memcpy(m->version_text, v->text, v->len);
	m->version_text[v->len] = '\0';
	return RELTO_OK;
}

/* created_by_ref (an identity) and revoked (a boolean). */
static enum relto_err check_provenance(const json_t *obj, struct stix_meta *m, char *err)
{
	const char *s;
	size_t n;
	enum relto_err rc = get_str(obj, "created_by_ref", &s, &n, err);
	if (!rc && s)
		rc = check_ref(s, n, "identity", "created_by_ref", err);
	if (rc)
		return rc;
	if (s) {
		memcpy(m->created_by_ref, s, n);
		m->created_by_ref[n] = '\0';
	}
	const json_t *rev = json_object_get(obj, "revoked");
	if (rev && !json_is_boolean(rev))
		return relto_seterr(err, RELTO_EINVAL, "revoked: must be a boolean, not %s",
		                    jsonh_kind(rev));
	m->revoked = json_is_true(rev);
	return RELTO_OK;
}

/* ---- markings ---------------------------------------------------------- */

/* One (marking, selector) pair of a granular marking.  The marking is a
** marking-definition id or, for is_lang, a language tag written "lang:<tag>"
** in the canonical form. */
struct gm_pair {
	const char *ref;
	int is_lang;
	const char *sel;
};

/* Order of the canonical keys: "lang:..." sorts before
** "marking-definition--..." ('l' < 'm'), and within each group the order
** of the full key is the order of what follows the common prefix. */
static int cmp_pair(const void *a, const void *b)
{
	const struct gm_pair *x = a, *y = b;
	if (x->is_lang != y->is_lang)
		return x->is_lang ? -1 : 1;
	int c = strcmp(x->ref, y->ref);
	return c ? c : strcmp(x->sel, y->sel);
}

/* Collect object_marking_refs into refs (json_array_size entries, sorted
** and without duplicates on return; *n is the count). */
static enum relto_err collect_refs(const json_t *omr, const char **refs, size_t *n, char *err)
{
	char prop[48];
	size_t i;
	const json_t *v;
	*n = 0;
	json_array_foreach(omr, i, v) {
		snprintf(prop, sizeof(prop), "object_marking_refs[%zu]", i);
		if (!json_is_string(v))
			return relto_seterr(err, RELTO_EINVAL, "%s: must be a string, not %s", prop,
			                    jsonh_kind(v));
		enum relto_err rc = check_ref(json_string_value(v), json_string_length(v),
		                              "marking-definition", prop, err);
		if (rc)
			return rc;
		refs[(*n)++] = json_string_value(v);
	}
	qsort(refs, *n, sizeof(*refs), cmp_str);
	size_t out = 0;
	for (i = 0; i < *n; i++)
		if (out == 0 || strcmp(refs[out - 1], refs[i]) != 0)
			refs[out++] = refs[i];
	*n = out;
	return RELTO_OK;
}

/* Check one granular marking (index gi) and find its marking: *ref and
** *is_lang. */
static enum relto_err check_granular(const json_t *g, size_t gi, const char **ref,
                                     int *is_lang, char *err)
{
	char prop[64];
	if (!json_is_object(g))
		return relto_seterr(err, RELTO_EINVAL, "granular_markings[%zu]: must be an object, not %s",
		                    gi, jsonh_kind(g));
	const json_t *sels = json_object_get(g, "selectors");
	if (!json_is_array(sels) || json_array_size(sels) == 0)
		return relto_seterr(err, RELTO_EINVAL,
		                    "granular_markings[%zu].selectors: must be a non-empty list", gi);
	size_t si;
	const json_t *s;
	json_array_foreach(sels, si, s) {
		if (!json_is_string(s) || json_string_length(s) == 0)
			return relto_seterr(err, RELTO_EINVAL,
			                    "granular_markings[%zu].selectors[%zu]: must be a non-empty string",
			                    gi, si);
	}
	const json_t *mref = json_object_get(g, "marking_ref"), *lang = json_object_get(g, "lang");
	if ((mref != NULL) == (lang != NULL))
		return relto_seterr(err, RELTO_EINVAL,
		                    "granular_markings[%zu]: needs exactly one of marking_ref and lang", gi);
	if (lang) {
		if (!json_is_string(lang) || json_string_length(lang) == 0)
			return relto_seterr(err, RELTO_EINVAL,
			                    "granular_markings[%zu].lang: must be a non-empty string", gi);
		*ref = json_string_value(lang);
		*is_lang = 1;
		return RELTO_OK;
	}
	snprintf(prop, sizeof(prop), "granular_markings[%zu].marking_ref", gi);
	if (!json_is_string(mref))
		return relto_seterr(err, RELTO_EINVAL, "%s: must be a string, not %s", prop,
		                    jsonh_kind(mref));
	*ref = json_string_value(mref);
	*is_lang = 0;
	return check_ref(*ref, json_string_length(mref), "marking-definition", prop, err);
}

/* Check granular_markings and collect every (marking, selector) pair into
** pairs (room for all selectors), sorted and unique; *n is the count. */
static enum relto_err collect_pairs(const json_t *gms, struct gm_pair *pairs, size_t *n,
                                    char *err)
{
	size_t gi, si;
	const json_t *g, *s;
	*n = 0;
	json_array_foreach(gms, gi, g) {
		const char *ref = NULL;
		int is_lang = 0;
		enum relto_err rc = check_granular(g, gi, &ref, &is_lang, err);
		if (rc)
			return rc;
		const json_t *sels = json_object_get(g, "selectors");
		json_array_foreach(sels, si, s)
			pairs[(*n)++] = (struct gm_pair){ ref, is_lang, json_string_value(s) };
	}
	qsort(pairs, *n, sizeof(*pairs), cmp_pair);
	size_t out = 0;
	for (size_t i = 0; i < *n; i++)
		if (out == 0 || cmp_pair(&pairs[out - 1], &pairs[i]) != 0)
			pairs[out++] = pairs[i];
	*n = out;
	return RELTO_OK;
}

/* Room needed for the pairs of gms (a list already known to be one). */
static size_t count_selectors(const json_t *gms)
{
	size_t gi, total = 0;
	const json_t *g;
	json_array_foreach(gms, gi, g)
		total += json_array_size(json_object_get(g, "selectors"));
	return total;
}

/* Append [key, []] to gl and return the inner list (borrowed), or NULL
** when out of memory.  Consumes key. */
static json_t *add_marking(json_t *gl, json_t *key)
{
	json_t *entry = json_array(), *sels = json_array();
	if (!entry || !sels || !key) {
		json_decref(entry);
		json_decref(sels);
		json_decref(key);
		return NULL;
	}
	/* json_array_append_new() consumes its value even when it fails. */
	if (json_array_append_new(entry, key)) {
		json_decref(sels);
		json_decref(entry);
		return NULL;
	}
	if (json_array_append_new(entry, sels)) {
		json_decref(entry);
		return NULL;
	}
	return json_array_append_new(gl, entry) ? NULL : sels;
}

/* The canonical JSON text of sorted, unique refs and pairs (see stix.h);
** malloc'd, NULL when out of memory. */
static char *canon_text(const char **refs, size_t nrefs, const struct gm_pair *pairs,
                        size_t npairs)
{
	json_t *root = json_object(), *o = json_array(), *gl = json_array(), *sels = NULL;
	int bad = !root || !o || !gl;
	for (size_t i = 0; !bad && i < nrefs; i++)
		bad = json_array_append_new(o, json_string(refs[i]));
	for (size_t i = 0; !bad && i < npairs; i++) {
		/* Pairs are sorted, so the selectors of one marking are adjacent. */
		if (i == 0 || pairs[i].is_lang != pairs[i - 1].is_lang ||
		    strcmp(pairs[i].ref, pairs[i - 1].ref) != 0) {
			sels = add_marking(gl, pairs[i].is_lang ? json_sprintf("lang:%s", pairs[i].ref)
			                                        : json_string(pairs[i].ref));
			bad = !sels;
		}
		bad = bad || json_array_append_new(sels, json_string(pairs[i].sel));
	}
	if (!bad && nrefs)
		bad = json_object_set(root, "o", o);
	if (!bad && npairs)
		bad = json_object_set(root, "g", gl);
	char *text = NULL;
	size_t size = bad ? 0 : json_dumpb(root, NULL, 0, JSON_COMPACT);
	if (size && (text = malloc(size + 1)) != NULL) {
		json_dumpb(root, text, size, JSON_COMPACT);
		text[size] = '\0';
	}
	json_decref(root);
	json_decref(o);
	json_decref(gl);
	return text;
}

/* Check object_marking_refs and granular_markings and set m->marking_canon
** ("" when the object has no markings: heap-allocated all the same, so
** callers never meet NULL after success and stix_meta_clear always frees). */
static enum relto_err check_markings(const json_t *obj, struct stix_meta *m, char *err)
{
	const json_t *omr = json_object_get(obj, "object_marking_refs");
	const json_t *gms = json_object_get(obj, "granular_markings");
	if (omr && (!json_is_array(omr) || json_array_size(omr) == 0))
		return relto_seterr(err, RELTO_EINVAL, "object_marking_refs: must be a non-empty list");
	if (gms && (!json_is_array(gms) || json_array_size(gms) == 0))
		return relto_seterr(err, RELTO_EINVAL, "granular_markings: must be a non-empty list");
	if (!omr && !gms) {
		m->marking_canon = calloc(1, 1);
		return m->marking_canon ? RELTO_OK
		                        : relto_seterr(err, RELTO_ENOMEM, "out of memory writing markings");
	}

	size_t nrefs = 0, npairs = 0, room = gms ? count_selectors(gms) : 0;
	const char **refs = omr ? malloc(json_array_size(omr) * sizeof(*refs)) : NULL;
	struct gm_pair *pairs = room ? malloc(room * sizeof(*pairs)) : NULL;
	enum relto_err rc = RELTO_OK;
	if ((omr && !refs) || (room && !pairs)) {
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory reading markings");
		goto out;
	}
	if (omr && (rc = collect_refs(omr, refs, &nrefs, err)) != RELTO_OK)
		goto out;
	if (gms && (rc = collect_pairs(gms, pairs, &npairs, err)) != RELTO_OK)
		goto out;
	m->marking_canon = canon_text(refs, nrefs, pairs, npairs);
	if (!m->marking_canon)
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory writing markings");
out:
	free(refs);
	free(pairs);
	return rc;
}

/* ---- the object -------------------------------------------------------- */

void stix_meta_clear(struct stix_meta *m)
{
	if (!m)
		return;
	free(m->marking_canon);
	memset(m, 0, sizeof(*m));
}

/* type and id; fills m->type and m->id. */
static enum relto_err check_identity(const json_t *obj, struct stix_meta *m, char *err)
{
	const char *type, *id;
	size_t tn, idn;
	enum relto_err rc = get_str(obj, "type", &type, &tn, err);
	if (!rc && !type)
		rc = relto_seterr(err, RELTO_EINVAL, "type: missing");
	if (!rc)
		rc = check_type(type, tn, err);
	if (rc)
		return rc;
	memcpy(m->type, type, tn + 1);
	rc = get_str(obj, "id", &id, &idn, err);
	if (!rc && !id)
		rc = relto_seterr(err, RELTO_EINVAL, "id: missing");
	if (!rc)
		rc = check_ref(id, idn, type, "id", err);
	if (rc)
		return rc;
	memcpy(m->id, id, idn + 1);
	return RELTO_OK;
}

enum relto_err stix_validate(const json_t *obj, struct stix_meta *out, char *err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return relto_seterr(err, RELTO_EINVAL, "object: must be a JSON object, not %s",
		                    obj ? jsonh_kind(obj) : "nothing");
	enum relto_err rc = check_identity(obj, out, err);
	enum kind k = rc ? KIND_SDO : kind_of(out->type, obj);
	if (!rc)
		rc = check_spec_version(obj, k, out->type, out, err);
	if (!rc)
		rc = check_versioning(obj, k, out->type, out, err);
	if (!rc)
		rc = check_provenance(obj, out, err);
	if (!rc)
		rc = check_markings(obj, out, err);
	if (rc)
		stix_meta_clear(out);
	return rc;
}
