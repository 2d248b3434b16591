/*
** redact.c: partial copies of objects for partners who may not see all of
** them (see redact.h).
*/
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "redact.h"
#include "../util/hash.h"

/* Required properties beyond the common ones (STIX 2.1 sections 4 to 7). */
static const struct required {
	const char *type;
	const char *props;   /* space-separated */
} required_props[] = {
	{"attack-pattern", "name"},
	{"campaign", "name"},
	{"course-of-action", "name"},
	{"grouping", "context object_refs"},
	{"identity", "name"},
	{"incident", "name"},
	{"indicator", "pattern pattern_type valid_from"},
	{"infrastructure", "name"},
	{"intrusion-set", "name"},
	{"malware", "is_family"},
	{"malware-analysis", "product"},
	{"note", "content object_refs"},
	{"observed-data", "first_observed last_observed number_observed"},
	{"opinion", "opinion object_refs"},
	{"report", "name published object_refs"},
	{"threat-actor", "name"},
	{"tool", "name"},
	{"vulnerability", "name"},
	{"relationship", "relationship_type source_ref target_ref"},
	{"sighting", "sighting_of_ref"},
	{"marking-definition", "definition_type definition"},
	{"language-content", "object_ref object_modified contents"},
	{"extension-definition", "name schema version extension_types created_by_ref"},
};

static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int redact_is_required(const char *type, const char *property)
{
	if (in_list("type spec_version id created modified", property))
		return strcmp(property, "modified") != 0 || strcmp(type, "marking-definition") != 0;
	for (size_t i = 0; i < sizeof(required_props) / sizeof(required_props[0]); i++)
		if (strcmp(required_props[i].type, type) == 0)
			return in_list(required_props[i].props, property);
	return 0;
}

int redact_may_be_required(const char *selector)
{
	/* The markings travel whole: a copy without some of its own marking
	** references (or granular markings) would misstate what it carries,
	** and an emptied list is not valid STIX (found by fuzzing). */
	size_t first = strcspn(selector, ".");
	if ((first == 19 && strncmp(selector, "object_marking_refs", 19) == 0) ||
	    (first == 17 && strncmp(selector, "granular_markings", 17) == 0))
		return 1;
	if (strchr(selector, '.'))
		return 0; /* nested: never a top-level required property */
	if (in_list("type spec_version id created modified", selector))
		return 1;
	for (size_t i = 0; i < sizeof(required_props) / sizeof(required_props[0]); i++)
		if (in_list(required_props[i].props, selector))
			return 1;
	return 0;
}

/* Follow a selector ("description", "external_references.[0].url") to
** the value's parent and its key or index.  Returns 0 if the path does
** not lead anywhere (nothing to strip). */
static int locate(json_t *root, const char *selector, json_t **parent, char *key, size_t keysize,
                  size_t *index, int *is_index)
{
	json_t *cur = root, *par = NULL;
	const char *p = selector;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n >= keysize)
			return 0;
		par = cur;
		if (p[0] == '[' && p[n - 1] == ']') {
			char *end = NULL;
			unsigned long i = strtoul(p + 1, &end, 10);
			if (end != p + n - 1 || !json_is_array(cur) || i >= json_array_size(cur))
				return 0;
			*index = i;
			*is_index = 1;
			cur = json_array_get(cur, i);
		} else {
			memcpy(key, p, n);
			key[n] = '\0';
			*is_index = 0;
			if (!json_is_object(cur) || !(cur = json_object_get(cur, key)))
				return 0;
		}
		p = dot ? dot + 1 : p + n;
	}
	*parent = par;
	return par != NULL;
}

