/*
** gen_test.c: tests for the demo generator (src/demo/gen*.c).  The
** generator feeds the demo, the benchmarks and other tests, so it is held
** to what relto's ingest demands of real data: every object parses with
** duplicate keys rejected and is valid STIX 2.1; every reference points at
** an object emitted earlier into the same collection; versions of an
** object have rising `modified`; the output is a pure function of the
** parameters; and the marking mix is the one docs/demo-data.md documents.
**
** The checks are written from the STIX 2.1 specification, not from the
** generator's tables, so a mistake in a table shows up here.
*/
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "demo/gen.h"

#define BASE_2025 (1735689600LL * 1000000) /* 2025-01-01T00:00:00Z */

/* ---- checksums and counts ---------------------------------------------- */

struct sum {
	uint64_t h;
	size_t n, bytes, stop_at;
};

static enum relto_err emit_sum(void *ctx, size_t coll, const char *json, size_t len)
{
	struct sum *s = ctx;
	if (s->stop_at && s->n == s->stop_at)
		return RELTO_EDENIED;
	/* FNV-1a over the collection index and the bytes. */
	s->h = (s->h ^ (uint64_t)coll) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		s->h = (s->h ^ (unsigned char)json[i]) * 0x100000001b3ULL;
	if (json[len] != '\0')
		s->h = 0; /* the contract says NUL-terminated; poison the sum */
	s->n++;
	s->bytes += len;
	return RELTO_OK;
}

static struct sum run_sum(uint64_t seed, size_t count, size_t ncoll)
{
	struct gen_params p;
	struct sum s = { 0xcbf29ce484222325ULL, 0, 0, 0 };
	gen_params_default(&p);
	p.seed = seed;
	p.count = count;
	p.ncollections = ncoll;
	if (gen_run(&p, emit_sum, &s, NULL) != RELTO_OK)
		s.n = (size_t)-1;
	return s;
}

static void test_defaults(void)
{
	struct gen_params p;
	gen_params_default(&p);
	CHECK(p.seed == 1);
	CHECK(p.count == 3000);
	CHECK(p.ncollections == 2);
	CHECK(p.base_time == BASE_2025);
}

static void test_same_seed_same_bytes(void)
{
	struct sum a = run_sum(42, 5000, 2), b = run_sum(42, 5000, 2);
	CHECK(a.n == 5000);
	CHECK(a.h != 0);
	CHECK(a.h == b.h);
	CHECK(a.bytes == b.bytes);
}

static void test_other_seed_other_bytes(void)
{
	struct sum a = run_sum(42, 5000, 2), b = run_sum(43, 5000, 2);
	CHECK(a.n == 5000 && b.n == 5000);
	CHECK(a.h != b.h);
	/* Another number of collections gives other bytes too. */
	struct sum c = run_sum(42, 5000, 3);
	CHECK(c.h != a.h);
}

static void test_exact_count(void)
{
	/* 60 is the header of two collections (18 marking definitions and
	** 12 identities each): cut inside it, at it, and past it. */
	static const size_t counts[] = { 0, 1, 10, 59, 60, 61, 3000, 12345 };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct sum s = run_sum(7, counts[i], 2);
		CHECK(s.n == counts[i]);
	}
	struct sum one = run_sum(7, 777, 1);
	CHECK(one.n == 777);
}

static void test_emit_error_stops(void)
{
	struct gen_params p;
	struct sum s = { 0, 0, 0, 7 };
	gen_params_default(&p);
	CHECK(gen_run(&p, emit_sum, &s, NULL) == RELTO_EDENIED);
	CHECK(s.n == 7);
	s = (struct sum){ 0, 0, 0, 2000 };
	CHECK(gen_run(&p, emit_sum, &s, NULL) == RELTO_EDENIED);
	CHECK(s.n == 2000);
}

