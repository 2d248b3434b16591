/*
** change_test.c: unit tests for src/admin/change.c (posture change
** documents and the CLI's change flags).  Every operation is applied once
** to a small posture or to the demo's (as the binary embeds it), the result
** must load, and a structural diff of before and after must show exactly
** the change; every class of error is provoked once with its exact
** message, and a refused list must leave the output untouched.
*/
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "admin/change.h"
#include "admin/diff.h"
#include "posture/posture.h"
#include "util/buf.h"

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;

#define DEMO ((const char *)embed_posture_json)

#include "posture_fixture.h"

/* Apply the change list written as JSON text to posture. */
static enum relto_err apply(const char *posture, const char *changes, char **out, char *err)
{
	json_error_t je;
	json_t *c = json_loads(changes, JSON_REJECT_DUPLICATES, &je);
	if (!c) {
		fprintf(stderr, "  bad test JSON: %s\n", je.text);
		return RELTO_EINTERNAL;
	}
	err[0] = '\0';
	enum relto_err rc = admin_posture_change(posture, strlen(posture), c, out, err);
	json_decref(c);
	return rc;
}

/* The error message of a change that must fail with RELTO_EINVAL, with
** the output pointer untouched; "" if it did not fail that way. */
static const char *refused(const char *posture, const char *changes, char *err)
{
	char *out = (char *)"untouched";
	enum relto_err rc = apply(posture, changes, &out, err);
	if (rc == RELTO_OK)
		free(out);
	if (rc != RELTO_EINVAL || strcmp(out, "untouched") != 0)
		return "";
	if (strlen(err) >= RELTO_ERRBUF_SIZE - 1)
		return "(message filled the buffer)";
	return err;
}

/* The diff lines from posture to the result of changes (a static buffer
** of the caller); NULL when the change fails. */
static const char *diff_of(const char *posture, const char *changes, struct buf *b)
{
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	buf_init(b, 1 << 20);
	if (apply(posture, changes, &out, err) != RELTO_OK) {
		fprintf(stderr, "  change failed: %s\n", err);
		return NULL;
	}
	err[0] = '\0';
	enum relto_err rc = admin_posture_diff(posture, strlen(posture), out, strlen(out), b, err);
	free(out);
	if (rc)
		return NULL;
	return b->data ? b->data : "";
}

/* ---- each operation, with the diff it makes ------------------------------ */

static void test_remove_equipment(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", "
	                              "\"operator\": \"LG Uplus\", \"segment\": \"ran\", \"vendor\": \"huawei\"}]",
	                        &b);
	CHECK_STR(d, "partner kor: operator LG Uplus: ran: huawei removed\n");
	buf_free(&b);
	/* The last vendor of a segment takes the segment with it. */
	d = diff_of(base, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", "
	                  "\"segment\": \"core\", \"vendor\": \"nokia\"}]",
	            &b);
	CHECK_STR(d, "partner kor: operator LG Uplus: core: nokia removed\n");
	buf_free(&b);
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	CHECK(apply(base, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", "
	                  "\"segment\": \"core\", \"vendor\": \"nokia\"}]", &out, err) == RELTO_OK);
	int gone = strstr(out, "\"core\"") == NULL;
	free(out);
	CHECK(gone);
}

static void test_add_equipment(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"KT\", "
	                              "\"segment\": \"ran\", \"vendor\": \"zte\", \"deadline\": \"2027-12-31\", "
	                              "\"source\": \"press\"}]",
	                        &b);
	CHECK_STR(d, "partner kor: operator KT: ran: zte added (deadline 2027-12-31)\n");
	buf_free(&b);
	/* A new segment; no source gives the default one. */
	d = diff_of(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"KT\", "
	                  "\"segment\": \"core\", \"vendor\": \"ericsson\"}]",
	            &b);
	CHECK_STR(d, "partner kor: operator KT: core: ericsson added\n");
	buf_free(&b);
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	CHECK(apply(base, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", "
	                  "\"segment\": \"transport\", \"vendor\": \"huawei\", \"deadline\": null}]",
	            &out, err) == RELTO_OK);
	json_t *j = json_loads(out, 0, NULL);
	free(out);
	json_t *e = json_array_get(json_object_get(json_object_get(json_array_get(json_object_get(
	        json_array_get(json_object_get(j, "partners"), 1), "operators"), 0), "segments"),
	        "transport"), 0);
	int ok = e && strcmp(json_string_value(json_object_get(e, "source")), ADMIN_DEFAULT_SOURCE) == 0 &&
	         !json_object_get(e, "removal_deadline") && json_object_size(e) == 2;
	json_decref(j);
	CHECK(ok);
}

