/*
** policy_demo_test.c: the demo policy (src/demo/relto.policy) on the demo
** posture (src/demo/posture.json as the binary embeds it, read here with
** Jansson into struct posture directly, so this test does not depend on
** the posture loader): the policy compiles; its test file
** (src/demo/relto.policy.test) passes and a wrong expectation fails; the
** story holds (kor capped at CONFIDENTIAL by LG Uplus' Huawei radios, gbr
** not capped thanks to its 2027 deadline, jpn not capped, deu capped at
** UNCLASSIFIED by its Huawei core); removing LG Uplus' Huawei lifts kor's
** cap; and 200,000 random decisions agree with a separate hand-written
** reference of what the demo policy says.  Run from the repository root.
*/
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "test.h"
#include "policy/policy.h"
#include "util/buf.h"

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;

/* ---- the demo posture, read without the posture loader -------------------- */

static char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? strdup(s) : NULL;
}

static void read_operator(const json_t *jo, struct posture_operator *op)
{
	const json_t *segs = json_object_get(jo, "segments");
	op->name = str(jo, "name");
	op->segments = calloc(json_object_size(segs) + 1, sizeof(*op->segments));
	const char *key;
	json_t *list;
	json_object_foreach((json_t *)segs, key, list) {
		struct posture_segment *sg = &op->segments[op->nsegments++];
		sg->name = strdup(key);
		sg->equipment = calloc(json_array_size(list) + 1, sizeof(*sg->equipment));
		size_t i;
		json_t *je;
		json_array_foreach(list, i, je) {
			struct posture_equipment *e = &sg->equipment[sg->nequipment++];
			e->vendor = str(je, "vendor");
			e->source = str(je, "source");
			const char *d = json_string_value(json_object_get(je, "removal_deadline"));
			if (d && strlen(d) == 10) {
				e->has_deadline = 1;
				memcpy(e->deadline, d, 11);
			}
		}
	}
}

static struct posture *demo_posture(void)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)embed_posture_json, embed_posture_json_len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return NULL;
	struct posture *ps = calloc(1, sizeof(*ps));
	const json_t *vs = json_object_get(root, "vendors"), *pp = json_object_get(root, "partners");
	ps->vendors = calloc(json_array_size(vs) + 1, sizeof(*ps->vendors));
	ps->partners = calloc(json_array_size(pp) + 1, sizeof(*ps->partners));
	size_t i, k;
	json_t *v;
	json_array_foreach(vs, i, v) {
		struct posture_vendor *d = &ps->vendors[ps->nvendors++];
		d->id = str(v, "id");
		d->name = str(v, "name");
		d->country = str(v, "country");
		d->risk = str(v, "risk");
		d->source = str(v, "source");
	}
	json_array_foreach(pp, i, v) {
		struct posture_partner *d = &ps->partners[ps->npartners++];
		const json_t *groups = json_object_get(v, "groups"), *ops = json_object_get(v, "operators");
		d->id = str(v, "id");
		d->name = str(v, "name");
		d->country = str(v, "country");
		d->agreement_level = str(v, "agreement_level");
		d->hub = json_is_true(json_object_get(v, "hub"));
		d->groups = calloc(json_array_size(groups) + 1, sizeof(char *));
		json_t *g;
		json_array_foreach(groups, k, g)
			d->groups[d->ngroups++] = strdup(json_string_value(g));
		d->operators = calloc(json_array_size(ops) + 1, sizeof(*d->operators));
		json_array_foreach(ops, k, g)
			read_operator(g, &d->operators[d->noperators++]);
	}
	json_decref(root);
	return ps;
}

static void demo_posture_free(struct posture *ps)
{
	for (size_t i = 0; ps && i < ps->nvendors; i++) {
		struct posture_vendor *v = &ps->vendors[i];
		free(v->id), free(v->name), free(v->country), free(v->risk), free(v->source);
	}
	for (size_t i = 0; ps && i < ps->npartners; i++) {
		struct posture_partner *p = &ps->partners[i];
		for (size_t g = 0; g < p->ngroups; g++)
			free(p->groups[g]);
		for (size_t o = 0; o < p->noperators; o++) {
			for (size_t s = 0; s < p->operators[o].nsegments; s++) {
				struct posture_segment *sg = &p->operators[o].segments[s];
				for (size_t e = 0; e < sg->nequipment; e++)
					free(sg->equipment[e].vendor), free(sg->equipment[e].source);
				free(sg->name), free(sg->equipment);
			}
			free(p->operators[o].name), free(p->operators[o].segments);
		}
		free(p->id), free(p->name), free(p->country), free(p->agreement_level), free(p->groups), free(p->operators);
	}
	if (ps)
		free(ps->vendors), free(ps->partners);
	free(ps);
}