static void test_bad_params(void)
{
	struct gen_params p;
	struct sum s = { 0, 0, 0, 0 };
	char err[RELTO_ERRBUF_SIZE] = "";
	gen_params_default(&p);
	p.ncollections = 0;
	CHECK(gen_run(&p, emit_sum, &s, err) == RELTO_EINVAL);
	CHECK(strstr(err, "ncollections") != NULL);
	p.ncollections = 100000;
	CHECK(gen_run(&p, emit_sum, &s, NULL) == RELTO_EINVAL);
	gen_params_default(&p);
	p.base_time = -1;
	CHECK(gen_run(&p, emit_sum, &s, NULL) == RELTO_EINVAL);
	gen_params_default(&p);
	CHECK(gen_run(&p, NULL, &s, NULL) == RELTO_EINVAL);
	CHECK(gen_run(NULL, emit_sum, &s, NULL) == RELTO_EINVAL);
	CHECK(s.n == 0);
}

/* ---- STIX checks ------------------------------------------------------- */

static int is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* "<type>--<UUIDv4>", lower-case, with the expected type when given. */
static int valid_id(const char *id, const char *type)
{
	const char *sep = strstr(id, "--");
	if (!sep || sep == id)
		return 0;
	if (type && (strlen(type) != (size_t)(sep - id) || strncmp(id, type, strlen(type))))
		return 0;
	const char *u = sep + 2;
	if (strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!is_hex_lower(u[i])) {
			return 0;
		}
	}
	return u[14] == '4' && strchr("89ab", u[19]) != NULL;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ": STIX form with millisecond precision. */
static int valid_ts(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	if (!s || strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	}
	int mo = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
	int h = (s[11] - '0') * 10 + s[12] - '0', mi = (s[14] - '0') * 10 + s[15] - '0';
	int sec = (s[17] - '0') * 10 + s[18] - '0';
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 60;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* ---- a checker for the STIX patterning subset the generator uses --------
** pattern := obs { (AND|OR|FOLLOWEDBY) obs } [WITHIN n SECONDS]
** obs := '[' cmp { (AND|OR) cmp } ']'
** cmp := object-type ':' path op (string | integer)
** path := name { '.' (name | 'quoted') }
** It also checks the values of the comparisons it knows: IPv4 addresses
** and ranges, hash lengths. */

struct pat {
	const char *s;
};

static void skip_ws(struct pat *p)
{
	while (*p->s == ' ')
		p->s++;
}

static int word(struct pat *p, const char *w)
{
	size_t n = strlen(w);
	if (strncmp(p->s, w, n))
		return 0;
	p->s += n;
	return 1;
}

static int ident(struct pat *p, char *out, size_t cap, const char *extra)
{
	size_t n = 0;
	while ((*p->s >= 'a' && *p->s <= 'z') || (*p->s >= 'A' && *p->s <= 'Z') ||
	       (*p->s >= '0' && *p->s <= '9') || *p->s == '_' ||
	       (*p->s && strchr(extra, *p->s))) {
		if (n + 1 < cap)
			out[n++] = *p->s;
		p->s++;
	}
	out[n] = '\0';
	return n > 0;
}

static int quoted(struct pat *p, char *out, size_t cap)
{
	size_t n = 0;
	if (*p->s != '\'')
		return 0;
	for (p->s++; *p->s && *p->s != '\''; p->s++) {
		if (*p->s == '\\')
			return 0; /* the generator never needs escapes */
		if (n + 1 < cap)
			out[n++] = *p->s;
	}
	out[n] = '\0';
	return *p->s++ == '\'';
}

static int valid_ipv4(const char *s, int cidr)
{
	int parts = 0;
	while (parts < 4) {
		int v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4)
			v = v * 10 + (*s++ - '0'), digits++;
		if (!digits || v > 255)
			return 0;
		parts++;
		if (parts < 4 && *s++ != '.')
			return 0;
	}
	if (!cidr)
		return *s == '\0';
	if (*s++ != '/')
		return 0;
	char *end;
	long bits = strtol(s, &end, 10);
	return *end == '\0' && bits >= 8 && bits <= 32;
}

static int all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_hex_lower(s[i]))
			return 0;
	return 1;
}