static void test_set_deadline(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", "
	                              "\"segment\": \"ran\", \"vendor\": \"huawei\", \"deadline\": \"2027-12-31\"}]",
	                        &b);
	CHECK_STR(d, "partner kor: operator LG Uplus: ran: huawei deadline none -> 2027-12-31\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"deu\", \"operator\": \"Deutsche Telekom\", "
	                  "\"segment\": \"core\", \"vendor\": \"huawei\", \"deadline\": \"2026-06-30\"}]",
	            &b);
	CHECK_STR(d, "partner deu: operator Deutsche Telekom: core: huawei deadline 2026-12-31 -> 2026-06-30\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"gbr\", \"operator\": \"EE\", "
	                  "\"segment\": \"ran\", \"vendor\": \"huawei\", \"deadline\": null}]",
	            &b);
	CHECK_STR(d, "partner gbr: operator EE: ran: huawei deadline 2027-12-31 -> none\n");
	buf_free(&b);
	/* A new deadline goes after "vendor", as the format orders it. */
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	CHECK(apply(base, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", "
	                  "\"segment\": \"ran\", \"vendor\": \"huawei\", \"deadline\": \"2030-01-01\"}]",
	            &out, err) == RELTO_OK);
	const char *v = strstr(out, "\"huawei\",\n"), *dl = strstr(out, "\"removal_deadline\": \"2030-01-01\"");
	const char *src = strstr(out, "\"source\": \"press\"");
	int ordered = v && dl && src && v < dl && dl < src;
	free(out);
	CHECK(ordered);
}

static void test_operators(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"add-operator\", \"partner\": \"kor\", \"operator\": \"Korea Mobile\"},"
	                              " {\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"Korea Mobile\","
	                              "  \"segment\": \"ran\", \"vendor\": \"samsung\"}]",
	                        &b);
	CHECK_STR(d, "partner kor: operator Korea Mobile: added\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"LG Uplus\"}]", &b);
	CHECK_STR(d, "partner kor: operator LG Uplus: removed\n");
	buf_free(&b);
	/* An operator may be added with no segments at all. */
	d = diff_of(base, "[{\"op\": \"add-operator\", \"partner\": \"usa\", \"operator\": \"Verizon\"}]", &b);
	CHECK_STR(d, "partner usa: operator Verizon: added\n");
	buf_free(&b);
}

static void test_vendors(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"nokia\", \"risk\": \"high\","
	                              "  \"lists\": [\"eu-2023-higher-risk\"]}]",
	                        &b);
	CHECK_STR(d, "vendor nokia: risk none -> high\nvendor nokia: lists (empty) -> eu-2023-higher-risk\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"acme\", \"name\": \"ACME Corp\", "
	                  "\"country\": \"USA\", \"risk\": \"none\", \"source\": \"test\"}]",
	            &b);
	CHECK_STR(d, "vendor acme: added (ACME Corp, USA, risk none)\n");
	buf_free(&b);
	/* A vendor nobody uses can go; one added in the same list too. */
	d = diff_of(DEMO, "[{\"op\": \"remove-vendor\", \"vendor\": \"zte\"}]", &b);
	CHECK_STR(d, "vendor zte: removed\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"acme\", \"name\": \"A\", \"country\": \"USA\","
	                  "  \"risk\": \"none\", \"lists\": [], \"source\": \"t\"},"
	                  " {\"op\": \"remove-vendor\", \"vendor\": \"acme\"}]",
	            &b);
	CHECK_STR(d, "");
	buf_free(&b);
	/* Every use must go first, then the vendor. */
	d = diff_of(base, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                  "  \"segment\": \"ran\", \"vendor\": \"huawei\"},"
	                  " {\"op\": \"remove-vendor\", \"vendor\": \"huawei\"}]",
	            &b);
	CHECK_STR(d, "vendor huawei: removed\npartner kor: operator LG Uplus: ran: huawei removed\n");
	buf_free(&b);
}

