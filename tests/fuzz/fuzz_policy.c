/*
** fuzz_policy.c: libFuzzer target for the policy language (policy/policy.h):
** lexer, parser, checker, compiler, evaluator, explanations and policy
** test files.
**
** The input is a policy file, optionally followed by a line "%%" and a
** policy test file (docs/policy.md, "Testing a policy").  The policy goes
** through policy_check() and policy_compile(), which must agree; a policy
** that compiles is bound to every partner of the demo posture
** (src/demo/posture.json, embedded in the library) and decides a fixed set
** of marking results (levels, REL TO lists, NOFORN, TLP, organisations,
** unknown markings, granular markings), each also through policy_eval()
** and policy_explain(); then the test file, if any, runs against it.
**
** Checks besides the sanitizers (abort() on failure): check and compile
** agree and say why they refuse; levels round-trip by name; an outcome is
** consistent (a redaction mask only with POLICY_REDACT and only for
** granular markings there are, no more reasons than room, unknown markings
** withheld); policy_eval() decides as the bound partner does.
** Run: tests/fuzz/run (see tests/fuzz/README.md).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy/policy.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;

#define NCASES 12

/* Per-process state (a fuzz target has nowhere else to keep it): the demo
** posture and the marking results every compiled policy decides. */
static struct posture *posture;
static struct marking_result cases[NCASES];
static struct marking_granular g1[3], g2[1];

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_policy: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Facts: level, REL TO codes (NULL: no list; "": releasable to none),
** NOFORN, TLP, one organisation (or NULL), unknown. */
static void facts(struct marking_facts *f, enum marking_level level, const char *rel, int noforn,
                  enum marking_tlp tlp, const char *org, int unknown)
{
	marking_facts_init(f);
	f->level = level;
	if (rel) {
		f->has_rel_to = 1;
		for (const char *p = rel; *p && f->nrel_to < MARKING_MAX_CODES;) {
			size_t n = strcspn(p, ",");
			if (n && n < MARKING_CODE_LEN) {
				memcpy(f->rel_to[f->nrel_to], p, n);
				f->rel_to[f->nrel_to++][n] = '\0';
			}
			p += n + (p[n] == ',');
		}
	}
	f->noforn = noforn;
	f->tlp = tlp;
	if (org) {
		f->has_orgs = 1;
		snprintf(f->orgs[f->norgs++], MARKING_ORG_LEN, "%s", org);
	}
	if (unknown) {
		f->unknown = 1;
		snprintf(f->why_unknown, sizeof(f->why_unknown), "fuzz: a marking relto cannot read");
	}
	snprintf(f->banner, sizeof(f->banner), "%s", marking_level_name(level));
}

static char *sel_name[] = {"name"}, *sel_desc[] = {"description", "external_references.[0].url"},
            *sel_pattern[] = {"pattern"};

static void init_cases(void)
{
	struct marking_result *c = cases;
	facts(&c[0].object, LEVEL_NONE, NULL, 0, TLP_NONE, NULL, 0);
	facts(&c[1].object, LEVEL_UNCLASSIFIED, NULL, 0, TLP_CLEAR, NULL, 0);
	facts(&c[2].object, LEVEL_CONFIDENTIAL, "USA,GBR,KOR", 0, TLP_GREEN, NULL, 0);
	facts(&c[3].object, LEVEL_SECRET, "USA,FVEY", 0, TLP_AMBER, NULL, 0);
	facts(&c[4].object, LEVEL_SECRET, "USA,AUS,CAN,GBR,NZL", 1, TLP_NONE, NULL, 0);
	facts(&c[5].object, LEVEL_TOP_SECRET, "USA,NATO", 0, TLP_NONE, NULL, 0);
	facts(&c[6].object, LEVEL_NONE, "", 0, TLP_RED, "kor", 0);
	facts(&c[7].object, LEVEL_UNCLASSIFIED, NULL, 0, TLP_AMBER_STRICT, NULL, 0);
	c[7].object.controls = MARKING_CTL_ORCON | MARKING_CTL_FOUO;
	facts(&c[8].object, LEVEL_NONE, NULL, 0, TLP_NONE, NULL, 1);
	/* Granular markings, alone and next to object markings. */
	g1[0] = (struct marking_granular){.nselectors = 1, .selectors = sel_name};
	facts(&g1[0].facts, LEVEL_SECRET, "USA", 1, TLP_NONE, NULL, 0);
	g1[1] = (struct marking_granular){.nselectors = 2, .selectors = sel_desc};
	facts(&g1[1].facts, LEVEL_NONE, NULL, 0, TLP_RED, "jpn", 0);
	g1[2] = (struct marking_granular){.nselectors = 1, .selectors = sel_pattern};
	facts(&g1[2].facts, LEVEL_NONE, NULL, 0, TLP_NONE, NULL, 1);
	g2[0] = (struct marking_granular){.nselectors = 1, .selectors = sel_name};
	facts(&g2[0].facts, LEVEL_CONFIDENTIAL, "USA,GBR", 0, TLP_AMBER, NULL, 0);
	facts(&c[9].object, LEVEL_UNCLASSIFIED, NULL, 0, TLP_GREEN, NULL, 0);
	c[9].ngranular = 3;
	c[9].granular = g1;
	facts(&c[10].object, LEVEL_NONE, NULL, 0, TLP_NONE, NULL, 0);
	c[10].ngranular = 1;
	c[10].granular = g2;
	facts(&c[11].object, LEVEL_CONFIDENTIAL, "USA,GBR,DEU", 0, TLP_NONE, NULL, 0);
	c[11].ngranular = 1;
	c[11].granular = g1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (posture_load("posture.json", (const char *)embed_posture_json, embed_posture_json_len, &posture,
	                 err) != RELTO_OK)
		fail("the demo posture does not load", err);
	init_cases();
	return 0;
}

