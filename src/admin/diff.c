/*
** diff.c: differences between two posture documents (matched by id and
** name, one line per fact) and between two policy texts (a line diff from
** a longest common subsequence).  See diff.h for the wording.
**
** Lines are collected in a buffer of our own and appended to the caller's
** at the end, so a failure half way leaves the caller's buffer as it was.
*/
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"
#include "../jsonh/jsonh.h" /* jsonh_kind() for "not a list" */

#define PREFIX_CAP ((size_t)1 << 20) /* a line's prefix: ids and names */

/* The diff being written; rc keeps the first failure and later writes
** do nothing, so the walkers need not check after every line. */
struct dx {
	struct buf *b;
	enum relto_err rc;
};

static void put(struct dx *d, const char *s)
{
	if (!d->rc)
		d->rc = buf_puts(d->b, s);
}

/* Text from a document: a control character would break the one line
** per fact, so it shows as a space. */
static void put_clean(struct buf *b, enum relto_err *rc, const char *s)
{
	while (!*rc && *s) {
		size_t n = 0;
		while (s[n] && !((unsigned char)s[n] < 0x20 || s[n] == 0x7f))
			n++;
		*rc = buf_append(b, s, n);
		s += n;
		if (*s && !*rc) {
			*rc = buf_putc(b, ' ');
			s++;
		}
	}
}

static void clean(struct dx *d, const char *s)
{
	put_clean(d->b, &d->rc, s);
}

/* A value for people: strings as they are, lists as "a, b" ("(empty)"),
** absent as absent, anything else as compact JSON. */
static void value(struct dx *d, const json_t *v, const char *absent)
{
	size_t i;
	const json_t *e;
	if (!v) {
		put(d, absent);
	} else if (json_is_string(v)) {
		clean(d, json_string_value(v));
	} else if (json_is_array(v) && json_array_size(v) == 0) {
		put(d, "(empty)");
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if (i)
				put(d, ", ");
			value(d, e, absent);
		}
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
		if (!s && !d->rc)
			d->rc = RELTO_ENOMEM;
		if (s)
			clean(d, s);
		free(s);
	}
}

/* prefix + mid + id (cleaned) + tail, malloc'd; NULL (and d->rc set) on
** failure. */
static char *pfx(struct dx *d, const char *prefix, const char *mid, const char *id,
                 const char *tail)
{
	struct buf p;
	enum relto_err rc;
	buf_init(&p, PREFIX_CAP);
	rc = buf_puts(&p, prefix);
	if (!rc)
		rc = buf_puts(&p, mid);
	put_clean(&p, &rc, id);
	if (!rc)
		rc = buf_puts(&p, tail);
	if (rc) {
		buf_free(&p);
		if (!d->rc)
			d->rc = rc;
		return NULL;
	}
	return buf_steal(&p);
}

/* ---- fields ------------------------------------------------------------- */

static int skipped(const char *key, const char *const *skip)
{
	for (; *skip; skip++)
		if (strcmp(*skip, key) == 0)
			return 1;
	return 0;
}

/* "PREFIXlabel old -> new"; the format's removal_deadline is "deadline",
** and no deadline is "none". */
static void field_line(struct dx *d, const char *prefix, const char *key, const json_t *a,
                       const json_t *b)
{
	int deadline = strcmp(key, "removal_deadline") == 0;
	const char *absent = deadline ? "none" : "(absent)";
	put(d, prefix);
	if (deadline)
		put(d, "deadline");
	else
		clean(d, key);
	put(d, " ");
	value(d, a, absent);
	put(d, " -> ");
	value(d, b, absent);
	put(d, "\n");
}

/* Every field of objects a and b but those in skip: b's order, then
** those only in a. */
static void fields(struct dx *d, const char *prefix, const json_t *a, const json_t *b,
                   const char *const *skip)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)b, k, v) {
		const json_t *old = json_object_get(a, k);
		if (!skipped(k, skip) && !(old && json_equal(old, v)))
			field_line(d, prefix, k, old, v);
	}
	json_object_foreach((json_t *)a, k, v)
		if (!skipped(k, skip) && !json_object_get(b, k))
			field_line(d, prefix, k, v, NULL);
}

