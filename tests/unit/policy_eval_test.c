/*
** policy_eval_test.c: unit tests for deciding (src/policy/eval.c) and
** explaining (explain.c) and for the test runner (ptest.c), on postures
** built here in C: caps and their removal-deadline exceptions at the
** boundary dates, deny over release, the built-in level checks, unknown
** markings, default and undeclared levels, REL TO groups, granular
** redaction masks, caps that look at the object, reasons and their limit,
** a posture change taking effect on rebinding, explanations, and the
** runner's report and errors.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "policy/policy.h"
#include "util/buf.h"

/* ---- a small posture ----------------------------------------------------- */

enum { P_RAN, P_LATE, P_SOON, P_CORE, P_CLEAN, P_HUB, P_TRANSPORT, P_BADLVL, NP };

struct fixture {
	struct posture_vendor v[3];
	struct posture_equipment eq[NP][2];
	struct posture_segment seg[NP];
	struct posture_operator op[NP];
	struct posture_partner pp[NP];
	char *groups[2];
	struct posture ps;
};

/* Partner i runs, in segment seg, vendor with an optional deadline. */
static void partner(struct fixture *f, int i, char *id, char *country, char *level, char *seg, char *vendor,
                    char *deadline)
{
	struct posture_equipment *e = f->eq[i];
	e[0].vendor = vendor;
	if (deadline) {
		e[0].has_deadline = 1;
		memcpy(e[0].deadline, deadline, 11);
	}
	e[1].vendor = "ericsson";
	f->seg[i].name = seg;
	f->seg[i].equipment = e;
	f->seg[i].nequipment = 2;
	f->op[i].name = "Operator";
	f->op[i].segments = &f->seg[i];
	f->op[i].nsegments = 1;
	f->pp[i].id = id;
	f->pp[i].name = id;
	f->pp[i].country = country;
	f->pp[i].agreement_level = level;
	f->pp[i].operators = &f->op[i];
	f->pp[i].noperators = 1;
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->v[0] = (struct posture_vendor){ "huawei", "Huawei Technologies Co.", "CHN", "high", NULL };
	f->v[1] = (struct posture_vendor){ "ericsson", "Ericsson", "SWE", "none", NULL };
	f->v[2] = (struct posture_vendor){ "samsung", "Samsung Electronics", "KOR", "none", NULL };
	partner(f, P_RAN, "ran", "KOR", "SECRET", "ran", "huawei", NULL);
	partner(f, P_LATE, "late", "DEU", "SECRET", "ran", "huawei", "2028-01-01"); /* not before */
	partner(f, P_SOON, "soon", "GBR", "TOP_SECRET", "ran", "huawei", "2027-12-31");
	partner(f, P_CORE, "core", "FRA", "SECRET", "core", "huawei", "2026-12-31");
	partner(f, P_CLEAN, "clean", "JPN", "SECRET", "ran", "samsung", NULL);
	partner(f, P_HUB, "hub", "USA", "TOP_SECRET", "ran", "samsung", NULL);
	partner(f, P_TRANSPORT, "trans", "CAN", "TOP_SECRET", "transport", "huawei", NULL);
	partner(f, P_BADLVL, "bad", "AUS", "COSMIC", "ran", "samsung", NULL);
	f->pp[P_HUB].hub = 1;
	f->groups[0] = "fvey";
	f->groups[1] = "nato";
	f->pp[P_SOON].groups = f->groups;
	f->pp[P_SOON].ngroups = 2;
	f->ps.vendors = f->v;
	f->ps.nvendors = 3;
	f->ps.partners = f->pp;
	f->ps.npartners = NP;
}

static struct policy *compile(const char *text)
{
	struct policy *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (policy_compile("t.policy", text, strlen(text), &p, err) != RELTO_OK)
		fprintf(stderr, "  compile: %s\n", err);
	return p;
}