/* The value a comparison names must be of the right form. */
static int valid_value(const char *path, const char *op, const char *v)
{
	if (!strcmp(path, "ipv4-addr:value"))
		return valid_ipv4(v, !strcmp(op, "ISSUBSET"));
	if (!strcmp(path, "network-traffic:dst_ref.value"))
		return valid_ipv4(v, 0);
	if (!strcmp(path, "file:hashes.'SHA-256'"))
		return all_hex(v, 64);
	if (!strcmp(path, "file:hashes.MD5"))
		return all_hex(v, 32);
	if (!strcmp(path, "x509-certificate:hashes.'SHA-1'"))
		return all_hex(v, 40);
	if (!strcmp(path, "domain-name:value"))
		return strchr(v, '.') != NULL && !strchr(v, ' ');
	if (!strcmp(path, "url:value"))
		return !strncmp(v, "https://", 8);
	return 1;
}

static int comparison(struct pat *p)
{
	static const char *const ops[] = { "ISSUBSET", "ISSUPERSET", "!=", "<=", ">=",
					   "=", "<", ">", "LIKE", "MATCHES" };
	char path[192], step[64], op[16] = "", val[160];
	if (!ident(p, path, 64, "-"))
		return 0;
	size_t n = strlen(path);
	for (int first = 1; first ? word(p, ":") : word(p, "."); first = 0) {
		int q = *p->s == '\'';
		if (q ? !quoted(p, step, sizeof(step)) : !ident(p, step, sizeof(step), ""))
			return 0;
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%s%s%s", first ? ":" : ".",
				      q ? "'" : "", step, q ? "'" : "");
		if (n >= sizeof(path))
			return 0;
	}
	if (!strchr(path, ':'))
		return 0;
	skip_ws(p);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !op[0]; i++)
		if (word(p, ops[i]))
			snprintf(op, sizeof(op), "%s", ops[i]);
	if (!op[0])
		return 0;
	skip_ws(p);
	if (*p->s == '\'')
		return quoted(p, val, sizeof(val)) && valid_value(path, op, val);
	char num[16];
	return ident(p, num, sizeof(num), "") && strspn(num, "0123456789") == strlen(num);
}

static int observation(struct pat *p)
{
	if (!word(p, "["))
		return 0;
	do {
		skip_ws(p);
		if (!comparison(p))
			return 0;
		skip_ws(p);
	} while (word(p, "AND ") || word(p, "OR "));
	return word(p, "]");
}

static int valid_pattern(const char *s)
{
	struct pat p = { s };
	if (!s || !observation(&p))
		return 0;
	for (;;) {
		skip_ws(&p);
		if (word(&p, "AND ") || word(&p, "OR ") || word(&p, "FOLLOWEDBY ")) {
			skip_ws(&p);
			if (!observation(&p))
				return 0;
			continue;
		}
		break;
	}
	return *p.s == '\0';
}

static void test_pattern_checker(void)
{
	CHECK(valid_pattern("[ipv4-addr:value = '198.51.100.7']"));
	CHECK(valid_pattern("[file:hashes.MD5 = '0123456789abcdef0123456789abcdef' OR "
			    "file:hashes.'SHA-256' = '0123456789abcdef0123456789abcdef"
			    "0123456789abcdef0123456789abcdef']"));
	CHECK(valid_pattern("[network-traffic:dst_ref.type = 'ipv4-addr' AND "
			    "network-traffic:dst_ref.value = '203.0.113.9' AND "
			    "network-traffic:dst_port = 3868]"));
	CHECK(valid_pattern("[ipv4-addr:value ISSUBSET '192.0.2.0/24']"));
	CHECK(!valid_pattern("[ipv4-addr:value = '198.51.100.300']"));
	CHECK(!valid_pattern("[ipv4-addr:value = '198.51.100.7'"));
	CHECK(!valid_pattern("ipv4-addr:value = '198.51.100.7'"));
	CHECK(!valid_pattern("[file:hashes.'SHA-256' = 'abc']"));
	CHECK(!valid_pattern("[ipv4-addr:value = 198.51.100.7]"));
}

/* ---- validating a whole run -------------------------------------------- */

#define MAX_COLL 4

struct val {
	const char *lo, *hi;    /* created and modified lie in [lo, hi) */
	size_t ncoll;
	json_t *seen[MAX_COLL]; /* ids emitted so far, per collection */
	json_t *last;           /* "<coll>:<id>" -> modified of its last version */
	json_t *labels;         /* marking-definition id -> label */
	json_t *mix;            /* sorted labels of object_marking_refs -> count */
	int phase;              /* 0 marking definitions, 1 identities, 2 body */
	size_t n, body, versions, revoked, granular, theme_bad, theme_ok;
	char fail[512];
};