/* ---- lists of things with ids ------------------------------------------- */

/* Called for each id: a or b is NULL when the thing is only on one side. */
typedef void (*pair_fn)(struct dx *d, const char *prefix, const char *ctx, const char *id,
                        const json_t *a, const json_t *b);

static const char *id_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static json_t *find(const json_t *list, const char *key, const char *id)
{
	size_t i;
	json_t *o;
	json_array_foreach(list, i, o)
		if (strcmp(id_of(o, key), id) == 0)
			return o;
	return NULL;
}

/* A list of objects, each with a unique string key; absent counts as an
** empty list. */
static int keyed(const json_t *list, const char *key)
{
	size_t i, j;
	if (!list)
		return 1;
	if (!json_is_array(list))
		return 0;
	for (i = 0; i < json_array_size(list); i++) {
		const char *id = id_of(json_array_get(list, i), key);
		if (!id)
			return 0;
		for (j = 0; j < i; j++)
			if (strcmp(id_of(json_array_get(list, j), key), id) == 0)
				return 0;
	}
	return 1;
}

/* Things in b's order (new or changed), then those only in a; a list not
** shaped as the format says is compared whole: "PREFIXwhole: changed". */
static void keyed_diff(struct dx *d, const char *prefix, const char *whole, const char *ctx,
                       const json_t *la, const json_t *lb, const char *key, pair_fn fn)
{
	size_t i;
	const json_t *o;
	if (!keyed(la, key) || !keyed(lb, key)) {
		if (!(la && lb && json_equal(la, lb))) {
			put(d, prefix);
			clean(d, whole);
			put(d, ": changed\n");
		}
		return;
	}
	json_array_foreach(lb, i, o) {
		const json_t *old = find(la, key, id_of(o, key));
		if (!(old && json_equal(old, o)))
			fn(d, prefix, ctx, id_of(o, key), old, o);
	}
	json_array_foreach(la, i, o)
		if (!find(lb, key, id_of(o, key)))
			fn(d, prefix, ctx, id_of(o, key), o, NULL);
}

/* ---- the posture's parts ------------------------------------------------- */

static void equipment(struct dx *d, const char *prefix, const char *seg, const char *id,
                      const json_t *a, const json_t *b)
{
	static const char *const skip[] = { "vendor", NULL };
	char *p = pfx(d, prefix, "", seg, ": ");
	char *pv = p ? pfx(d, p, "", id, "") : NULL;
	if (pv && !a) {
		const json_t *deadline = json_object_get(b, "removal_deadline");
		put(d, pv);
		put(d, " added");
		if (deadline) {
			put(d, " (deadline ");
			value(d, deadline, "");
			put(d, ")");
		}
		put(d, "\n");
	} else if (pv && !b) {
		put(d, pv);
		put(d, " removed\n");
	} else if (pv) {
		char *pf = pfx(d, pv, "", "", " ");
		if (pf)
			fields(d, pf, a, b, skip);
		free(pf);
	}
	free(pv);
	free(p);
}

/* Segments by name: b's order, then those only in a. */
static void segments(struct dx *d, const char *prefix, const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	if ((a && !json_is_object(a)) || (b && !json_is_object(b))) {
		if (!(a && b && json_equal(a, b))) {
			put(d, prefix);
			put(d, "segments: changed\n");
		}
		return;
	}
	json_object_foreach((json_t *)b, k, v)
		keyed_diff(d, prefix, k, k, json_object_get(a, k), v, "vendor", equipment);
	json_object_foreach((json_t *)a, k, v)
		if (!json_object_get(b, k))
			keyed_diff(d, prefix, k, k, v, NULL, "vendor", equipment);
}

