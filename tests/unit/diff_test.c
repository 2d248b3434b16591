/*
** diff_test.c: unit tests for src/admin/diff.c.  Posture diffs: each kind
** of line once with its exact wording, the order of lines, parts not
** shaped as the format says, refusals, and the buffer left as it was on
** failure.  Text diffs: exact output for small cases, the line limit, and
** a randomized check against a plain dynamic-programming LCS that the
** edit script turns a into b with the fewest changed lines.
*/
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "admin/diff.h"
#include "util/buf.h"

extern const unsigned char embed_posture_json[];
extern const size_t embed_posture_json_len;
extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

/* The posture diff of a and b as text (into b, which the caller frees),
** or "ERROR: message". */
static const char *pd(const char *a, const char *b, struct buf *out)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	buf_init(out, 1 << 20);
	enum relto_err rc = admin_posture_diff(a, strlen(a), b, strlen(b), out, err);
	if (rc) {
		buf_reset(out);
		buf_printf(out, "ERROR %s: %s", relto_strerror(rc), err);
	}
	return out->data ? out->data : "";
}

static const char *td(const char *a, const char *b, struct buf *out)
{
	buf_init(out, 1 << 20);
	enum relto_err rc = admin_text_diff(a, strlen(a), b, strlen(b), out);
	if (rc) {
		buf_reset(out);
		buf_printf(out, "ERROR %s", relto_strerror(rc));
	}
	return out->data ? out->data : "";
}

/* ---- posture -------------------------------------------------------------- */

static void test_identical(void)
{
	struct buf b;
	const char *demo = (const char *)embed_posture_json;
	CHECK_STR(pd(demo, demo, &b), "");
	buf_free(&b);
	/* Formatting is not a difference. */
	json_t *j = json_loads(demo, 0, NULL);
	char *compact = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	CHECK(compact != NULL);
	const char *d = pd(demo, compact, &b);
	int empty = strcmp(d, "") == 0;
	free(compact);
	buf_free(&b);
	CHECK(empty);
	CHECK_STR(pd("{}", "{}", &b), "");
	buf_free(&b);
}

static void test_levels(void)
{
	struct buf b;
	CHECK_STR(pd("{\"levels\": [\"UNCLASSIFIED\", \"CONFIDENTIAL\"]}",
	             "{\"levels\": [\"UNCLASSIFIED\", \"CONFIDENTIAL\", \"SECRET\"]}", &b),
	          "levels: UNCLASSIFIED < CONFIDENTIAL -> UNCLASSIFIED < CONFIDENTIAL < SECRET\n");
	buf_free(&b);
	CHECK_STR(pd("{\"levels\": [\"U\"]}", "{}", &b), "levels: U -> (absent)\n");
	buf_free(&b);
	CHECK_STR(pd("{\"levels\": [\"U\"]}", "{\"levels\": 3}", &b), "levels: U -> 3\n");
	buf_free(&b);
}

static void test_vendors(void)
{
	struct buf b;
	CHECK_STR(pd("{\"vendors\": ["
	             " {\"id\": \"huawei\", \"name\": \"Huawei\", \"risk\": \"high\", \"lists\": [\"fcc\"]},"
	             " {\"id\": \"zte\", \"name\": \"ZTE\", \"risk\": \"none\", \"lists\": [], \"source\": \"x\"},"
	             " {\"id\": \"old\", \"name\": \"Old\"}]}",
	             "{\"vendors\": ["
	             " {\"id\": \"acme\", \"name\": \"ACME Corp\", \"country\": \"USA\", \"risk\": \"none\"},"
	             " {\"id\": \"zte\", \"name\": \"ZTE\", \"risk\": \"high\", \"lists\": [\"fcc\", \"eu\"], \"extra\": true},"
	             " {\"id\": \"huawei\", \"name\": \"Huawei\", \"risk\": \"high\", \"lists\": [\"fcc\"]},"
	             " {\"id\": \"odd\"}]}",
	             &b),
	          "vendor acme: added (ACME Corp, USA, risk none)\n"
	          "vendor zte: risk none -> high\n"
	          "vendor zte: lists (empty) -> fcc, eu\n"
	          "vendor zte: extra (absent) -> true\n"
	          "vendor zte: source x -> (absent)\n"
	          "vendor odd: added (?, ?, risk ?)\n"
	          "vendor old: removed\n");
	buf_free(&b);
}