static struct policy *demo_policy(void)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	char err[RELTO_ERRBUF_SIZE] = "";
	struct policy *p = NULL;
	if (buf_read_file(&b, "src/demo/relto.policy", err) ||
	    policy_compile("src/demo/relto.policy", b.data, b.len, &p, err))
		fprintf(stderr, "  %s (run from the repository root)\n", err);
	buf_free(&b);
	return p;
}

static const struct posture_partner *partner(const struct posture *ps, const char *id)
{
	for (size_t i = 0; i < ps->npartners; i++)
		if (strcmp(ps->partners[i].id, id) == 0)
			return &ps->partners[i];
	return NULL;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_demo_test_file(void)
{
	struct posture *ps = demo_posture();
	struct policy *p = demo_policy();
	CHECK(ps && p && ps->npartners == 8);
	struct buf t, r;
	buf_init(&t, 1 << 20);
	buf_init(&r, 1 << 20);
	char err[RELTO_ERRBUF_SIZE] = "";
	int failures = -1;
	CHECK(buf_read_file(&t, "src/demo/relto.policy.test", err) == RELTO_OK);
	enum relto_err rc = policy_test_run(p, ps, "relto.policy.test", t.data, t.len, &r, &failures, err);
	if (rc || failures)
		fprintf(stderr, "%s%s\n", r.data ? r.data : "", err);
	CHECK(rc == RELTO_OK && failures == 0);
	int n = 0;
	CHECK(sscanf(strstr(r.data, ": ") + 2, "%d expectations", &n) == 1 && n >= 50);

	/* The runner can fail: the story told backwards. */
	const char *wrong = "expect kor release level=SECRET rel_to=USA,GBR,KOR\nexpect gbr clearance CONFIDENTIAL\n";
	buf_reset(&r);
	CHECK(policy_test_run(p, ps, "wrong.test", wrong, strlen(wrong), &r, &failures, err) == RELTO_OK);
	CHECK(failures == 2);
	buf_free(&t);
	buf_free(&r);
	policy_free(p);
	demo_posture_free(ps);
}

static void test_story(void)
{
	struct posture *ps = demo_posture();
	struct policy *p = demo_policy();
	CHECK(ps && p);
	struct marking_result m = { 0 };
	struct policy_outcome o;
	static const struct { const char *id; const char *clearance; } want[] = {
		{ "usa", "TOP_SECRET" }, { "gbr", "TOP_SECRET" }, { "aus", "TOP_SECRET" }, { "can", "TOP_SECRET" },
		{ "nzl", "TOP_SECRET" }, { "jpn", "SECRET" }, { "kor", "CONFIDENTIAL" }, { "deu", "UNCLASSIFIED" },
	};
	for (size_t i = 0; i < 8; i++) {
		policy_eval(p, ps, partner(ps, want[i].id), &m, 0, &o);
		if (o.clearance != policy_level_find(p, want[i].clearance))
			fprintf(stderr, "  %s: %s\n", want[i].id, policy_level_name(p, o.clearance));
		CHECK(o.clearance == policy_level_find(p, want[i].clearance));
	}
	/* kor's explanation names LG Uplus' Huawei radios. */
	struct buf b;
	buf_init(&b, 1 << 16);
	m.object.level = LEVEL_SECRET;
	CHECK(policy_explain(p, ps, partner(ps, "kor"), &m, 0, &b) == RELTO_OK);
	CHECK(strstr(b.data, "kor (Republic of Korea): withhold\n") != NULL);
	CHECK(strstr(b.data, "LG Uplus, ran: huawei (CHN, risk high), no removal deadline") != NULL);
	CHECK(strstr(b.data, "SECRET is above kor's clearance CONFIDENTIAL (capped by line") != NULL);
	/* deu: both caps, with the core one setting the clearance. */
	buf_reset(&b);
	CHECK(policy_explain(p, ps, partner(ps, "deu"), &m, 0, &b) == RELTO_OK);
	CHECK(strstr(b.data, "Deutsche Telekom, core: huawei (CHN, risk high), removal deadline 2026-12-31") != NULL);
	CHECK(strstr(b.data, "Vodafone Germany, ran: huawei (CHN, risk high), removal deadline 2029-12-31") != NULL);
	buf_free(&b);

	/* LG Uplus replaces its Huawei radios: kor's next decision lifts the cap. */
	struct posture_partner *kor = (struct posture_partner *)partner(ps, "kor");
	int changed = 0;
	for (size_t o2 = 0; o2 < kor->noperators; o2++)
		for (size_t s = 0; s < kor->operators[o2].nsegments; s++)
			for (size_t e = 0; e < kor->operators[o2].segments[s].nequipment; e++) {
				struct posture_equipment *q = &kor->operators[o2].segments[s].equipment[e];
				if (strcmp(q->vendor, "huawei") == 0) {
					free(q->vendor);
					q->vendor = strdup("ericsson");
					changed++;
				}
			}
	CHECK(changed == 1);
	m.object.level = LEVEL_SECRET;
	m.object.has_rel_to = 1;
	m.object.nrel_to = 3;
	memcpy(m.object.rel_to, (char[3][MARKING_CODE_LEN]){ "USA", "GBR", "KOR" }, sizeof(char[3][MARKING_CODE_LEN]));
	policy_eval(p, ps, kor, &m, 0, &o);
	CHECK(o.decision == POLICY_RELEASE && o.clearance == policy_level_find(p, "SECRET"));
	policy_free(p);
	demo_posture_free(ps);
}

/* ---- a separate reference of what the demo policy says --------------------- */

static const char *const fvey[] = { "USA", "AUS", "CAN", "GBR", "NZL" };
static const char *const nato[] = { "ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU",
	                            "GRC", "HUN", "ISL", "ITA", "LVA", "LTU", "LUX", "MNE", "NLD", "MKD", "NOR",
	                            "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA" };

static int member(const char *c, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(c, list[i]) == 0)
			return 1;
	return 0;
}