static void facts(struct marking_facts *f, enum marking_level level, const char *rel_to)
{
	memset(f, 0, sizeof(*f));
	f->level = level;
	if (!rel_to)
		return;
	f->has_rel_to = 1;
	for (const char *s = rel_to; *s;) {
		size_t n = strcspn(s, ",");
		memcpy(f->rel_to[f->nrel_to], s, n);
		f->rel_to[f->nrel_to++][n] = '\0';
		s += n + (s[n] == ',');
	}
}

static int has_reason(const struct policy_outcome *o, enum policy_why why, int line)
{
	for (size_t i = 0; i < o->nreasons; i++)
		if (o->reasons[i].why == why && (line < 0 || o->reasons[i].line == line))
			return 1;
	return 0;
}

#define LEVELS "levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET\n"
#define CAPS                                                                         \
	LEVELS "clear partner.agreement\n"                                           \
	"cap CONFIDENTIAL when partner.networks.ran uses vendor.risk == \"high\"\n"  \
	"  unless that equipment has a removal deadline before 2028-01-01\n"         \
	"  because \"ran\"\n"                                                        \
	"cap UNCLASSIFIED when partner.networks.core uses vendor.risk == \"high\" because \"core\"\n"

/* ---- tests ----------------------------------------------------------------- */

static void test_caps_and_deadlines(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS);
	CHECK(p);
	struct marking_result m = { 0 };
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	struct policy_outcome o;
	static const struct { int who; int clearance; int line; } want[] = {
		{ P_RAN, 1, 2 + 1 },         /* huawei RAN, no deadline: capped by line 3 */
		{ P_LATE, 1, 3 },            /* deadline 2028-01-01 is not before 2028-01-01 */
		{ P_SOON, 3, 0 },            /* 2027-12-31 is before: not capped */
		{ P_CORE, 0, 6 },            /* core: whatever the deadline */
		{ P_CLEAN, 2, 0 },
		{ P_TRANSPORT, 3, 0 },       /* neither ran nor core */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		policy_eval(p, &f.ps, &f.pp[want[i].who], &m, 0, &o);
		if (o.clearance != want[i].clearance || o.capped_by != want[i].line)
			fprintf(stderr, "  %s: clearance %d capped by %d\n", f.pp[want[i].who].id, o.clearance, o.capped_by);
		CHECK(o.clearance == want[i].clearance && o.capped_by == want[i].line);
		CHECK(o.decision == POLICY_RELEASE);
		CHECK(has_reason(&o, POLICY_WHY_CAP, -1) == (want[i].line != 0));
	}
	policy_free(p);

	/* Without 'before', any decided deadline is an exception; 'partner.networks'
	** alone means every segment. */
	p = compile(LEVELS "clear partner.agreement\n"
	            "cap CONFIDENTIAL when partner.networks uses vendor.country == \"chn\"\n"
	            "  unless that equipment has a removal deadline\n");
	CHECK(p);
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.clearance == 1);
	policy_eval(p, &f.ps, &f.pp[P_TRANSPORT], &m, 0, &o);
	CHECK(o.clearance == 1);
	policy_eval(p, &f.ps, &f.pp[P_LATE], &m, 0, &o);
	CHECK(o.clearance == 2);
	policy_eval(p, &f.ps, &f.pp[P_CORE], &m, 0, &o);
	CHECK(o.clearance == 2);
	policy_free(p);

	/* not ... uses: a partner with no high-risk vendor anywhere. */
	p = compile(LEVELS "clear partner.agreement\n"
	            "deny when not partner.networks uses vendor.risk == \"high\" because \"clean\"\n");
	CHECK(p);
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_DENY, 3));
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	policy_free(p);
}