/* TLP 1.0 definitions may be referenced without being emitted. */
static const char *const tlp1[][2] = {
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP1:white" },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP1:green" },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP1:amber" },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP1:red" },
};

static void val_init(struct val *v, size_t ncoll, const char *lo, const char *hi)
{
	memset(v, 0, sizeof(*v));
	v->lo = lo;
	v->hi = hi;
	v->ncoll = ncoll;
	for (size_t c = 0; c < ncoll; c++)
		v->seen[c] = json_object();
	v->last = json_object();
	v->labels = json_object();
	v->mix = json_object();
	for (size_t i = 0; i < 4; i++)
		json_object_set_new(v->labels, tlp1[i][0], json_string(tlp1[i][1]));
}

static void val_free(struct val *v)
{
	for (size_t c = 0; c < v->ncoll; c++)
		json_decref(v->seen[c]);
	json_decref(v->last);
	json_decref(v->labels);
	json_decref(v->mix);
}

static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The type part of an id, in buf. */
static const char *type_of(const char *id, char *buf, size_t cap)
{
	const char *sep = strstr(id, "--");
	size_t n = sep ? (size_t)(sep - id) : 0;
	snprintf(buf, cap, "%.*s", (int)n, id);
	return buf;
}

static const char *check_ref(struct val *v, size_t coll, const char *key, const char *id)
{
	char t[64];
	if (!id || !valid_id(id, NULL))
		return "a reference is not a STIX id";
	type_of(id, t, sizeof(t));
	if (strstr(key, "marking_ref") && strcmp(t, "marking-definition"))
		return "a marking reference names no marking definition";
	if ((!strcmp(key, "created_by_ref") || !strcmp(key, "where_sighted_refs")) &&
	    strcmp(t, "identity"))
		return "created_by_ref or where_sighted_refs names no identity";
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(id, tlp1[i][0]))
			return NULL;
	if (!json_object_get(v->seen[coll], id))
		return "a reference points at nothing emitted before in this collection";
	return NULL;
}

/* Every *_ref and *_refs property at any depth. */
static const char *check_refs(struct val *v, size_t coll, json_t *node)
{
	const char *key, *r = NULL;
	json_t *val;
	size_t i;
	if (json_is_array(node)) {
		json_array_foreach(node, i, val) {
			if ((r = check_refs(v, coll, val)))
				return r;
		}
	}
	if (!json_is_object(node))
		return NULL;
	json_object_foreach(node, key, val) {
		size_t kl = strlen(key);
		if (kl > 4 && !strcmp(key + kl - 4, "_ref")) {
			r = check_ref(v, coll, key, json_string_value(val));
		} else if (kl > 5 && !strcmp(key + kl - 5, "_refs")) {
			json_t *e;
			if (!json_is_array(val) || json_array_size(val) == 0)
				return "a _refs property is not a non-empty list";
			json_array_foreach(val, i, e) {
				if ((r = check_ref(v, coll, key, json_string_value(e))))
					break;
			}
		} else {
			r = check_refs(v, coll, val);
		}
		if (r)
			return r;
	}
	return NULL;
}

/* A marking definition: TLP 2.0, ACS 3.0 or statement; learn its label. */
static const char *check_marking(struct val *v, json_t *o)
{
	const char *name = str(o, "name"), *id = str(o, "id");
	json_t *ext = json_object_get(o, "extensions");
	json_t *tlp2 = json_object_get(ext, "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d");
	json_t *acs = json_object_get(ext, "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce");
	char label[160];
	if (json_object_get(o, "modified"))
		return "a marking definition has modified (STIX 2.1 7.2.1: not versioned)";
	if (!name)
		return "a marking definition has no name";
	if (tlp2) {
		if (!streq(str(tlp2, "extension_type"), "property-extension") ||
		    !str(tlp2, "tlp_2_0") || !streq(str(o, "created"), "2022-10-01T00:00:00.000Z"))
			return "a TLP 2.0 definition differs from the published one";
		snprintf(label, sizeof(label), "TLP2:%s", str(tlp2, "tlp_2_0"));
	} else if (acs) {
		json_t *cs = json_object_get(acs, "control_set");
		if (!str(acs, "identifier") || !str(acs, "create_date_time") ||
		    !str(acs, "responsible_entity_custodian") || !str(acs, "policy_reference") ||
		    !str(cs, "classification") || !streq(str(acs, "extension_type"), "property-extension"))
			return "an ACS 3.0 marking lacks a property its schema requires";
		snprintf(label, sizeof(label), "%s", name);
	} else if (streq(str(o, "definition_type"), "statement")) {
		const char *st = str(json_object_get(o, "definition"), "statement");
		if (!st || strcmp(st, name))
			return "a statement marking lacks its statement";
		snprintf(label, sizeof(label), "%s", st);
	} else {
		return "a marking definition of unknown kind";
	}
	json_object_set_new(v->labels, id, json_string(label));
	return NULL;
}