/* "PREFIX added" or "PREFIX removed" when one side lacks the entry:
** 1 then, 0 when both have it (the caller compares them). */
static int added_or_removed(struct dx *d, const char *p, const json_t *a, const json_t *b)
{
	if (a && b)
		return 0;
	put(d, p);
	put(d, a ? "removed\n" : "added\n");
	return 1;
}

static void operator(struct dx *d, const char *prefix, const char *ctx, const char *id,
                     const json_t *a, const json_t *b)
{
	static const char *const skip[] = { "name", "segments", NULL };
	char *p = pfx(d, prefix, "operator ", id, ": ");
	if (p && !added_or_removed(d, p, a, b)) {
		fields(d, p, a, b, skip);
		segments(d, p, json_object_get(a, "segments"), json_object_get(b, "segments"));
	}
	free(p);
}

static void partner(struct dx *d, const char *prefix, const char *ctx, const char *id,
                    const json_t *a, const json_t *b)
{
	static const char *const skip[] = { "id", "operators", NULL };
	char *p = pfx(d, prefix, "partner ", id, ": ");
	if (p && !added_or_removed(d, p, a, b)) {
		fields(d, p, a, b, skip);
		keyed_diff(d, p, "operators", NULL, json_object_get(a, "operators"),
		           json_object_get(b, "operators"), "name", operator);
	}
	free(p);
}

static void vendor(struct dx *d, const char *prefix, const char *ctx, const char *id,
                   const json_t *a, const json_t *b)
{
	static const char *const skip[] = { "id", NULL };
	char *p = pfx(d, prefix, "vendor ", id, ": ");
	if (p && !a) {
		put(d, p);
		put(d, "added (");
		value(d, json_object_get(b, "name"), "?");
		put(d, ", ");
		value(d, json_object_get(b, "country"), "?");
		put(d, ", risk ");
		value(d, json_object_get(b, "risk"), "?");
		put(d, ")\n");
	} else if (p && !b) {
		put(d, p);
		put(d, "removed\n");
	} else if (p) {
		fields(d, p, a, b, skip);
	}
	free(p);
}

/* "levels: A < B -> A < B < C"; levels that are not a list of strings are
** shown as any other value. */
static void levels_value(struct dx *d, const json_t *l)
{
	size_t i;
	const json_t *e;
	int strings = json_is_array(l) && json_array_size(l) > 0;
	json_array_foreach(l, i, e)
		strings = strings && json_is_string(e);
	if (!strings) {
		value(d, l, "(absent)");
		return;
	}
	json_array_foreach(l, i, e) {
		if (i)
			put(d, " < ");
		clean(d, json_string_value(e));
	}
}

static void top_level(struct dx *d, const json_t *a, const json_t *b)
{
	static const char *const parts[] = { "levels", "vendors", "partners", NULL };
	const json_t *la = json_object_get(a, "levels"), *lb = json_object_get(b, "levels");
	const char *k;
	json_t *v;
	if ((la || lb) && !(la && lb && json_equal(la, lb))) {
		put(d, "levels: ");
		levels_value(d, la);
		put(d, " -> ");
		levels_value(d, lb);
		put(d, "\n");
	}
	keyed_diff(d, "", "vendors", NULL, json_object_get(a, "vendors"), json_object_get(b, "vendors"),
	           "id", vendor);
	keyed_diff(d, "", "partners", NULL, json_object_get(a, "partners"),
	           json_object_get(b, "partners"), "id", partner);
	json_object_foreach((json_t *)b, k, v) {
		const json_t *old = json_object_get(a, k);
		if (skipped(k, parts) || (old && json_equal(old, v)))
			continue;
		clean(d, k);
		put(d, old ? ": changed\n" : ": added\n");
	}
	json_object_foreach((json_t *)a, k, v)
		if (!skipped(k, parts) && !json_object_get(b, k)) {
			clean(d, k);
			put(d, ": removed\n");
		}
}

