/*
** stix_test.c: unit tests for src/stix/stix.c (stix_validate and the
** canonical marking form), plus the real ATT&CK ICS and Mobile bundles
** walked with stix_envelope_each() and validated object by object.
**
** Most cases start from a valid base object and apply a patch: set some
** properties, delete others.  A case then shows exactly what it changes and
** the exact message expected, so a changed message is a deliberate act.
*/
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "stix/stix.h"

#define U1 "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_IDENTITY "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
#define TLP_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define ATTACK_MD "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168"

static const char base_indicator[] =
	"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--" U1 "\","
	"\"created\":\"2016-04-06T20:03:48.000Z\",\"modified\":\"2016-04-06T20:03:48.123Z\","
	"\"created_by_ref\":\"" ID_IDENTITY "\",\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\","
	"\"pattern_type\":\"stix\",\"valid_from\":\"2016-01-01T00:00:00Z\","
	"\"object_marking_refs\":[\"" TLP_GREEN "\"]}";

static const char base_marking[] =
	"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
	"\"id\":\"" TLP_AMBER "\",\"created\":\"2017-01-20T00:00:00.000Z\","
	"\"definition_type\":\"tlp\",\"name\":\"TLP:AMBER\",\"definition\":{\"tlp\":\"amber\"}}";

static const char base_sco[] =
	"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\","
	"\"value\":\"198.51.100.3\"}";

static const char base_custom[] =
	"{\"type\":\"x-mitre-tactic\",\"spec_version\":\"2.1\","
	"\"id\":\"x-mitre-tactic--" U1 "\",\"created\":\"2018-10-17T00:14:20.652Z\","
	"\"modified\":\"2018-10-17T00:14:20.652Z\",\"name\":\"Collection\"}";

/* Parse base, then set every member of patch (JSON text) and delete each
** key of the space-separated list del.  Returns a new object. */
static json_t *patched(const char *base, const char *patch, const char *del)
{
	json_t *obj = json_loads(base, JSON_REJECT_DUPLICATES, NULL);
	if (!obj)
		return NULL;
	if (patch) {
		json_t *p = json_loads(patch, JSON_REJECT_DUPLICATES, NULL);
		if (!p || json_object_update(obj, p)) {
			json_decref(p);
			json_decref(obj);
			return NULL;
		}
		json_decref(p);
	}
	for (const char *k = del; k && *k;) {
		size_t n = strcspn(k, " ");
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)n, k);
		json_object_del(obj, key);
		k += n + (k[n] == ' ');
	}
	return obj;
}

struct bad_case {
	const char *base;
	const char *patch; /* members to set, as a JSON object */
	const char *del;   /* keys to delete, space-separated */
	const char *err;   /* the exact message */
};

