/*
** marking_test.c: unit tests for src/marking/ (marking.h): every marking
** scheme relto reads (TLP 1.0 and 2.0, statements and CAPCO-style
** banners, ISA ACS 3.0), deny on unknown, the most-restrictive
** combination (levels, REL TO intersection with tetragraphs, NOFORN, TLP,
** organizations), granular markings, and the real inputs: the 18 marking
** definitions the demo generator emits and the canonical marking sets
** stix_validate() makes of the demo's objects, whose marking groups must
** come out as docs/demo-data.md counts them.
*/
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "demo/gen.h"
#include "marking/marking.h"
#include "stix/stix.h"

#define MD "marking-definition--"
#define TLP1_WHITE MD "613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN MD "34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_AMBER MD "f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP1_RED MD "5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define TLP2_CLEAR MD "94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP2_GREEN MD "bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP2_AMBER MD "55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP2_STRICT MD "939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP2_RED MD "e828b379-4e03-4974-9ac4-e53a884c97c1"
#define ID_X MD "11111111-2222-4333-8444-555555555555"
#define ID_Y MD "66666666-7777-4888-9999-aaaaaaaaaaaa"
#define ATTACK_MD MD "fa42a846-8d90-4e51-bc29-71d5b4802168"
#define EXT_TLP2 "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define EXT_ACS "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
#define DEF_HEAD "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"created\":\"2025-01-01T00:00:00.000Z\","
#define ACS_DENY "urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny"
#define ACS_PERMIT "urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=permit"
#define ACS_REQ "\"extension_type\":\"property-extension\",\"identifier\":\"isa:guide.19001.ACS3-x\"," \
	"\"create_date_time\":\"2025-01-01T00:00:00.000Z\",\"responsible_entity_custodian\":\"USA.RELTO\","

/* ---- helpers ------------------------------------------------------------ */

/* Read a marking definition given as JSON text. */
static void read_text(const char *json, struct marking_facts *f)
{
	json_t *def = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	if (!def)
		fprintf(stderr, "  bad test JSON: %s\n", json);
	marking_read_definition(def, f); /* NULL reads as unknown */
	json_decref(def);
}

/* An ACS marking (id ID_X) from the members after the required ones. */
static void read_acs(const char *members, struct marking_facts *f)
{
	char json[2048];
	snprintf(json, sizeof(json), DEF_HEAD "\"id\":\"" ID_X "\",\"extensions\":{\"" EXT_ACS "\":{" ACS_REQ "%s}}}",
	         members);
	read_text(json, f);
}

/* A small store of marking definitions for marking_resolve. */
struct store {
	json_t *defs[64];
	size_t n;
	size_t calls;
};

static const json_t *lookup(void *ctx, const char *id)
{
	struct store *s = ctx;
	s->calls++;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(json_string_value(json_object_get(s->defs[i], "id")), id) == 0)
			return s->defs[i];
	return NULL;
}

/* A lookup that answers every id with the object ctx. */
static const json_t *lookup_fixed(void *ctx, const char *id)
{
	return ctx;
}

static void store_add(struct store *s, const char *json)
{
	if (s->n < 64)
		s->defs[s->n++] = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
}

static void store_clear(struct store *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->defs[i]);
	s->n = 0;
}

/* The facts of a statement marking (id ID_X) with this text. */
static struct marking_facts st(const char *text)
{
	struct marking_facts f;
	json_t *def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "marking-definition",
	                        "spec_version", "2.1", "id", ID_X, "created", "2025-01-01T00:00:00Z",
	                        "definition_type", "statement", "definition", "statement", text);
	marking_read_definition(def, &f);
	json_decref(def);
	return f;
}

static struct marking_facts combined(const char *a, const char *b)
{
	struct marking_facts x = st(a), y = st(b);
	marking_combine(&x, &y);
	return x;
}

/* ---- TLP ---------------------------------------------------------------- */

/* The nine fixed ids resolve without the store (the lookup is never
** asked), TLP 1.0 WHITE as CLEAR. */
static void test_tlp_fixed_ids(void)
{
	static const struct {
		const char *id;
		enum marking_tlp tlp;
	} cases[] = {
		{ TLP1_WHITE, TLP_CLEAR }, { TLP1_GREEN, TLP_GREEN }, { TLP1_AMBER, TLP_AMBER }, { TLP1_RED, TLP_RED },
		{ TLP2_CLEAR, TLP_CLEAR }, { TLP2_GREEN, TLP_GREEN }, { TLP2_AMBER, TLP_AMBER },
		{ TLP2_STRICT, TLP_AMBER_STRICT }, { TLP2_RED, TLP_RED },
	};
	struct store s = { .n = 0 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char canon[128];
		struct marking_result r;
		snprintf(canon, sizeof(canon), "{\"o\":[\"%s\"]}", cases[i].id);
		CHECK(marking_resolve(canon, lookup, &s, &r, NULL) == RELTO_OK);
		int ok = r.object.tlp == cases[i].tlp && !r.object.unknown && r.object.level == LEVEL_NONE &&
		         !r.object.has_rel_to && strcmp(r.object.banner, marking_tlp_name(cases[i].tlp)) == 0;
		marking_result_clear(&r);
		CHECK(ok);
	}
	CHECK(s.calls == 0);
	CHECK_STR(marking_tlp_name(TLP_NONE), "");
	CHECK_STR(marking_tlp_name(TLP_AMBER_STRICT), "TLP:AMBER+STRICT");
}