static void test_partners(void)
{
	struct buf b;
	const char *d = diff_of(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"kor\", "
	                              "\"agreement_level\": \"CONFIDENTIAL\", \"groups\": [\"nato\"]}]",
	                        &b);
	CHECK_STR(d, "partner kor: groups (empty) -> nato\npartner kor: agreement_level SECRET -> CONFIDENTIAL\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"fra\", \"name\": \"France\", "
	                  "\"country\": \"FRA\", \"agreement_level\": \"SECRET\", \"groups\": [\"nato\"]},"
	                  " {\"op\": \"add-operator\", \"partner\": \"fra\", \"operator\": \"Orange\"}]",
	            &b);
	CHECK_STR(d, "partner fra: added\n");
	buf_free(&b);
	d = diff_of(DEMO, "[{\"op\": \"remove-partner\", \"partner\": \"kor\"}]", &b);
	CHECK_STR(d, "partner kor: removed\n");
	buf_free(&b);
	/* The hub moves: two operations, one valid result. */
	d = diff_of(base, "[{\"op\": \"set-partner\", \"partner\": \"usa\", \"hub\": false},"
	                  " {\"op\": \"set-partner\", \"partner\": \"kor\", \"hub\": true, \"source\": \"moved\"}]",
	            &b);
	CHECK_STR(d, "partner usa: hub true -> false\npartner kor: hub false -> true\n"
	             "partner kor: source demo -> moved\n");
	buf_free(&b);
	/* A new partner's defaults. */
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	CHECK(apply(base, "[{\"op\": \"set-partner\", \"partner\": \"fra\", \"name\": \"France\", "
	                  "\"country\": \"FRA\", \"agreement_level\": \"SECRET\"}]", &out, err) == RELTO_OK);
	json_t *j = json_loads(out, 0, NULL);
	free(out);
	json_t *p = json_array_get(json_object_get(j, "partners"), 2);
	char *s = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	int ok = s && strcmp(s, "{\"id\":\"fra\",\"name\":\"France\",\"country\":\"FRA\",\"groups\":[],"
	                        "\"agreement_level\":\"SECRET\",\"hub\":false,"
	                        "\"source\":\"" ADMIN_DEFAULT_SOURCE "\",\"operators\":[]}") == 0;
	free(s);
	CHECK(ok);
}

/* A list of several operations on the demo: exactly its changes show. */
static void test_round_trip(void)
{
	struct buf b;
	const char *d = diff_of(DEMO,
	        "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\", \"segment\": \"ran\", \"vendor\": \"huawei\"},"
	        " {\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"none\"},"
	        " {\"op\": \"add-equipment\", \"partner\": \"jpn\", \"operator\": \"KDDI\", \"segment\": \"core\", \"vendor\": \"nec\", \"source\": \"s\"},"
	        " {\"op\": \"set-partner\", \"partner\": \"deu\", \"agreement_level\": \"TOP_SECRET\"}]",
	        &b);
	CHECK_STR(d, "vendor zte: risk high -> none\n"
	             "partner jpn: operator KDDI: core: nec added\n"
	             "partner kor: operator LG Uplus: ran: huawei removed\n"
	             "partner deu: agreement_level SECRET -> TOP_SECRET\n");
	buf_free(&b);
}

