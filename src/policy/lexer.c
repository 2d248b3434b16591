/*
** lexer.c: splits a policy text into tokens: words (UNCLASSIFIED, USA),
** attribute paths (partner.networks.ran), quoted text, dates, keywords and
** operators.  Newlines are plain whitespace: a rule may run over several
** lines, and statements are told apart by their leading keyword.
**
** The people who write policies are not programmers, and they paste from
** word processors, so the lexer's messages name what they probably meant:
** typographic quotes, && and ||, a '=' where '==' was meant is the
** parser's business, but '!' alone, brackets and stray numbers are ours.
** After an error the lexer skips the offending character and goes on, so
** one run reports every bad character, not just the first.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy_int.h"
#include "../util/text.h" /* text_quote() for quoting input in messages */

const char *const policy__kw_names[KW_N] = {
	[KW_LEVELS] = "levels", [KW_GROUP] = "group", [KW_CLEAR] = "clear",
	[KW_DENY] = "deny", [KW_CAP] = "cap", [KW_REDACT] = "redact",
	[KW_WHEN] = "when", [KW_UNLESS] = "unless", [KW_BECAUSE] = "because",
	[KW_AND] = "and", [KW_OR] = "or", [KW_NOT] = "not", [KW_IN] = "in", [KW_USES] = "uses",
};