static void check_outcome(const struct policy_outcome *o, const struct marking_result *m)
{
	if (o->decision != POLICY_RELEASE && o->decision != POLICY_REDACT && o->decision != POLICY_WITHHOLD)
		fail("decision out of range", NULL);
	uint64_t room = m->ngranular >= 64 ? ~0ull : (1ull << m->ngranular) - 1;
	if ((o->decision == POLICY_REDACT) != (o->redact != 0) || (o->redact & ~room))
		fail("redaction mask does not match the decision", policy_decision_name(o->decision));
	if (o->nreasons > POLICY_MAX_REASONS || o->nreasons > o->nmatched)
		fail("reason count out of range", NULL);
	for (size_t i = 0; i < o->nreasons; i++)
		if (!o->reasons[i].text)
			fail("reason without a text", NULL);
	if (m->object.unknown && o->decision != POLICY_WITHHOLD)
		fail("an object with unknown markings was not withheld", NULL);
}

static void decide(const struct policy *p)
{
	int nlevels = policy_nlevels(p);
	if (nlevels < 0 || nlevels > POLICY_MAX_LEVELS)
		fail("level count out of range", NULL);
	for (int l = 0; l < nlevels; l++)
		if (policy_level_find(p, policy_level_name(p, l)) != l)
			fail("a level does not round-trip by name", policy_level_name(p, l));
	int defaults[2] = {0, nlevels - 1};
	for (size_t i = 0; i < posture->npartners; i++) {
		const struct posture_partner *pp = &posture->partners[i];
		struct policy_partner b;
		policy_partner_bind(p, posture, pp, &b);
		for (size_t c = 0; c < NCASES; c++) {
			for (int d = 0; d < 2; d++) {
				struct policy_outcome o, o2;
				policy_eval_bound(&b, &cases[c], defaults[d], &o);
				check_outcome(&o, &cases[c]);
				policy_eval(p, posture, pp, &cases[c], defaults[d], &o2);
				if (o.decision != o2.decision || o.redact != o2.redact || o.clearance != o2.clearance)
					fail("policy_eval and policy_eval_bound disagree", pp->id);
			}
		}
		/* Explanations are longer; one object per partner. */
		struct buf ex;
		buf_init(&ex, 1 << 20);
		enum relto_err rc = policy_explain(p, posture, pp, &cases[(i * 5) % NCASES], 0, &ex);
		if (rc != RELTO_OK && rc != RELTO_ETOOBIG && rc != RELTO_ENOMEM)
			fail("policy_explain returned an unexpected code", relto_strerror(rc));
		buf_free(&ex);
	}
}

static void run_tests(const struct policy *p, const char *text, size_t len)
{
	struct buf report;
	buf_init(&report, 1 << 20);
	int failures = 0;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = policy_test_run(p, posture, "t", text, len, &report, &failures, err);
	if (rc == RELTO_EINVAL && strncmp(err, "t:", 2) != 0)
		fail("a test file error does not name its place", err);
	if (rc == RELTO_OK && failures < 0)
		fail("negative failure count", NULL);
	buf_free(&report);
}

/* The test file starts after the first line that is exactly "%%". */
static const char *split_tests(const char *text, size_t len, size_t *policy_len)
{
	*policy_len = len;
	if (len >= 3 && memcmp(text, "%%\n", 3) == 0) {
		*policy_len = 0;
		return text + 3;
	}
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(text + i, "\n%%\n", 4) == 0) {
			*policy_len = i + 1;
			return text + i + 4;
		}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t len;
	const char *tests = split_tests(text, size, &len);

	struct buf diag;
	buf_init(&diag, 1 << 20);
	int nerrors = 0;
	enum relto_err crc = policy_check("f", text, len, &diag, &nerrors);
	buf_free(&diag);

	struct policy *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = policy_compile("f", text, len, &p, err);
	if (rc == RELTO_ENOMEM || crc == RELTO_ENOMEM || crc == RELTO_ETOOBIG) {
		policy_free(p);
		return 0;
	}
	if (rc != crc)
		fail("policy_check and policy_compile disagree", err);
	if (rc == RELTO_EINVAL && (strncmp(err, "f:", 2) != 0 || nerrors < 1))
		fail("a refused policy does not say where", err);
	if (rc == RELTO_OK && nerrors != 0)
		fail("a valid policy has errors", NULL);
	if (rc != RELTO_OK && rc != RELTO_EINVAL)
		fail("policy_compile returned an unexpected code", relto_strerror(rc));
	if (p) {
		decide(p);
		if (tests)
			run_tests(p, tests, size - (size_t)(tests - text));
	}
	policy_free(p);
	return 0;
}