static void test_decisions(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS "group FVEY = USA, GBR, CAN, AUS, NZL\n"
	                           "deny when object.has_rel_to and partner.country not in object.rel_to because \"relto\"\n"
	                           "deny when object.noforn and not partner.hub because \"noforn\"\n");
	CHECK(p);
	struct marking_result m = { 0 };
	struct policy_outcome o;

	/* Released within clearance and REL TO (FVEY expands, case does not matter). */
	facts(&m.object, LEVEL_SECRET, "USA,fvey");
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.nreasons == 0 && o.object_level == 2 && o.clearance == 3);

	/* Above the capped clearance: the built-in reason, after the cap's. */
	facts(&m.object, LEVEL_SECRET, "USA,KOR");
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.nreasons == 2);
	CHECK(o.reasons[0].why == POLICY_WHY_CAP && o.reasons[0].line == 3);
	CHECK_STR(o.reasons[0].text, "ran");
	CHECK(o.reasons[1].why == POLICY_WHY_ABOVE && o.reasons[1].line == 0);

	/* Deny overrides: within clearance but not on the list; both denies count. */
	facts(&m.object, LEVEL_UNCLASSIFIED, "USA,GBR");
	m.object.noforn = 1;
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.nreasons == 2);
	CHECK(has_reason(&o, POLICY_WHY_DENY, 8) && has_reason(&o, POLICY_WHY_DENY, 9));
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);

	/* No REL TO list: no nationality restriction. */
	facts(&m.object, LEVEL_CONFIDENTIAL, NULL);
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	/* An empty REL TO list: releasable to no one. */
	facts(&m.object, LEVEL_CONFIDENTIAL, NULL);
	m.object.has_rel_to = 1;
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD);
	policy_free(p);
}

static void test_unknown_and_levels(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS "deny when partner.id == \"nobody\"\n");
	CHECK(p);
	struct marking_result m = { 0 };
	struct policy_outcome o;

	/* Unknown markings: withheld from everyone, the hub too, with why. */
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	m.object.unknown = 1;
	snprintf(m.object.why_unknown, sizeof(m.object.why_unknown), "marking-definition--x is not in the store");
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.nreasons == 1 && o.reasons[0].why == POLICY_WHY_UNKNOWN);
	CHECK_STR(o.reasons[0].text, "marking-definition--x is not in the store");

	/* No classification marking: the caller's default level. */
	facts(&m.object, LEVEL_NONE, NULL);
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 2, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.object_level == 2 && has_reason(&o, POLICY_WHY_ABOVE, 0));
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 1, &o);
	CHECK(o.decision == POLICY_RELEASE && o.object_level == 1);
	/* A default that is not a level withholds. */
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, -1, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_NO_LEVEL, 0));
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 4, &o);
	CHECK(o.decision == POLICY_WITHHOLD);

	/* A partner whose agreement level the policy does not declare. */
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	policy_eval(p, &f.ps, &f.pp[P_BADLVL], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.clearance == -1 && has_reason(&o, POLICY_WHY_NO_LEVEL, 0));
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK(policy_explain(p, &f.ps, &f.pp[P_BADLVL], &m, 0, &b) == RELTO_OK);
	CHECK(strstr(b.data, "bad's agreement level 'COSMIC' is not one of the policy's levels") != NULL);
	buf_free(&b);
	policy_free(p);

	/* A policy without some marking level: objects at it are withheld. */
	p = compile("levels UNCLASSIFIED < SECRET\nclear SECRET\n");
	CHECK(p);
	facts(&m.object, LEVEL_CONFIDENTIAL, NULL);
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_NO_LEVEL, 0));
	facts(&m.object, LEVEL_SECRET, NULL);
	policy_eval(p, &f.ps, &f.pp[P_BADLVL], &m, 0, &o); /* clear is a level: no agreement needed */
	CHECK(o.decision == POLICY_RELEASE && o.clearance == 1);
	policy_free(p);
}