/* Small documents around one partner. */
#define KOR_A                                                                                     \
	"{\"partners\": [{\"id\": \"kor\", \"name\": \"Korea\", \"country\": \"KOR\", \"groups\": [],"  \
	" \"agreement_level\": \"SECRET\", \"hub\": false, \"source\": \"s\", \"operators\": ["        \
	"  {\"name\": \"LG Uplus\", \"segments\": {"                                                   \
	"     \"ran\": [{\"vendor\": \"huawei\", \"source\": \"p\"}, {\"vendor\": \"nokia\", \"source\": \"p\"}]," \
	"     \"core\": [{\"vendor\": \"samsung\", \"source\": \"p\"}]}},"                             \
	"  {\"name\": \"KT\", \"segments\": {}}]},"                                                      \
	" {\"id\": \"gbr\", \"name\": \"UK\"}]}"

static void test_partner_fields(void)
{
	struct buf b;
	CHECK_STR(pd(KOR_A,
	             "{\"partners\": [{\"id\": \"kor\", \"name\": \"Republic of Korea\", \"country\": \"KOR\","
	             " \"groups\": [\"nato\", \"x\"], \"agreement_level\": \"CONFIDENTIAL\", \"hub\": true, \"source\": \"t\","
	             " \"operators\": ["
	             "  {\"name\": \"LG Uplus\", \"segments\": {"
	             "     \"ran\": [{\"vendor\": \"huawei\", \"source\": \"p\"}, {\"vendor\": \"nokia\", \"source\": \"p\"}],"
	             "     \"core\": [{\"vendor\": \"samsung\", \"source\": \"p\"}]}},"
	             "  {\"name\": \"KT\", \"segments\": {}}]},"
	             " {\"id\": \"gbr\", \"name\": \"UK\"}]}",
	             &b),
	          "partner kor: name Korea -> Republic of Korea\n"
	          "partner kor: groups (empty) -> nato, x\n"
	          "partner kor: agreement_level SECRET -> CONFIDENTIAL\n"
	          "partner kor: hub false -> true\n"
	          "partner kor: source s -> t\n");
	buf_free(&b);
	CHECK_STR(pd(KOR_A, "{\"partners\": [{\"id\": \"usa\"}, {\"id\": \"gbr\", \"name\": \"UK\"}]}", &b),
	          "partner usa: added\npartner kor: removed\n");
	buf_free(&b);
}

static void test_operators(void)
{
	struct buf b;
	CHECK_STR(pd(KOR_A,
	             "{\"partners\": [{\"id\": \"kor\", \"name\": \"Korea\", \"country\": \"KOR\", \"groups\": [],"
	             " \"agreement_level\": \"SECRET\", \"hub\": false, \"source\": \"s\", \"operators\": ["
	             "  {\"name\": \"SK Telecom\", \"segments\": {\"ran\": [{\"vendor\": \"samsung\", \"source\": \"p\"}]}},"
	             "  {\"name\": \"LG Uplus\", \"segments\": {"
	             "     \"ran\": [{\"vendor\": \"nokia\", \"source\": \"q\"},"
	             "               {\"vendor\": \"ericsson\", \"removal_deadline\": \"2027-12-31\", \"source\": \"p\"},"
	             "               {\"vendor\": \"huawei\", \"removal_deadline\": \"2027-12-31\", \"source\": \"p\"}],"
	             "     \"transport\": [{\"vendor\": \"zte\", \"source\": \"p\"}]}}]},"
	             " {\"id\": \"gbr\", \"name\": \"UK\"}]}",
	             &b),
	          "partner kor: operator SK Telecom: added\n"
	          "partner kor: operator LG Uplus: ran: nokia source p -> q\n"
	          "partner kor: operator LG Uplus: ran: ericsson added (deadline 2027-12-31)\n"
	          "partner kor: operator LG Uplus: ran: huawei deadline none -> 2027-12-31\n"
	          "partner kor: operator LG Uplus: transport: zte added\n"
	          "partner kor: operator LG Uplus: core: samsung removed\n"
	          "partner kor: operator KT: removed\n");
	buf_free(&b);
	/* And back: removals, and a deadline that goes. */
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"LG Uplus\", \"segments\": {"
	             "  \"ran\": [{\"vendor\": \"huawei\", \"removal_deadline\": \"2027-12-31\", \"source\": \"p\"},"
	             "            {\"vendor\": \"ericsson\", \"source\": \"p\"}]}}]}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"LG Uplus\", \"segments\": {"
	             "  \"ran\": [{\"vendor\": \"huawei\", \"source\": \"p\"}]}}]}]}",
	             &b),
	          "partner kor: operator LG Uplus: ran: huawei deadline 2027-12-31 -> none\n"
	          "partner kor: operator LG Uplus: ran: ericsson removed\n");
	buf_free(&b);
}