static const struct bad_case bad[] = {
	/* type */
	{ base_indicator, NULL, "type", "type: missing" },
	{ base_indicator, "{\"type\":7}", NULL, "type: must be a string, not a number" },
	{ base_indicator, "{\"type\":\"ab\"}", NULL,
	  "type: 'ab' is not a STIX type (shorter than 3 characters)" },
	{ base_indicator, "{\"type\":\"Indicator\"}", NULL,
	  "type: 'Indicator' is not a STIX type (must start with a letter a-z)" },
	{ base_indicator, "{\"type\":\"1abc\"}", NULL,
	  "type: '1abc' is not a STIX type (must start with a letter a-z)" },
	{ base_indicator, "{\"type\":\"x_foo\"}", NULL,
	  "type: 'x_foo' is not a STIX type (only a-z, 0-9 and '-' are allowed)" },
	{ base_indicator, "{\"type\":\"x-fOo\"}", NULL,
	  "type: 'x-fOo' is not a STIX type (only a-z, 0-9 and '-' are allowed)" },
	{ base_indicator, "{\"type\":\"x--foo\"}", NULL,
	  "type: 'x--foo' is not a STIX type (must not contain '--')" },
	{ base_indicator, "{\"type\":\"x-foo-\"}", NULL,
	  "type: 'x-foo-' is not a STIX type (must not end with '-')" },
	{ base_indicator, "{\"type\":\"x-f\\u00e9e\"}", NULL,
	  "type: 'x-f??e' is not a STIX type (only a-z, 0-9 and '-' are allowed)" },
	{ base_indicator, "{\"type\":\"bundle\",\"id\":\"bundle--" U1 "\"}", NULL,
	  "type: 'bundle' is a container, not an object" },
	/* id */
	{ base_indicator, NULL, "id", "id: missing" },
	{ base_indicator, "{\"id\":[]}", NULL, "id: must be a string, not a list" },
	{ base_indicator, "{\"id\":\"indicator--x\"}", NULL,
	  "id: 'indicator--x' is not 'indicator--<UUID>' (not 8-4-4-4-12 hex)" },
	{ base_indicator, "{\"id\":\"malware--" U1 "\"}", NULL,
	  "id: 'malware--" U1 "' is not 'indicator--<UUID>'" },
	{ base_indicator, "{\"id\":\"indicators--" U1 "\"}", NULL,
	  "id: 'indicators--" U1 "' is not 'indicator--<UUID>'" },
	{ base_indicator, "{\"id\":\"indicator-" U1 "\"}", NULL,
	  "id: 'indicator-" U1 "' is not 'indicator--<UUID>'" },
	{ base_indicator, "{\"id\":\"indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F\"}", NULL,
	  "id: 'indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F' is not 'indicator--<UUID>' "
	  "(UUID must be lower-case)" },
	{ base_indicator, "{\"id\":\"indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0\"}", NULL,
	  "id: 'indicator--8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0' is not 'indicator--<UUID>' "
	  "(not 8-4-4-4-12 hex)" },
	{ base_indicator, "{\"id\":\"indicator--" U1 "a\"}", NULL,
	  "id: 'indicator--" U1 "a' is not 'indicator--<UUID>' (not 8-4-4-4-12 hex)" },
	{ base_indicator, "{\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g\"}", NULL,
	  "id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g' is not 'indicator--<UUID>' "
	  "(not 8-4-4-4-12 hex)" },
	/* spec_version */
	{ base_indicator, NULL, "spec_version", "spec_version: missing (required on indicator)" },
	{ base_indicator, "{\"spec_version\":\"2.0\"}", NULL,
	  "spec_version: '2.0' is not '2.1' (relto takes STIX 2.1 only)" },
	{ base_indicator, "{\"spec_version\":2.1}", NULL,
	  "spec_version: must be a string, not a number" },
	{ base_marking, NULL, "spec_version",
	  "spec_version: missing (required on marking-definition)" },
	{ base_custom, NULL, "spec_version", "spec_version: missing (required on x-mitre-tactic)" },
	{ base_sco, "{\"spec_version\":\"2.0\"}", NULL,
	  "spec_version: '2.0' is not '2.1' (relto takes STIX 2.1 only)" },
	/* created, modified */
	{ base_indicator, NULL, "created", "created: missing (required on indicator)" },
	{ base_indicator, NULL, "modified", "modified: missing (required on indicator)" },
	{ base_custom, NULL, "modified", "modified: missing (required on x-mitre-tactic)" },
	{ base_indicator, "{\"created\":\"2016-04-07T00:00:00Z\"}", NULL,
	  "modified: earlier than created" },
	{ base_indicator, "{\"created\":\"2016-04-06T20:03:48.1230009Z\"}", NULL,
	  NULL /* the same microsecond as modified: fine */ },
	{ base_indicator, "{\"modified\":\"2020-13-01T00:00:00Z\"}", NULL,
	  "modified: not a timestamp: '2020-13-01T00:00:00Z' (month must be 01..12)" },
	{ base_indicator, "{\"created\":\"2016-04-06T20:03:48.000z\"}", NULL,
	  "created: not a timestamp: '2016-04-06T20:03:48.000z' ('Z' must be upper-case)" },
	{ base_indicator, "{\"created\":\"2016-04-06\"}", NULL,
	  "created: not a timestamp: '2016-04-06' (expected YYYY-MM-DDTHH:MM:SS[.fraction]Z)" },
	{ base_indicator, "{\"created\":1460000000}", NULL, "created: must be a string, not a number" },
	{ base_indicator, "{\"modified\":null}", NULL, "modified: must be a string, not null" },
	{ base_indicator, "{\"modified\":\"2016-04-06T20:03:48.1234567890123456789Z\"}", NULL,
	  "modified: longer than 39 characters" },
	{ base_marking, NULL, "created", "created: missing (required on marking-definition)" },
	{ base_marking, "{\"modified\":\"2017-01-20T00:00:00.000Z\"}", NULL,
	  "modified: not allowed on marking-definition (marking definitions are not versioned)" },
	{ base_sco, "{\"created\":\"2020-01-02T00:00:00Z\",\"modified\":\"2020-01-01T00:00:00Z\"}",
	  NULL, "modified: earlier than created" },
	{ base_sco, "{\"modified\":\"yesterday\"}", NULL,
	  "modified: not a timestamp: 'yesterday' (expected YYYY-MM-DDTHH:MM:SS[.fraction]Z)" },
	/* created_by_ref, revoked */
	{ base_indicator, "{\"created_by_ref\":\"organization--" U1 "\"}", NULL,
	  "created_by_ref: 'organization--" U1 "' is not 'identity--<UUID>'" },
	{ base_indicator, "{\"created_by_ref\":{}}", NULL,
	  "created_by_ref: must be a string, not an object" },
	{ base_indicator, "{\"revoked\":\"true\"}", NULL, "revoked: must be a boolean, not a string" },
	{ base_indicator, "{\"revoked\":1}", NULL, "revoked: must be a boolean, not a number" },
	/* object_marking_refs */
	{ base_indicator, "{\"object_marking_refs\":[]}", NULL,
	  "object_marking_refs: must be a non-empty list" },
	{ base_indicator, "{\"object_marking_refs\":\"" TLP_GREEN "\"}", NULL,
	  "object_marking_refs: must be a non-empty list" },
	{ base_indicator, "{\"object_marking_refs\":[\"" TLP_GREEN "\",7]}", NULL,
	  "object_marking_refs[1]: must be a string, not a number" },
	{ base_indicator, "{\"object_marking_refs\":[\"" TLP_GREEN "\",\"" ID_IDENTITY "\"]}", NULL,
	  "object_marking_refs[1]: '" ID_IDENTITY "' is not 'marking-definition--<UUID>'" },
	{ base_indicator, "{\"object_marking_refs\":[\"marking-definition--tlp-green\"]}", NULL,
	  "object_marking_refs[0]: 'marking-definition--tlp-green' is not "
	  "'marking-definition--<UUID>' (not 8-4-4-4-12 hex)" },
	/* granular_markings */
	{ base_indicator, "{\"granular_markings\":[]}", NULL,
	  "granular_markings: must be a non-empty list" },
	{ base_indicator, "{\"granular_markings\":{}}", NULL,
	  "granular_markings: must be a non-empty list" },
	{ base_indicator, "{\"granular_markings\":[\"" TLP_RED "\"]}", NULL,
	  "granular_markings[0]: must be an object, not a string" },
	{ base_indicator, "{\"granular_markings\":[{\"marking_ref\":\"" TLP_RED "\"}]}", NULL,
	  "granular_markings[0].selectors: must be a non-empty list" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[]}]}", NULL,
	  "granular_markings[0].selectors: must be a non-empty list" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":\"name\"}]}",
	  NULL, "granular_markings[0].selectors: must be a non-empty list" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"lang\":\"en\",\"selectors\":[\"name\"]},"
	  "{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"name\",3]}]}",
	  NULL, "granular_markings[1].selectors[1]: must be a non-empty string" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"\"]}]}", NULL,
	  "granular_markings[0].selectors[0]: must be a non-empty string" },
	{ base_indicator, "{\"granular_markings\":[{\"selectors\":[\"name\"]}]}", NULL,
	  "granular_markings[0]: needs exactly one of marking_ref and lang" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":\"" TLP_RED "\",\"lang\":\"en\","
	  "\"selectors\":[\"name\"]}]}",
	  NULL, "granular_markings[0]: needs exactly one of marking_ref and lang" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":\"" ID_IDENTITY "\",\"selectors\":[\"name\"]}]}",
	  NULL,
	  "granular_markings[0].marking_ref: '" ID_IDENTITY "' is not 'marking-definition--<UUID>'" },
	{ base_indicator,
	  "{\"granular_markings\":[{\"marking_ref\":null,\"selectors\":[\"name\"]}]}", NULL,
	  "granular_markings[0].marking_ref: must be a string, not null" },
	{ base_indicator, "{\"granular_markings\":[{\"lang\":\"\",\"selectors\":[\"name\"]}]}",
	  NULL, "granular_markings[0].lang: must be a non-empty string" },
	{ base_indicator, "{\"granular_markings\":[{\"lang\":[\"en\"],\"selectors\":[\"name\"]}]}",
	  NULL, "granular_markings[0].lang: must be a non-empty string" },
	/* A custom object that claims to be an SCO without an extension
	** definition saying so is versioned like an SDO. */
	{ base_sco, "{\"type\":\"x-thing\",\"id\":\"x-thing--" U1 "\",\"spec_version\":\"2.1\"}",
	  NULL, "created: missing (required on x-thing)" },
	{ base_sco,
	  "{\"type\":\"x-thing\",\"id\":\"x-thing--" U1 "\",\"spec_version\":\"2.1\","
	  "\"extensions\":{\"x-other\":{\"extension_type\":\"new-sco\"}}}",
	  NULL, "created: missing (required on x-thing)" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *obj = patched(bad[i].base, bad[i].patch, bad[i].del);
		CHECK(obj != NULL);
		struct stix_meta m;
		memset(&m, 0x5a, sizeof(m)); /* stix_validate must not rely on it */
		char err[RELTO_ERRBUF_SIZE] = "";
		enum relto_err rc = stix_validate(obj, &m, err);
		json_decref(obj);
		int want_ok = bad[i].err == NULL;
		if ((rc == RELTO_OK) != want_ok || (!want_ok && strcmp(err, bad[i].err) != 0))
			fprintf(stderr, "  case %zu: rc %d\n    got:  %s\n    want: %s\n", i, rc, err,
			        bad[i].err ? bad[i].err : "(ok)");
		if (want_ok) {
			CHECK(rc == RELTO_OK);
			stix_meta_clear(&m);
			continue;
		}
		CHECK(rc == RELTO_EINVAL);
		CHECK_STR(err, bad[i].err);
		/* *out is zeroed on failure */
		CHECK(m.type[0] == '\0' && m.id[0] == '\0' && m.marking_canon == NULL);
		CHECK(m.has_version == 0 && m.has_created == 0 && m.version == 0);
	}
}