static const char *check_granular(json_t *o)
{
	json_t *gm = json_object_get(o, "granular_markings"), *g, *sel;
	size_t i, j;
	if (!gm)
		return NULL;
	if (!json_is_array(gm) || !json_array_size(gm))
		return "granular_markings is not a non-empty list";
	json_array_foreach(gm, i, g) {
		json_t *sels = json_object_get(g, "selectors");
		if (!json_is_array(sels) || !json_array_size(sels))
			return "a granular marking has no selectors";
		if (!json_object_get(g, "marking_ref") == !json_object_get(g, "lang"))
			return "a granular marking needs exactly one of marking_ref and lang";
		json_array_foreach(sels, j, sel) {
			if (!json_object_get(o, json_string_value(sel) ? json_string_value(sel) : ""))
				return "a selector names a property the object does not have";
		}
	}
	return NULL;
}

/* Relationship types with their source and target types (STIX 2.1
** section 4, the relationships each SDO lists). */
static const char *const rels[][3] = {
	{ "indicates", "indicator", "attack-pattern campaign infrastructure intrusion-set malware threat-actor tool" },
	{ "uses", "attack-pattern campaign intrusion-set malware threat-actor",
	  "attack-pattern infrastructure malware tool" },
	{ "targets", "attack-pattern campaign intrusion-set malware threat-actor tool",
	  "identity infrastructure location vulnerability" },
	{ "exploits", "malware", "vulnerability" },
	{ "attributed-to", "campaign intrusion-set", "intrusion-set threat-actor" },
};

static const char *check_relationship(json_t *o)
{
	const char *rt = str(o, "relationship_type");
	const char *src = str(o, "source_ref"), *dst = str(o, "target_ref");
	char st[64], dt[64];
	if (!rt || !src || !dst)
		return "a relationship lacks relationship_type, source_ref or target_ref";
	type_of(src, st, sizeof(st));
	type_of(dst, dt, sizeof(dt));
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++)
		if (streq(rt, rels[i][0]) && in_list(rels[i][1], st) && in_list(rels[i][2], dt))
			return NULL;
	return "a relationship joins types STIX does not relate that way";
}

static const char *check_sighting(json_t *o)
{
	const char *of = str(o, "sighting_of_ref"), *fs = str(o, "first_seen");
	const char *ls = str(o, "last_seen");
	json_t *count = json_object_get(o, "count");
	char t[64];
	if (!of || !json_is_array(json_object_get(o, "where_sighted_refs")))
		return "a sighting lacks sighting_of_ref or where_sighted_refs";
	type_of(of, t, sizeof(t));
	if (!strcmp(t, "relationship") || !strcmp(t, "sighting") || !strcmp(t, "marking-definition"))
		return "sighting_of_ref must name an SDO";
	if (!json_is_integer(count) || json_integer_value(count) < 0 ||
	    json_integer_value(count) > 999999999)
		return "a sighting count out of range";
	if (!valid_ts(fs) || !valid_ts(ls) || strcmp(fs, ls) > 0)
		return "a sighting's first_seen is after last_seen";
	return NULL;
}

