/*
** posture_test2.c: unit tests for src/posture/posture.c (posture_load and
** the lookups).  The demo posture (src/demo/posture.json, as embedded in
** the binary and as the file in the tree) must load with the facts the
** demo relies on; every rule docs/posture.md states is broken once, and
** each refusal must name the exact place: file:line:column for syntax
** (Jansson's position), the JSON path for meaning.  posture_test.c checks
** the demo file's JSON without the loader; this file checks the loader.
*/
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "posture/posture.h"
#include "util/buf.h"

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;

/* base: a small valid posture; each error case changes one piece of it. */
#include "posture_fixture.h"

/* base with the first occurrence of from replaced by to (which must be
** there); malloc'd. */
static char *patch(const char *from, const char *to)
{
	const char *at = strstr(base, from);
	if (!at)
		return NULL;
	size_t head = (size_t)(at - base), n = strlen(base) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, base, head);
	memcpy(out + head, to, strlen(to));
	memcpy(out + head + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	return out;
}

/* Load text (len bytes) as "t.json"; return the code, err filled. */
static enum relto_err load(const char *text, size_t len, char *err)
{
	struct posture *p = NULL;
	err[0] = '\0';
	enum relto_err rc = posture_load("t.json", text, len, &p, err);
	if (rc == RELTO_OK && !p)
		return RELTO_EINTERNAL;
	if (rc != RELTO_OK && p)
		return RELTO_EINTERNAL; /* *out must be untouched on failure */
	posture_free(p);
	return rc;
}

/* ---- what loads --------------------------------------------------------- */

static void check_demo(const struct posture *p)
{
	CHECK(p->nlevels == 4 && p->nvendors == 11 && p->npartners == 8);
	CHECK(posture_level(p, "UNCLASSIFIED") == 0 && posture_level(p, "TOP_SECRET") == 3);
	CHECK(posture_level(p, "TOP SECRET") == -1 && posture_level(p, NULL) == -1);
	const struct posture_partner *usa = posture_find_partner(p, "usa");
	const struct posture_partner *kor = posture_find_partner(p, "kor");
	const struct posture_partner *deu = posture_find_partner(p, "deu");
	CHECK(usa && usa->hub && usa->ngroups == 2 && strcmp(usa->agreement_level, "TOP_SECRET") == 0);
	CHECK(kor && !kor->hub && kor->ngroups == 0 && strcmp(kor->country, "KOR") == 0);
	CHECK(deu && deu->ngroups == 1 && strcmp(deu->groups[0], "nato") == 0);
	CHECK(posture_find_partner(p, "KOR") == NULL && posture_find_partner(p, "fra") == NULL);
	size_t hubs = 0;
	for (size_t i = 0; i < p->npartners; i++)
		hubs += p->partners[i].hub;
	CHECK(hubs == 1);
	/* LG Uplus: Huawei in the RAN with no deadline. */
	CHECK(kor->noperators == 3 && strcmp(kor->operators[2].name, "LG Uplus") == 0);
	const struct posture_operator *lgu = &kor->operators[2];
	CHECK(lgu->nsegments == 2 && strcmp(lgu->segments[0].name, "ran") == 0);
	CHECK(strcmp(lgu->segments[0].equipment[0].vendor, "huawei") == 0 && !lgu->segments[0].equipment[0].has_deadline);
	CHECK_STR(lgu->segments[0].equipment[0].source, "asiatimes 2019-05; businesskorea");
	/* Deutsche Telekom: Huawei in the core until 2026-12-31. */
	const struct posture_segment *core = &deu->operators[0].segments[1];
	CHECK_STR(core->name, "core");
	CHECK(core->nequipment == 1 && core->equipment[0].has_deadline);
	CHECK_STR(core->equipment[0].deadline, "2026-12-31");
	const struct posture_vendor *hw = posture_find_vendor(p, "huawei");
	CHECK(hw && strcmp(hw->risk, "high") == 0 && strcmp(hw->country, "CHN") == 0);
	CHECK(strcmp(posture_find_vendor(p, "samsung")->risk, "none") == 0);
	CHECK(posture_find_vendor(p, "hauwei") == NULL && posture_find_vendor(NULL, "huawei") == NULL);
}

static void test_demo_embedded(void)
{
	struct posture *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = posture_load("posture.json", (const char *)embed_posture_json, embed_posture_json_len,
	                                 &p, err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK && p);
	check_demo(p);
	posture_free(p);
	posture_free(NULL);
}

/* The file in the tree, when the test runs from the repository root
** (tests/run does); the embedded copy is the same bytes. */
static void test_demo_file(void)
{
	struct buf b;
	char err[RELTO_ERRBUF_SIZE] = "";
	buf_init(&b, 1 << 20);
	if (buf_read_file(&b, "src/demo/posture.json", NULL) != RELTO_OK) {
		fprintf(stderr, "  skipped: src/demo/posture.json not found from here\n");
		return;
	}
	struct posture *p = NULL;
	enum relto_err rc = posture_load("src/demo/posture.json", b.data, b.len, &p, err);
	int same = b.len == embed_posture_json_len && memcmp(b.data, embed_posture_json, b.len) == 0;
	buf_free(&b);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK);
	check_demo(p);
	posture_free(p);
	CHECK(same);
}

