/*
** refs.c: which ids an object refers to, for releasability (see
** stix_refs in stix.h).  Only references that decide whether an object
** may be released are listed; created_by_ref and marking references are
** not (identities and markings are released on their own terms).
*/
#include <string.h>
#include "stix.h"

/* Properties holding references, by object type. */
static const struct ref_rule {
	const char *type;
	const char *property;
	int required;
} rules[] = {
	{"relationship", "source_ref", 1},
	{"relationship", "target_ref", 1},
	{"sighting", "sighting_of_ref", 1},
	{"sighting", "observed_data_refs", 1},
	{"sighting", "where_sighted_refs", 1},
	{"report", "object_refs", 0},
	{"grouping", "object_refs", 0},
	{"note", "object_refs", 0},
	{"opinion", "object_refs", 0},
	{"observed-data", "object_refs", 0},
};

static enum relto_err one(const json_t *v, int required, stix_ref_fn fn, void *ctx)
{
	if (json_is_string(v))
		return fn(ctx, json_string_value(v), required);
	if (!json_is_array(v))
		return RELTO_OK;
	size_t i;
	const json_t *item;
	enum relto_err rc = RELTO_OK;
	json_array_foreach(v, i, item)
	{
		if (!rc && json_is_string(item))
			rc = fn(ctx, json_string_value(item), required);
	}
	return rc;
}

enum relto_err stix_refs(const json_t *obj, stix_ref_fn fn, void *ctx)
{
	const char *type = json_string_value(json_object_get(obj, "type"));
	if (!type)
		return RELTO_OK;
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; !rc && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].type, type) == 0)
			rc = one(json_object_get(obj, rules[i].property), rules[i].required, fn, ctx);
	return rc;
}