/* Replace every selected value with a JSON null first, then drop the
** nulls: deleting list items at once would shift the indices later
** selectors use.  (STIX 2.1 forbids null property values, so no null
** that was in the object is lost by this.) */
static int strip(json_t *obj, const char *type, const struct redaction *r)
{
	json_t *gone = json_null();
	for (size_t i = 0; i < r->nselectors; i++) {
		json_t *parent;
		/* As long as the selector: a key of any length is found (a fixed
		** buffer once let a long property name escape redaction). */
		size_t keysize = strlen(r->selectors[i]) + 1;
		char *key = malloc(keysize);
		size_t index = 0;
		int is_index = 0;
		if (!key)
			return -1; /* cannot redact: withhold */
		if (!locate(obj, r->selectors[i], &parent, key, keysize, &index, &is_index)) {
			free(key);
			continue;
		}
		int required = redact_may_be_required(r->selectors[i]) ||
		               (parent == obj && !is_index && redact_is_required(type, key));
		if (!required && is_index)
			json_array_set(parent, index, gone);
		else if (!required)
			json_object_set(parent, key, gone);
		free(key);
		if (required)
			return -1;
	}
	return 0;
}

/* Drop the nulls strip() left, and the lists left empty by that (STIX
** forbids empty lists).  Returns 1 when v is a list it emptied, for the
** caller to drop. */
static int drop_nulls(json_t *v, json_t *gone)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x, *tmp;
		json_object_foreach_safe(v, tmp, k, x)
		{
			if (x == gone || drop_nulls(x, gone))
				json_object_del(v, k);
		}
	} else if (json_is_array(v)) {
		size_t had = json_array_size(v);
		for (size_t i = had; i-- > 0;) {
			json_t *x = json_array_get(v, i);
			if (x == gone || drop_nulls(x, gone))
				json_array_remove(v, i);
		}
		return had && !json_array_size(v);
	}
	return 0;
}

/* drop_nulls for the object itself: a required property emptied that way
** (a report's object_refs) withholds the object.  -1 then. */
static int drop_nulls_top(json_t *obj, const char *type, json_t *gone)
{
	const char *k;
	json_t *x, *tmp;
	json_object_foreach_safe(obj, tmp, k, x)
	{
		if (x == gone) {
			json_object_del(obj, k);
		} else if (drop_nulls(x, gone)) {
			if (redact_is_required(type, k))
				return -1;
			json_object_del(obj, k);
		}
	}
	return 0;
}

/* Remove hidden ids from object_refs.  -1 when none would remain. */
static int drop_refs(json_t *obj, const char *hidden_json)
{
	json_t *hidden = json_loads(hidden_json, 0, NULL);
	json_t *refs = json_object_get(obj, "object_refs");
	if (!json_is_array(hidden) || !json_is_array(refs)) {
		json_decref(hidden);
		return 0;
	}
	for (size_t i = json_array_size(refs); i-- > 0;) {
		const char *id = json_string_value(json_array_get(refs, i));
		size_t j;
		json_t *h;
		json_array_foreach(hidden, j, h)
		{
			if (id && json_string_value(h) && strcmp(id, json_string_value(h)) == 0) {
				json_array_remove(refs, i);
				break;
			}
		}
	}
	json_decref(hidden);
	return json_array_size(refs) ? 0 : -1;
}

enum relto_err redact_object(const char *raw, size_t len, const struct redaction *r, struct buf *out,
                             int *withheld)
{
	*withheld = 0;
	json_t *obj = json_loadb(raw, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return RELTO_EINVAL;
	}
	const char *type = json_string_value(json_object_get(obj, "type"));
	int gone = strip(obj, type ? type : "", r) != 0;
	if (!gone)
		gone = drop_nulls_top(obj, type ? type : "", json_null()) != 0;
	if (!gone && r->hidden_refs && strcmp(r->hidden_refs, "[]") != 0)
		gone = drop_refs(obj, r->hidden_refs) != 0;
	enum relto_err rc = RELTO_OK;
	if (gone) {
		*withheld = 1;
	} else {
		char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rc = text ? buf_puts(out, text) : RELTO_ENOMEM;
		free(text);
	}
	json_decref(obj);
	return rc;
}

/* ---- the cache ---- */

#define CACHE_SLOTS 4096