/* Not an object at all. */
static void test_not_object(void)
{
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "";
	json_t *v = json_array();
	CHECK(stix_validate(v, &m, err) == RELTO_EINVAL);
	json_decref(v);
	CHECK_STR(err, "object: must be a JSON object, not a list");
	err[0] = '\0';
	CHECK(stix_validate(NULL, &m, err) == RELTO_EINVAL);
	CHECK_STR(err, "object: must be a JSON object, not nothing");
	/* err may be NULL */
	v = json_string("indicator");
	CHECK(stix_validate(v, &m, NULL) == RELTO_EINVAL);
	json_decref(v);
}

/* A string with a NUL inside (possible when the object was built in code,
** not parsed) is refused rather than silently cut. */
static void test_nul_in_string(void)
{
	json_t *obj = json_loads(base_indicator, 0, NULL);
	CHECK(obj != NULL);
	json_object_set_new(obj, "id", json_stringn("indicator--\0x", 13));
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = stix_validate(obj, &m, err);
	json_decref(obj);
	CHECK(rc == RELTO_EINVAL);
	CHECK_STR(err, "id: contains a NUL character");
}

/* The first message in err stays. */
static void test_first_message_stays(void)
{
	json_t *obj = patched(base_indicator, NULL, "created");
	CHECK(obj != NULL);
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "earlier";
	enum relto_err rc = stix_validate(obj, &m, err);
	json_decref(obj);
	CHECK(rc == RELTO_EINVAL);
	CHECK_STR(err, "earlier");
}

