/*
** negotiate.c: content negotiation for TAXII 2.1 (section 1.6.8, 3.1):
** which Accept headers relto can satisfy and which Content-Types it takes.
** Media types are compared case-insensitively; parameters may have spaces
** around ';' and '=' and quoted values.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "http.h"

/* Trim [s, e) of spaces and tabs. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

static int eq(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(e - s) == n && strncasecmp(s, word, n) == 0;
}

/* Look at one media type or range [s, e): its type and its version and q
** parameters.  *version_ok: no version parameter, or version=2.1.
** *q_zero: q=0 (explicitly refused).  *charset_ok: no charset or utf-8. */
static void parse_media(const char *s, const char *e, const char **ts, const char **te,
                        int *version_ok, int *q_zero, int *charset_ok, int *other_param)
{
	const char *semi = memchr(s, ';', (size_t)(e - s));
	*ts = s;
	*te = semi ? semi : e;
	trim(ts, te);
	*version_ok = 1;
	*q_zero = 0;
	*charset_ok = 1;
	*other_param = 0;
	while (semi) {
		const char *ps = semi + 1;
		semi = memchr(ps, ';', (size_t)(e - ps));
		const char *pe = semi ? semi : e;
		const char *eqs = memchr(ps, '=', (size_t)(pe - ps));
		if (!eqs) {
			*other_param = 1;
			continue;
		}
		const char *ks = ps, *ke = eqs, *vs = eqs + 1, *ve = pe;
		trim(&ks, &ke);
		trim(&vs, &ve);
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if (eq(ks, ke, "version"))
			*version_ok = eq(vs, ve, "2.1");
		else if (eq(ks, ke, "q"))
			*q_zero = strtod(vs, NULL) <= 0.0 && isdigit((unsigned char)*vs);
		else if (eq(ks, ke, "charset"))
			*charset_ok = eq(vs, ve, "utf-8");
		else
			*other_param = 1;
	}
}

int http_accept_ok(const char *accept)
{
	if (!accept)
		return 1;
	const char *s = accept;
	int any_text = 0;
	for (;;) {
		const char *comma = strchr(s, ',');
		const char *e = comma ? comma : s + strlen(s);
		const char *ts, *te;
		int version_ok, q_zero, charset_ok, other;
		parse_media(s, e, &ts, &te, &version_ok, &q_zero, &charset_ok, &other);
		any_text |= te > ts;
		if (!q_zero && (eq(ts, te, "*/*") || eq(ts, te, "application/*") ||
		                (eq(ts, te, "application/taxii+json") && version_ok)))
			return 1;
		if (!comma)
			break;
		s = comma + 1;
	}
	return !any_text; /* an empty Accept header is as good as none */
}

int http_content_type_ok(const char *content_type)
{
	if (!content_type)
		return 0;
	const char *ts, *te;
	int version_ok, q_zero, charset_ok, other;
	parse_media(content_type, content_type + strlen(content_type), &ts, &te, &version_ok, &q_zero,
	            &charset_ok, &other);
	return eq(ts, te, "application/taxii+json") && version_ok && charset_ok && !other;
}