static void test_granular(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS "redact when field.noforn and not partner.hub because \"nf\"\n"
	                           "redact when \"external_references\" in field.selectors and partner.id == \"clean\"\n");
	CHECK(p);
	struct marking_granular g[4];
	char *s0[] = { "description" }, *s1[] = { "pattern" }, *s2[] = { "external_references.[0].url" },
	     *s3[] = { "name" };
	char **sel[4] = { s0, s1, s2, s3 };
	memset(g, 0, sizeof(g));
	for (int i = 0; i < 4; i++) {
		g[i].nselectors = 1;
		g[i].selectors = sel[i];
		facts(&g[i].facts, LEVEL_NONE, NULL);
	}
	g[0].facts.noforn = 1;                 /* bit 0: NOFORN part */
	g[1].facts.level = LEVEL_SECRET;       /* bit 1: above a capped clearance */
	g[3].facts.unknown = 1;                /* bit 3: unreadable */
	struct marking_result m = { .ngranular = 4, .granular = g };
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	struct policy_outcome o;

	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_REDACT && o.redact == 0xb);
	CHECK(has_reason(&o, POLICY_WHY_FIELD_ABOVE, 0) && has_reason(&o, POLICY_WHY_UNKNOWN, 0) &&
	      has_reason(&o, POLICY_WHY_REDACT, 7) && !has_reason(&o, POLICY_WHY_REDACT, 8));

	/* The selector rule matches a path inside the named property. */
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &o);
	CHECK(o.decision == POLICY_REDACT && o.redact == 0xd && has_reason(&o, POLICY_WHY_REDACT, 8));

	/* The hub: only the unreadable part goes. */
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_REDACT && o.redact == 0x8);

	/* A granular marking without a level inherits the object's. */
	g[3].facts.unknown = 0;
	facts(&m.object, LEVEL_SECRET, NULL);
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.redact == 0);

	/* A withheld object has no redactions. */
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.redact == 0);

	/* 64 granular markings fit the mask (bit 63 included); 65 withhold. */
	struct marking_granular *many = calloc(65, sizeof(*many));
	CHECK(many);
	for (int i = 0; i < 65; i++)
		facts(&many[i].facts, LEVEL_NONE, NULL);
	many[63].facts.level = LEVEL_TOP_SECRET;
	struct marking_result mm = { .ngranular = 64, .granular = many };
	facts(&mm.object, LEVEL_UNCLASSIFIED, NULL);
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &mm, 0, &o);
	CHECK(o.decision == POLICY_REDACT && o.redact == (uint64_t)1 << 63);
	mm.ngranular = 65;
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &mm, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_LIMIT, 0));
	free(many);
	policy_free(p);

	/* In a redact rule too, field.level of a marking without a level is
	** the object's. */
	p = compile(CAPS "redact when field.level >= SECRET and not partner.hub\n");
	CHECK(p);
	struct marking_granular one = { 0 };
	facts(&one.facts, LEVEL_NONE, NULL);
	struct marking_result m1 = { .ngranular = 1, .granular = &one };
	facts(&m1.object, LEVEL_SECRET, NULL);
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m1, 0, &o);
	CHECK(o.decision == POLICY_REDACT && o.redact == 1);
	facts(&m1.object, LEVEL_CONFIDENTIAL, NULL);
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m1, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	policy_free(p);
}

static void test_object_caps_and_clearance(void)
{
	struct fixture f;
	fixture_init(&f);
	/* A cap that looks at the object: the clearance is per object, and a
	** deny reading partner.clearance sees the capped value. */
	struct policy *p = compile(LEVELS "clear partner.agreement\n"
	                           "cap CONFIDENTIAL when object.tlp >= AMBER and not partner.hub because \"amber\"\n"
	                           "deny when partner.clearance < SECRET and object.tlp == RED because \"red\"\n");
	CHECK(p);
	struct marking_result m = { 0 };
	struct policy_outcome o;
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	m.object.tlp = TLP_GREEN;
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.clearance == 3);
	m.object.tlp = TLP_AMBER;
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.clearance == 1 && o.capped_by == 3);
	m.object.tlp = TLP_RED;
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_DENY, 4));
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.clearance == 3);
	/* NONE is neither above nor below a label. */
	m.object.tlp = TLP_NONE;
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.clearance == 3);
	policy_free(p);

	/* Per-partner clearance in a deny (all caps per partner: an atom). */
	p = compile(CAPS "deny when partner.clearance <= CONFIDENTIAL and object.noforn because \"low\"\n");
	CHECK(p);
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	m.object.noforn = 1;
	policy_eval(p, &f.ps, &f.pp[P_RAN], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && has_reason(&o, POLICY_WHY_DENY, 7));
	policy_eval(p, &f.ps, &f.pp[P_SOON], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	policy_free(p);
}

