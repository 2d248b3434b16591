/*
** policy_test.c: unit tests for the policy language's front end
** (src/policy/lexer.c, parser.c, check.c, policy.c): the issue's sketch
** compiles as written; every kind of mistake a policy writer makes gives
** one error at the right line and column with the wording that helps;
** policy_check lists several errors at once; limits hold; and the seed
** corpus plus thousands of mutations of the demo policy compile or fail
** cleanly (run under ASan with `make SAN=1` to make that mean something).
** Evaluation is tested in policy_eval_test.c, the demo in policy_demo_test.c.
*/
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "policy/policy.h"
#include "util/buf.h"

static const char sketch[] =
	"levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET\n"
	"clear partner.agreement\n"
	"deny  when partner.country not in object.rel_to      because \"not on the REL TO list\"\n"
	"cap   CONFIDENTIAL when partner.networks.ran uses vendor.risk == \"high\"\n"
	"                   unless that equipment has a removal deadline before 2028-01-01\n"
	"      because \"high-risk vendor equipment in the radio access network, no removal decided\"\n"
	"cap   UNCLASSIFIED when partner.networks.core uses vendor.risk == \"high\"\n"
	"      because \"high-risk vendor equipment in the core network\"\n"
	"deny  when partner.id == \"XYZ\"                          because \"sharing suspended\"\n"
	"redact when field.level > partner.clearance\n";

static void test_sketch_compiles(void)
{
	struct policy *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = policy_compile("sketch", sketch, strlen(sketch), &p, err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK && p);
	CHECK(policy_nlevels(p) == 4);
	CHECK(policy_level_find(p, "SECRET") == 2);
	CHECK(policy_level_find(p, "secret") == -1);
	CHECK_STR(policy_level_name(p, 3), "TOP_SECRET");
	CHECK_STR(policy_level_name(p, 4), "");
	CHECK_STR(policy_level_name(p, -1), "");
	policy_free(p);
	policy_free(NULL);
}

#define BASE "levels U < C < S < TS\nclear partner.agreement\ngroup FVEY = USA, GBR, CAN, AUS, NZL\n"

