/*
** posture_test.c: checks of the demo posture (src/demo/posture.json) as
** the binary embeds it: valid JSON with no duplicate keys, the format
** docs/posture.md describes, the eight partners, every vendor an operator
** names is listed, and the facts the demo's story relies on (LG Uplus'
** Huawei RAN with no removal deadline, the UK's 2027 deadline, Huawei and
** ZTE high risk).
*/
#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include "test.h"

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;

static json_t *load(void)
{
	json_error_t je;
	json_t *p = json_loadb((const char *)embed_posture_json, embed_posture_json_len, JSON_REJECT_DUPLICATES, &je);
	if (!p)
		fprintf(stderr, "  posture.json:%d:%d: %s\n", je.line, je.column, je.text);
	return p;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *find(const json_t *list, const char *key, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (str(v, key) && strcmp(str(v, key), value) == 0)
			return v;
	return NULL;
}

static int find_str(const json_t *list, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

static void test_parses(void)
{
	CHECK(embed_posture_json_len > 100);
	CHECK(embed_posture_json[embed_posture_json_len] == '\0'); /* tools/embed.c: NUL-terminated, not counted */
	json_t *p = load();
	CHECK(p != NULL);
	int ok = json_is_object(p) && str(p, "format") && strcmp(str(p, "format"), "relto-posture/1") == 0 &&
	         json_is_array(json_object_get(p, "vendors")) && json_is_array(json_object_get(p, "partners"));
	json_t *levels = json_object_get(p, "levels");
	ok = ok && json_array_size(levels) == 4 && strcmp(json_string_value(json_array_get(levels, 0)), "UNCLASSIFIED") == 0 &&
	     strcmp(json_string_value(json_array_get(levels, 3)), "TOP_SECRET") == 0;
	json_decref(p);
	CHECK(ok);
}

static void test_partners(void)
{
	static const char *const want[] = {"usa", "gbr", "aus", "can", "nzl", "jpn", "kor", "deu"};
	json_t *p = load();
	CHECK(p != NULL);
	json_t *partners = json_object_get(p, "partners");
	size_t n = json_array_size(partners), wrong = 0, hubs = 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		json_t *pt = json_array_get(partners, i);
		const char *id = str(pt, "id");
		if (!id || strcmp(id, want[i]) != 0) {
			fprintf(stderr, "  partners[%zu]: id %s, want %s\n", i, id ? id : "(none)", want[i]);
			wrong++;
		}
		/* The id is the lower-case ISO 3166 alpha-3 code of "country". */
		const char *country = str(pt, "country");
		if (!id || !country || strlen(id) != 3 || strlen(country) != 3)
			wrong++;
		for (size_t k = 0; !wrong && k < 3; k++)
			wrong += id[k] != tolower((unsigned char)country[k]) || !islower((unsigned char)id[k]);
		hubs += json_is_true(json_object_get(pt, "hub"));
		const char *level = str(pt, "agreement_level");
		if (!level || !find_str(json_object_get(p, "levels"), level))
			wrong++;
		if (!json_is_array(json_object_get(pt, "operators")) || json_array_size(json_object_get(pt, "operators")) == 0)
			wrong++;
	}
	json_decref(p);
	CHECK(n == 8);
	CHECK(wrong == 0);
	CHECK(hubs == 1);
}

/* Every vendor any operator segment names is in "vendors", once. */
static void test_vendors_referenced(void)
{
	json_t *p = load();
	CHECK(p != NULL);
	json_t *vendors = json_object_get(p, "vendors"), *partners = json_object_get(p, "partners");
	size_t missing = 0, entries = 0, dups = 0, i, j, k;
	json_t *v, *w;
	json_array_foreach(vendors, i, v) {
		json_array_foreach(vendors, j, w)
			if (j > i && strcmp(str(v, "id"), str(w, "id")) == 0)
				dups++;
	}
	json_t *pt, *op;
	json_array_foreach(partners, i, pt) {
		json_array_foreach(json_object_get(pt, "operators"), j, op) {
			const char *seg_name;
			json_t *seg;
			json_object_foreach(json_object_get(op, "segments"), seg_name, seg) {
				json_t *e;
				json_array_foreach(seg, k, e) {
					entries++;
					const char *vid = str(e, "vendor");
					if (!vid || !find(vendors, "id", vid)) {
						fprintf(stderr, "  %s / %s / %s: vendor %s not listed\n", str(pt, "id"),
						        str(op, "name"), seg_name, vid ? vid : "(none)");
						missing++;
					}
				}
			}
		}
	}
	json_decref(p);
	CHECK(entries > 20);
	CHECK(missing == 0);
	CHECK(dups == 0);
}

/* The segment entry for vendor in segment seg of operator op of partner. */
static json_t *entry(json_t *p, const char *partner, const char *op, const char *seg, const char *vendor)
{
	json_t *pt = find(json_object_get(p, "partners"), "id", partner);
	json_t *o = pt ? find(json_object_get(pt, "operators"), "name", op) : NULL;
	json_t *s = o ? json_object_get(json_object_get(o, "segments"), seg) : NULL;
	return s ? find(s, "vendor", vendor) : NULL;
}

static void test_story_facts(void)
{
	json_t *p = load();
	CHECK(p != NULL);
	/* KOR: LG Uplus runs Huawei in its RAN, with no removal deadline. */
	json_t *lgu = entry(p, "kor", "LG Uplus", "ran", "huawei");
	int lgu_ok = lgu && !json_object_get(lgu, "removal_deadline");
	/* GBR: every operator with Huawei RAN must remove it by 2027-12-31. */
	json_t *gbr = find(json_object_get(p, "partners"), "id", "gbr");
	size_t gbr_huawei = 0, gbr_bad = 0, i;
	json_t *op;
	json_array_foreach(json_object_get(gbr, "operators"), i, op) {
		json_t *e = find(json_object_get(json_object_get(op, "segments"), "ran"), "vendor", "huawei");
		if (!e)
			continue;
		gbr_huawei++;
		const char *d = str(e, "removal_deadline");
		gbr_bad += !d || strcmp(d, "2027-12-31") != 0;
	}
	json_t *vendors = json_object_get(p, "vendors");
	json_t *hw = find(vendors, "id", "huawei"), *zte = find(vendors, "id", "zte");
	int risk_ok = hw && zte && str(hw, "risk") && str(zte, "risk") && strcmp(str(hw, "risk"), "high") == 0 &&
	              strcmp(str(zte, "risk"), "high") == 0;
	/* And the vendors on no list are not high risk. */
	size_t none_ok = 1;
	json_t *v;
	json_array_foreach(vendors, i, v) {
		const char *risk = str(v, "risk");
		if (!risk || (strcmp(risk, "high") && strcmp(risk, "none")))
			none_ok = 0;
		if (json_array_size(json_object_get(v, "lists")) == 0 && risk && strcmp(risk, "none") != 0)
			none_ok = 0;
	}
	json_decref(p);
	CHECK(lgu_ok);
	CHECK(gbr_huawei >= 2 && gbr_bad == 0);
	CHECK(risk_ok);
	CHECK(none_ok);
}

int main(void)
{
	RUN(test_parses);
	RUN(test_partners);
	RUN(test_vendors_referenced);
	RUN(test_story_facts);
	return TEST_DONE();
}