struct good_case {
	const char *base;
	const char *patch;
	const char *del;
	const char *type;
	int has_created;
	int has_version;
	const char *version_text; /* "" when !has_version */
	const char *created_by_ref;
	int revoked;
	const char *canon; /* NULL: no markings, so "" */
};

static const struct good_case good[] = {
	{ base_indicator, NULL, NULL, "indicator", 1, 1, "2016-04-06T20:03:48.123Z", ID_IDENTITY, 0,
	  "{\"o\":[\"" TLP_GREEN "\"]}" },
	/* modified == created is fine; revoked read */
	{ base_indicator, "{\"modified\":\"2016-04-06T20:03:48Z\",\"revoked\":true}",
	  "created_by_ref object_marking_refs", "indicator", 1, 1, "2016-04-06T20:03:48Z", "", 1,
	  NULL },
	{ base_indicator, "{\"revoked\":false}", NULL, "indicator", 1, 1,
	  "2016-04-06T20:03:48.123Z", ID_IDENTITY, 0, "{\"o\":[\"" TLP_GREEN "\"]}" },
	/* Digits past the sixth are kept in the text. */
	{ base_indicator, "{\"modified\":\"2016-04-06T20:03:48.123456789Z\"}", NULL, "indicator", 1,
	  1, "2016-04-06T20:03:48.123456789Z", ID_IDENTITY, 0, "{\"o\":[\"" TLP_GREEN "\"]}" },
	/* A marking definition is versioned by created. */
	{ base_marking, NULL, NULL, "marking-definition", 1, 1, "2017-01-20T00:00:00.000Z", "", 0,
	  NULL },
	/* SCOs: spec_version optional, no timestamps, no version. */
	{ base_sco, NULL, NULL, "ipv4-addr", 0, 0, "", "", 0, NULL },
	{ base_sco, "{\"spec_version\":\"2.1\",\"object_marking_refs\":[\"" TLP_AMBER "\"]}", NULL,
	  "ipv4-addr", 0, 0, "", "", 0, "{\"o\":[\"" TLP_AMBER "\"]}" },
	{ base_sco,
	  "{\"type\":\"x509-certificate\",\"id\":\"x509-certificate--" U1 "\"}", NULL,
	  "x509-certificate", 0, 0, "", "", 0, NULL },
	{ base_sco, "{\"type\":\"artifact\",\"id\":\"artifact--" U1 "\"}", NULL, "artifact", 0, 0,
	  "", "", 0, NULL },
	/* An SCO that carries timestamps anyway is versioned by them. */
	{ base_sco, "{\"created\":\"2020-01-01T00:00:00Z\"}", NULL, "ipv4-addr", 1, 1,
	  "2020-01-01T00:00:00Z", "", 0, NULL },
	{ base_sco, "{\"modified\":\"2020-01-02T00:00:00Z\"}", NULL, "ipv4-addr", 0, 1,
	  "2020-01-02T00:00:00Z", "", 0, NULL },
	/* Custom objects validate like SDOs. */
	{ base_custom, NULL, NULL, "x-mitre-tactic", 1, 1, "2018-10-17T00:14:20.652Z", "", 0, NULL },
	/* A custom SCO declared through an extension definition. */
	{ base_sco,
	  "{\"type\":\"x-oca-asset\",\"id\":\"x-oca-asset--" U1 "\",\"spec_version\":\"2.1\","
	  "\"extensions\":{\"extension-definition--" U1 "\":{\"extension_type\":\"new-sco\"}}}",
	  NULL, "x-oca-asset", 0, 0, "", "", 0, NULL },
	/* Other SDO and SRO types, language-content, extension-definition. */
	{ base_indicator, "{\"type\":\"relationship\",\"id\":\"relationship--" U1 "\"}", NULL,
	  "relationship", 1, 1, "2016-04-06T20:03:48.123Z", ID_IDENTITY, 0,
	  "{\"o\":[\"" TLP_GREEN "\"]}" },
	{ base_indicator, "{\"type\":\"language-content\",\"id\":\"language-content--" U1 "\"}",
	  "object_marking_refs", "language-content", 1, 1, "2016-04-06T20:03:48.123Z",
	  ID_IDENTITY, 0, NULL },
	{ base_indicator,
	  "{\"type\":\"extension-definition\",\"id\":\"extension-definition--" U1 "\"}",
	  "object_marking_refs", "extension-definition", 1, 1, "2016-04-06T20:03:48.123Z",
	  ID_IDENTITY, 0, NULL },
	/* Types at the length limits. */
	{ base_custom, "{\"type\":\"x-a\",\"id\":\"x-a--" U1 "\"}", NULL, "x-a", 1, 1,
	  "2018-10-17T00:14:20.652Z", "", 0, NULL },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *obj = patched(good[i].base, good[i].patch, good[i].del);
		CHECK(obj != NULL);
		struct stix_meta m;
		char err[RELTO_ERRBUF_SIZE] = "";
		enum relto_err rc = stix_validate(obj, &m, err);
		const char *id = json_string_value(json_object_get(obj, "id"));
		if (rc != RELTO_OK)
			fprintf(stderr, "  case %zu: %s\n", i, err);
		int ok = rc == RELTO_OK && strcmp(m.id, id) == 0;
		json_decref(obj);
		CHECK(ok);
		CHECK_STR(m.type, good[i].type);
		CHECK_STR(m.spec_version, "2.1");
		CHECK(m.has_created == good[i].has_created);
		CHECK(m.has_version == good[i].has_version);
		CHECK_STR(m.version_text, good[i].version_text);
		CHECK_STR(m.created_by_ref, good[i].created_by_ref);
		CHECK(m.revoked == good[i].revoked);
		CHECK_STR(m.marking_canon, good[i].canon ? good[i].canon : "");
		stix_meta_clear(&m);
		CHECK(m.marking_canon == NULL && m.type[0] == '\0');
	}
}