static enum relto_err parse(const char *name, const char *s, size_t len, json_t **out, char *err)
{
	json_error_t je;
	json_t *v = json_loadb(s ? s : "", s ? len : 0, JSON_REJECT_DUPLICATES, &je);
	if (!v && json_error_code(&je) == json_error_out_of_memory)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!v)
		return relto_seterr(err, RELTO_EINVAL, "%s:%d:%d: %s", name, je.line, je.column, je.text);
	if (!json_is_object(v)) {
		enum relto_err rc = relto_seterr(err, RELTO_EINVAL, "%s: must be a JSON object, not %s",
		                                 name, jsonh_kind(v));
		json_decref(v);
		return rc;
	}
	*out = v;
	return RELTO_OK;
}

enum relto_err admin_posture_diff(const char *a, size_t alen, const char *b, size_t blen,
                                  struct buf *out, char *err)
{
	json_t *ja = NULL, *jb = NULL;
	struct buf lines;
	struct dx d = { &lines, RELTO_OK };
	enum relto_err rc = parse("from", a, alen, &ja, err);
	if (!rc)
		rc = parse("to", b, blen, &jb, err);
	if (rc) {
		json_decref(ja);
		return rc;
	}
	buf_init(&lines, out->cap);
	top_level(&d, ja, jb);
	rc = d.rc;
	if (!rc && lines.len)
		rc = buf_append(out, lines.data, lines.len);
	if (rc)
		relto_seterr(err, rc, rc == RELTO_ETOOBIG ? "the difference is too long" : "out of memory");
	buf_free(&lines);
	json_decref(ja);
	json_decref(jb);
	return rc;
}

/* ---- text ---------------------------------------------------------------- */

/* One side of a text diff: where each line starts, its length without the
** "\n", and a hash so that most unequal lines differ at one compare. */
struct side {
	const char *text;
	size_t *start, *len;
	uint32_t *hash;
	char *kept; /* in the common subsequence */
	size_t n;
};

struct tx {
	struct side a, b;
	uint32_t *fwd, *bwd; /* one row of LCS lengths each, b.n + 1 long */
};

static void side_free(struct side *s)
{
	free(s->start);
	free(s->len);
	free(s->hash);
	free(s->kept);
}

static enum relto_err split(const char *t, size_t len, struct side *s)
{
	size_t n = 0, i, at = 0;
	for (i = 0; i < len; i++)
		n += t[i] == '\n';
	n += len > 0 && t[len - 1] != '\n';
	if (n > ADMIN_TEXT_DIFF_MAX_LINES)
		return RELTO_ETOOBIG;
	s->text = t;
	s->n = n;
	s->start = malloc((n + 1) * sizeof(*s->start));
	s->len = malloc((n + 1) * sizeof(*s->len));
	s->hash = malloc((n + 1) * sizeof(*s->hash));
	s->kept = calloc(n + 1, 1);
	if (!s->start || !s->len || !s->hash || !s->kept)
		return RELTO_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *nl = memchr(t + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - t) : len;
		uint32_t h = 2166136261u; /* FNV-1a */
		for (size_t k = at; k < end; k++)
			h = (h ^ (unsigned char)t[k]) * 16777619u;
		s->start[i] = at;
		s->len[i] = end - at;
		s->hash[i] = h;
		at = end + 1;
	}
	return RELTO_OK;
}

static int same(const struct tx *t, size_t i, size_t j)
{
	return t->a.hash[i] == t->b.hash[j] && t->a.len[i] == t->b.len[j] &&
	       memcmp(t->a.text + t->a.start[i], t->b.text + t->b.start[j], t->a.len[i]) == 0;
}