static int ref_releasable_to(const struct marking_facts *f, const char *country)
{
	for (size_t i = 0; i < f->nrel_to; i++) {
		const char *c = f->rel_to[i];
		if (strcasecmp(c, country) == 0 || (strcasecmp(c, "FVEY") == 0 && member(country, fvey, 5)) ||
		    (strcasecmp(c, "NATO") == 0 && member(country, nato, 32)))
			return 1;
	}
	return 0;
}

static int ref_in_orgs(const struct marking_facts *f, const char *id)
{
	for (size_t i = 0; i < f->norgs; i++)
		if (strcasecmp(f->orgs[i], id) == 0)
			return 1;
	return 0;
}

/* The restrictions the demo policy puts on an object or a part of one. */
static int ref_restricted(const struct marking_facts *f, const struct posture_partner *pp)
{
	if (f->noforn && strcmp(pp->country, "USA") != 0)
		return 1;
	if (f->has_rel_to && !ref_releasable_to(f, pp->country))
		return 1;
	if (f->tlp == TLP_RED && !pp->hub && !ref_in_orgs(f, pp->id))
		return 1;
	if (f->tlp == TLP_AMBER_STRICT && !pp->hub)
		return 1;
	return f->has_orgs && !pp->hub && !ref_in_orgs(f, pp->id);
}

static int ref_clearance(const struct posture *ps, const struct posture_partner *pp)
{
	static const char *const names[] = { "UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET" };
	int c = -1;
	for (int i = 0; i < 4; i++)
		if (strcmp(pp->agreement_level, names[i]) == 0)
			c = i;
	for (size_t o = 0; o < pp->noperators; o++)
		for (size_t s = 0; s < pp->operators[o].nsegments; s++) {
			const struct posture_segment *sg = &pp->operators[o].segments[s];
			for (size_t e = 0; e < sg->nequipment; e++) {
				const struct posture_equipment *q = &sg->equipment[e];
				int high = 0;
				for (size_t v = 0; v < ps->nvendors; v++)
					if (strcmp(ps->vendors[v].id, q->vendor) == 0)
						high = strcmp(ps->vendors[v].risk, "high") == 0;
				if (!high)
					continue;
				if (strcmp(sg->name, "core") == 0 && c > 0)
					c = 0;
				if (strcmp(sg->name, "ran") == 0 && !(q->has_deadline && strcmp(q->deadline, "2028-01-01") < 0) && c > 1)
					c = 1;
			}
		}
	return c;
}