static void test_reason_limit(void)
{
	struct fixture f;
	fixture_init(&f);
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK(buf_puts(&b, LEVELS "clear partner.agreement\n") == RELTO_OK);
	for (int i = 0; i < 20; i++)
		CHECK(buf_printf(&b, "deny when partner.id != \"x%d\" because \"r%d\"\n", i, i) == RELTO_OK);
	struct policy *p = compile(b.data);
	CHECK(p);
	struct marking_result m = { 0 };
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	struct policy_outcome o;
	policy_eval(p, &f.ps, &f.pp[P_HUB], &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.nreasons == POLICY_MAX_REASONS && o.nmatched == 20);
	CHECK(o.reasons[0].line == 3 && o.reasons[15].line == 18);
	buf_reset(&b);
	CHECK(policy_explain(p, &f.ps, &f.pp[P_HUB], &m, 0, &b) == RELTO_OK);
	CHECK(strstr(b.data, "(4 more reasons)") != NULL);
	buf_free(&b);
	policy_free(p);
}

/* More partner conditions than bind-time slots: the rest are evaluated
** with each decision, with the same answers. */
static void test_many_conditions(void)
{
	struct fixture f;
	fixture_init(&f);
	struct buf b;
	buf_init(&b, 1 << 20);
	CHECK(buf_puts(&b, LEVELS "clear partner.agreement\n") == RELTO_OK);
	for (int i = 0; i < POLICY_MAX_ATOMS + 100; i++)
		CHECK(buf_printf(&b, "deny when partner.id == \"p%d\" or partner.networks uses vendor.name == \"v%d\"\n",
		                 i, i) == RELTO_OK);
	struct policy *p = compile(b.data);
	CHECK(p);
	buf_free(&b);
	struct marking_result m = { 0 };
	facts(&m.object, LEVEL_UNCLASSIFIED, NULL);
	struct policy_outcome o;
	static const struct { char *id; char *vendor_name; int line; } cases[] = {
		{ "p3", "x", 3 + 3 }, { "p590", "x", 3 + 590 }, { "q", "v600", 3 + 600 }, { "q", "v7", 3 + 7 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f.pp[P_CLEAN].id = cases[i].id;
		f.v[2].name = cases[i].vendor_name; /* samsung: P_CLEAN's radios */
		policy_eval(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &o);
		CHECK(o.decision == POLICY_WITHHOLD && o.nmatched == 1 && o.reasons[0].line == cases[i].line);
	}
	f.pp[P_CLEAN].id = "q";
	f.v[2].name = "x";
	policy_eval(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	policy_free(p);
}

static void test_posture_change(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS);
	CHECK(p);
	struct marking_result m = { 0 };
	facts(&m.object, LEVEL_SECRET, NULL);
	struct policy_partner b;
	struct policy_outcome o;
	policy_partner_bind(p, &f.ps, &f.pp[P_RAN], &b);
	policy_eval_bound(&b, &m, 0, &o);
	CHECK(o.decision == POLICY_WITHHOLD && o.clearance == 1);
	/* The operator swaps its Huawei radios for Samsung: rebinding sees it. */
	f.eq[P_RAN][0].vendor = "samsung";
	policy_partner_bind(p, &f.ps, &f.pp[P_RAN], &b);
	policy_eval_bound(&b, &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.clearance == 2 && o.nreasons == 0);
	/* Or keeps them with a removal decided for 2027. */
	f.eq[P_RAN][0].vendor = "huawei";
	f.eq[P_RAN][0].has_deadline = 1;
	memcpy(f.eq[P_RAN][0].deadline, "2027-06-30", 11);
	policy_partner_bind(p, &f.ps, &f.pp[P_RAN], &b);
	policy_eval_bound(&b, &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE);
	/* A vendor missing from the registry matches no vendor test. */
	f.eq[P_RAN][0].vendor = "unlisted";
	f.eq[P_RAN][0].has_deadline = 0;
	policy_partner_bind(p, &f.ps, &f.pp[P_RAN], &b);
	policy_eval_bound(&b, &m, 0, &o);
	CHECK(o.clearance == 2);
	policy_free(p);
}

static void test_explain(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS "redact when field.noforn because \"nf\"\n");
	CHECK(p);
	struct marking_granular g = { 0 };
	char *sel[] = { "description", "name" };
	g.nselectors = 2;
	g.selectors = sel;
	facts(&g.facts, LEVEL_NONE, NULL);
	g.facts.noforn = 1;
	struct marking_result m = { .ngranular = 1, .granular = &g };
	facts(&m.object, LEVEL_SECRET, "USA,KOR");
	snprintf(m.object.banner, sizeof(m.object.banner), "SECRET//REL TO USA, KOR");
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK(policy_explain(p, &f.ps, &f.pp[P_RAN], &m, 0, &b) == RELTO_OK);
	CHECK(strncmp(b.data, "ran (ran): withhold\n", 20) == 0);
	CHECK(strstr(b.data, "object: SECRET, REL TO USA, KOR [SECRET//REL TO USA, KOR]\n") != NULL);
	CHECK(strstr(b.data, "clearance: CONFIDENTIAL (agreement SECRET, line 2; capped by line 3)") != NULL);
	CHECK(strstr(b.data, "line 3, cap CONFIDENTIAL: ran\n") != NULL);
	CHECK(strstr(b.data, "Operator, ran: huawei (CHN, risk high), no removal deadline\n") != NULL);
	CHECK(strstr(b.data, "SECRET is above ran's clearance CONFIDENTIAL (capped by line 3: ran)") != NULL);
	CHECK(strstr(b.data, "granular") == NULL); /* withheld: parts do not matter */

	buf_reset(&b);
	facts(&m.object, LEVEL_NONE, NULL);
	CHECK(policy_explain(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &b) == RELTO_OK);
	CHECK(strstr(b.data, "clean (clean): redact\n") != NULL);
	CHECK(strstr(b.data, "UNCLASSIFIED (the default: no classification marking)") != NULL);
	CHECK(strstr(b.data, "line 7, redact: nf\n") != NULL);
	CHECK(strstr(b.data, "granular marking 1 (description, name): UNCLASSIFIED (the default: no classification "
	                     "marking), NOFORN: stripped\n") != NULL);
	buf_free(&b);

	/* Out of room: an error, and the buffer as it was. */
	buf_init(&b, 40);
	CHECK(buf_puts(&b, "kept") == RELTO_OK);
	CHECK(policy_explain(p, &f.ps, &f.pp[P_CLEAN], &m, 0, &b) == RELTO_ETOOBIG);
	CHECK_STR(b.data, "kept");
	buf_free(&b);
	policy_free(p);
}