/* row[k] = LCS length of a[alo..ahi) and b[blo..blo+k) (forward), or of
** a[alo..ahi) and b[bhi-k..bhi) (backward), for k = 0..bhi-blo. */
static void lcs_row(const struct tx *t, size_t alo, size_t ahi, size_t blo, size_t bhi,
                    int backward, uint32_t *row)
{
	size_t m = bhi - blo;
	memset(row, 0, (m + 1) * sizeof(*row));
	for (size_t n = 0; n < ahi - alo; n++) {
		size_t i = backward ? ahi - 1 - n : alo + n;
		uint32_t diag = 0;
		for (size_t k = 1; k <= m; k++) {
			size_t j = backward ? bhi - k : blo + k - 1;
			uint32_t up = row[k];
			row[k] = same(t, i, j) ? diag + 1 : (up > row[k - 1] ? up : row[k - 1]);
			diag = up;
		}
	}
}

/* Hirschberg's algorithm: a longest common subsequence in linear memory,
** marking the lines it keeps.  Recursion depth is log2 of a's lines. */
static void lcs(struct tx *t, size_t alo, size_t ahi, size_t blo, size_t bhi)
{
	while (alo < ahi && blo < bhi && same(t, alo, blo))
		t->a.kept[alo++] = t->b.kept[blo++] = 1;
	while (alo < ahi && blo < bhi && same(t, ahi - 1, bhi - 1))
		t->a.kept[--ahi] = t->b.kept[--bhi] = 1;
	if (alo == ahi || blo == bhi)
		return;
	if (ahi - alo == 1) {
		for (size_t j = blo; j < bhi; j++)
			if (same(t, alo, j)) {
				t->a.kept[alo] = t->b.kept[j] = 1;
				return;
			}
		return;
	}
	size_t amid = alo + (ahi - alo) / 2, m = bhi - blo, best = 0;
	uint32_t most = 0;
	lcs_row(t, alo, amid, blo, bhi, 0, t->fwd);
	lcs_row(t, amid, ahi, blo, bhi, 1, t->bwd);
	for (size_t k = 0; k <= m; k++)
		if (t->fwd[k] + t->bwd[m - k] > most) {
			most = t->fwd[k] + t->bwd[m - k];
			best = k;
		}
	lcs(t, alo, amid, blo, blo + best);
	lcs(t, amid, ahi, blo + best, bhi);
}

/* "-N: text" or "+N: text"; a "\r" ending the line is not shown. */
static enum relto_err text_line(struct buf *b, char sign, const struct side *s, size_t i)
{
	size_t n = s->len[i];
	if (n && s->text[s->start[i] + n - 1] == '\r')
		n--;
	enum relto_err rc = buf_printf(b, "%c%zu: ", sign, i + 1);
	if (!rc)
		rc = buf_append(b, s->text + s->start[i], n);
	if (!rc)
		rc = buf_putc(b, '\n');
	return rc;
}

enum relto_err admin_text_diff(const char *a, size_t alen, const char *b, size_t blen,
                               struct buf *out)
{
	struct tx t;
	struct buf lines;
	size_t i = 0, j = 0;
	memset(&t, 0, sizeof(t));
	buf_init(&lines, out->cap);
	enum relto_err rc = split(a ? a : "", a ? alen : 0, &t.a);
	if (!rc)
		rc = split(b ? b : "", b ? blen : 0, &t.b);
	if (!rc) {
		t.fwd = malloc((t.b.n + 1) * sizeof(*t.fwd));
		t.bwd = malloc((t.b.n + 1) * sizeof(*t.bwd));
		rc = t.fwd && t.bwd ? RELTO_OK : RELTO_ENOMEM;
	}
	if (!rc)
		lcs(&t, 0, t.a.n, 0, t.b.n);
	while (!rc && (i < t.a.n || j < t.b.n)) {
		if (i < t.a.n && !t.a.kept[i])
			rc = text_line(&lines, '-', &t.a, i++);
		else if (j < t.b.n && !t.b.kept[j])
			rc = text_line(&lines, '+', &t.b, j++);
		else {
			i++;
			j++;
		}
	}
	if (!rc && lines.len)
		rc = buf_append(out, lines.data, lines.len);
	buf_free(&lines);
	side_free(&t.a);
	side_free(&t.b);
	free(t.fwd);
	free(t.bwd);
	return rc;
}