/* A change that changes nothing gives the document, formatted, again. */
static void test_format(void)
{
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	CHECK(apply(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"high\"}]", &out, err) == RELTO_OK);
	json_t *j = json_loads(DEMO, 0, NULL);
	char *want = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	size_t n = want ? strlen(want) : 0;
	int ok = want && strlen(out) == n + 1 && memcmp(out, want, n) == 0 && out[n] == '\n';
	free(want);
	free(out);
	CHECK(ok);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_errors_named(void)
{
	char err[RELTO_ERRBUF_SIZE];
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG U+\","
	                        "  \"segment\": \"ran\", \"vendor\": \"huawei\"}]", err),
	          "changes[0]: partner 'kor' has no operator 'LG U+' (it has: SK Telecom, KT, LG Uplus)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"high\"},"
	                        " {\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"hauwei\"}]", err),
	          "changes[1]: unknown vendor 'hauwei'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"hauwei\"}]", err),
	          "changes[0]: unknown vendor 'hauwei'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"high\"},"
	                        " {\"op\": \"set-vendor\", \"vendor\": \"nec\", \"risk\": \"none\"},"
	                        " {\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"zte\"}]", err),
	          "changes[2]: segment 'ran' of kor/LG Uplus has no vendor 'zte'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"KT\","
	                        "  \"segment\": \"core\", \"vendor\": \"huawei\", \"deadline\": null}]", err),
	          "changes[0]: kor/KT has no segment 'core' (it has: ran)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-partner\", \"partner\": \"xyz\"}]", err),
	          "changes[0]: unknown partner 'xyz' (known: usa, gbr, aus, can, nzl, jpn, kor, deu)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-vendor\", \"vendor\": \"acme\"}]", err),
	          "changes[0]: unknown vendor 'acme'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"KT\","
	                        "  \"segment\": \"radio\", \"vendor\": \"nokia\"}]", err),
	          "changes[0]: unknown segment 'radio' (ran, core or transport)");
}

static void test_errors_shape(void)
{
	char err[RELTO_ERRBUF_SIZE];
	CHECK_STR(refused(DEMO, "[{\"op\": \"frob\"}]", err),
	          "changes[0]: unknown op 'frob' (known: remove-equipment, add-equipment, set-deadline, "
	          "add-operator, remove-operator, set-vendor, remove-vendor, set-partner, remove-partner)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"KT\","
	                        "  \"segment\": \"ran\", \"vendr\": \"nokia\"}]", err),
	          "changes[0]: unknown field 'vendr' for remove-equipment");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"KT\","
	                        "  \"segment\": \"ran\"}]", err),
	          "changes[0]: missing 'vendor' for remove-equipment");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-partner\", \"partner\": 7}]", err),
	          "changes[0]: 'partner' must be a string");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-partner\", \"partner\": \"\"}]", err),
	          "changes[0]: 'partner' must be a non-empty string without NUL");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"huawei\", \"deadline\": \"2027-02-30\"}]", err),
	          "changes[0]: 'deadline' must be a date YYYY-MM-DD or null, not '2027-02-30'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"huawei\", \"deadline\": 2027}]", err),
	          "changes[0]: 'deadline' must be a date YYYY-MM-DD or null, not a number");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-deadline\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"huawei\"}]", err),
	          "changes[0]: missing 'deadline' for set-deadline");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"lists\": \"fcc\"}]", err),
	          "changes[0]: 'lists' must be a list of strings, not a string");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"lists\": [1]}]", err),
	          "changes[0]: 'lists' must be a list of strings");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"kor\", \"hub\": \"no\"}]", err),
	          "changes[0]: 'hub' must be true or false, not a string");
	CHECK_STR(refused(DEMO, "[\"remove-partner\"]", err), "changes[0]: must be an object, not a string");
	CHECK_STR(refused(DEMO, "[{\"partner\": \"kor\"}]", err), "changes[0]: missing 'op'");
	CHECK_STR(refused(DEMO, "[{\"op\": 1}]", err), "changes[0]: 'op' must be a string");
	CHECK_STR(refused(DEMO, "{\"op\": \"remove-partner\"}", err), "changes: must be a list of operations, not an object");
	CHECK_STR(refused(DEMO, "[]", err), "changes: the list is empty (no operations)");
}