/* TLP 2.0 and 1.0 read by content: the published objects, and the same
** content under another id (read as what it says); values and shapes the
** schemes do not have are unknown. */
#define TLP2_EXT(id, body) DEF_HEAD "\"id\":\"" id "\",\"extensions\":{\"" EXT_TLP2 "\":{" body "}}}"
#define TLP2_BODY(v) "\"extension_type\":\"property-extension\",\"tlp_2_0\":\"" v "\""
#define TLP1_DEF(v) DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"" v "\"}}"
static void test_tlp_by_content(void)
{
	static const struct {
		const char *def;
		enum marking_tlp tlp;
		const char *why; /* NULL: not unknown */
	} cases[] = {
		{ TLP2_EXT(TLP2_STRICT, TLP2_BODY("amber+strict")), TLP_AMBER_STRICT, NULL },
		{ TLP2_EXT(ID_X, TLP2_BODY("red")), TLP_RED, NULL },
		{ TLP1_DEF("white"), TLP_CLEAR, NULL },
		{ TLP1_DEF("amber"), TLP_AMBER, NULL },
		{ TLP1_DEF("clear"), TLP_NONE, ": a TLP 1.0 definition must be {\"tlp\": white|green|amber|red}" },
		{ TLP2_EXT(ID_X, TLP2_BODY("purple")), TLP_NONE, ": TLP 2.0 extension is not {extension_type, tlp_2_0}" },
		{ TLP2_EXT(ID_X, TLP2_BODY("green") ",\"x\":1"), TLP_NONE, ": TLP 2.0 extension is not {extension_type, tlp_2_0}" },
		{ TLP2_EXT(ID_X, "\"extension_type\":\"new-sdo\",\"tlp_2_0\":\"green\""), TLP_NONE,
		  ": TLP 2.0 extension is not {extension_type, tlp_2_0}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct marking_facts f;
		read_text(cases[i].def, &f);
		CHECK(f.tlp == cases[i].tlp && f.unknown == (cases[i].why != NULL));
		CHECK(!cases[i].why || (strncmp(f.why_unknown, ID_X, strlen(ID_X)) == 0 &&
		                        strcmp(f.why_unknown + strlen(ID_X), cases[i].why) == 0));
	}
}

/* A stored object under a fixed id cannot change what the id means. */
static void test_tlp_not_forgeable(void)
{
	static const char forged[] = DEF_HEAD "\"id\":\"" TLP2_RED "\",\"name\":\"TLP:CLEAR\",\"extensions\":{\"" EXT_TLP2
	                             "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}";
	struct store s = { .n = 0 };
	struct marking_result r;
	struct marking_facts f;
	store_add(&s, forged);
	CHECK(marking_resolve("{\"o\":[\"" TLP2_RED "\"]}", lookup, &s, &r, NULL) == RELTO_OK);
	int ok = r.object.tlp == TLP_RED && s.calls == 0;
	marking_result_clear(&r);
	store_clear(&s);
	CHECK(ok);
	read_text(forged, &f);
	CHECK(f.tlp == TLP_RED);
}

/* ---- statements and banners --------------------------------------------- */

static void test_banners(void)
{
	static const struct {
		const char *text, *banner;
		enum marking_level level;
		int noforn;
		unsigned controls;
	} cases[] = {
		{ "UNCLASSIFIED", "UNCLASSIFIED", LEVEL_UNCLASSIFIED, 0, 0 },
		{ "U", "UNCLASSIFIED", LEVEL_UNCLASSIFIED, 0, 0 },
		{ "C", "CONFIDENTIAL", LEVEL_CONFIDENTIAL, 0, 0 },
		{ "S", "SECRET", LEVEL_SECRET, 0, 0 },
		{ "TS", "TOP SECRET", LEVEL_TOP_SECRET, 0, 0 },
		{ "TOP SECRET", "TOP SECRET", LEVEL_TOP_SECRET, 0, 0 },
		{ "SECRET//REL TO USA, GBR", "SECRET//REL TO USA, GBR", LEVEL_SECRET, 0, 0 },
		{ "  SECRET //  REL  TO USA ,GBR,  KOR  ", "SECRET//REL TO USA, GBR, KOR", LEVEL_SECRET, 0, 0 },
		{ "SECRET\t//\tREL\tTO\tUSA,\tFVEY", "SECRET//REL TO USA, FVEY", LEVEL_SECRET, 0, 0 },
		{ "SECRET//REL TO GBR, NATO, USA, AUS", "SECRET//REL TO USA, AUS, GBR, NATO", LEVEL_SECRET, 0, 0 },
		{ "TOP  SECRET//NOFORN", "TOP SECRET//NOFORN", LEVEL_TOP_SECRET, 1, 0 },
		{ "S//NF", "SECRET//NOFORN", LEVEL_SECRET, 1, 0 },
		{ "SECRET//ORCON/NOFORN", "SECRET//ORCON/NOFORN", LEVEL_SECRET, 1, MARKING_CTL_ORCON },
		{ "SECRET//NOFORN/OC", "SECRET//ORCON/NOFORN", LEVEL_SECRET, 1, MARKING_CTL_ORCON },
		{ "SECRET//RELIDO/REL TO USA, FVEY", "SECRET//RELIDO/REL TO USA, FVEY", LEVEL_SECRET, 0,
		  MARKING_CTL_RELIDO },
		{ "U//FOUO", "UNCLASSIFIED//FOUO", LEVEL_UNCLASSIFIED, 0, MARKING_CTL_FOUO },
		{ "SECRET//LES-NF", "SECRET//LES/NOFORN", LEVEL_SECRET, 1, MARKING_CTL_LES },
		{ "C//IMCON//PROPIN", "CONFIDENTIAL//IMCON/PROPIN", LEVEL_CONFIDENTIAL, 0,
		  MARKING_CTL_IMCON | MARKING_CTL_PROPIN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct marking_facts f = st(cases[i].text);
		if (f.unknown || strcmp(f.banner, cases[i].banner) != 0)
			fprintf(stderr, "  '%s': banner '%s' %s\n", cases[i].text, f.banner, f.why_unknown);
		CHECK(!f.unknown);
		CHECK_STR(f.banner, cases[i].banner);
		CHECK(f.level == cases[i].level && f.noforn == cases[i].noforn && f.controls == cases[i].controls);
		CHECK(f.tlp == TLP_NONE && !f.has_orgs);
		/* A banner relto writes reads back as the same facts. */
		struct marking_facts g = st(f.banner);
		CHECK_STR(g.banner, f.banner);
	}
	struct marking_facts f = st("SECRET//REL TO USA, GBR, JPN, KOR");
	CHECK(f.has_rel_to && f.nrel_to == 4);
	CHECK_STR(f.rel_to[0], "USA");
	CHECK_STR(f.rel_to[3], "KOR");
	CHECK_STR(marking_level_name(LEVEL_TOP_SECRET), "TOP_SECRET");
	CHECK_STR(marking_level_name(LEVEL_NONE), "");
}

/* Statements that claim a classification but are not a banner relto
** reads: unknown, with no level left behind.  Lower case is refused. */
static void test_banners_refused(void)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "secret//noforn", "banner 'secret//noforn': a banner must be upper case" },
		{ "Secret", "banner 'Secret': a banner must be upper case" },
		{ "Top Secret//REL TO USA", "banner 'Top Secret//REL TO USA': a banner must be upper case" },
		{ "SECRET//rel to USA", "banner 'SECRET//rel to USA': a banner must be upper case" },
		{ "SECRET//noforn", "banner 'SECRET//noforn': a banner must be upper case" },
		{ "SECRET//REL TO USA GBR", "banner 'SECRET//REL TO USA GBR': REL TO needs upper-case codes split by commas" },
		{ "SECRET//REL TO usa", "banner 'SECRET//REL TO usa': REL TO needs upper-case codes split by commas" },
		{ "SECRET//REL TO USA,", "banner 'SECRET//REL TO USA,': REL TO needs upper-case codes split by commas" },
		{ "SECRET//REL TO", "banner 'SECRET//REL TO': control 'REL TO' not understood" },
		{ "SECRET//", "banner 'SECRET//': empty control" },
		{ "SECRET///NOFORN", "banner 'SECRET///NOFORN': empty control" },
		{ "SECRET//NOFORN//REL TO USA", "banner 'SECRET//NOFORN//REL TO USA': NOFORN and REL TO exclude each other" },
		{ "SECRET//REL TO USA//REL TO GBR", "banner 'SECRET//REL TO USA//REL TO GBR': REL TO appears twice" },
		{ "TOP SECRET//SI/TK//NOFORN", "banner 'TOP SECRET//SI/TK//NOFORN': control 'SI' not understood" },
		{ "SECRET//USA/GBR EYES ONLY", "banner 'SECRET//USA/GBR EYES ONLY': control 'USA' not understood" },
		{ "//GBR SECRET", "banner '//GBR SECRET': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
		{ "NATO SECRET", "banner 'NATO SECRET': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
		{ "SECRET/NOFORN", "banner 'SECRET/NOFORN': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
		{ "Confidential: do not share", "banner 'Confidential: do not share': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
		{ "TLP:AMBER", "banner 'TLP:AMBER': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
		{ "This report is not classified material.", "banner 'This report is not classified ...': not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct marking_facts f = st(cases[i].text);
		char want[200];
		snprintf(want, sizeof(want), ID_X ": %s", cases[i].why);
		CHECK(f.unknown);
		CHECK_STR(f.why_unknown, want);
		CHECK(f.level == LEVEL_NONE && !f.has_rel_to && !f.noforn && f.controls == 0);
		CHECK_STR(f.banner, "UNKNOWN");
	}
}

/* Statements that are not banners restrict nothing: ATT&CK's copyright. */
static void test_plain_statements(void)
{
	static const char attack[] =
		"{\"definition\": {\"statement\": \"Copyright 2015-2025, The MITRE Corporation. MITRE ATT&CK and "
		"ATT&CK are registered trademarks of The MITRE Corporation.\"}, \"id\": \"" ATTACK_MD "\", "
		"\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"created\": \"2017-06-01T00:00:00.000Z\", "
		"\"created_by_ref\": \"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5\", \"definition_type\": \"statement\"}";
	static const char *const plain[] = {
		"Terms of use: see https://example.org/terms", "Handle via approved channels", "", "   ",
	};
	struct marking_facts f;
	read_text(attack, &f);
	CHECK(!f.unknown && f.level == LEVEL_NONE && f.tlp == TLP_NONE && !f.has_rel_to && !f.noforn);
	CHECK_STR(f.banner, "");
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		f = st(plain[i]);
		CHECK(!f.unknown && f.level == LEVEL_NONE);
	}
	/* ATT&CK objects' canonical marking set resolves to "no restriction". */
	struct store s = { .n = 0 };
	struct marking_result r;
	store_add(&s, attack);
	CHECK(marking_resolve("{\"o\":[\"" ATTACK_MD "\"]}", lookup, &s, &r, NULL) == RELTO_OK);
	int ok = !r.object.unknown && r.object.level == LEVEL_NONE && r.ngranular == 0 && s.calls == 1;
	marking_result_clear(&r);
	store_clear(&s);
	CHECK(ok);
	/* A statement definition of the wrong shape is unknown. */
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"statement\",\"definition\":{\"statement\":5}}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, ID_X ": a statement definition must be {\"statement\": text}");
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"statement\","
	          "\"definition\":{\"statement\":\"U\",\"x\":1}}", &f);
	CHECK(f.unknown);
}

/* A REL TO list longer than MARKING_MAX_CODES is unknown; a long list
** still fits the banner, cut with "...". */
static void test_banner_limits(void)
{
	char text[512] = "SECRET//REL TO USA";
	size_t len = strlen(text);
	for (int i = 0; i < MARKING_MAX_CODES; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ", A%c%c", 'A' + i / 26, 'A' + i % 26);
	struct marking_facts f = st(text);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, "REL TO list longer than 48 entries");
	f = st("SECRET//REL TO USA, AAA, AAB, AAC, AAD, AAE, AAF, AAG, AAH, AAI, AAJ, AAK, AAL, AAM, AAN, "
	       "AAO, AAP, AAQ, AAR, AAS, AAT, AAU, AAV, AAW");
	CHECK(!f.unknown && f.nrel_to == 24);
	CHECK(strlen(f.banner) == sizeof(f.banner) - 1);
	CHECK(strcmp(f.banner + strlen(f.banner) - 3, "...") == 0);
}

/* ---- ISA ACS 3.0 -------------------------------------------------------- */

static void test_acs(void)
{
	struct marking_facts f;
	/* The schema's own example (use case 1): TS, deny by default, nothing
	** permits a foreign nation: no foreign release. */
	read_text("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" ID_X "\","
	          "\"created\":\"2020-06-18T00:00:00Z\",\"extensions\":{\"" EXT_ACS "\":{\"control_set\":"
	          "{\"classification\":\"TS\",\"entity\":[\"GOV\",\"CTR\",\"MIL\"],\"shareability\":[]},"
	          "\"create_date_time\":\"2018-05-27T14:10:26.723Z\",\"extension_type\":\"property-extension\","
	          "\"identifier\":\"isa:guide.19001.ACS3-3bda2f6e-cedc-4c0f-a756-c03d6b586917\","
	          "\"name\":\"Use Case 1: Access Granted to Cybersecurity Data\",\"policy_reference\":\"" ACS_DENY "\","
	          "\"responsible_entity_custodian\":\"USA.NSA\"}}}", &f);
	CHECK(!f.unknown && f.level == LEVEL_TOP_SECRET && f.noforn && !f.has_rel_to);
	read_acs("\"policy_reference\":\"" ACS_PERMIT "\",\"control_set\":{\"classification\":\"U\"}", &f);
	CHECK(!f.unknown && f.level == LEVEL_UNCLASSIFIED && !f.noforn);
	/* Organizations; deny by default does not add NOFORN when a list permits. */
	read_acs("\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"C\","
	         "\"permitted_organizations\":[\"USA.DHS\",\"GBR.NCSC\",\"USA.DHS\"]}", &f);
	CHECK(!f.unknown && f.has_orgs && f.norgs == 2 && !f.noforn);
	CHECK_STR(f.banner, "CONFIDENTIAL; ORGS GBR.NCSC, USA.DHS");
	/* further_sharing: a deny naming foreign governments is NOFORN. */
	read_acs("\"policy_reference\":\"" ACS_PERMIT "\",\"control_set\":{\"classification\":\"U\"},"
	         "\"further_sharing\":[{\"sharing_scope\":[\"FOREIGNGOV\"],\"rule_effect\":\"deny\"}]", &f);
	CHECK(!f.unknown && f.noforn);
	read_acs("\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"U\"},"
	         "\"further_sharing\":[{\"sharing_scope\":[\"FOREIGNGOV\"],\"rule_effect\":\"permit\"}]", &f);
	CHECK(!f.unknown && !f.noforn);
	/* Values mapped to controls. */
	read_acs("\"policy_reference\":\"" ACS_PERMIT "\",\"control_set\":{\"classification\":\"U\","
	         "\"formal_determination\":[\"FOUO\",\"PUBREL\"],\"caveat\":[\"FISA\"],\"sensitivity\":[\"PR\"]}", &f);
	CHECK(!f.unknown && f.controls == (MARKING_CTL_FOUO | MARKING_CTL_FISA | MARKING_CTL_PROPIN));
}

static void test_acs_refused(void)
{
	static const struct {
		const char *members, *why;
	} cases[] = {
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"S\",\"sci_controls\":[\"SI\"]}",
		  "control_set.sci_controls: SCI controls are not understood" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"X\"}",
		  "control_set.classification: not U, C, S or TS" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{}", "control_set.classification is required" },
		{ "\"policy_reference\":\"" ACS_DENY "\"", "control_set.classification is required" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"S\","
		  "\"permitted_nationalities\":[\"usa\"]}", "control_set.permitted_nationalities: not a country code" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"S\","
		  "\"formal_determination\":[\"MAYBE\"]}", "control_set.formal_determination: unknown value" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"S\",\"x_rule\":1}",
		  "control_set.x_rule: not understood" },
		{ "\"policy_reference\":\"urn:isa:policy:acs:ns:v3.0?privdefault=deny\",\"control_set\":{\"classification\":\"S\"}",
		  "policy_reference: not the ACS 3.0 urn" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"x_extra\":true,\"control_set\":{\"classification\":\"S\"}",
		  "unknown property 'x_extra'" },
		{ "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"S\"},"
		  "\"further_sharing\":[{\"sharing_scope\":[\"FOREIGNGOV\"],\"rule_effect\":\"maybe\"}]",
		  "further_sharing: not {sharing_scope, rule_effect}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct marking_facts f;
		char want[200];
		read_acs(cases[i].members, &f);
		snprintf(want, sizeof(want), ID_X ": ACS 3.0: %s", cases[i].why);
		CHECK(f.unknown && f.level == LEVEL_NONE);
		CHECK_STR(f.why_unknown, want);
	}
	struct marking_facts f;
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"extensions\":{\"" EXT_ACS "\":{\"identifier\":\"x\","
	          "\"create_date_time\":\"2025-01-01T00:00:00Z\",\"responsible_entity_custodian\":\"USA.X\","
	          "\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"U\"}}}}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, ID_X ": ACS 3.0: extension_type is not property-extension");
}

/* ---- deny on unknown ---------------------------------------------------- */

static void test_unknown_definitions(void)
{
	struct marking_facts f;
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"extensions\":{\"extension-definition--762e2e97-0000-4000-8000-"
	          "000000000000\":{\"extension_type\":\"property-extension\",\"tlp\":\"red\"}}}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, ID_X ": extension extension-definition--762e2e97-0000-4000-8000-000000000000 is "
	                         "not understood");
	/* A known extension next to an unknown one: still unknown. */
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"extensions\":{\"" EXT_TLP2 "\":{\"extension_type\":"
	          "\"property-extension\",\"tlp_2_0\":\"green\"},\"x-acme-marking\":{}}}", &f);
	CHECK(f.unknown && f.tlp == TLP_GREEN);
	CHECK_STR(f.banner, "TLP:GREEN; UNKNOWN");
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"x-acme\",\"definition\":{}}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, ID_X ": definition_type is not statement or tlp");
	read_text(DEF_HEAD "\"id\":\"" ID_X "\",\"name\":\"says nothing\"}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, ID_X ": no definition_type and no marking extension");
	read_text("{\"type\":\"identity\",\"id\":\"identity--" "11111111-2222-4333-8444-555555555555\"}", &f);
	CHECK(f.unknown);
	CHECK_STR(f.why_unknown, "identity--11111111-2222-4333-8444-555555555555: not a marking-definition object");
	marking_read_definition(NULL, &f);
	CHECK(f.unknown);
}

/* References the store cannot resolve make the object unknown. */
static void test_unknown_refs(void)
{
	struct store s = { .n = 0 };
	struct marking_result r;
	CHECK(marking_resolve("{\"o\":[\"" TLP2_GREEN "\",\"" ID_X "\"]}", lookup, &s, &r, NULL) == RELTO_OK);
	int ok = r.object.unknown && r.object.tlp == TLP_GREEN &&
	         strcmp(r.object.why_unknown, ID_X " is not in the store") == 0;
	marking_result_clear(&r);
	CHECK(ok);
	CHECK(marking_resolve("{\"o\":[\"" ID_X "\"]}", NULL, NULL, &r, NULL) == RELTO_OK);
	ok = r.object.unknown;
	marking_result_clear(&r);
	CHECK(ok);
	/* A lookup answering with another object is not trusted. */
	json_t *other = json_loads(DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"statement\","
	                           "\"definition\":{\"statement\":\"U\"}}", 0, NULL);
	CHECK(marking_resolve("{\"o\":[\"" ID_Y "\"]}", lookup_fixed, other, &r, NULL) == RELTO_OK);
	ok = r.object.unknown && strcmp(r.object.why_unknown, ID_Y ": the store returned another object") == 0;
	marking_result_clear(&r);
	CHECK(marking_resolve("{\"o\":[\"" ID_X "\"]}", lookup_fixed, other, &r, NULL) == RELTO_OK);
	ok = ok && !r.object.unknown && r.object.level == LEVEL_UNCLASSIFIED;
	marking_result_clear(&r);
	json_decref(other);
	CHECK(ok);
}

/* ---- combination -------------------------------------------------------- */

static void test_combine_levels_tlp(void)
{
	struct marking_facts a = combined("TOP SECRET", "C"), none, tlp;
	marking_facts_init(&none);
	marking_combine(&none, &a);
	CHECK_STR(none.banner, "TOP SECRET");
	/* TLP: the most restrictive; with a level, both show. */
	struct marking_result r;
	CHECK(marking_resolve("{\"o\":[\"" TLP1_GREEN "\",\"" TLP2_STRICT "\",\"" TLP2_CLEAR "\"]}", NULL, NULL, &r,
	                      NULL) == RELTO_OK);
	tlp = r.object;
	marking_result_clear(&r);
	CHECK(tlp.tlp == TLP_AMBER_STRICT);
	CHECK(marking_resolve("{\"o\":[\"" TLP1_RED "\",\"" TLP2_CLEAR "\"]}", NULL, NULL, &r, NULL) == RELTO_OK);
	CHECK(r.object.tlp == TLP_RED);
	marking_result_clear(&r);
	a = st("SECRET//REL TO USA, FVEY");
	marking_combine(&a, &tlp);
	CHECK_STR(a.banner, "SECRET//REL TO USA, FVEY; TLP:AMBER+STRICT");
	/* Combining with itself changes nothing. */
	marking_combine(&a, &a);
	CHECK_STR(a.banner, "SECRET//REL TO USA, FVEY; TLP:AMBER+STRICT");
}

/* REL TO intersection, written codes kept, tetragraphs expanded only
** where one side lists the group and the other its members. */
static void test_combine_rel_to(void)
{
	static const struct {
		const char *a, *b, *banner;
	} cases[] = {
		{ "UNCLASSIFIED", "SECRET", "SECRET" },
		{ "S//REL TO USA, FVEY", "S//REL TO USA, GBR, KOR", "SECRET//REL TO USA, GBR" },
		{ "S//REL TO USA, FVEY", "S//REL TO USA, FVEY", "SECRET//REL TO USA, FVEY" },
		{ "S//REL TO USA, FVEY", "S//REL TO USA, NATO", "SECRET//REL TO USA, CAN, GBR" },
		{ "C//REL TO USA, JPN, KOR", "C//REL TO USA, NATO", "CONFIDENTIAL//REL TO USA" },
		{ "S//REL TO USA, GBR, KOR", "C//REL TO USA, JPN, KOR", "SECRET//REL TO USA, KOR" },
		{ "S//REL TO FVEY", "S//REL TO FVEY, NATO", "SECRET//REL TO FVEY" },
		{ "S//REL TO USA, AUS, CAN, GBR, NZL", "S//REL TO USA, FVEY", "SECRET//REL TO USA, AUS, CAN, GBR, NZL" },
		{ "S//REL TO USA, DEU, NATO", "S//REL TO USA, FVEY, DEU", "SECRET//REL TO USA, CAN, DEU, GBR" },
		{ "S//REL TO USA, ACGU", "S//REL TO USA, GBR", "SECRET//REL TO USA" },
		{ "S//REL TO ACGU", "S//REL TO ACGU", "SECRET//REL TO ACGU" },
		{ "S//REL TO USA, GBR", "S//REL TO JPN", "SECRET//REL TO (nobody)" },
		{ "S", "S//REL TO USA, GBR", "SECRET//REL TO USA, GBR" },
		{ "S//NOFORN", "S//REL TO USA, GBR", "SECRET//NOFORN" },
		{ "U//FOUO", "S//ORCON/REL TO USA, GBR", "SECRET//ORCON/FOUO/REL TO USA, GBR" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct marking_facts ab = combined(cases[i].a, cases[i].b);
		struct marking_facts ba = combined(cases[i].b, cases[i].a);
		if (strcmp(ab.banner, cases[i].banner) != 0)
			fprintf(stderr, "  %s + %s: got '%s'\n", cases[i].a, cases[i].b, ab.banner);
		CHECK(!ab.unknown);
		CHECK_STR(ab.banner, cases[i].banner);
		CHECK_STR(ba.banner, ab.banner); /* order does not matter */
	}
	struct marking_facts n = combined("S//NOFORN", "S//REL TO USA, GBR");
	CHECK(n.noforn && n.has_rel_to && n.nrel_to == 2); /* NOFORN wins; the list stays for explain */
	struct marking_facts e = combined("S//REL TO USA", "S//REL TO GBR");
	CHECK(e.has_rel_to && e.nrel_to == 0);
}

static void test_combine_orgs_unknown(void)
{
	struct marking_facts a, b, c;
	read_acs("\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"U\","
	         "\"permitted_organizations\":[\"USA.DHS\",\"GBR.NCSC\"]}", &a);
	read_acs("\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"C\","
	         "\"permitted_organizations\":[\"GBR.NCSC\",\"KOR.KISA\"]}", &b);
	c = a;
	marking_combine(&c, &b);
	CHECK(c.has_orgs && c.norgs == 1 && c.level == LEVEL_CONFIDENTIAL);
	CHECK_STR(c.orgs[0], "GBR.NCSC");
	struct marking_facts none = st("SECRET");
	marking_combine(&none, &a);
	CHECK(none.has_orgs && none.norgs == 2);
	read_acs("\"policy_reference\":\"" ACS_DENY "\",\"control_set\":{\"classification\":\"U\","
	         "\"permitted_organizations\":[\"JPN.NISC\"]}", &b);
	marking_combine(&c, &b);
	CHECK(c.has_orgs && c.norgs == 0);
	CHECK_STR(c.banner, "CONFIDENTIAL; ORGS (nobody)");
	/* Unknown is sticky and keeps the first reason. */
	struct marking_facts u1 = st("secret"), u2 = st("SECRET//SI"), k = st("SECRET//REL TO USA");
	marking_combine(&k, &u1);
	marking_combine(&k, &u2);
	CHECK(k.unknown && k.level == LEVEL_SECRET);
	CHECK_STR(k.why_unknown, u1.why_unknown);
	CHECK_STR(k.banner, "SECRET//REL TO USA; UNKNOWN");
}

static void test_expand(void)
{
	const char *const *m;
	CHECK(marking_expand("FVEY", &m) == 5);
	CHECK_STR(m[0], "AUS");
	CHECK_STR(m[4], "USA");
	size_t n = marking_expand("NATO", &m);
	CHECK(n == 32);
	int swe = 0, fin = 0, sorted = 1;
	for (size_t i = 0; i < n; i++) {
		swe |= strcmp(m[i], "SWE") == 0;
		fin |= strcmp(m[i], "FIN") == 0;
		sorted &= i == 0 || strcmp(m[i - 1], m[i]) < 0;
	}
	CHECK(swe && fin && sorted);
	CHECK(marking_expand("USA", &m) == 0 && m == NULL);
	CHECK(marking_expand("ACGU", &m) == 0 && m == NULL);
	CHECK(marking_expand(NULL, &m) == 0);
}

/* ---- canonical marking sets --------------------------------------------- */

static void test_resolve_canon(void)
{
	struct marking_result r;
	char err[RELTO_ERRBUF_SIZE] = "";
	static const char *const bad[] = {
		"not json", "{\"o\":[]}", "{\"x\":1}", "{}", "{\"g\":[[\"" TLP1_RED "\",[]]]}",
		"{\"o\":[\"" TLP1_RED "\"],\"o\":[\"" TLP1_RED "\"]}", "{\"g\":[[\"" TLP1_RED "\"]]}", "[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(marking_resolve(bad[i], NULL, NULL, &r, err) == RELTO_EINVAL);
		CHECK_STR(err, "marking set is not in the canonical form");
		CHECK(r.ngranular == 0 && r.object.level == LEVEL_NONE);
		marking_result_clear(&r);
	}
	CHECK(marking_resolve(NULL, NULL, NULL, &r, NULL) == RELTO_EINVAL);
	CHECK(marking_resolve("", NULL, NULL, &r, NULL) == RELTO_OK);
	CHECK(r.object.level == LEVEL_NONE && r.object.tlp == TLP_NONE && !r.object.unknown && r.ngranular == 0);
	CHECK_STR(r.object.banner, "");
	marking_result_clear(&r);
	marking_result_clear(NULL);
}

/* A real object through stix_validate: object markings, a granular
** marking (selectors carried, facts of that marking alone) and a lang
** granular marking (ignored for releasability). */
static void test_granular_from_stix(void)
{
	static const char obj[] =
		"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
		"\"created\":\"2025-01-01T00:00:00.000Z\",\"modified\":\"2025-01-01T00:00:00.000Z\","
		"\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"pattern_type\":\"stix\",\"description\":\"d\","
		"\"name\":\"n\",\"valid_from\":\"2025-01-01T00:00:00Z\",\"object_marking_refs\":[\"" TLP2_GREEN "\",\"" ID_Y "\"],"
		"\"granular_markings\":[{\"selectors\":[\"pattern\"],\"marking_ref\":\"" ID_X "\"},"
		"{\"selectors\":[\"description\",\"name\"],\"lang\":\"en\"},"
		"{\"selectors\":[\"name\"],\"marking_ref\":\"" ID_X "\"}]}";
	struct store s = { .n = 0 };
	store_add(&s, DEF_HEAD "\"id\":\"" ID_X "\",\"definition_type\":\"statement\","
	              "\"definition\":{\"statement\":\"SECRET//REL TO USA, FVEY\"}}");
	store_add(&s, DEF_HEAD "\"id\":\"" ID_Y "\",\"definition_type\":\"statement\","
	              "\"definition\":{\"statement\":\"UNCLASSIFIED\"}}");
	json_t *o = json_loads(obj, JSON_REJECT_DUPLICATES, NULL);
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(o && stix_validate(o, &m, err) == RELTO_OK);
	json_decref(o);
	struct marking_result r;
	enum relto_err rc = marking_resolve(m.marking_canon, lookup, &s, &r, err);
	stix_meta_clear(&m);
	store_clear(&s);
	CHECK(rc == RELTO_OK);
	int ok = !r.object.unknown && r.object.level == LEVEL_UNCLASSIFIED && r.object.tlp == TLP_GREEN &&
	         strcmp(r.object.banner, "UNCLASSIFIED; TLP:GREEN") == 0 && r.ngranular == 1 &&
	         r.granular[0].nselectors == 2 && strcmp(r.granular[0].selectors[0], "name") == 0 &&
	         strcmp(r.granular[0].selectors[1], "pattern") == 0 && r.granular[0].facts.tlp == TLP_NONE &&
	         strcmp(r.granular[0].facts.banner, "SECRET//REL TO USA, FVEY") == 0;
	marking_result_clear(&r);
	CHECK(ok);
	CHECK(r.ngranular == 0 && r.granular == NULL);
	/* Only lang markings: no granular entries at all. */
	CHECK(marking_resolve("{\"g\":[[\"lang:de\",[\"name\"]],[\"lang:en\",[\"description\"]]]}", NULL, NULL, &r,
	                      NULL) == RELTO_OK);
	ok = r.ngranular == 0 && r.object.level == LEVEL_NONE && !r.object.unknown;
	marking_result_clear(&r);
	CHECK(ok);
}

/* ---- the demo corpus ---------------------------------------------------- */

struct demo {
	struct store defs[2];   /* marking definitions per collection */
	size_t header[2];       /* header objects seen per collection */
	size_t identities;
	size_t groups[2][10];   /* body objects per marking group */
	size_t granular, granular_ok, bad;
	char first_bad[STIX_ID_MAX + RELTO_ERRBUF_SIZE + 8];
};

enum { G_TLP, G_U, G_S_FVEY, G_C, G_NONE, G_S_NAMED, G_RED, G_NOFORN, G_TS, G_OTHER };

/* The marking group of docs/demo-data.md an object's facts fall in. */
static int group_of(const struct marking_facts *f)
{
	if (f->level == LEVEL_TOP_SECRET)
		return G_TS;
	if (f->level == LEVEL_SECRET && f->noforn)
		return G_NOFORN;
	if (f->level == LEVEL_SECRET && f->nrel_to == 4 && strcmp(f->banner, "SECRET//REL TO USA, GBR, JPN, KOR") == 0)
		return G_S_NAMED;
	if (f->level == LEVEL_SECRET && f->has_rel_to &&
	    (strncmp(f->banner, "SECRET//REL TO USA, FVEY", 24) == 0 ||
	     strcmp(f->banner, "SECRET//REL TO USA, AUS, CAN, GBR, NZL") == 0))
		return G_S_FVEY;
	if (f->level == LEVEL_CONFIDENTIAL)
		return G_C;
	if (f->level == LEVEL_UNCLASSIFIED)
		return G_U;
	if (f->tlp == TLP_RED)
		return G_RED;
	if (f->tlp != TLP_NONE && f->level == LEVEL_NONE)
		return G_TLP;
	return f->level == LEVEL_NONE && f->tlp == TLP_NONE && !f->has_rel_to ? G_NONE : G_OTHER;
}

static void demo_bad(struct demo *d, const char *what, const char *why)
{
	if (!d->bad++)
		snprintf(d->first_bad, sizeof(d->first_bad), "%s: %s", what, why);
}

static enum relto_err demo_emit(void *ctx, size_t coll, const char *json, size_t len)
{
	struct demo *d = ctx;
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	struct stix_meta m;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (!o || stix_validate(o, &m, err) != RELTO_OK) {
		demo_bad(d, "stix_validate", err);
		json_decref(o);
		return RELTO_OK;
	}
	if (d->header[coll] < 30) {
		d->header[coll]++;
		if (strcmp(m.type, "marking-definition") == 0 && d->defs[coll].n < 64)
			d->defs[coll].defs[d->defs[coll].n++] = json_incref(o);
		d->identities += strcmp(m.type, "identity") == 0;
	}
	struct marking_result r;
	if (marking_resolve(m.marking_canon, lookup, &d->defs[coll], &r, err) != RELTO_OK)
		demo_bad(d, m.id, err);
	else if (r.object.unknown)
		demo_bad(d, m.id, r.object.why_unknown);
	else if (strcmp(m.type, "marking-definition") != 0 && strcmp(m.type, "identity") != 0)
		d->groups[coll][group_of(&r.object)]++;
	/* Granular: a pattern marked SECRET REL TO FVEY, or a description
	** marked SECRET NOFORN or SECRET REL TO USA, GBR, JPN, KOR. */
	for (size_t i = 0; i < r.ngranular; i++) {
		const struct marking_facts *g = &r.granular[i].facts;
		d->granular++;
		d->granular_ok += r.granular[i].nselectors == 1 && !g->unknown && g->level == LEVEL_SECRET &&
		                  (g->noforn || g->has_rel_to) &&
		                  json_object_get(o, r.granular[i].selectors[0]) != NULL;
	}
	marking_result_clear(&r);
	stix_meta_clear(&m);
	json_decref(o);
	return RELTO_OK;
}

/* The header: 18 marking definitions, each read as its name says. */
static void test_demo_definitions(void)
{
	/* The banner each reads as; NULL: the same as its name. */
	static const struct {
		const char *name, *banner;
	} want[] = {
		{ "TLP:CLEAR", NULL }, { "TLP:GREEN", NULL }, { "TLP:AMBER", NULL }, { "TLP:AMBER+STRICT", NULL },
		{ "TLP:RED", NULL }, { "UNCLASSIFIED", NULL }, { "CONFIDENTIAL//REL TO USA, JPN, KOR", NULL },
		{ "CONFIDENTIAL//REL TO USA, NATO", NULL }, { "SECRET//REL TO USA, FVEY", NULL },
		{ "SECRET//REL TO USA, GBR, JPN, KOR", NULL }, { "SECRET//NOFORN", NULL }, { "TOP SECRET//REL TO USA, FVEY", NULL },
		{ "ACS 3.0: UNCLASSIFIED, AIS, further sharing with foreign governments permitted", "UNCLASSIFIED" },
		{ "ACS 3.0: CONFIDENTIAL, permitted nationalities USA JPN KOR", "CONFIDENTIAL//REL TO USA, JPN, KOR" },
		{ "ACS 3.0: SECRET, permitted nationalities USA AUS CAN GBR NZL", "SECRET//REL TO USA, AUS, CAN, GBR, NZL" },
		{ "ACS 3.0: SECRET, permitted nationalities USA GBR JPN KOR", "SECRET//REL TO USA, GBR, JPN, KOR" },
		{ "ACS 3.0: SECRET, NOFORN", "SECRET//NOFORN" },
		{ "ACS 3.0: TOP SECRET, permitted nationalities USA AUS CAN GBR NZL", "TOP SECRET//REL TO USA, AUS, CAN, GBR, NZL" },
	};
	struct gen_params p;
	struct demo *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	gen_params_default(&p);
	p.count = 60;
	enum relto_err rc = gen_run(&p, demo_emit, d, NULL);
	size_t n = d->defs[0].n, found = 0, right = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		for (size_t k = 0; k < n; k++) {
			const json_t *def = d->defs[0].defs[k];
			if (strcmp(json_string_value(json_object_get(def, "name")), want[i].name) != 0)
				continue;
			struct marking_facts f;
			const char *banner = want[i].banner ? want[i].banner : want[i].name;
			marking_read_definition(def, &f);
			found++;
			right += !f.unknown && strcmp(f.banner, banner) == 0;
			if (f.unknown || strcmp(f.banner, banner) != 0)
				fprintf(stderr, "  %s: '%s' %s\n", want[i].name, f.banner, f.why_unknown);
		}
	}
	for (int c = 0; c < 2; c++)
		store_clear(&d->defs[c]);
	size_t ids = d->identities, bad = d->bad;
	free(d);
	CHECK(rc == RELTO_OK);
	CHECK(n == 18);
	CHECK(ids == 24); /* 12 identities in each of the two collections */
	CHECK(found == 18 && right == 18);
	CHECK(bad == 0);
}

/* Every object of the default corpus: its canonical marking set resolves
** (nothing unknown) and the groups are those docs/demo-data.md counts. */
static void test_demo_corpus(void)
{
	static const size_t want[2][9] = {
		/* TLP, U, S FVEY, C, none, S named, RED, NOFORN, TS */
		{ 776, 160, 172, 144, 88, 68, 49, 37, 19 },
		{ 792, 145, 129, 126, 78, 48, 55, 31, 23 },
	};
	struct gen_params p;
	struct demo *d = calloc(1, sizeof(*d));
	CHECK(d != NULL);
	gen_params_default(&p);
	enum relto_err rc = gen_run(&p, demo_emit, d, NULL);
	int groups_ok = d->groups[0][G_OTHER] == 0 && d->groups[1][G_OTHER] == 0;
	for (int c = 0; c < 2; c++) {
		for (int g = 0; g < 9; g++) {
			if (d->groups[c][g] != want[c][g])
				fprintf(stderr, "  collection %d group %d: %zu, want %zu\n", c, g, d->groups[c][g], want[c][g]);
			groups_ok &= d->groups[c][g] == want[c][g];
		}
		store_clear(&d->defs[c]);
	}
	if (d->bad)
		fprintf(stderr, "  %zu bad, first: %s\n", d->bad, d->first_bad);
	size_t bad = d->bad, granular = d->granular, granular_ok = d->granular_ok;
	free(d);
	CHECK(rc == RELTO_OK);
	CHECK(bad == 0);
	CHECK(groups_ok);
	CHECK(granular == 74 && granular_ok == 74); /* docs/demo-data.md: 74 carry a granular marking */
}

int main(void)
{
	RUN(test_tlp_fixed_ids);
	RUN(test_tlp_by_content);
	RUN(test_tlp_not_forgeable);
	RUN(test_banners);
	RUN(test_banners_refused);
	RUN(test_plain_statements);
	RUN(test_banner_limits);
	RUN(test_acs);
	RUN(test_acs_refused);
	RUN(test_unknown_definitions);
	RUN(test_unknown_refs);
	RUN(test_combine_levels_tlp);
	RUN(test_combine_rel_to);
	RUN(test_combine_orgs_unknown);
	RUN(test_expand);
	RUN(test_resolve_canon);
	RUN(test_granular_from_stix);
	RUN(test_demo_definitions);
	RUN(test_demo_corpus);
	return TEST_DONE();
}