struct cache_slot {
	char *key;         /* cache_key's bytes (key_len), NULL: empty */
	size_t key_len;
	char *copy;        /* NULL: empty (or a withheld result, see withheld) */
	size_t len;
	int withheld;
};

struct redact_cache {
	pthread_mutex_t lock;
	size_t max_bytes, bytes;
	struct cache_slot slots[CACHE_SLOTS];
};

enum relto_err redact_cache_new(size_t max_bytes, struct redact_cache **out)
{
	struct redact_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return RELTO_ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->max_bytes = max_bytes;
	*out = c;
	return RELTO_OK;
}

void redact_cache_free(struct redact_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(c->slots[i].key);
		free(c->slots[i].copy);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* What a copy is made from, as bytes compared whole: the row (its seq:
** stored objects never change), each selector and the hidden references,
** each followed by a NUL (which none of them holds).  The slot comes from
** a hash of them; a collision costs a copy made again, never the wrong
** one.  (A 16-byte BLAKE2b of them, compared alone, was 1% of a partner's
** uncached page.) */
static enum relto_err cache_key(int64_t seq, const struct redaction *r, struct buf *key)
{
	unsigned char s[8];
	for (int i = 0; i < 8; i++)
		s[i] = (unsigned char)((uint64_t)seq >> (8 * i));
	enum relto_err rc = buf_append(key, s, sizeof(s));
	for (size_t i = 0; !rc && i < r->nselectors; i++)
		rc = buf_append(key, r->selectors[i], strlen(r->selectors[i]) + 1);
	if (!rc)
		rc = buf_putc(key, '\001');
	if (!rc && r->hidden_refs)
		rc = buf_append(key, r->hidden_refs, strlen(r->hidden_refs) + 1);
	return rc;
}

/* The slot of a key. */
static size_t slot_of(const struct buf *key)
{
	return (size_t)(hash_bytes(key->data, key->len, 0) % CACHE_SLOTS);
}

enum relto_err redact_cached(struct redact_cache *cache, int64_t seq, const char *raw, size_t len,
                             const struct redaction *r, struct buf *out, int *withheld)
{
	struct buf key;
	buf_init(&key, (size_t)1 << 24);
	if (!cache || cache_key(seq, r, &key)) {
		buf_free(&key);
		return redact_object(raw, len, r, out, withheld);
	}
	struct cache_slot *s = &cache->slots[slot_of(&key)];
	enum relto_err rc = RELTO_OK;
	int hit = 0;
	pthread_mutex_lock(&cache->lock);
	if (s->key && s->key_len == key.len && memcmp(s->key, key.data, key.len) == 0) {
		hit = 1;
		*withheld = s->withheld;
		if (!s->withheld)
			rc = buf_append(out, s->copy, s->len);
	}
	pthread_mutex_unlock(&cache->lock);
	if (hit) {
		buf_free(&key);
		return rc;
	}
	size_t start = out->len;
	rc = redact_object(raw, len, r, out, withheld);
	if (rc) {
		buf_free(&key);
		return rc;
	}
	size_t n = out->len - start;
	char *copy = n ? malloc(n) : NULL;
	if (n && !copy) {
		buf_free(&key);
		return RELTO_OK; /* not kept; the answer is still right */
	}
	if (n)
		memcpy(copy, out->data + start, n);
	size_t key_len = key.len;
	char *kept = buf_steal(&key);
	pthread_mutex_lock(&cache->lock);
	size_t had = s->key ? s->len + s->key_len : 0;
	if (kept && cache->bytes - had + n + key_len <= cache->max_bytes) {
		cache->bytes = cache->bytes - had + n + key_len;
		free(s->key);
		free(s->copy);
		s->key = kept;
		s->key_len = key_len;
		s->copy = copy;
		s->len = n;
		s->withheld = *withheld;
		copy = kept = NULL;
	}
	pthread_mutex_unlock(&cache->lock);
	free(copy);
	free(kept);
	return RELTO_OK;
}