static void test_errors_state(void)
{
	char err[RELTO_ERRBUF_SIZE];
	CHECK_STR(refused(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"zte\"},"
	                        " {\"op\": \"remove-vendor\", \"vendor\": \"zte\"}]", err),
	          "changes[1]: vendor 'zte' is still in use: kor/LG Uplus/ran");
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-vendor\", \"vendor\": \"huawei\"}]", err),
	          "changes[0]: vendor 'huawei' is still in use: gbr/EE/ran, gbr/Vodafone UK/ran, "
	          "kor/LG Uplus/ran, deu/Deutsche Telekom/ran, deu/Deutsche Telekom/core and 1 more");
	CHECK_STR(refused(DEMO, "[{\"op\": \"add-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                        "  \"segment\": \"ran\", \"vendor\": \"huawei\"}]", err),
	          "changes[0]: segment 'ran' of kor/LG Uplus already has vendor 'huawei'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"add-operator\", \"partner\": \"kor\", \"operator\": \"KT\"}]", err),
	          "changes[0]: partner 'kor' already has operator 'KT'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"acme\", \"name\": \"ACME\", \"risk\": \"none\"}]", err),
	          "changes[0]: new vendor 'acme' needs name, country, risk, source (missing: country, source)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\"}]", err),
	          "changes[0]: set-vendor gives nothing to change (name, country, risk, lists, source)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"medium\"}]", err),
	          "changes[0]: 'risk' must be \"high\" or \"none\", not 'medium'");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"fra\", \"name\": \"France\"}]", err),
	          "changes[0]: new partner 'fra' needs name, country, agreement_level (missing: country, agreement_level)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"kor\", \"agreement_level\": \"SECRT\"}]", err),
	          "changes[0]: 'agreement_level' 'SECRT' is not one of the levels (UNCLASSIFIED, CONFIDENTIAL, "
	          "SECRET, TOP_SECRET)");
	/* An operation sees the document as the ones before it left it. */
	CHECK_STR(refused(DEMO, "[{\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"KT\"},"
	                        " {\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"KT\"}]", err),
	          "changes[1]: partner 'kor' has no operator 'KT' (it has: SK Telecom, LG Uplus)");
	CHECK_STR(refused(base, "[{\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"LG Uplus\"},"
	                        " {\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"LG Uplus\"}]", err),
	          "changes[1]: partner 'kor' has no operator 'LG Uplus' (it has: none)");
}

/* Errors of the result are the loader's, named as such. */
static void test_errors_after(void)
{
	char err[RELTO_ERRBUF_SIZE];
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"usa\", \"hub\": false}]", err),
	          "after the changes: partners: no partner has \"hub\": true (exactly one must)");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"ACME\", \"name\": \"A\", \"country\": \"USA\","
	                        "  \"risk\": \"none\", \"source\": \"t\"}]", err),
	          "after the changes: vendors[11].id: 'ACME' is not a lower-case token [a-z0-9-]");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-partner\", \"partner\": \"kor\", \"country\": \"Korea\"}]", err),
	          "after the changes: partners[6].country: 'Korea' is not an ISO 3166-1 alpha-3 code");
	CHECK_STR(refused(DEMO, "[{\"op\": \"set-vendor\", \"vendor\": \"zte\", \"lists\": [\"fcc covered\"]}]", err),
	          "after the changes: vendors[1].lists[0]: 'fcc covered' is not <list> or <list>:YYYY-MM-DD");
	/* And a posture in force that does not load is said to be that. */
	CHECK_STR(refused("{\"format\": \"x\"}", "[{\"op\": \"remove-vendor\", \"vendor\": \"zte\"}]", err),
	          "posture in force: missing 'levels'");
	CHECK_STR(refused("[", "[{\"op\": \"remove-vendor\", \"vendor\": \"zte\"}]", err),
	          "posture in force:1:1: ']' expected near end of file");
}