/* Each broken policy and the first error it must give: "line:col: words". */
static const struct {
	const char *text;
	const char *want;
} errors[] = {
	/* declarations */
	{ "", "1:1: the policy declares no levels" },
	{ "levels A < B\n", "1:1: the policy has no 'clear' line" },
	{ "levels A < B\nlevels C\nclear A", "2:1: levels are declared twice (first on line 1)" },
	{ "levels A < B < A\nclear A", "1:16: level A is declared twice" },
	{ "levels A, B\nclear A", "1:9: levels are listed lowest first" },
	{ "levels A < \nclear A", "2:1: expected a level name after '<', found 'clear'" },
	{ "levels A < B\nclear C", "2:7: unknown level 'C'" },
	{ "levels A < B\nclear partner.clearance", "2:7: 'clear' cannot use partner.clearance" },
	{ "levels A < B\nclear partner.country", "2:7: 'clear' takes partner.agreement or a level" },
	{ "levels A < B\nclear partner.agreement\nclear A", "3:1: 'clear' appears twice (first on line 2)" },
	{ "levels SECRET < CONFIDENTIAL\nclear SECRET", "1:1: markings rank CONFIDENTIAL below SECRET" },
	{ BASE "group FVEY = GBR", "4:7: group FVEY is declared twice (first on line 3)" },
	{ BASE "group S = GBR", "4:7: S is a level" },
	{ BASE "group X = X", "4:11: group X lists itself" },
	{ BASE "group X GBR", "4:9: expected '=' after the group's name" },
	/* statements */
	{ BASE "allow when partner.hub", "4:1: there is no 'allow' rule" },
	{ BASE "deny partner.hub", "4:6: a condition starts with 'when'" },
	{ BASE "deny when partner.hub because sharing", "4:31: expected the reason in double quotes" },
	{ BASE "deny when partner.hub because \"a\" when partner.hub", "4:35: 'when' is out of place" },
	{ BASE "deny when partner.hub\nfoo", "5:1: expected a statement (levels, group, clear, deny, cap or redact), found 'foo'" },
	{ BASE "deny when partner.hub foo", "4:23: expected the end of the rule" },
	{ BASE "cap when partner.hub", "4:5: expected the level to cap at" },
	{ BASE "deny when partner.hub\n  and", "5:6: expected a condition" },
	{ BASE "deny when", "4:10: expected a condition (an attribute such as partner.country, or 'not', or '('), found the end of the file" },
	/* lexer */
	{ BASE "deny when partner.hub && object.noforn", "4:23: write 'and' to join conditions" },
	{ BASE "deny when partner.id == \xe2\x80\x9cx\xe2\x80\x9d", "4:25: typographic quote" },
	{ BASE "deny when partner.id == 'x'", "4:25: text is quoted with double quotes" },
	{ BASE "deny when partner.id == \"x\n", "4:25: the text starting here is not closed" },
	{ BASE "deny when partner.id == \"a\\nb\"", "4:27: unknown escape in text" },
	{ BASE "deny when partner.id == 12", "4:25: '12' is not something a policy can say" },
	{ BASE "deny when partner.id == \"x\" because \"\xff\"", "4:38: the text is not valid UTF-8" },
	{ BASE "deny when partner. == \"x\"", "4:11: 'partner.' is incomplete" },
	{ BASE "deny when partner.hub // no", "4:23: comments start with #" },
	{ BASE "deny when partner.hub ! object.noforn", "4:23: '!' is not an operator" },
	{ BASE "deny when partner.country in [USA]", "4:30: lists are written in parentheses" },
	{ BASE "deny when object.level > \xc3\xa9", "4:26: unexpected character (byte 0xc3)" },
	{ BASE "deny when partner.id == \"x\" \x01", "4:29: unexpected character" },
	{ BASE "cap C when partner.networks.ran uses vendor.risk == \"high\" unless that equipment has a removal deadline before 2027-02-30",
	  "4:112: 2027-02-30 is not a date" },
	/* conditions */
	{ BASE "deny when partner.id = \"x\"", "4:22: to compare, write '=='" },
	{ BASE "deny when partner.hub AND object.noforn", "4:23: expected the end of the rule" },
	{ BASE "deny when partner.hub and object.noforn or object.has_rel_to", "4:41: 'and' and 'or' are mixed" },
	{ BASE "deny when (partner.hub", "4:11: this '(' is not closed" },
	{ BASE "deny when partner.country in ()", "4:30: an empty list" },
	{ BASE "deny when partner.country not partner.hub", "4:27: 'not' goes before a condition" },
	{ BASE "deny when object.level >= 2027-01-01", "4:27: a date can only follow 'before'" },
	{ BASE "cap C when partner.networks.ran uses vendor.risk == \"high\" unless that equipment has a deadline",
	  "4:88: expected 'that equipment has a removal deadline'" },
	{ BASE "deny unless that equipment has a removal deadline", "4:6: 'unless that equipment ...' must follow a 'uses' test" },
	{ BASE "deny when partner.networks.ran uses vendor.id in (huawei)", "4:47: after 'uses', put an 'in' test in parentheses" },
	/* names */
	{ BASE "deny when partner.contry == \"USA\"", "4:11: unknown attribute 'partner.contry'; did you mean partner.country?" },
	{ BASE "deny when obj.level > S", "4:11: unknown attribute 'obj.level'; did you mean object.level?" },
	{ BASE "deny when sender.level > S", "4:11: unknown attribute 'sender.level': attributes start with partner." },
	{ BASE "deny when object.colour == \"x\"", "4:11: unknown attribute 'object.colour' (docs/policy.md lists them)" },
	{ BASE "cap X when partner.hub", "4:5: unknown level 'X' (levels are declared on line 1)" },
	{ BASE "cap SS when partner.hub", "4:5: unknown level 'SS'; did you mean S?" },
	{ BASE "deny when object.level > SECRT", "4:26: unknown level 'SECRT'" },
	{ BASE "deny when object.level in (S, X)", "4:31: unknown level 'X'" },
	{ BASE "deny when object.tlp == PURPLE", "4:25: unknown TLP label 'PURPLE'" },
	{ BASE "deny when partner.country in FEVY", "4:30: unknown group 'FEVY'; did you mean FVEY?" },
	{ BASE "deny when partner.country in EU", "4:30: 'EU' is not a group" },
	{ BASE "deny when hub", "4:11: 'hub' is not a condition; did you mean partner.hub?" },
	{ BASE "deny when partner.networks.rna uses vendor.risk == \"high\"", "4:11: unknown network segment 'rna'; did you mean ran?" },
	/* types */
	{ BASE "deny when object.level == \"S\"", "4:24: object.level is a level and \"S\" is text: write S without quotes" },
	{ BASE "deny when partner.country == S", "4:30: S is a level, but partner.country is text" },
	{ BASE "deny when partner.country == FVEY", "4:30: FVEY is a group: test membership with 'in'" },
	{ BASE "deny when object.level == partner.country", "4:24: cannot compare object.level (a level) with partner.country (text)" },
	{ BASE "deny when partner.id < \"x\"", "4:22: text can only be compared with == or !=" },
	{ BASE "deny when object.tlp > NONE", "4:22: NONE (no TLP marking) has no order" },
	{ BASE "deny when \"a\" == \"b\"", "4:15: \"a\" == \"b\" compares two fixed values" },
	{ BASE "deny when partner.hub == \"yes\"", "4:23: partner.hub is yes/no" },
	{ BASE "deny when partner.groups == \"fvey\"", "4:26: partner.groups is a list: test membership with 'in'" },
	{ BASE "deny when partner.country in \"USA\"", "4:30: 'in' needs a list on its right" },
	{ BASE "deny when partner.country in partner.hub", "4:30: 'in' needs a list on its right, and partner.hub is yes/no" },
	{ BASE "deny when partner.groups in object.rel_to", "4:11: the left side of 'in' is one value" },
	{ BASE "deny when object.level in object.rel_to", "4:11: object.level is a level, but object.rel_to holds text" },
	{ BASE "deny when object.rel_to", "4:11: object.rel_to is a list, not yes/no: to ask whether there is one, use object.has_rel_to" },
	{ BASE "deny when partner.country", "4:11: partner.country is text, not yes/no" },
	{ BASE "deny when partner.networks.ran", "4:11: partner.networks.ran is a network: test it with 'uses'" },
	{ BASE "deny when partner.country uses vendor.risk == \"high\"", "4:11: 'uses' needs partner.networks" },
	{ BASE "deny when partner.networks uses (object.noforn)", "4:34: inside 'uses' only vendor.* and the partner's own facts" },
	{ BASE "deny when partner.networks uses (partner.networks.ran uses vendor.risk == \"high\")", "4:55: 'uses' inside 'uses'" },
	{ BASE "deny when \"x\"", "4:11: text on its own is not a condition" },
	/* where attributes may be used */
	{ BASE "deny when field.level > S", "4:11: field.level describes one granular marking" },
	{ BASE "deny when vendor.risk == \"high\"", "4:11: vendor.risk is about one piece of equipment" },
	{ BASE "cap C when partner.clearance < S", "4:12: a cap cannot use partner.clearance" },
	{ BASE "deny when object.unknown", "4:11: object.unknown is never true when rules run" },
	{ BASE "redact when field.unknown", "4:13: field.unknown is never true when rules run" },
	{ BASE "redact when \"id\" in field.selectors", "4:13: 'id' is a property every STIX object must have" },
	{ BASE "redact when partner.hub and created in field.selectors", "4:29: 'created' is a property every STIX object must have" },
	/* rules that can never change a decision */
	{ BASE "deny when partner.hub\ndeny when  partner.hub   # same", "5:1: this rule repeats line 4" },
	{ BASE "deny\ndeny when partner.hub\nredact", "5:1: this rule can never change a decision: the deny on line 4 withholds every object (nor can the rules after it)" },
	{ BASE "cap TS when partner.hub", "4:5: a cap at TS, the highest level, can never lower a clearance" },
	{ BASE "cap C\ncap S when partner.hub", "5:5: a cap at S can never lower a clearance: line 4 already holds everyone at C" },
	{ "levels U < C < S\nclear C\ncap C when partner.hub", "3:5: a cap at C can never lower a clearance: line 2 already holds everyone at C" },
	{ BASE "deny when object.level > TS", "4:24: this comparison is never true: no level is above TS" },
	{ BASE "deny when U > object.level", "4:13: this comparison is never true: no level is below U" },
};