static void test_runner(void)
{
	struct fixture f;
	fixture_init(&f);
	struct policy *p = compile(CAPS "deny when object.noforn and not partner.hub because \"NOFORN\"\n");
	CHECK(p);
	const char *tests = "# comment\n"
	                    "default CONFIDENTIAL\n"
	                    "expect ran clearance CONFIDENTIAL because line 3\n"
	                    "expect ran release                       # the default level\n"
	                    "expect ran withhold level=SECRET because \"above ran's clearance\"\n"
	                    "expect hub release level=SECRET noforn\n"
	                    "expect soon withhold object level=SECRET noforn because \"NOFORN\"\n"
	                    "expect clean redact field description,name level=TOP_SECRET\n"
	                    "expect ran release level=SECRET          # wrong on purpose\n"
	                    "expect soon clearance SECRET             # wrong on purpose\n"
	                    "expect hub withhold unknown because \"cannot read\"\n"
	                    "expect hub release tlp=AMBER+STRICT orgs=x,y rel_to=USA because line 5 # line 5 is wrong\n";
	struct buf r;
	buf_init(&r, 1 << 20);
	int failures = -1;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = policy_test_run(p, &f.ps, "t.test", tests, strlen(tests), &r, &failures, err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK);
	CHECK(failures == 3);
	CHECK(strstr(r.data, "t.test:9: FAILED expect ran release level=SECRET") != NULL);
	CHECK(strstr(r.data, "    expected release, got withhold\n") != NULL);
	CHECK(strstr(r.data, "    | ran (ran): withhold\n") != NULL);
	CHECK(strstr(r.data, "t.test:10: FAILED") && strstr(r.data, "expected clearance SECRET, got TOP_SECRET"));
	CHECK(strstr(r.data, "t.test:12: FAILED") && strstr(r.data, "expected a reason from line 5"));
	CHECK(strstr(r.data, "t.test: 10 expectations, 3 failed\n") != NULL);
	buf_free(&r);

	/* Mistakes in the test file are errors with their place; nothing is reported. */
	static const struct { const char *text, *want; } bad[] = {
		{ "expect xx release\n", "e.test:1:8: no partner 'xx' in the posture (partners: ran, late," },
		{ "\nexpect ran maybe\n", "e.test:2:12: expected release, redact, withhold or clearance" },
		{ "expect ran release levle=SECRET\n", "e.test:1:20: unknown fact 'levle=SECRET'" },
		{ "expect ran release level=COSMIC\n", "e.test:1:20: level=COSMIC: markings carry" },
		{ "expect ran release tlp=PINK\n", "e.test:1:20: tlp=PINK: TLP labels are" },
		{ "expect ran release rel_to=USA,,GBR\n", "e.test:1:20: '' is not a code" },
		{ "expect ran release rel_to=TOOLONGCODE\n", "e.test:1:20: 'TOOLONGCODE' is not a code" },
		{ "expect ran clearance SECRT\n", "e.test:1:22: expected one of the policy's levels" },
		{ "expect ran release because\n", "e.test:1:20: expected 'line N' or quoted text" },
		{ "expect ran release because line x\n", "e.test:1:28: expected 'line N' or quoted text" },
		{ "expect ran release field level=SECRET\n", "e.test:1:20: expected the selected properties" },
		{ "expect ran release because \"open\n", "e.test:1:28: the text starting here is not closed" },
		{ "default\n", "e.test:1:1: expected 'default LEVEL'" },
		{ "release ran\n", "e.test:1:1: a test line starts with 'expect' or 'default'" },
		{ "expect ran\n", "e.test:1:1: expected 'expect PARTNER DECISION [facts]'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_init(&r, 1 << 20);
		err[0] = '\0';
		rc = policy_test_run(p, &f.ps, "e.test", bad[i].text, strlen(bad[i].text), &r, &failures, err);
		if (rc != RELTO_EINVAL || strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			fprintf(stderr, "  case %zu: want %s\n           got  %s\n", i, bad[i].want, err);
		CHECK(rc == RELTO_EINVAL && strncmp(err, bad[i].want, strlen(bad[i].want)) == 0);
		CHECK(r.len == 0);
		buf_free(&r);
	}
	/* An empty file runs nothing and fails nothing. */
	buf_init(&r, 1 << 20);
	CHECK(policy_test_run(p, &f.ps, "e.test", "", 0, &r, &failures, err) == RELTO_OK && failures == 0);
	CHECK_STR(r.data, "e.test: 0 expectations, 0 failed\n");
	buf_free(&r);
	policy_free(p);
}

int main(void)
{
	RUN(test_caps_and_deadlines);
	RUN(test_decisions);
	RUN(test_unknown_and_levels);
	RUN(test_granular);
	RUN(test_object_caps_and_clearance);
	RUN(test_reason_limit);
	RUN(test_many_conditions);
	RUN(test_posture_change);
	RUN(test_explain);
	RUN(test_runner);
	return TEST_DONE();
}