static void test_top_level(void)
{
	struct buf b;
	CHECK_STR(pd("{\"format\": \"relto-posture/1\", \"sources\": \"a\", \"gone\": 1}",
	             "{\"format\": \"relto-posture/2\", \"sources\": \"b\", \"new\": [1]}", &b),
	          "format: changed\nsources: changed\nnew: added\ngone: removed\n");
	buf_free(&b);
	/* The order: levels, vendors, partners, then the rest. */
	CHECK_STR(pd("{\"sources\": \"a\", \"partners\": [], \"vendors\": [], \"levels\": [\"U\"]}",
	             "{\"sources\": \"b\", \"partners\": [{\"id\": \"kor\"}], \"vendors\": [{\"id\": \"zte\"}],"
	             " \"levels\": [\"U\", \"S\"]}", &b),
	          "levels: U -> U < S\nvendor zte: added (?, ?, risk ?)\npartner kor: added\nsources: changed\n");
	buf_free(&b);
}

/* Parts not shaped as the format says are compared whole. */
static void test_shapes(void)
{
	struct buf b;
	CHECK_STR(pd("{\"vendors\": {}}", "{\"vendors\": []}", &b), "vendors: changed\n");
	buf_free(&b);
	CHECK_STR(pd("{\"vendors\": [{\"id\": \"a\"}, {\"id\": \"a\"}]}", "{\"vendors\": [{\"id\": \"a\"}]}", &b),
	          "vendors: changed\n");
	buf_free(&b);
	CHECK_STR(pd("{\"vendors\": [{\"id\": 1}]}", "{\"vendors\": [{\"id\": 1}]}", &b), "");
	buf_free(&b);
	CHECK_STR(pd("{}", "{\"vendors\": [{\"id\": \"a\", \"name\": \"A\"}]}", &b),
	          "vendor a: added (A, ?, risk ?)\n");
	buf_free(&b);
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"operators\": 1}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"operators\": 2}]}", &b),
	          "partner kor: operators: changed\n");
	buf_free(&b);
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"KT\", \"segments\": []}]}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"KT\", \"segments\": {}}]}]}", &b),
	          "partner kor: operator KT: segments: changed\n");
	buf_free(&b);
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"KT\", \"segments\": {\"ran\": 1}}]}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"operators\": [{\"name\": \"KT\", \"segments\": {\"ran\": []}}]}]}",
	             &b),
	          "partner kor: operator KT: ran: changed\n");
	buf_free(&b);
	/* A control character in a value would break a line. */
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"name\": \"a\"}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"name\": \"b\\nc\\td\"}]}", &b),
	          "partner kor: name a -> b c d\n");
	buf_free(&b);
	/* Values that are not strings or lists of them are JSON. */
	CHECK_STR(pd("{\"partners\": [{\"id\": \"kor\", \"x\": {\"a\": 1}}]}",
	             "{\"partners\": [{\"id\": \"kor\", \"x\": [{\"a\": 2}, null, 1.5]}]}", &b),
	          "partner kor: x {\"a\":1} -> {\"a\":2}, null, 1.5\n");
	buf_free(&b);
}

static void test_errors(void)
{
	struct buf b;
	CHECK_STR(pd("{", "{}", &b), "ERROR EINVAL: from:1:1: string or '}' expected near end of file");
	buf_free(&b);
	CHECK_STR(pd("{}", "[]", &b), "ERROR EINVAL: to: must be a JSON object, not a list");
	buf_free(&b);
	CHECK_STR(pd("{\"a\": 1, \"a\": 2}", "{}", &b),
	          "ERROR EINVAL: from:1:12: duplicate object key near '\"a\"'");
	buf_free(&b);
	/* The caller's buffer gains nothing when the lines do not fit. */
	char err[RELTO_ERRBUF_SIZE] = "";
	buf_init(&b, 40);
	CHECK(buf_puts(&b, "kept\n") == RELTO_OK);
	const char *x = "{\"levels\": [\"UNCLASSIFIED\"]}", *y = "{\"levels\": [\"UNCLASSIFIED\", \"SECRET\"]}";
	CHECK(admin_posture_diff(x, strlen(x), y, strlen(y), &b, err) == RELTO_ETOOBIG);
	CHECK_STR(b.data, "kept\n");
	CHECK_STR(err, "the difference is too long");
	CHECK(admin_posture_diff(x, strlen(x), x, strlen(x), &b, NULL) == RELTO_OK);
	CHECK_STR(b.data, "kept\n");
	buf_free(&b);
}