static void test_errors(void)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		struct policy *p = NULL;
		char err[RELTO_ERRBUF_SIZE] = "", want[300];
		enum relto_err rc = policy_compile("t", errors[i].text, strlen(errors[i].text), &p, err);
		snprintf(want, sizeof(want), "t:%s", errors[i].want);
		if (rc != RELTO_EINVAL || p || strncmp(err, want, strlen(want)) != 0) {
			fprintf(stderr, "  case %zu: %s\n    want: %s\n    got:  %s (rc %d)\n", i, errors[i].text, want, err,
			        (int)rc);
			bad++;
		}
		policy_free(p);
	}
	CHECK(bad == 0);
}

/* What must compile: the forms the reference documents. */
static const char *const valid[] = {
	BASE "deny when partner.id == \"x\" deny when partner.id == \"y\"", /* two rules on a line */
	BASE "deny when object.has_rel_to and partner.country not in object.rel_to",
	BASE "deny when not (partner.hub or partner.country in FVEY)",
	BASE "deny when partner.country in (USA, \"GBR\", FVEY)",
	BASE "deny when USA in object.rel_to",
	BASE "deny when \"fvey\" in partner.groups",
	BASE "deny when object.level in (S, TS) and object.tlp in (RED, AMBER_STRICT)",
	BASE "deny when object.tlp >= AMBER unless partner.hub",
	BASE "deny unless partner.hub",
	BASE "deny when object.tlp == WHITE", /* TLP 1.0's name for CLEAR */
	BASE "cap C when partner.networks uses vendor.country == \"CHN\"",
	BASE "cap C when partner.networks.core uses (vendor.id in (huawei, zte) or vendor.risk == \"high\")"
	     " unless that equipment has a removal deadline",
	BASE "cap C when partner.networks.transport uses vendor.country != partner.country",
	BASE "cap C when object.tlp == RED", /* a cap may look at the object */
	BASE "deny when object.level > partner.clearance",
	BASE "redact when not \"id\" in field.selectors",
	BASE "redact when \"description\" in field.selectors and field.level > partner.clearance",
	BASE "redact",
	BASE "deny",
	"levels U < C\nclear C\ncap U when partner.hub",
	BASE "group FIVE = FVEY, \"JPN\"\ndeny when partner.country not in FIVE",
	BASE "deny when ((((partner.hub))))",
	"# only a comment\r\nlevels U\r\nclear U\r\n",
};