static void test_base(void)
{
	struct posture *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(posture_load("t.json", base, strlen(base), &p, err) == RELTO_OK);
	int ok = p->npartners == 2 && p->partners[1].noperators == 1 && p->partners[1].operators[0].nsegments == 2;
	const struct posture_segment *ran = &p->partners[1].operators[0].segments[0];
	ok = ok && ran->nequipment == 2 && ran->equipment[1].has_deadline &&
	     strcmp(ran->equipment[1].deadline, "2028-02-29") == 0 && !ran->equipment[0].has_deadline;
	posture_free(p);
	CHECK(ok);
	/* "sources" may be left out; groups and operators may be empty. */
	char *t = patch(",\n  \"sources\": \"test\"", "");
	CHECK(t != NULL);
	enum relto_err rc = load(t, strlen(t), err);
	free(t);
	CHECK(rc == RELTO_OK);
}

/* ---- syntax: file:line:column ------------------------------------------- */

static void test_syntax_errors(void)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "\"source\": \"FCC\"}", "\"source\": \"FCC\",}",
		  "t.json:6:87: string or '}' expected near '}'" },
		{ "\"country\": \"FIN\", \"risk\"", "\"country\": \"FIN\", \"country\": \"FIN\", \"risk\"",
		  "t.json:7:64: duplicate object key near '\"country\"'" },
		{ "[\"fvey\"]", "[\"fvey\" \"nato\"]", "t.json:11:75: ']' expected near '\"nato\"'" },
		{ "\"hub\": true", "\"hub\": True", "t.json:12:45: invalid token near 'True'" },
	};
	char err[RELTO_ERRBUF_SIZE];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = patch(cases[i].from, cases[i].to);
		CHECK(t != NULL);
		enum relto_err rc = load(t, strlen(t), err);
		free(t);
		CHECK(rc == RELTO_EINVAL);
		CHECK_STR(err, cases[i].want);
	}
	/* Cut short, empty, and a NUL byte (Jansson would drop it). */
	CHECK(load(base, 40, err) == RELTO_EINVAL);
	CHECK_STR(err, "t.json:3:7: premature end of input near '\"leve'");
	CHECK(load("", 0, err) == RELTO_EINVAL);
	CHECK_STR(err, "t.json:1:0: '[' or '{' expected near end of file");
	char *t = strdup(base);
	CHECK(t != NULL);
	t[strstr(t, "\"SECRET\"]") - t + 9] = '\0'; /* the comma after the levels list */
	enum relto_err rc = load(t, strlen(base), err);
	free(t);
	CHECK(rc == RELTO_EINVAL);
	CHECK_STR(err, "t.json:3:39: NUL byte in the file");
	CHECK(posture_load("t.json", NULL, 0, &(struct posture *){ NULL }, err) == RELTO_EINVAL);
}

/* ---- meaning: the JSON path --------------------------------------------- */

