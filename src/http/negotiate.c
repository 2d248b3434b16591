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
** parameters.  *version: -1 no version parameter, 1 version=2.1, 0 any
** other.  *q: the q value (1 when absent).  *charset_ok: no charset or
** utf-8.  *other_param: any other parameter. */
static void parse_media(const char *s, const char *e, const char **ts, const char **te,
                        int *version, double *q, int *charset_ok, int *other_param)
{
	const char *semi = memchr(s, ';', (size_t)(e - s));
	*ts = s;
	*te = semi ? semi : e;
	trim(ts, te);
	*version = -1;
	*q = 1.0;
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
			*version = eq(vs, ve, "2.1");
		else if (eq(ks, ke, "q"))
			*q = isdigit((unsigned char)*vs) ? strtod(vs, NULL) : 0.0;
		else if (eq(ks, ke, "charset"))
			*charset_ok = eq(vs, ve, "utf-8");
		else
			*other_param = 1;
	}
}

/* How specifically a media range names `type` (TAXII 2.1 JSON, or the
** admin API's plain JSON): 4 with version=2.1 (TAXII) or exactly, 3
** without a version, 2 for "application" with any subtype, 1 for any
** type, 0 not at all (another type, or another TAXII version). */
static int specificity(const char *ts, const char *te, int version, const char *type)
{
	if (eq(ts, te, type) && strcmp(type, "application/json") == 0)
		return 4;
	if (eq(ts, te, type))
		return version == 1 ? 4 : version == -1 ? 3 : 0;
	if (eq(ts, te, "application/*"))
		return 2;
	if (eq(ts, te, "*/*"))
		return 1;
	return 0;
}

static int accepts(const char *accept, const char *type)
{
	if (!accept)
		return 1;
	/* RFC 9110 12.5.1: the most specific range that matches decides, so
	** a TAXII range with q=0 refuses TAXII even beside a wildcard. */
	const char *s = accept;
	int any_text = 0, best = 0;
	double best_q = 0.0;
	for (;;) {
		const char *comma = strchr(s, ',');
		const char *e = comma ? comma : s + strlen(s);
		const char *ts, *te;
		int version, charset_ok, other;
		double q;
		parse_media(s, e, &ts, &te, &version, &q, &charset_ok, &other);
		any_text |= te > ts;
		int level = specificity(ts, te, version, type);
		if (level > best || (level == best && level && q > best_q)) {
			best = level;
			best_q = q;
		}
		if (!comma)
			break;
		s = comma + 1;
	}
	if (!any_text)
		return 1; /* an empty Accept header is as good as none */
	return best > 0 && best_q > 0.0;
}

int http_accept_ok(const char *accept)
{
	return accepts(accept, "application/taxii+json");
}

int http_accept_json(const char *accept)
{
	return accepts(accept, "application/json");
}

int http_content_type_json(const char *content_type)
{
	if (!content_type)
		return 0;
	const char *ts, *te;
	int version, charset_ok, other;
	double q;
	parse_media(content_type, content_type + strlen(content_type), &ts, &te, &version, &q, &charset_ok, &other);
	return eq(ts, te, "application/json") && charset_ok && !other && version == -1;
}

int http_content_type_ok(const char *content_type)
{
	if (!content_type)
		return 0;
	const char *ts, *te;
	int version, charset_ok, other;
	double q;
	parse_media(content_type, content_type + strlen(content_type), &ts, &te, &version, &q,
	            &charset_ok, &other);
	return eq(ts, te, "application/taxii+json") && version != 0 && charset_ok && !other;
}