static void test_valid(void)
{
	int bad = 0;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		struct policy *p = NULL;
		char err[RELTO_ERRBUF_SIZE] = "";
		if (policy_compile("v", valid[i], strlen(valid[i]), &p, err) != RELTO_OK) {
			fprintf(stderr, "  case %zu: %s\n    %s\n", i, valid[i], err);
			bad++;
		}
		policy_free(p);
	}
	CHECK(bad == 0);
}

static void test_check_lists_every_error(void)
{
	const char *text = BASE "deny when partner.contry == \"x\"\n"
	                        "cap X when partner.hub\n"
	                        "deny when object.level == \"S\" and hub\n";
	struct buf diag;
	buf_init(&diag, 1 << 16);
	int n = 0;
	CHECK(policy_check("c.policy", text, strlen(text), &diag, &n) == RELTO_EINVAL);
	CHECK(n == 4);
	CHECK(strstr(diag.data, "c.policy:4:11: unknown attribute 'partner.contry'") != NULL);
	CHECK(strstr(diag.data, "c.policy:5:5: unknown level 'X'") != NULL);
	CHECK(strstr(diag.data, "c.policy:6:24: object.level is a level") != NULL);
	CHECK(strstr(diag.data, "c.policy:6:35: 'hub' is not a condition") != NULL);
	buf_free(&diag);

	/* Syntax errors in several statements: each reported, then resync. */
	text = BASE "deny when partner.id = \"x\"\ndeny when (partner.hub\ncap when partner.hub\n"
	            "deny when partner.hub\n";
	buf_init(&diag, 1 << 16);
	CHECK(policy_check("c.policy", text, strlen(text), &diag, &n) == RELTO_EINVAL);
	CHECK(n == 3);
	CHECK(strstr(diag.data, "c.policy:4:22:") && strstr(diag.data, "c.policy:5:11:") &&
	      strstr(diag.data, "c.policy:6:5:"));
	buf_free(&diag);

	/* A broken group does not hide the next one. */
	text = BASE "group S = GBR\ngroup EU = FRA, DEU\ndeny when partner.country in EU\n";
	buf_init(&diag, 1 << 16);
	CHECK(policy_check("c.policy", text, strlen(text), &diag, &n) == RELTO_EINVAL);
	CHECK(n == 1 && strstr(diag.data, "c.policy:4:7: S is a level") != NULL);
	buf_free(&diag);

	/* && is one mistake, not two. */
	text = BASE "deny when partner.hub && object.noforn || object.has_rel_to\n";
	buf_init(&diag, 1 << 16);
	CHECK(policy_check("c.policy", text, strlen(text), &diag, &n) == RELTO_EINVAL);
	CHECK(n == 2 && strstr(diag.data, "c.policy:4:23: write 'and'") && strstr(diag.data, "c.policy:4:40: write 'or'"));
	buf_free(&diag);

	/* A valid policy: no output, RELTO_OK. */
	buf_init(&diag, 1 << 16);
	CHECK(policy_check("s", sketch, strlen(sketch), &diag, &n) == RELTO_OK && n == 0 && diag.len == 0);
	buf_free(&diag);

	/* Many errors: the first 20, then a count. */
	struct buf big;
	buf_init(&big, 1 << 20);
	CHECK(buf_puts(&big, BASE) == RELTO_OK);
	for (int i = 0; i < 30; i++)
		CHECK(buf_printf(&big, "cap Q%d when partner.hub\n", i) == RELTO_OK);
	buf_init(&diag, 1 << 16);
	CHECK(policy_check("m", big.data, big.len, &diag, &n) == RELTO_EINVAL);
	CHECK(n == 20);
	CHECK(strstr(diag.data, "too many errors, stopped after 20") != NULL);
	buf_free(&diag);
	buf_free(&big);
}

