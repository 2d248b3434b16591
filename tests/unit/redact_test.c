/*
** redact_test.c: partial copies (release/redact.c): what a granular
** redaction takes out, what it must never leave behind, and when it
** withholds the object instead.
*/
#include <stdlib.h>
#include "test.h"
#include "release/redact.h"

#define IND "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"," \
            "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\"," \
            "\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\""

/* Redact raw with the given selectors (NULL-terminated) and hidden refs;
** *withheld, and the copy (malloc'd) or NULL. */
static char *run(const char *raw, const char *const *sel, const char *hidden, int *withheld)
{
	size_t n = 0;
	while (sel && sel[n])
		n++;
	struct redaction r = {.selectors = sel, .nselectors = n, .hidden_refs = hidden};
	struct buf out;
	buf_init(&out, 1u << 20);
	if (redact_object(raw, strlen(raw), &r, &out, withheld) != RELTO_OK) {
		buf_free(&out);
		return NULL;
	}
	return *withheld ? (buf_free(&out), NULL) : buf_steal(&out);
}

static void test_strips_selected_properties(void)
{
	const char *raw = IND ",\"description\":\"secret detail\",\"labels\":[\"a\",\"b\"],"
	                      "\"external_references\":[{\"source_name\":\"x\",\"url\":\"https://x.example\"}]}";
	const char *sel[] = {"description", "labels.[1]", "external_references.[0].url", NULL};
	int withheld = 1;
	char *out = run(raw, sel, NULL, &withheld);
	CHECK(out && !withheld);
	CHECK(!strstr(out, "secret detail"));
	CHECK(strstr(out, "\"labels\":[\"a\"]"));
	CHECK(!strstr(out, "x.example"));
	CHECK(strstr(out, "\"source_name\":\"x\""));
	free(out);
}

static void test_an_emptied_list_goes(void)
{
	/* STIX forbids empty lists: labels with its only item redacted goes. */
	const char *raw = IND ",\"labels\":[\"only\"]}";
	const char *sel[] = {"labels.[0]", NULL};
	int withheld = 1;
	char *out = run(raw, sel, NULL, &withheld);
	CHECK(out && !withheld);
	CHECK(!strstr(out, "labels"));
	free(out);
}

static void test_required_property_withholds(void)
{
	const char *sel[] = {"pattern", NULL};
	int withheld = 0;
	CHECK(run(IND "}", sel, NULL, &withheld) == NULL && withheld);
	CHECK(redact_may_be_required("pattern"));
	CHECK(redact_may_be_required("id"));
	CHECK(!redact_may_be_required("description"));
	CHECK(!redact_may_be_required("external_references.[0].url"));
}

static void test_markings_travel_whole(void)
{
	/* A fuzzing finding: redacting a marking reference left
	** "object_marking_refs": [], invalid STIX without its own marking. */
	const char *raw = IND ",\"object_marking_refs\":[\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\"]}";
	const char *sel[] = {"object_marking_refs.[0]", NULL};
	int withheld = 0;
	CHECK(run(raw, sel, NULL, &withheld) == NULL && withheld);
	CHECK(redact_may_be_required("object_marking_refs.[0]"));
	CHECK(redact_may_be_required("object_marking_refs"));
	CHECK(redact_may_be_required("granular_markings.[0].selectors"));
	CHECK(!redact_may_be_required("object_marking_refsx"));
}

static void test_long_property_names_are_redacted(void)
{
	/* A fuzzing finding: a name of 256 bytes or more escaped redaction. */
	char name[400], raw[1200];
	memset(name, 'x', 300);
	name[300] = '\0';
	snprintf(raw, sizeof(raw), IND ",\"%s\":\"secret\"}", name);
	const char *sel[] = {name, NULL};
	int withheld = 1;
	char *out = run(raw, sel, NULL, &withheld);
	CHECK(out && !withheld);
	CHECK(!strstr(out, "secret"));
	free(out);
}

static void test_hidden_object_refs(void)
{
	const char *raw = "{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"report--6cf4b0e5-1d6e-4b3f-9d71-1c0e6d2b4a10\","
	                  "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
	                  "\"name\":\"r\",\"published\":\"2024-01-01T00:00:00Z\","
	                  "\"object_refs\":[\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
	                  "\"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc\"]}";
	int withheld = 1;
	char *out = run(raw, NULL, "[\"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc\"]", &withheld);
	CHECK(out && !withheld);
	CHECK(!strstr(out, "malware--"));
	CHECK(strstr(out, "indicator--8e2e2d2b"));
	free(out);
	/* Every reference hidden: the report is withheld, not served empty. */
	withheld = 0;
	CHECK(run(raw, NULL, "[\"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc\","
	                     "\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"]", &withheld) == NULL && withheld);
	/* Emptied by a granular redaction of both items: required, withheld. */
	const char *both[] = {"object_refs.[0]", "object_refs.[1]", NULL};
	withheld = 0;
	CHECK(run(raw, both, NULL, &withheld) == NULL && withheld);
}

/* The cache of partial copies gives each row, selectors and hidden
** references their own copy: another partner's differs by what is hidden
** from it, and a copy made for one must never be served to the other. */
static void test_cache_keeps_copies_apart(void)
{
	const char *raw = "{\"type\":\"report\",\"spec_version\":\"2.1\",\"id\":\"report--6cf4b0e5-1d6e-4b3f-9d71-1c0e6d2b4a10\","
	                  "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
	                  "\"name\":\"r\",\"description\":\"d\",\"published\":\"2024-01-01T00:00:00Z\","
	                  "\"object_refs\":[\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
	                  "\"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc\"]}";
	const char *hide_malware = "[\"malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc\"]";
	const char *hide_indicator = "[\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"]";
	const char *desc[] = {"description", NULL};
	struct redact_cache *cache = NULL;
	CHECK(redact_cache_new(1u << 20, &cache) == RELTO_OK);
	struct {
		int64_t seq;
		const char *const *sel;
		size_t nsel;
		const char *hidden;
		const char *gone, *kept; /* what the copy must not and must hold */
	} cases[] = {
		{7, NULL, 0, hide_malware, "malware--", "indicator--"},
		{7, NULL, 0, hide_indicator, "indicator--", "malware--"},
		{7, desc, 1, hide_malware, "\"description\"", "indicator--"},
		{7, NULL, 0, NULL, "\"x\"", "\"description\""},
		{8, NULL, 0, hide_indicator, "indicator--", "malware--"},
	};
	/* Twice: made, then from the cache. */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct redaction r = {.selectors = cases[i].sel, .nselectors = cases[i].nsel,
			                      .hidden_refs = cases[i].hidden};
			struct buf out;
			buf_init(&out, 1u << 20);
			int withheld = 1;
			CHECK(redact_cached(cache, cases[i].seq, raw, strlen(raw), &r, &out, &withheld) == RELTO_OK);
			CHECK(!withheld && out.data);
			CHECK(out.data && !strstr(out.data, cases[i].gone));
			CHECK(out.data && strstr(out.data, cases[i].kept));
			buf_free(&out);
		}
	redact_cache_free(cache);
}

int main(void)
{
	RUN(test_strips_selected_properties);
	RUN(test_an_emptied_list_goes);
	RUN(test_required_property_withholds);
	RUN(test_markings_travel_whole);
	RUN(test_long_property_names_are_redacted);
	RUN(test_hidden_object_refs);
	RUN(test_cache_keeps_copies_apart);
	return TEST_DONE();
}