static const char *check_indicator(json_t *o)
{
	const char *from = str(o, "valid_from"), *until = str(o, "valid_until");
	if (!streq(str(o, "pattern_type"), "stix"))
		return "an indicator's pattern_type is not stix";
	if (!valid_pattern(str(o, "pattern")))
		return "an indicator's pattern is not valid STIX patterning";
	if (!valid_ts(from))
		return "an indicator lacks valid_from";
	if (until && (!valid_ts(until) || strcmp(until, from) <= 0))
		return "an indicator's valid_until is not after valid_from";
	return NULL;
}

/* What each type requires beyond the common properties. */
static const char *check_type(const char *type, json_t *o)
{
	static const char *const named = "attack-pattern campaign identity intrusion-set "
					 "malware report vulnerability indicator";
	if (in_list(named, type) && !str(o, "name"))
		return "an object of a named type has no name";
	if (!strcmp(type, "indicator"))
		return check_indicator(o);
	if (!strcmp(type, "malware") && !json_is_boolean(json_object_get(o, "is_family")))
		return "a malware lacks is_family";
	if (!strcmp(type, "report") && (!valid_ts(str(o, "published")) ||
					 !json_array_size(json_object_get(o, "object_refs"))))
		return "a report lacks published or object_refs";
	if (!strcmp(type, "relationship"))
		return check_relationship(o);
	if (!strcmp(type, "sighting"))
		return check_sighting(o);
	if (!strcmp(type, "campaign") && (!valid_ts(str(o, "first_seen")) ||
					   strcmp(str(o, "first_seen"), str(o, "last_seen")) > 0))
		return "a campaign's first_seen is after last_seen";
	return NULL;
}

/* Count the object's object_marking_refs, by their sorted labels. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void count_mix(struct val *v, json_t *o)
{
	json_t *refs = json_object_get(o, "object_marking_refs"), *r;
	const char *labels[8];
	char key[512] = "(none)";
	size_t i, n = 0, len = 0;
	json_array_foreach(refs, i, r) {
		if (n < 8)
			labels[n++] = json_string_value(json_object_get(v->labels, json_string_value(r)));
	}
	qsort(labels, n, sizeof(labels[0]), cmp_str);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(key + len, sizeof(key) - len, "%s%s", i ? " + " : "", labels[i]);
	json_t *c = json_object_get(v->mix, key);
	json_object_set_new(v->mix, key, json_integer(json_integer_value(c) + 1));
}

/* Header order and the themes of collections; versions and the mix. */
static const char *check_stream(struct val *v, size_t coll, const char *type, json_t *o)
{
	int phase = !strcmp(type, "marking-definition") ? 0 : !strcmp(type, "identity") ? 1 : 2;
	if (phase < v->phase)
		return "a marking definition or identity after the header";
	v->phase = phase;
	if (phase < 2)
		return NULL;
	const char *alias = json_string_value(json_array_get(json_object_get(o, "aliases"), 0));
	if (alias && v->ncoll > 1) {
		int telecom = !strncmp(alias, "RLT-TEL-", 8);
		if (telecom != (int)(coll & 1))
			v->theme_bad++;
		else
			v->theme_ok++;
	}
	char key[128];
	snprintf(key, sizeof(key), "%zu:%s", coll, str(o, "id"));
	const char *prev = str(v->last, key), *mod = str(o, "modified");
	if (prev && strcmp(mod, prev) <= 0)
		return "a later version's modified is not later";
	if (prev)
		v->versions++;
	json_object_set_new(v->last, key, json_string(mod));
	v->body++;
	v->revoked += json_is_true(json_object_get(o, "revoked"));
	v->granular += json_object_get(o, "granular_markings") != NULL;
	count_mix(v, o);
	return NULL;
}

static const char *check_object(struct val *v, size_t coll, json_t *o)
{
	const char *type = str(o, "type"), *id = str(o, "id"), *r;
	const char *created = str(o, "created"), *modified = str(o, "modified");
	if (!type || !id || !valid_id(id, type))
		return "no type, or an id that is not <type>--<UUIDv4>";
	if (!streq(str(o, "spec_version"), "2.1"))
		return "spec_version is not 2.1";
	if (!valid_ts(created))
		return "created is not a millisecond STIX timestamp";
	if (!strcmp(type, "marking-definition")) {
		r = check_marking(v, o);
	} else {
		if (!valid_ts(modified) || strcmp(modified, created) < 0)
			return "modified is missing or before created";
		if (strcmp(created, v->lo) < 0 || strcmp(modified, v->hi) >= 0)
			return "created or modified outside the year after base_time";
		r = check_type(type, o);
	}
	if (!r)
		r = check_granular(o);
	if (!r)
		r = check_refs(v, coll, o);
	if (!r)
		r = check_stream(v, coll, type, o);
	if (!r)
		json_object_set_new(v->seen[coll], id, json_true());
	return r;
}