static void test_limits(void)
{
	struct policy *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	size_t n = (1u << 20) + 1;
	char *huge = malloc(n);
	CHECK(huge);
	memset(huge, ' ', n);
	CHECK(policy_compile("h", huge, n, &p, err) == RELTO_ETOOBIG && !p);
	CHECK(strstr(err, "larger than") != NULL);

	/* Nesting deeper than the parser allows is an error, not a crash. */
	struct buf b;
	buf_init(&b, 1 << 20);
	CHECK(buf_puts(&b, BASE "deny when ") == RELTO_OK);
	for (int i = 0; i < 5000; i++)
		CHECK(buf_puts(&b, "not ") == RELTO_OK);
	CHECK(buf_puts(&b, "partner.hub") == RELTO_OK);
	err[0] = '\0';
	CHECK(policy_compile("d", b.data, b.len, &p, err) == RELTO_EINVAL);
	CHECK(strstr(err, "nested too deeply") != NULL);
	buf_reset(&b);
	CHECK(buf_puts(&b, BASE "deny when ") == RELTO_OK);
	for (int i = 0; i < 5000; i++)
		CHECK(buf_puts(&b, "(") == RELTO_OK);
	err[0] = '\0';
	CHECK(policy_compile("d", b.data, b.len, &p, err) == RELTO_EINVAL);
	CHECK(strstr(err, "nested too deeply") != NULL);

	/* A long and-chain is flat, not deep: fine. */
	buf_reset(&b);
	CHECK(buf_puts(&b, BASE "deny when partner.hub") == RELTO_OK);
	for (int i = 0; i < 3000; i++)
		CHECK(buf_puts(&b, " and partner.hub") == RELTO_OK);
	err[0] = '\0';
	CHECK(policy_compile("d", b.data, b.len, &p, err) == RELTO_OK);
	policy_free(p);
	p = NULL;

	/* A NUL inside the text is an error with its place. */
	const char nul[] = "levels U\nclear U\0\n";
	err[0] = '\0';
	CHECK(policy_compile("z", nul, sizeof(nul) - 1, &p, err) == RELTO_EINVAL);
	CHECK(strncmp(err, "z:2:8: NUL byte", 15) == 0);

	/* Error messages quote long input cut short, and stay in the buffer. */
	memset(huge, 'a', 4000);
	memcpy(huge, BASE "deny when partner.", strlen(BASE "deny when partner."));
	err[0] = '\0';
	CHECK(policy_compile("l", huge, 4000, &p, err) == RELTO_EINVAL);
	CHECK(strlen(err) < RELTO_ERRBUF_SIZE);
	buf_free(&b);
	free(huge);
}