/* Long values are cut, and every message fits RELTO_ERRBUF_SIZE. */
static void test_errors_long(void)
{
	char err[RELTO_ERRBUF_SIZE], changes[1400], name[401];
	memset(name, 'x', 400);
	name[400] = '\0';
	snprintf(changes, sizeof(changes),
	         "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"%s\","
	         "  \"segment\": \"%s\", \"vendor\": \"%s\"}]", name, name, name);
	const char *m = refused(DEMO, changes, err);
	CHECK(strncmp(m, "changes[0]: partner 'kor' has no operator 'xxxxxxxx", 50) == 0);
	CHECK(strstr(m, "x...' (it has: SK Telecom, KT, LG Uplus)") != NULL);
	/* Many operators: the list is cut politely. */
	char many[8000];
	size_t n = (size_t)snprintf(many, sizeof(many), "[");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		                      "{\"op\": \"add-operator\", \"partner\": \"kor\", \"operator\": \"Operator number %d\"},", i);
	snprintf(many + n, sizeof(many) - n, "{\"op\": \"remove-operator\", \"partner\": \"kor\", \"operator\": \"nope\"}]");
	m = refused(DEMO, many, err);
	CHECK(strncmp(m, "changes[40]: partner 'kor' has no operator 'nope' (it has: SK Telecom, KT, LG Uplus, Operator", 90) == 0);
	CHECK(strstr(m, " more)") != NULL);
}

/* The first bad operation refuses the list; nothing is written. */
static void test_all_or_nothing(void)
{
	char err[RELTO_ERRBUF_SIZE], *out = (char *)"untouched";
	json_t *c = json_loads("[{\"op\": \"remove-partner\", \"partner\": \"kor\"},"
	                       " {\"op\": \"remove-partner\", \"partner\": \"kor\"}]", 0, NULL);
	char *before = json_dumps(c, JSON_COMPACT);
	err[0] = '\0';
	enum relto_err rc = admin_posture_change(DEMO, embed_posture_json_len, c, &out, err);
	char *after = json_dumps(c, JSON_COMPACT);
	int same = before && after && strcmp(before, after) == 0;
	free(before);
	free(after);
	json_decref(c);
	CHECK(rc == RELTO_EINVAL);
	CHECK_STR(out, "untouched");
	CHECK(same);
	CHECK_STR(err, "changes[1]: unknown partner 'kor' (known: usa, gbr, aus, can, nzl, jpn, deu)");
	/* A NULL err is allowed. */
	c = json_loads("[{\"op\": \"remove-partner\", \"partner\": \"xyz\"}]", 0, NULL);
	rc = admin_posture_change(DEMO, embed_posture_json_len, c, &out, NULL);
	json_decref(c);
	CHECK(rc == RELTO_EINVAL);
	CHECK_STR(out, "untouched");
}

/* The demo's result loads and says what the change said. */
static void test_demo_loads(void)
{
	char err[RELTO_ERRBUF_SIZE], *out = NULL;
	struct posture *p = NULL;
	CHECK(apply(DEMO, "[{\"op\": \"remove-equipment\", \"partner\": \"kor\", \"operator\": \"LG Uplus\","
	                  "  \"segment\": \"ran\", \"vendor\": \"huawei\"},"
	                  " {\"op\": \"set-vendor\", \"vendor\": \"zte\", \"risk\": \"high\"}]", &out, err) == RELTO_OK);
	enum relto_err rc = posture_load("t", out, strlen(out), &p, err);
	free(out);
	CHECK(rc == RELTO_OK);
	const struct posture_partner *kor = posture_find_partner(p, "kor");
	int ok = kor && kor->noperators == 3 && strcmp(kor->operators[2].name, "LG Uplus") == 0 &&
	         kor->operators[2].nsegments == 2 && kor->operators[2].segments[0].nequipment == 3 &&
	         strcmp(kor->operators[2].segments[0].equipment[0].vendor, "samsung") == 0;
	posture_free(p);
	CHECK(ok);
}

/* ---- CLI flags ------------------------------------------------------------ */