static int ref_decide(const struct posture *ps, const struct posture_partner *pp, const struct marking_result *m,
                      int dflt, uint64_t *mask)
{
	const struct marking_facts *f = &m->object;
	*mask = 0;
	if (f->unknown)
		return POLICY_WITHHOLD;
	int level = f->level == LEVEL_NONE ? dflt : (int)f->level, c = ref_clearance(ps, pp);
	if (ref_restricted(f, pp) || level > c)
		return POLICY_WITHHOLD;
	for (size_t i = 0; i < m->ngranular; i++) {
		const struct marking_facts *g = &m->granular[i].facts;
		int gl = g->level == LEVEL_NONE ? level : (int)g->level;
		if (g->unknown || gl > c || ref_restricted(g, pp))
			*mask |= (uint64_t)1 << i;
	}
	return *mask ? POLICY_REDACT : POLICY_RELEASE;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_facts(uint64_t *s, struct marking_facts *f)
{
	static const char *const codes[] = { "USA", "GBR", "KOR", "JPN", "DEU", "CAN", "AUS", "NZL", "FRA",
	                                     "FVEY", "NATO", "usa", "fvey", "kor" };
	static const char *const orgs[] = { "usa", "gbr", "kor", "jpn", "deu", "KOR", "other" };
	memset(f, 0, sizeof(*f));
	f->level = (enum marking_level)((int)(rnd(s) % 5) - 1);
	f->noforn = rnd(s) % 8 == 0;
	f->tlp = (enum marking_tlp)(rnd(s) % 6);
	if (rnd(s) % 2) {
		f->has_rel_to = 1;
		f->nrel_to = rnd(s) % 4;
		for (size_t i = 0; i < f->nrel_to; i++)
			snprintf(f->rel_to[i], MARKING_CODE_LEN, "%s", codes[rnd(s) % 14]);
	}
	if (rnd(s) % 5 == 0) {
		f->has_orgs = 1;
		f->norgs = rnd(s) % 3;
		for (size_t i = 0; i < f->norgs; i++)
			snprintf(f->orgs[i], MARKING_ORG_LEN, "%s", orgs[rnd(s) % 7]);
	}
	f->unknown = rnd(s) % 40 == 0;
}

static void test_reference(void)
{
	struct posture *ps = demo_posture();
	struct policy *p = demo_policy();
	CHECK(ps && p);
	struct marking_granular *g = calloc(3, sizeof(*g));
	CHECK(g);
	struct marking_result m = { .granular = g };
	struct policy_partner bound[8];
	for (size_t i = 0; i < ps->npartners; i++)
		policy_partner_bind(p, ps, &ps->partners[i], &bound[i]);
	uint64_t s = 0x2545f4914f6cdd1dull;
	int mismatches = 0, released = 0, redacted = 0;
	for (int n = 0; n < 25000 && mismatches < 5; n++) {
		random_facts(&s, &m.object);
		m.ngranular = rnd(&s) % 4;
		for (size_t i = 0; i < m.ngranular; i++)
			random_facts(&s, &g[i].facts);
		int dflt = (int)(rnd(&s) % 4);
		for (size_t i = 0; i < ps->npartners; i++) {
			struct policy_outcome o;
			uint64_t mask;
			policy_eval_bound(&bound[i], &m, dflt, &o);
			int want = ref_decide(ps, &ps->partners[i], &m, dflt, &mask);
			released += o.decision == POLICY_RELEASE;
			redacted += o.decision == POLICY_REDACT;
			if ((int)o.decision != want || o.redact != mask) {
				fprintf(stderr, "  %s: policy %s %llx, reference %s %llx\n", ps->partners[i].id,
				        policy_decision_name(o.decision), (unsigned long long)o.redact,
				        policy_decision_name((enum policy_decision)want), (unsigned long long)mask);
				mismatches++;
			}
		}
	}
	CHECK(mismatches == 0);
	CHECK(released > 1000 && redacted > 1000); /* the draw reaches every outcome */
	free(g);
	policy_free(p);
	demo_posture_free(ps);
}

int main(void)
{
	RUN(test_demo_test_file);
	RUN(test_story);
	RUN(test_reference);
	return TEST_DONE();
}