/* Deterministic mutations of valid policies: every outcome is either a
** compiled policy or an EINVAL with a "name:line:col:" message. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int compile_one(const char *text, size_t len)
{
	struct policy *p = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = policy_compile("f", text, len, &p, err);
	policy_free(p);
	if (rc == RELTO_OK)
		return 1;
	if (rc == RELTO_EINVAL && strncmp(err, "f:", 2) == 0)
		return 1;
	fprintf(stderr, "  rc %d: %s\n", (int)rc, err);
	return 0;
}

static void test_mutations(void)
{
	static const char *const pieces[] = { " and ", " or ", " not ", "(", ")", "\"", " in ", " uses ",
	                                      "==", "<", ",", " unless ", " when ", "\n", "deny ", "#",
	                                      "partner.", " vendor.risk ", " 2028-01-01 ", "\xe2\x80\x9c" };
	struct buf src;
	buf_init(&src, 1 << 20);
	CHECK(buf_read_file(&src, "src/demo/relto.policy", NULL) == RELTO_OK);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	char *m = malloc(src.len + 64);
	CHECK(m);
	int ok = 1;
	for (int i = 0; i < 3000 && ok; i++) {
		size_t n = src.len;
		memcpy(m, src.data, n);
		int edits = 1 + (int)(rng_next(&s) % 3);
		for (int e = 0; e < edits; e++) {
			size_t at = rng_next(&s) % n;
			switch (rng_next(&s) % 4) {
			case 0: m[at] = (char)(rng_next(&s) & 0xff); break;          /* flip a byte */
			case 1: memmove(m + at, m + at + 1, n - at - 1); n--; break;  /* delete one */
			case 2: n = at; break;                                        /* truncate */
			default: {                                                    /* insert a piece */
				const char *pc = pieces[rng_next(&s) % (sizeof(pieces) / sizeof(pieces[0]))];
				size_t k = strlen(pc);
				if (n + k > src.len + 60)
					break;
				memmove(m + at + k, m + at, n - at);
				memcpy(m + at, pc, k);
				n += k;
			}
			}
			if (n == 0)
				break;
		}
		ok = compile_one(m, n);
	}
	CHECK(ok);
	free(m);
	buf_free(&src);
}

/* The fuzz seed corpus: each file compiles or fails cleanly. */
static void test_corpus(void)
{
	DIR *d = opendir("tests/fuzz/policy-corpus");
	CHECK(d);
	struct dirent *e;
	int files = 0, ok = 1;
	while ((e = readdir(d)) && ok) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof(path), "tests/fuzz/policy-corpus/%s", e->d_name);
		struct buf b;
		buf_init(&b, 1 << 20);
		if (buf_read_file(&b, path, NULL) == RELTO_OK) {
			files++;
			ok = compile_one(b.data ? b.data : "", b.len);
			if (!ok)
				fprintf(stderr, "  %s\n", path);
		}
		buf_free(&b);
	}
	closedir(d);
	CHECK(ok);
	CHECK(files >= 10);
}

int main(void)
{
	RUN(test_sketch_compiles);
	RUN(test_errors);
	RUN(test_valid);
	RUN(test_check_lists_every_error);
	RUN(test_limits);
	RUN(test_mutations);
	RUN(test_corpus);
	return TEST_DONE();
}
