/*
** overlay.c: marking overlays for imports (see overlay.h).
*/
#include <ctype.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "overlay.h"

#define MAX_RULES 64

struct rule {
	char type[64];            /* "" : any type */
	int percent;              /* 1..100: that share; 0: all */
	char ref[64];             /* the marking-definition id */
	char *statement;          /* banner text, or NULL for TLP */
};

struct overlay {
	struct rule rules[MAX_RULES];
	size_t n;
};

static const struct {
	const char *name, *id;
} tlp2[] = {
	{"TLP:CLEAR", "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
	{"TLP:GREEN", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"},
	{"TLP:AMBER", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
	{"TLP:AMBER+STRICT", "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
	{"TLP:RED", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
};

/* A UUID (version 4 layout, so STIX accepts it) derived from text. */
static void id_of(const char *text, char out[64])
{
	unsigned char h[16];
	crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text),
	                   (const unsigned char *)"relto-overlay-v1", 16);
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x40);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	snprintf(out, 64,
	         "marking-definition--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

/* A classification banner: starts with a level, printable ASCII. */
static int is_banner(const char *s)
{
	static const char *const levels[] = {"UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"};
	int level = 0;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(levels[i]);
		if (strncmp(s, levels[i], n) == 0 && (s[n] == '\0' || s[n] == '/'))
			level = 1;
	}
	for (const char *p = s; level && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return level;
}

enum relto_err overlay_add(struct overlay **ov, const char *spec, char *err)
{
	if (!*ov && !(*ov = calloc(1, sizeof(**ov))))
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if ((*ov)->n == MAX_RULES)
		return relto_seterr(err, RELTO_EINVAL, "--mark: at most %d rules", MAX_RULES);
	struct rule *r = &(*ov)->rules[(*ov)->n];
	memset(r, 0, sizeof(*r));
	const char *marking = spec;
	const char *eq = strchr(spec, '=');
	if (eq) {
		size_t n = (size_t)(eq - spec);
		if (n && spec[n - 1] == '%') {
			char *end;
			long pct = strtol(spec, &end, 10);
			if (end != spec + n - 1 || pct < 1 || pct > 100)
				return relto_seterr(err, RELTO_EINVAL, "--mark '%.80s': a share is 1%% to 100%%", spec);
			r->percent = (int)pct;
		} else {
			if (!n || n >= sizeof(r->type))
				return relto_seterr(err, RELTO_EINVAL, "--mark '%.80s': expected [TYPE=|N%%=]MARKING", spec);
			for (size_t i = 0; i < n; i++)
				if (!islower((unsigned char)spec[i]) && !isdigit((unsigned char)spec[i]) && spec[i] != '-')
					return relto_seterr(err, RELTO_EINVAL, "--mark '%.80s': '%.*s' is not a STIX type", spec,
					                    (int)n, spec);
			memcpy(r->type, spec, n);
		}
		marking = eq + 1;
	}
	for (size_t i = 0; i < sizeof(tlp2) / sizeof(tlp2[0]); i++)
		if (strcasecmp(marking, tlp2[i].name) == 0) {
			snprintf(r->ref, sizeof(r->ref), "%s", tlp2[i].id);
			(*ov)->n++;
			return RELTO_OK;
		}
	if (!is_banner(marking))
		return relto_seterr(err, RELTO_EINVAL,
		                    "--mark '%.80s': the marking is TLP:CLEAR|GREEN|AMBER|AMBER+STRICT|RED or a banner "
		                    "such as \"SECRET//REL TO USA, GBR\"", spec);
	if (!(r->statement = strdup(marking)))
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	id_of(marking, r->ref);
	(*ov)->n++;
	return RELTO_OK;
}

void overlay_free(struct overlay *ov)
{
	if (!ov)
		return;
	for (size_t i = 0; i < ov->n; i++)
		free(ov->rules[i].statement);
	free(ov);
}

/* Does rule r select the object (of type, with id)? */
static int selects(const struct rule *r, const char *type, const char *id)
{
	if (r->type[0])
		return strcmp(r->type, type) == 0;
	if (r->percent) {
		unsigned char h[8];
		crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), NULL, 0);
		uint64_t v = 0;
		for (int i = 0; i < 8; i++)
			v = v << 8 | h[i];
		return (int)(v % 100) < r->percent;
	}
	return 1;
}

static json_t *definition(const struct rule *r)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "marking-definition", "spec_version", "2.1",
	                 "id", r->ref, "created", "2024-01-01T00:00:00.000Z", "name", r->statement, "definition_type",
	                 "statement", "definition", "statement", r->statement);
}

enum relto_err overlay_apply(const struct overlay *ov, const char *body, size_t len, char **out, size_t *outlen,
                             size_t *marked, char *err)
{
	json_error_t je;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	json_t *objects = json_object_get(doc, "objects");
	*marked = 0;
	if (!doc || !json_is_array(objects)) {
		json_decref(doc);
		return doc ? relto_seterr(err, RELTO_EINVAL, "no \"objects\" list to mark")
		           : relto_seterr(err, RELTO_EINVAL, "not JSON: line %d, column %d: %s", je.line, je.column, je.text);
	}
	json_t *env = json_object(), *list = json_array();
	unsigned char used[MAX_RULES] = {0};
	enum relto_err rc = env && list && json_object_set(env, "objects", list) == 0 ? RELTO_OK : RELTO_ENOMEM;
	size_t i;
	json_t *o;
	json_array_foreach(objects, i, o) {
		if (rc)
			break;
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o, "id"));
		if (json_is_object(o) && type && id && strcmp(type, "marking-definition") != 0) {
			for (size_t k = 0; k < ov->n; k++) {
				if (!selects(&ov->rules[k], type, id))
					continue;
				json_t *refs = json_object_get(o, "object_marking_refs");
				if (!refs) {
					refs = json_array();
					if (!refs || json_object_set_new(o, "object_marking_refs", refs) != 0)
						rc = RELTO_ENOMEM;
				}
				if (!rc && json_is_array(refs) && json_array_append_new(refs, json_string(ov->rules[k].ref)) != 0)
					rc = RELTO_ENOMEM;
				used[k] = 1;
				(*marked)++;
				break;
			}
		}
		if (!rc && json_array_append(list, o) != 0)
			rc = RELTO_ENOMEM;
	}
	/* The banners' definitions go first, once each. */
	for (size_t k = 0, at = 0; !rc && k < ov->n; k++) {
		int dup = 0;
		for (size_t j = 0; j < k; j++)
			dup |= used[j] && strcmp(ov->rules[j].ref, ov->rules[k].ref) == 0;
		if (!used[k] || !ov->rules[k].statement || dup)
			continue;
		json_t *def = definition(&ov->rules[k]);
		if (!def || json_array_insert_new(list, at++, def) != 0)
			rc = RELTO_ENOMEM;
	}
	char *text = rc ? NULL : json_dumps(env, JSON_COMPACT);
	if (!rc && !text)
		rc = RELTO_ENOMEM;
	json_decref(list);
	json_decref(env);
	json_decref(doc);
	if (rc)
		return relto_seterr(err, rc, "out of memory");
	*out = text;
	*outlen = strlen(text);
	return RELTO_OK;
}