/* ---- text ------------------------------------------------------------------ */

static void test_text_small(void)
{
	struct buf b;
	CHECK_STR(td("a\nb\nc\n", "a\nb\nc\n", &b), "");
	buf_free(&b);
	CHECK_STR(td("", "", &b), "");
	buf_free(&b);
	CHECK_STR(td("a\nb\nc\n", "a\nB\nc\n", &b), "-2: b\n+2: B\n");
	buf_free(&b);
	CHECK_STR(td("a\nc\n", "a\nb\nc\nd\n", &b), "+2: b\n+4: d\n");
	buf_free(&b);
	CHECK_STR(td("x\na\ny\nb\n", "a\nb\n", &b), "-1: x\n-3: y\n");
	buf_free(&b);
	CHECK_STR(td("", "one\ntwo", &b), "+1: one\n+2: two\n");
	buf_free(&b);
	CHECK_STR(td("one\ntwo", "", &b), "-1: one\n-2: two\n");
	buf_free(&b);
	/* A missing final newline is a change of nothing shown... */
	CHECK_STR(td("a\nb", "a\nb\n", &b), "");
	buf_free(&b);
	/* ...an empty line is a line, and "\r" is not shown. */
	CHECK_STR(td("a\n\nb\r\n", "a\nb\r\n", &b), "-2: \n");
	buf_free(&b);
	CHECK_STR(td("a\r\nb\r\n", "a\r\nc\r\n", &b), "-2: b\n+2: c\n");
	buf_free(&b);
	/* Moves show as a removal and an addition. */
	CHECK_STR(td("1\n2\n3\n4\n", "2\n3\n4\n1\n", &b), "-1: 1\n+4: 1\n");
	buf_free(&b);
}

/* The demo policy with one rule changed and one line added. */
static void test_text_policy(void)
{
	struct buf b, want;
	const char *pol = (const char *)embed_relto_policy;
	const char *at = strstr(pol, "clear partner.agreement\n");
	CHECK(at != NULL);
	size_t head = (size_t)(at - pol), line = 1;
	for (size_t i = 0; i < head; i++)
		line += pol[i] == '\n';
	char *changed = malloc(embed_relto_policy_len + 100);
	CHECK(changed != NULL);
	static const char repl[] = "# new comment\nclear partner.agreement2\n";
	const char *rest = at + strlen("clear partner.agreement\n");
	memcpy(changed, pol, head);
	memcpy(changed + head, repl, sizeof(repl) - 1);
	memcpy(changed + head + sizeof(repl) - 1, rest, strlen(rest) + 1);
	buf_init(&want, 1000);
	buf_printf(&want, "-%zu: clear partner.agreement\n+%zu: # new comment\n+%zu: clear partner.agreement2\n",
	           line, line, line + 1);
	const char *d = td(pol, changed, &b);
	int same = strcmp(d, want.data) == 0;
	if (!same)
		fprintf(stderr, "  got:\n%s  want:\n%s", d, want.data);
	free(changed);
	buf_free(&b);
	buf_free(&want);
	CHECK(same);
}

/* n lines "prefix<i>\n" (i from 0) into b. */
static void lines(struct buf *b, size_t n, const char *prefix)
{
	buf_init(b, 1 << 24);
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%zu\n", prefix, i);
}

static void test_text_limit(void)
{
	struct buf a, c, out;
	lines(&a, ADMIN_TEXT_DIFF_MAX_LINES, "line ");
	lines(&c, ADMIN_TEXT_DIFF_MAX_LINES + 1, "line ");
	buf_init(&out, 1 << 20);
	CHECK(buf_puts(&out, "kept\n") == RELTO_OK);
	CHECK(admin_text_diff(a.data, a.len, c.data, c.len, &out) == RELTO_ETOOBIG);
	CHECK(admin_text_diff(c.data, c.len, a.data, a.len, &out) == RELTO_ETOOBIG);
	CHECK_STR(out.data, "kept\n");
	/* At the limit: one line changed in the middle. */
	buf_free(&c);
	lines(&c, ADMIN_TEXT_DIFF_MAX_LINES, "line ");
	memcpy(strstr(c.data, "\nline 10000\n") + 1, "LINE", 4);
	CHECK(admin_text_diff(a.data, a.len, c.data, c.len, &out) == RELTO_OK);
	CHECK_STR(out.data, "kept\n-10001: line 10000\n+10001: LINE 10000\n");
	/* A cap too small for the lines leaves the buffer as it was. */
	struct buf small;
	buf_init(&small, 10);
	CHECK(admin_text_diff("a\n", 2, "b\n", 2, &small) == RELTO_ETOOBIG);
	CHECK(small.len == 0);
	buf_free(&small);
	buf_free(&a);
	buf_free(&c);
	buf_free(&out);
}