/* The numbers behind the texts. */
static void test_times(void)
{
	json_t *obj = json_loads(base_indicator, 0, NULL);
	CHECK(obj != NULL);
	struct stix_meta m;
	enum relto_err rc = stix_validate(obj, &m, NULL);
	json_decref(obj);
	CHECK(rc == RELTO_OK);
	CHECK(m.created == INT64_C(1459973028000000));
	CHECK(m.version == INT64_C(1459973028123000));
	stix_meta_clear(&m);

	obj = json_loads(base_marking, 0, NULL);
	CHECK(obj != NULL);
	rc = stix_validate(obj, &m, NULL);
	json_decref(obj);
	CHECK(rc == RELTO_OK);
	CHECK(m.version == m.created);
	CHECK(m.created == INT64_C(1484870400000000));
	stix_meta_clear(&m);
}

struct canon_case {
	const char *omr; /* object_marking_refs as JSON, or NULL */
	const char *gm;  /* granular_markings as JSON, or NULL */
	const char *canon;
};

static const struct canon_case canon[] = {
	{ NULL, NULL, "" },
	{ "[\"" TLP_GREEN "\"]", NULL, "{\"o\":[\"" TLP_GREEN "\"]}" },
	/* sorted and unique */
	{ "[\"" TLP_RED "\",\"" TLP_GREEN "\",\"" TLP_RED "\",\"" TLP_AMBER "\"]", NULL,
	  "{\"o\":[\"" TLP_GREEN "\",\"" TLP_RED "\",\"" TLP_AMBER "\"]}" },
	{ NULL, "[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"name\",\"description\"]}]",
	  "{\"g\":[[\"" TLP_RED "\",[\"description\",\"name\"]]]}" },
	/* one marking's selectors are merged across entries, sorted, unique;
	** lang entries come first ("lang:" < "marking-definition--") */
	{ "[\"" TLP_AMBER "\"]",
	  "[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"name\"]},"
	  "{\"lang\":\"fr\",\"selectors\":[\"name\"]},"
	  "{\"marking_ref\":\"" TLP_GREEN "\",\"selectors\":[\"pattern\"]},"
	  "{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"description\",\"name\"]},"
	  "{\"lang\":\"en\",\"selectors\":[\"name\",\"description\",\"name\"]}]",
	  "{\"o\":[\"" TLP_AMBER "\"],\"g\":[[\"lang:en\",[\"description\",\"name\"]],"
	  "[\"lang:fr\",[\"name\"]],[\"" TLP_GREEN "\",[\"pattern\"]],"
	  "[\"" TLP_RED "\",[\"description\",\"name\"]]]}" },
	/* lang tags are compared as written, en before en-US */
	{ NULL,
	  "[{\"lang\":\"en-US\",\"selectors\":[\"name\"]},{\"lang\":\"en\",\"selectors\":[\"name\"]}]",
	  "{\"g\":[[\"lang:en\",[\"name\"]],[\"lang:en-US\",[\"name\"]]]}" },
	/* selectors that need JSON escaping stay valid JSON */
	{ NULL,
	  "[{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"a\\\"b\",\"kill_chain_phases.[0]\","
	  "\"\\u00e9\"]}]",
	  "{\"g\":[[\"" TLP_RED "\",[\"a\\\"b\",\"kill_chain_phases.[0]\",\"\xc3\xa9\"]]]}" },
};