static const char *flag_op(const char *flag, const char *arg, char *out, size_t n)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	json_t *c = json_array();
	enum relto_err rc = admin_change_from_flag(flag, arg, c, err);
	char *s = json_dumps(json_array_get(c, 0), JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(out, n, "%s", rc == RELTO_OK && s && json_array_size(c) == 1 ? s : err);
	free(s);
	json_decref(c);
	return out;
}

static void test_flags(void)
{
	char b[512];
	CHECK_STR(flag_op("remove-equipment", "kor/LG Uplus/ran/huawei", b, sizeof(b)),
	          "{\"op\":\"remove-equipment\",\"partner\":\"kor\",\"operator\":\"LG Uplus\",\"segment\":\"ran\","
	          "\"vendor\":\"huawei\"}");
	CHECK_STR(flag_op("--add-equipment", "kor/KT/ran/zte@2027-12-31", b, sizeof(b)),
	          "{\"op\":\"add-equipment\",\"partner\":\"kor\",\"operator\":\"KT\",\"segment\":\"ran\","
	          "\"vendor\":\"zte\",\"deadline\":\"2027-12-31\"}");
	CHECK_STR(flag_op("add-equipment", "kor/KT/ran/zte", b, sizeof(b)),
	          "{\"op\":\"add-equipment\",\"partner\":\"kor\",\"operator\":\"KT\",\"segment\":\"ran\","
	          "\"vendor\":\"zte\"}");
	CHECK_STR(flag_op("set-deadline", "gbr/Vodafone UK/ran/huawei@2028-01-31", b, sizeof(b)),
	          "{\"op\":\"set-deadline\",\"partner\":\"gbr\",\"operator\":\"Vodafone UK\",\"segment\":\"ran\","
	          "\"vendor\":\"huawei\",\"deadline\":\"2028-01-31\"}");
	CHECK_STR(flag_op("set-deadline", "gbr/EE/ran/huawei@none", b, sizeof(b)),
	          "{\"op\":\"set-deadline\",\"partner\":\"gbr\",\"operator\":\"EE\",\"segment\":\"ran\","
	          "\"vendor\":\"huawei\",\"deadline\":null}");
	CHECK_STR(flag_op("--vendor-risk", "zte=none", b, sizeof(b)),
	          "{\"op\":\"set-vendor\",\"vendor\":\"zte\",\"risk\":\"none\"}");
}

static void test_flag_errors(void)
{
	char b[512];
	CHECK_STR(flag_op("remove-equipment", "kor/LG Uplus/ran", b, sizeof(b)),
	          "--remove-equipment: expected PARTNER/OPERATOR/SEGMENT/VENDOR, got 'kor/LG Uplus/ran'");
	CHECK_STR(flag_op("remove-equipment", "kor/LG/Uplus/ran/huawei", b, sizeof(b)),
	          "--remove-equipment: expected PARTNER/OPERATOR/SEGMENT/VENDOR, got 'kor/LG/Uplus/ran/huawei'");
	CHECK_STR(flag_op("remove-equipment", "kor//ran/huawei", b, sizeof(b)),
	          "--remove-equipment: expected PARTNER/OPERATOR/SEGMENT/VENDOR, got 'kor//ran/huawei'");
	CHECK_STR(flag_op("remove-equipment", "kor/KT/ran/huawei@2027-01-01", b, sizeof(b)),
	          "--remove-equipment: expected PARTNER/OPERATOR/SEGMENT/VENDOR, got 'kor/KT/ran/huawei@2027-01-01'");
	CHECK_STR(flag_op("add-equipment", "kor/KT/ran/zte@", b, sizeof(b)),
	          "--add-equipment: expected PARTNER/OPERATOR/SEGMENT/VENDOR[@YYYY-MM-DD], got 'kor/KT/ran/zte@'");
	CHECK_STR(flag_op("add-equipment", "kor/KT/ran/zte@2027-13-01", b, sizeof(b)),
	          "--add-equipment: '2027-13-01' is not a date YYYY-MM-DD");
	CHECK_STR(flag_op("add-equipment", "kor/KT/ran/zte@none", b, sizeof(b)),
	          "--add-equipment: 'none' is not a date YYYY-MM-DD");
	CHECK_STR(flag_op("set-deadline", "kor/KT/ran/huawei", b, sizeof(b)),
	          "--set-deadline: expected PARTNER/OPERATOR/SEGMENT/VENDOR@YYYY-MM-DD or @none, got 'kor/KT/ran/huawei'");
	CHECK_STR(flag_op("vendor-risk", "zte", b, sizeof(b)),
	          "--vendor-risk: expected VENDOR=RISK, got 'zte'");
	CHECK_STR(flag_op("vendor-risk", "=high", b, sizeof(b)),
	          "--vendor-risk: expected VENDOR=RISK, got '=high'");
	CHECK_STR(flag_op("vendor-risk", "zte=", b, sizeof(b)),
	          "--vendor-risk: expected VENDOR=RISK, got 'zte='");
	CHECK_STR(flag_op("--frob", "x", b, sizeof(b)),
	          "unknown change flag '--frob' (--remove-equipment, --add-equipment, --set-deadline or --vendor-risk)");
}