static enum relto_err emit_val(void *ctx, size_t coll, const char *json, size_t len)
{
	struct val *v = ctx;
	json_error_t jerr;
	v->n++;
	if (coll >= v->ncoll) {
		snprintf(v->fail, sizeof(v->fail), "object %zu: collection %zu of %zu", v->n, coll,
			 v->ncoll);
		return RELTO_EINVAL;
	}
	json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o || !json_is_object(o)) {
		snprintf(v->fail, sizeof(v->fail), "object %zu: %s: %.300s", v->n, jerr.text, json);
		json_decref(o);
		return RELTO_EINVAL;
	}
	const char *why = check_object(v, coll, o);
	if (why)
		snprintf(v->fail, sizeof(v->fail), "object %zu: %s: %.300s", v->n, why, json);
	json_decref(o);
	return why ? RELTO_EINVAL : RELTO_OK;
}

static enum relto_err run_val(struct val *v, uint64_t seed, size_t count, int64_t base)
{
	struct gen_params p;
	gen_params_default(&p);
	p.seed = seed;
	p.count = count;
	p.ncollections = v->ncoll;
	p.base_time = base;
	enum relto_err rc = gen_run(&p, emit_val, v, NULL);
	if (rc)
		fprintf(stderr, "gen_test: %s\n", v->fail);
	return rc;
}

/* ---- tests over whole runs --------------------------------------------- */

/* docs/demo-data.md, "Marking mix": per mille of the objects after the
** header (marking definitions and identities). */
static const struct {
	const char *labels;
	int permille;
} mix[] = {
	{ "(none)", 60 },
	{ "TLP1:white", 20 },
	{ "TLP1:green", 60 },
	{ "TLP1:amber", 40 },
	{ "TLP1:red", 10 },
	{ "TLP2:clear", 60 },
	{ "TLP2:green", 180 },
	{ "TLP2:amber", 120 },
	{ "TLP2:amber+strict", 40 },
	{ "TLP2:red", 30 },
	{ "TLP2:green + UNCLASSIFIED", 60 },
	{ "ACS 3.0: UNCLASSIFIED, AIS, further sharing with foreign governments permitted", 50 },
	{ "CONFIDENTIAL//REL TO USA, JPN, KOR", 40 },
	{ "ACS 3.0: CONFIDENTIAL, permitted nationalities USA JPN KOR", 30 },
	{ "CONFIDENTIAL//REL TO USA, NATO", 20 },
	{ "SECRET//REL TO USA, FVEY", 50 },
	{ "ACS 3.0: SECRET, permitted nationalities USA AUS CAN GBR NZL", 30 },
	{ "SECRET//REL TO USA, FVEY + TLP2:amber+strict", 10 },
	{ "SECRET//REL TO USA, GBR, JPN, KOR", 30 },
	{ "ACS 3.0: SECRET, permitted nationalities USA GBR JPN KOR", 20 },
	{ "SECRET//NOFORN", 15 },
	{ "ACS 3.0: SECRET, NOFORN", 10 },
	{ "TOP SECRET//REL TO USA, FVEY", 10 },
	{ "ACS 3.0: TOP SECRET, permitted nationalities USA AUS CAN GBR NZL", 5 },
};