static char *canon_of(const char *omr, const char *gm, char *err)
{
	json_t *obj = json_loads(base_indicator, 0, NULL);
	if (!obj)
		return NULL;
	json_object_del(obj, "object_marking_refs");
	if (omr)
		json_object_set_new(obj, "object_marking_refs", json_loads(omr, 0, NULL));
	if (gm)
		json_object_set_new(obj, "granular_markings", json_loads(gm, 0, NULL));
	struct stix_meta m;
	char *out = NULL;
	if (stix_validate(obj, &m, err) == RELTO_OK) {
		out = strdup(m.marking_canon);
		stix_meta_clear(&m);
	}
	json_decref(obj);
	return out;
}

static void test_canon(void)
{
	for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
		char err[RELTO_ERRBUF_SIZE] = "";
		char *got = canon_of(canon[i].omr, canon[i].gm, err);
		int ok = got && strcmp(got, canon[i].canon) == 0;
		if (!ok)
			fprintf(stderr, "  case %zu:\n    got:  %s\n    want: %s\n", i,
			        got ? got : err, canon[i].canon);
		/* the canonical form is itself valid JSON (or "") */
		json_t *again = got && got[0] ? json_loads(got, JSON_REJECT_DUPLICATES, NULL) : NULL;
		int parses = again != NULL || (got && got[0] == '\0');
		free(got);
		json_decref(again);
		CHECK(ok);
		CHECK(parses);
	}
}