/* Two thousand lines against two thousand, mostly different: quick. */
static void test_text_big(void)
{
	struct buf a, c, out;
	lines(&a, 2000, "a ");
	lines(&c, 2000, "c ");
	buf_init(&out, 1 << 24);
	CHECK(admin_text_diff(a.data, a.len, c.data, c.len, &out) == RELTO_OK);
	size_t n = 0;
	for (size_t i = 0; i < out.len; i++)
		n += out.data[i] == '\n';
	CHECK(n == 4000);
	CHECK(strncmp(out.data, "-1: a 0\n-2: a 1\n", 16) == 0);
	buf_free(&a);
	buf_free(&c);
	buf_free(&out);
}

/* xorshift: the same sequence on every run. */
static unsigned next(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random texts over a small alphabet of lines: the diff must turn a into
** b, with line numbers that count, and change exactly
** len(a) + len(b) - 2 * LCS lines. */
static void test_text_random(void)
{
	unsigned seed = 12345;
	for (int round = 0; round < 300; round++) {
		size_t n = next(&seed) % 30, m = next(&seed) % 30, k = 1 + next(&seed) % 5;
		char a[30], b[30], ta[64], tb[64];
		size_t la = 0, lb = 0;
		for (size_t i = 0; i < n; i++) {
			a[i] = (char)('a' + next(&seed) % k);
			ta[la++] = a[i];
			ta[la++] = '\n';
		}
		for (size_t i = 0; i < m; i++) {
			b[i] = (char)('a' + next(&seed) % k);
			tb[lb++] = b[i];
			tb[lb++] = '\n';
		}
		ta[la] = tb[lb] = '\0';
		/* The LCS length by the textbook table. */
		size_t t[31][31];
		for (size_t i = 0; i <= n; i++)
			for (size_t j = 0; j <= m; j++)
				t[i][j] = !i || !j ? 0 : a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1
				        : t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
		struct buf out;
		buf_init(&out, 1 << 16);
		CHECK(admin_text_diff(ta, la, tb, lb, &out) == RELTO_OK);
		/* Replay: walk a, dropping "-" lines and inserting "+" lines. */
		char r[64];
		size_t nr = 0, ia = 0, changes = 0, lastb = 0;
		int ok = 1;
		const char *p = out.data ? out.data : "";
		while (*p && ok) {
			char sign = *p, c;
			size_t num;
			int used = 0;
			ok = sscanf(p, "%*c%zu: %c\n%n", &num, &c, &used) == 2 && used > 0;
			if (!ok)
				break;
			if (sign == '-') {
				while (ok && ia + 1 < num)
					r[nr++] = a[ia++];
				ok = ia < n && a[ia] == c;
				ia++;
			} else {
				while (ia < n && nr + 1 < num)
					r[nr++] = a[ia++];
				ok = nr + 1 == num && num > lastb && b[num - 1] == c;
				r[nr++] = c;
				lastb = num;
			}
			changes++;
			p += used;
		}
		while (ia < n)
			r[nr++] = a[ia++];
		ok = ok && nr == m && memcmp(r, b, m) == 0 && changes == n + m - 2 * t[n][m];
		if (!ok)
			fprintf(stderr, "  round %d: a=%s b=%s diff:\n%s", round, ta, tb, p);
		buf_free(&out);
		CHECK(ok);
	}
}

int main(void)
{
	RUN(test_identical);
	RUN(test_levels);
	RUN(test_vendors);
	RUN(test_partner_fields);
	RUN(test_operators);
	RUN(test_top_level);
	RUN(test_shapes);
	RUN(test_errors);
	RUN(test_text_small);
	RUN(test_text_policy);
	RUN(test_text_limit);
	RUN(test_text_big);
	RUN(test_text_random);
	return TEST_DONE();
}