static void test_meaning_errors(void)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "relto-posture/1", "relto-posture/2", "format: 'relto-posture/2' is not relto-posture/1" },
		{ "\"format\": \"relto-posture/1\"", "\"format\": 1", "format: must be a string, not a number" },
		{ "\"format\": \"relto-posture/1\",", "", "missing 'format'" },
		{ "\"sources\": \"test\"", "\"source\": \"test\"", "unknown key 'source'" },
		{ "[\"UNCLASSIFIED\", \"SECRET\"]", "[]", "levels: must name at least one level" },
		{ "[\"UNCLASSIFIED\", \"SECRET\"]", "[\"SECRET\", \"SECRET\"]", "levels[1]: 'SECRET' is listed twice" },
		{ "[\"UNCLASSIFIED\", \"SECRET\"]", "[\"SECRET\", 3]", "levels[1]: must be a non-empty string, not a number" },
		{ "\"levels\": [\"UNCLASSIFIED\", \"SECRET\"]", "\"levels\": {}", "levels: must be a list, not an object" },
		{ "\"id\": \"huawei\"", "\"id\": \"Huawei\"", "vendors[0].id: 'Huawei' is not a lower-case token [a-z0-9-]" },
		{ "\"id\": \"nokia\"", "\"id\": \"huawei\"", "vendors[1]: vendor id 'huawei' is listed twice" },
		{ "\"country\": \"CHN\"", "\"country\": \"CN\"", "vendors[0].country: 'CN' is not an ISO 3166-1 alpha-3 code" },
		{ "\"risk\": \"high\"", "\"risk\": \"medium\"", "vendors[0].risk: must be \"high\" or \"none\", not 'medium'" },
		{ "fcc-covered-list:2021-03-12", "fcc-covered-list:2021-02-29",
		  "vendors[0].lists[0]: 'fcc-covered-list:2021-02-29' is not <list> or <list>:YYYY-MM-DD" },
		{ "\"eu-2023-higher-risk\"", "\"EU list\"", "vendors[0].lists[1]: 'EU list' is not <list> or <list>:YYYY-MM-DD" },
		{ "\"lists\": [],", "", "vendors[1]: missing 'lists'" },
		{ "\"risk\": \"none\",", "\"risk\": \"none\", \"url\": \"x\",", "vendors[1]: unknown key 'url'" },
		{ "\"id\": \"kor\"", "\"id\": \"KOR\"", "partners[1].id: 'KOR' is not a partner id [a-z0-9_-]" },
		{ "\"id\": \"kor\"", "\"id\": \"usa\"", "partners[1]: partner id 'usa' is listed twice" },
		{ "\"name\": \"Korea\"", "\"name\": \"\"", "partners[1].name: must be a non-empty string without NUL" },
		{ "\"groups\": [\"fvey\"]", "\"groups\": [\"FVEY\"]", "partners[0].groups[0]: must be a lower-case group name [a-z0-9-]" },
		{ "\"groups\": [\"fvey\"]", "\"groups\": [\"fvey\", \"fvey\"]", "partners[0].groups[1]: group 'fvey' is listed twice" },
		{ "\"agreement_level\": \"UNCLASSIFIED\"", "\"agreement_level\": \"TOP_SECRET\"",
		  "partners[1].agreement_level: 'TOP_SECRET' is not one of levels" },
		{ "\"agreement_level\": \"UNCLASSIFIED\"", "\"agreement_levle\": \"UNCLASSIFIED\"",
		  "partners[1]: unknown key 'agreement_levle'" },
		{ "\"hub\": false", "\"hub\": \"no\"", "partners[1].hub: must be true or false, not a string" },
		{ "\"hub\": false", "\"hub\": true", "partners[1].hub: a second hub (partners[0] is the hub)" },
		{ "\"hub\": true", "\"hub\": false", "partners: no partner has \"hub\": true (exactly one must)" },
		{ "\"operators\": []", "\"operators\": {}", "partners[0].operators: must be a list, not an object" },
		{ "\"vendor\": \"huawei\"", "\"vendor\": \"hauwei\"",
		  "partners[1].operators[0].segments.ran[0].vendor: unknown vendor 'hauwei' (not in vendors)" },
		{ "\"vendor\": \"nokia\", \"removal", "\"vendor\": \"huawei\", \"removal",
		  "partners[1].operators[0].segments.ran[1].vendor: vendor 'huawei' appears twice in this segment" },
		{ "2028-02-29", "2027-02-29",
		  "partners[1].operators[0].segments.ran[1].removal_deadline: '2027-02-29' is not a date YYYY-MM-DD" },
		{ "2028-02-29", "2028-2-9",
		  "partners[1].operators[0].segments.ran[1].removal_deadline: '2028-2-9' is not a date YYYY-MM-DD" },
		{ "\"source\": \"press\"", "\"sauce\": \"press\"", "partners[1].operators[0].segments.ran[0]: unknown key 'sauce'" },
		{ ", \"source\": \"y\"", "", "partners[1].operators[0].segments.core[0]: missing 'source'" },
		{ "\"core\":", "\"transprot\":",
		  "partners[1].operators[0].segments.transprot: unknown segment 'transprot' (ran, core or transport)" },
		{ "\"core\": [{\"vendor\": \"nokia\", \"source\": \"y\"}]", "\"core\": []",
		  "partners[1].operators[0].segments.core: must be a non-empty list of vendor entries" },
		{ "\"segments\": {", "\"segments\": [], \"x\": {",
		  "partners[1].operators[0]: unknown key 'x'" },
		{ "]}}\n     ]}", "]}}, {\"name\": \"LG Uplus\", \"segments\": {}}\n     ]}",
		  "partners[1].operators[1]: operator 'LG Uplus' is listed twice for this partner" },
	};
	char err[RELTO_ERRBUF_SIZE];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = patch(cases[i].from, cases[i].to), want[RELTO_ERRBUF_SIZE];
		if (!t)
			fprintf(stderr, "  case %zu: '%s' is not in the base\n", i, cases[i].from);
		CHECK(t != NULL);
		enum relto_err rc = load(t, strlen(t), err);
		free(t);
		snprintf(want, sizeof(want), "t.json: %s", cases[i].want);
		CHECK(rc == RELTO_EINVAL);
		CHECK_STR(err, want);
	}
	CHECK(load("[]", 2, err) == RELTO_EINVAL);
	CHECK_STR(err, "t.json: must be a JSON object, not a list");
	/* Another transport segment name is accepted; the empty one is not. */
	char *t = patch("\"core\":", "\"transport\":");
	CHECK(t != NULL);
	enum relto_err rc = load(t, strlen(t), err);
	free(t);
	CHECK(rc == RELTO_OK);
}

int main(void)
{
	RUN(test_demo_embedded);
	RUN(test_demo_file);
	RUN(test_base);
	RUN(test_syntax_errors);
	RUN(test_meaning_errors);
	return TEST_DONE();
}