const char *const policy__op_names[] = {
	[OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">",
	[OP_GE] = ">=", [OP_ASSIGN] = "=", [OP_COMMA] = ",", [OP_LPAREN] = "(", [OP_RPAREN] = ")",
};

struct lexer {
	const char *s, *end;
	const char *at;        /* next byte */
	int line, col;
	struct policy__tokens *out;
	struct policy__arena *a;
	struct policy__diag *d;
};

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Advance n bytes, keeping line and column (in characters: UTF-8
** continuation bytes do not count, so columns match what editors show). */
static void advance(struct lexer *L, size_t n)
{
	while (n-- && L->at < L->end) {
		unsigned char c = (unsigned char)*L->at++;
		if (c == '\n') {
			L->line++;
			L->col = 1;
		} else if ((c & 0xc0) != 0x80) {
			L->col++;
		}
	}
}

static int push(struct lexer *L, int kind, int sub, const char *p, size_t n, int line, int col)
{
	struct policy__tokens *t = L->out;
	if (t->n == t->alloc) {
		size_t want = t->alloc ? t->alloc * 2 : 256;
		struct policy__token *v = realloc(t->v, want * sizeof(*v));
		if (!v) {
			L->d->nomem = 1;
			return -1;
		}
		t->v = v;
		t->alloc = want;
	}
	struct policy__token *k = &t->v[t->n++];
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)kind;
	k->sub = (uint8_t)sub;
	k->p = p;
	k->n = n;
	k->line = line;
	k->col = col;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is not one.
** Overlong forms and surrogates are refused: reasons end up in JSON. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	unsigned min;
	unsigned cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* "..." with \" and \\ as the only escapes; one line. */
static int lex_string(struct lexer *L)
{
	int line = L->line, col = L->col;
	const char *start = L->at;
	char *val = policy__alloc(L->a, (size_t)(L->end - L->at));
	if (!val) {
		L->d->nomem = 1;
		return -1;
	}
	size_t n = 0;
	advance(L, 1);
	for (;;) {
		if (L->at == L->end || *L->at == '\n') {
			policy__error(L->d, line, col,
			              "the text starting here is not closed with '\"' before the end of the line");
			return 0;
		}
		unsigned char c = (unsigned char)*L->at;
		if (c == '"')
			break;
		if (c == '\\') {
			char e = L->at + 1 < L->end ? L->at[1] : '\0';
			if (e != '"' && e != '\\') {
				policy__error(L->d, L->line, L->col,
				              "unknown escape in text: only \\\" (a quote) and \\\\ (a backslash) are escapes");
				advance(L, 1);
				continue;
			}
			val[n++] = e;
			advance(L, 2);
			continue;
		}
		if (c < 0x20 && c != '\t') {
			policy__error(L->d, L->line, L->col, "control character 0x%02x inside text", c);
			advance(L, 1);
			continue;
		}
		size_t u = utf8_len((const unsigned char *)L->at, (const unsigned char *)L->end);
		if (!u) {
			policy__error(L->d, L->line, L->col, "the text is not valid UTF-8 (byte 0x%02x)", c);
			advance(L, 1);
			continue;
		}
		memcpy(val + n, L->at, u);
		n += u;
		advance(L, u);
	}
	advance(L, 1);
	val[n] = '\0';
	if (push(L, TK_STRING, 0, start, (size_t)(L->at - start), line, col))
		return -1;
	L->out->v[L->out->n - 1].str = val;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Digits start a date (YYYY-MM-DD, a real one); nothing else in the
** language is a number, so anything else made of digits is an error. */
static int lex_number(struct lexer *L)
{
	int line = L->line, col = L->col;
	const char *start = L->at, *p = L->at;
	while (p < L->end && (is_digit(*p) || *p == '-' || is_alpha(*p)))
		p++;
	size_t n = (size_t)(p - start);
	char q[64];
	text_quote(start, n, 40, q);
	int ok = n == 10 && start[4] == '-' && start[7] == '-';
	for (size_t i = 0; ok && i < n; i++)
		if (i != 4 && i != 7 && !is_digit(start[i]))
			ok = 0;
	if (!ok) {
		policy__error(L->d, line, col,
		              "'%s' is not something a policy can say: the only numbers are dates, written YYYY-MM-DD", q);
		advance(L, n);
		return 0;
	}
	int y = (start[0] - '0') * 1000 + (start[1] - '0') * 100 + (start[2] - '0') * 10 + (start[3] - '0');
	int m = (start[5] - '0') * 10 + (start[6] - '0');
	int dd = (start[8] - '0') * 10 + (start[9] - '0');
	if (m < 1 || m > 12 || dd < 1 || dd > days_in_month(y, m)) {
		policy__error(L->d, line, col, "%s is not a date", q);
		advance(L, n);
		return 0;
	}
	advance(L, n);
	return push(L, TK_DATE, 0, start, n, line, col);
}

/* A word, or words joined by dots (an attribute path), or a keyword. */
static int lex_word(struct lexer *L)
{
	int line = L->line, col = L->col;
	const char *start = L->at, *p = L->at;
	int dots = 0;
	for (;;) {
		while (p < L->end && (is_alpha(*p) || is_digit(*p)))
			p++;
		if (p < L->end && *p == '.') {
			if (p + 1 < L->end && is_alpha(p[1])) {
				p++;
				dots++;
				continue;
			}
			char q[64];
			text_quote(start, (size_t)(p + 1 - start), 40, q);
			policy__error(L->d, line, col, "'%s' is incomplete: a name must follow the dot", q);
			advance(L, (size_t)(p + 1 - start));
			return 0;
		}
		break;
	}
	size_t n = (size_t)(p - start);
	advance(L, n);
	if (!dots) {
		for (int k = 0; k < KW_N; k++)
			if (strlen(policy__kw_names[k]) == n && memcmp(policy__kw_names[k], start, n) == 0)
				return push(L, TK_KW, k, start, n, line, col);
	}
	return push(L, dots ? TK_PATH : TK_WORD, 0, start, n, line, col);
}

/* Characters that are not part of the language, with what was meant. */
static void bad_char(struct lexer *L)
{
	const unsigned char *u = (const unsigned char *)L->at;
	size_t left = (size_t)(L->end - L->at);
	const char *why = NULL;
	size_t skip = 1;
	if (u[0] == '!')
		why = "'!' is not an operator: write != to compare, or not to negate";
	else if (u[0] == '&' || u[0] == '|') {
		why = u[0] == '&' ? "write 'and' to join conditions" : "write 'or' to join conditions";
		skip = left >= 2 && u[1] == u[0] ? 2 : 1; /* && is one mistake */
	}
	else if (u[0] == '[' || u[0] == ']' || u[0] == '{' || u[0] == '}')
		why = "lists are written in parentheses: (USA, GBR)";
	else if (u[0] == '\'')
		why = "text is quoted with double quotes: \"high\"";
	else if (u[0] == '/')
		why = "comments start with #";
	else if (u[0] == 0)
		why = "NUL byte in the policy";
	else if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x98 && u[2] <= 0x9d) {
		why = "typographic quote: quote text with plain double quotes (\")";
		skip = 3;
	}
	if (why) {
		policy__error(L->d, L->line, L->col, "%s", why);
	} else if (u[0] >= 0x80) {
		size_t n = utf8_len(u, (const unsigned char *)L->end);
		skip = n ? n : 1;
		policy__error(L->d, L->line, L->col,
		              "unexpected character (byte 0x%02x): outside quotes a policy is plain ASCII", u[0]);
	} else {
		policy__error(L->d, L->line, L->col, "unexpected character '%c'", u[0]);
	}
	advance(L, skip);
}

/* One operator, or 0 if the byte starts none. */
static int lex_op(struct lexer *L)
{
	const char *p = L->at;
	char c = *p, c2 = p + 1 < L->end ? p[1] : '\0';
	int op = -1;
	size_t n = 1;
	switch (c) {
	case '=': op = c2 == '=' ? (n = 2, OP_EQ) : OP_ASSIGN; break;
	case '!': if (c2 == '=') op = OP_NE, n = 2; break;
	case '<': op = c2 == '=' ? (n = 2, OP_LE) : OP_LT; break;
	case '>': op = c2 == '=' ? (n = 2, OP_GE) : OP_GT; break;
	case ',': op = OP_COMMA; break;
	case '(': op = OP_LPAREN; break;
	case ')': op = OP_RPAREN; break;
	default: break;
	}
	if (op < 0)
		return 0;
	int line = L->line, col = L->col;
	advance(L, n);
	return push(L, TK_OP, op, p, n, line, col) ? -1 : 1;
}

static int lex_one(struct lexer *L)
{
	unsigned char c = (unsigned char)*L->at;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
		advance(L, 1);
		return 0;
	}
	if (c == '#') {
		while (L->at < L->end && *L->at != '\n')
			advance(L, 1);
		return 0;
	}
	if (c == '"')
		return lex_string(L);
	if (is_digit(c))
		return lex_number(L);
	if (is_alpha(c))
		return lex_word(L);
	int r = lex_op(L);
	if (r < 0)
		return -1;
	if (r == 0)
		bad_char(L);
	return 0;
}

int policy__lex(const char *text, size_t len, struct policy__tokens *out,
                struct policy__arena *a, struct policy__diag *d)
{
	struct lexer L = { text, text + len, text, 1, 1, out, a, d };
	while (L.at < L.end) {
		if (lex_one(&L))
			return -1;
		if (d->nomem)
			return -1;
		if (d->nerrors > POLICY__MAX_ERRORS)
			break;
	}
	return push(&L, TK_EOF, 0, L.end, 0, L.line, L.col);
}

void policy__tokens_free(struct policy__tokens *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

const char *policy__tok_describe(const struct policy__token *t, char *buf, size_t size)
{
	char q[64];
	switch (t->kind) {
	case TK_EOF:
		snprintf(buf, size, "the end of the file");
		break;
	case TK_STRING:
		snprintf(buf, size, "the text \"%s\"", text_quote(t->str, strlen(t->str), 40, q));
		break;
	case TK_DATE:
		snprintf(buf, size, "the date %s", text_quote(t->p, t->n, 40, q));
		break;
	default:
		snprintf(buf, size, "'%s'", text_quote(t->p, t->n, 40, q));
		break;
	}
	return buf;
}