static void test_valid_and_mix(void)
{
	struct val v;
	val_init(&v, 2, "2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
	int ok = run_val(&v, 1, 20000, BASE_2025) == RELTO_OK;
	size_t seen = 0, total = 0, n = v.body;
	int mix_ok = 1;
	for (size_t i = 0; ok && i < sizeof(mix) / sizeof(mix[0]); i++) {
		double p = mix[i].permille / 1000.0;
		double got = (double)json_integer_value(json_object_get(v.mix, mix[i].labels));
		double tol = 4 * sqrt(p * (1 - p) / (double)n) + 0.003;
		if (fabs(got / (double)n - p) > tol) {
			fprintf(stderr, "mix: %s: %.2f%%, documented %.1f%%\n", mix[i].labels,
				100 * got / (double)n, mix[i].permille / 10.0);
			mix_ok = 0;
		}
		seen += (size_t)got;
		total += (size_t)mix[i].permille;
	}
	size_t versions = v.versions, granular = v.granular, revoked = v.revoked;
	val_free(&v);
	CHECK(ok);
	CHECK(total == 1000);
	CHECK(seen == n); /* no marking combination outside the table */
	CHECK(mix_ok);
	/* ~10% of objects get 1-3 later versions; some are revoked; a few
	** indicators and reports carry granular markings. */
	CHECK(versions > n / 12 && versions < n / 3);
	CHECK(revoked > 0);
	CHECK(granular > n / 200);
}

static void test_valid_one_collection(void)
{
	struct val v;
	val_init(&v, 1, "2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
	int ok = run_val(&v, 9, 5000, BASE_2025) == RELTO_OK;
	size_t n = v.n;
	val_free(&v);
	CHECK(ok);
	CHECK(n == 5000);
}

static void test_valid_three_collections_and_themes(void)
{
	struct val v;
	val_init(&v, 3, "2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
	int ok = run_val(&v, 11, 8000, BASE_2025) == RELTO_OK;
	size_t bad = v.theme_bad, good = v.theme_ok;
	val_free(&v);
	CHECK(ok);
	CHECK(bad == 0);
	CHECK(good > 20);
}

static void test_valid_other_base_time(void)
{
	struct val v;
	/* 2024-02-28T23:00:00Z: the year after it crosses a leap day. */
	val_init(&v, 2, "2024-02-28T23:00:00.000Z", "2025-02-28T23:00:00.000Z");
	int ok = run_val(&v, 5, 4000, 1709161200LL * 1000000) == RELTO_OK;
	val_free(&v);
	CHECK(ok);
}

static enum relto_err emit_keep(void *ctx, size_t coll, const char *json, size_t len)
{
	json_t *list = ctx;
	json_array_append_new(list, json_pack("{s:i,s:s%}", "c", (int)coll, "j", json, len));
	return RELTO_OK;
}

/* The TLP 2.0 definitions are the published objects, byte for byte in
** content; the header holds every marking definition in every collection
** before anything else. */
static void test_header(void)
{
	static const char tlp_clear[] =
		"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\","
		"\"id\":\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\","
		"\"created\":\"2022-10-01T00:00:00.000Z\",\"name\":\"TLP:CLEAR\","
		"\"extensions\":{\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\":"
		"{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"clear\"}}}";
	struct gen_params p;
	json_t *list = json_array();
	gen_params_default(&p);
	p.count = 100;
	CHECK(gen_run(&p, emit_keep, list, NULL) == RELTO_OK);
	json_t *first = json_loads(str(json_array_get(list, 0), "j"), 0, NULL);
	json_t *want = json_loads(tlp_clear, 0, NULL);
	int same = json_equal(first, want);
	size_t per_coll[2] = { 0, 0 };
	for (size_t i = 0; i < 60; i++) {
		json_t *e = json_array_get(list, i);
		json_t *o = json_loads(str(e, "j"), 0, NULL);
		size_t c = (size_t)json_integer_value(json_object_get(e, "c"));
		per_coll[c] += streq(str(o, "type"), i < 36 ? "marking-definition" : "identity");
		json_decref(o);
	}
	json_decref(first);
	json_decref(want);
	json_decref(list);
	CHECK(same);
	CHECK(per_coll[0] == 30 && per_coll[1] == 30);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_same_seed_same_bytes);
	RUN(test_other_seed_other_bytes);
	RUN(test_exact_count);
	RUN(test_emit_error_stops);
	RUN(test_bad_params);
	RUN(test_pattern_checker);
	RUN(test_valid_and_mix);
	RUN(test_valid_one_collection);
	RUN(test_valid_three_collections_and_themes);
	RUN(test_valid_other_base_time);
	RUN(test_header);
	return TEST_DONE();
}