/* Same markings written differently give the same canonical text. */
static void test_canon_equal(void)
{
	char *a = canon_of("[\"" TLP_RED "\",\"" TLP_GREEN "\"]",
	                   "[{\"marking_ref\":\"" TLP_AMBER "\",\"selectors\":[\"b\",\"a\"]}]", NULL);
	char *b = canon_of("[\"" TLP_GREEN "\",\"" TLP_RED "\",\"" TLP_GREEN "\"]",
	                   "[{\"selectors\":[\"a\"],\"marking_ref\":\"" TLP_AMBER "\"},"
	                   "{\"marking_ref\":\"" TLP_AMBER "\",\"selectors\":[\"b\",\"a\"]}]",
	                   NULL);
	char *c = canon_of("[\"" TLP_GREEN "\",\"" TLP_RED "\"]",
	                   "[{\"marking_ref\":\"" TLP_AMBER "\",\"selectors\":[\"a\"]}]", NULL);
	int same = a && b && strcmp(a, b) == 0;
	int differs = a && c && strcmp(a, c) != 0;
	free(a);
	free(b);
	free(c);
	CHECK(same);
	CHECK(differs);
}

static void test_meta_clear(void)
{
	stix_meta_clear(NULL);
	struct stix_meta m;
	memset(&m, 0, sizeof(m));
	stix_meta_clear(&m);
	stix_meta_clear(&m); /* twice is fine */
	CHECK(m.marking_canon == NULL);
}

/* ---- fault injection: every allocation failing in turn ---------------- */

/* The countdown lives in the test only; Jansson's allocator hooks take no
** context, so a file-scope counter is the one way to reach them. */
static long alloc_budget = -1; /* -1: no limit */