/* Flags, then the change: what the CLI does. */
static void test_flags_apply(void)
{
	char err[RELTO_ERRBUF_SIZE] = "", *out = NULL;
	json_t *c = json_array();
	int ok = admin_change_from_flag("--remove-equipment", "kor/LG Uplus/ran/huawei", c, err) == RELTO_OK &&
	         admin_change_from_flag("--set-deadline", "gbr/EE/ran/huawei@none", c, err) == RELTO_OK &&
	         admin_change_from_flag("--vendor-risk", "zte=none", c, err) == RELTO_OK &&
	         admin_change_from_flag("--add-equipment", "aus/Telstra/core/nokia@2030-01-01", c, err) == RELTO_OK &&
	         admin_change_from_flag("--vendor-risk", "zte=low", c, err) == RELTO_OK; /* checked later */
	CHECK(ok);
	CHECK(json_array_size(c) == 5);
	CHECK(admin_change_from_flag("--vendor-risk", "bad", c, err) == RELTO_EINVAL);
	CHECK(json_array_size(c) == 5);
	CHECK(admin_posture_change(DEMO, embed_posture_json_len, c, &out, (err[0] = '\0', err)) == RELTO_EINVAL);
	CHECK_STR(err, "changes[4]: 'risk' must be \"high\" or \"none\", not 'low'");
	json_array_remove(c, 4);
	err[0] = '\0';
	CHECK(admin_posture_change(DEMO, embed_posture_json_len, c, &out, err) == RELTO_OK);
	json_decref(c);
	struct buf b;
	buf_init(&b, 1 << 20);
	enum relto_err rc = admin_posture_diff(DEMO, embed_posture_json_len, out, strlen(out), &b, err);
	free(out);
	int same = rc == RELTO_OK && b.data &&
	           strcmp(b.data, "vendor zte: risk high -> none\n"
	                          "partner gbr: operator EE: ran: huawei deadline 2027-12-31 -> none\n"
	                          "partner aus: operator Telstra: core: nokia added (deadline 2030-01-01)\n"
	                          "partner kor: operator LG Uplus: ran: huawei removed\n") == 0;
	if (!same)
		fprintf(stderr, "  got:\n%s", b.data ? b.data : "(nothing)\n");
	buf_free(&b);
	CHECK(same);
}

int main(void)
{
	RUN(test_remove_equipment);
	RUN(test_add_equipment);
	RUN(test_set_deadline);
	RUN(test_operators);
	RUN(test_vendors);
	RUN(test_partners);
	RUN(test_round_trip);
	RUN(test_format);
	RUN(test_errors_named);
	RUN(test_errors_shape);
	RUN(test_errors_state);
	RUN(test_errors_after);
	RUN(test_errors_long);
	RUN(test_all_or_nothing);
	RUN(test_demo_loads);
	RUN(test_flags);
	RUN(test_flag_errors);
	RUN(test_flags_apply);
	return TEST_DONE();
}