static void *limited_malloc(size_t n)
{
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

/* With Jansson's Nth allocation failing, stix_validate either succeeds or
** says RELTO_ENOMEM; ASan's leak check at exit shows nothing leaks. */
static void test_oom(void)
{
	json_t *obj = patched(base_indicator,
	                      "{\"granular_markings\":[{\"lang\":\"en\",\"selectors\":[\"name\"]},"
	                      "{\"marking_ref\":\"" TLP_RED "\",\"selectors\":[\"pattern\",\"name\"]}]}",
	                      NULL);
	CHECK(obj != NULL);
	int saw_enomem = 0, ok_after = 0;
	for (long n = 0; n < 200 && !ok_after; n++) {
		struct stix_meta m;
		char err[RELTO_ERRBUF_SIZE] = "";
		json_set_alloc_funcs(limited_malloc, free);
		alloc_budget = n;
		enum relto_err rc = stix_validate(obj, &m, err);
		alloc_budget = -1;
		json_set_alloc_funcs(malloc, free);
		if (rc != RELTO_OK && rc != RELTO_ENOMEM)
			fprintf(stderr, "  budget %ld: rc %d: %s\n", n, rc, err);
		CHECK(rc == RELTO_OK || rc == RELTO_ENOMEM);
		saw_enomem |= rc == RELTO_ENOMEM;
		ok_after = rc == RELTO_OK;
		stix_meta_clear(&m);
	}
	json_decref(obj);
	CHECK(saw_enomem);
	CHECK(ok_after);
}

/* ---- ATT&CK ----------------------------------------------------------- */

struct attack_ctx {
	size_t valid, marked, bad;
	char first_err[RELTO_ERRBUF_SIZE + 32];
};

static enum relto_err validate_one(void *ctx, size_t index, const char *raw, size_t len,
                                   json_t *value)
{
	struct attack_ctx *c = ctx;
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (stix_validate(value, &m, err) != RELTO_OK) {
		if (!c->bad++)
			snprintf(c->first_err, sizeof(c->first_err), "object %zu: %s", index, err);
		return RELTO_OK; /* count them all */
	}
	const char *mod = json_string_value(json_object_get(value, "modified"));
	const char *cre = json_string_value(json_object_get(value, "created"));
	int right = m.has_version && strcmp(m.version_text, mod ? mod : cre) == 0 &&
	            raw[0] == '{' && raw[len - 1] == '}';
	if (m.marking_canon[0]) {
		right = right && strcmp(m.marking_canon, "{\"o\":[\"" ATTACK_MD "\"]}") == 0;
		c->marked++;
	}
	if (!right && !c->bad++)
		snprintf(c->first_err, sizeof(c->first_err), "object %zu: meta not as written", index);
	c->valid += right;
	stix_meta_clear(&m);
	return RELTO_OK;
}

/* Read a whole file; NULL when it is not there. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			char *bigger = realloc(data, cap ? cap * 2 : 1 << 20);
			if (!bigger)
				break;
			data = bigger;
			cap = cap ? cap * 2 : 1 << 20;
		}
		size_t got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return data;
}

/* The data lives next to the repository (../shared from /work/main), which
** users do not have; RELTO_ATTACK_DIR points elsewhere. */
static void attack_file(const char *name, size_t want)
{
	const char *dir = getenv("RELTO_ATTACK_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "../shared/data/attack", name);
	size_t len = 0;
	char *body = slurp(path, &len);
	if (!body) {
		fprintf(stderr, "  skipped: %s not found (set RELTO_ATTACK_DIR)\n", path);
		return;
	}
	struct attack_ctx c = { 0 };
	size_t count = 0;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = stix_envelope_each(body, len, validate_one, &c, &count, err);
	free(body);
	if (rc || c.bad)
		fprintf(stderr, "  %s: rc %d %s; %zu bad, first: %s\n", name, rc, err, c.bad,
		        c.first_err);
	CHECK(rc == RELTO_OK);
	CHECK(count == want);
	CHECK(c.bad == 0);
	CHECK(c.valid == want);
	CHECK(c.marked > 0);
}

static void test_attack_ics(void)
{
	attack_file("ics-attack.json", 1826);
}

static void test_attack_mobile(void)
{
	attack_file("mobile-attack-17.1.json", 2148);
}

int main(void)
{
	RUN(test_bad);
	RUN(test_not_object);
	RUN(test_nul_in_string);
	RUN(test_first_message_stays);
	RUN(test_good);
	RUN(test_times);
	RUN(test_canon);
	RUN(test_canon_equal);
	RUN(test_meta_clear);
	RUN(test_oom);
	RUN(test_attack_ics);
	RUN(test_attack_mobile);
	return TEST_DONE();
}
