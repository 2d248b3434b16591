/*
** envelope.c: split a TAXII 2.1 envelope or a STIX 2.1 bundle into its
** objects, handing each one over as the exact bytes that arrived plus its
** parsed value (DESIGN.md decision 1: objects are stored as sent).
**
** Jansson does all the JSON parsing, in two passes:
**  1. a scan for NUL bytes (see check_nul), then one json_loadb() of the
**     whole body with JSON_REJECT_DUPLICATES checks
**     everything (syntax, UTF-8, duplicate keys at every depth, bytes after
**     the value) and gives line:column on error.  The tree is only used to
**     look at "objects" and is freed before the walk, so memory stays at one
**     tree, not one tree plus everything the callbacks keep.
**  2. a walk of the top-level object that parses one value at a time with
**     JSON_DISABLE_EOF_CHECK; Jansson then stops right after the value and
**     error.position says how many bytes it used, which gives the element's
**     exact span.  Only whitespace and the punctuation between values ({ : ,
**     [ ]) is read by hand, and only in text pass 1 has already accepted.
** Every byte is parsed at most twice and the walk stops at the end of
** "objects", so the cost is linear in the body (an element's json_loadb is
** given the rest of the body but reads only the element).
*/
#include <limits.h>
#include <string.h>
#include "stix.h"
#include "../jsonh/jsonh.h"

/* Pass 2 reads one value and stops; duplicates are rejected again so the
** element a callback sees is exactly what pass 1 checked. */
#define ONE_VALUE (JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

struct walk {
	const char *body;
	size_t len;
	size_t off;      /* next byte to read */
	char *err;
};

/* Jansson quotes the input near an error ("near '...'"), which may hold
** bytes that are not valid UTF-8 or are control characters; the message may
** end up in a JSON error body, so keep printable ASCII only. */
static const char *clean(char *text)
{
	for (char *p = text; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	return text;
}

/* Jansson leaves the error text empty only when it could not allocate its
** lexer, so an empty text is out of memory too. */
static int out_of_memory(const json_error_t *e)
{
	return e->text[0] == '\0' || json_error_code(e) == json_error_out_of_memory;
}

static enum relto_err parse_error(json_error_t *e, char *err)
{
	if (out_of_memory(e))
		return relto_seterr(err, RELTO_ENOMEM, "out of memory parsing the body");
	switch (json_error_code(e)) {
	case json_error_stack_overflow:
		return relto_seterr(err, RELTO_ETOOBIG, "line %d, column %d: nested deeper than %d",
		                    e->line, e->column, JSON_PARSER_MAX_DEPTH);
	default:
		return relto_seterr(err, RELTO_EINVAL, "line %d, column %d (byte %d): %s", e->line,
		                    e->column, e->position, clean(e->text));
	}
}

/* A NUL byte is never valid JSON text (not whitespace, and raw control
** characters are not allowed in strings), but Jansson 2.14 silently drops
** one that follows a number or a literal ("[5\0]" parses as [5]).  A body
** like that would be stored with the NUL inside an object's bytes, which
** other parsers reject or cut short, so refuse it before Jansson sees it. */
static enum relto_err check_nul(const char *body, size_t len, char *err)
{
	const char *nul = memchr(body, '\0', len);
	if (!nul)
		return RELTO_OK;
	size_t line = 1, col = 1;
	for (const char *p = body; p < nul; p++) {
		col++;
		if (*p == '\n') {
			line++;
			col = 1;
		}
	}
	return relto_seterr(err, RELTO_EINVAL, "line %zu, column %zu (byte %zu): NUL byte in the body",
	                    line, col, (size_t)(nul - body));
}

/* Pass 1.  RELTO_OK with *n_objects = the length of "objects" and
** *has_objects set when it is there. */
static enum relto_err check_body(const char *body, size_t len, int *has_objects,
                                 size_t *n_objects, char *err)
{
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r'))
		i++;
	if (i == len)
		return relto_seterr(err, RELTO_EINVAL, "empty body: expected a JSON object");
	enum relto_err rc = check_nul(body, len, err);
	if (rc)
		return rc;

	json_error_t e;
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	if (!root)
		return parse_error(&e, err);
	if (!json_is_object(root)) {
		rc = relto_seterr(err, RELTO_EINVAL, "body must be a JSON object, not %s",
		                  jsonh_kind(root));
		goto out;
	}
	json_t *objects = json_object_get(root, "objects");
	*has_objects = objects != NULL;
	*n_objects = 0;
	if (objects && !json_is_array(objects)) {
		rc = relto_seterr(err, RELTO_EINVAL, "\"objects\" must be a list, not %s",
		                  jsonh_kind(objects));
		goto out;
	}
	if (objects)
		*n_objects = json_array_size(objects);
out:
	json_decref(root);
	return rc;
}

/* Pass 2 met something pass 1 accepted and it cannot read: out of memory
** (which Jansson sometimes reports as a syntax error) or a Jansson
** inconsistency, never the client's fault. */
static enum relto_err walk_failed(struct walk *w, json_error_t *e)
{
	if (e && out_of_memory(e))
		return relto_seterr(w->err, RELTO_ENOMEM, "out of memory parsing the body");
	return relto_seterr(w->err, RELTO_EINTERNAL,
	                    "envelope walk failed at byte %zu of a body that parsed whole "
	                    "(out of memory?)", w->off);
}

/* The next byte after whitespace, or 0 at the end of the body (a NUL byte
** outside a string would not have passed pass 1). */
static char peek(struct walk *w)
{
	while (w->off < w->len) {
		char c = w->body[w->off];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return c;
		w->off++;
	}
	return '\0';
}

/* Parse the value that starts at the next non-blank byte.  Returns it (new
** reference) with *start at its first byte and w->off just past its last;
** NULL on failure, with *e filled. */
static json_t *next_value(struct walk *w, size_t *start, json_error_t *e)
{
	peek(w);
	*start = w->off;
	json_t *v = json_loadb(w->body + w->off, w->len - w->off, ONE_VALUE, e);
	if (v)
		w->off += (size_t)e->position;
	return v;
}

/* Walk the elements of the list at w->off, calling each() on every one;
** *walked counts the calls that returned RELTO_OK. */
static enum relto_err walk_objects(struct walk *w, stix_each_fn each, void *ctx,
                                   size_t *walked)
{
	if (peek(w) != '[')
		return walk_failed(w, NULL);
	w->off++;
	if (peek(w) == ']')
		return RELTO_OK;
	for (size_t i = 0;; i++) {
		json_error_t e;
		size_t start;
		json_t *v = next_value(w, &start, &e);
		if (!v)
			return walk_failed(w, &e);
		enum relto_err rc = each ? each(ctx, i, w->body + start, w->off - start, v)
		                         : RELTO_OK;
		json_decref(v);
		if (rc)
			return rc;
		(*walked)++;
		char c = peek(w);
		if (c == ']')
			return RELTO_OK;
		if (c != ',')
			return walk_failed(w, NULL);
		w->off++;
	}
}

/* Walk the members of the top-level object up to "objects" (pass 1 said it
** is there) and hand its list to walk_objects(). */
static enum relto_err walk_top(struct walk *w, stix_each_fn each, void *ctx, size_t *walked)
{
	if (peek(w) != '{')
		return walk_failed(w, NULL);
	w->off++;
	for (;;) {
		json_error_t e;
		size_t start;
		json_t *key = next_value(w, &start, &e);
		if (!key || !json_is_string(key)) {
			json_decref(key);
			return walk_failed(w, key ? NULL : &e);
		}
		/* Compare the decoded key: "obj\u0065cts" is "objects" to Jansson
		** in pass 1, so it must be here too. */
		int is_objects = json_string_length(key) == 7 &&
		                 memcmp(json_string_value(key), "objects", 7) == 0;
		json_decref(key);
		if (peek(w) != ':')
			return walk_failed(w, NULL);
		w->off++;
		if (is_objects)
			return walk_objects(w, each, ctx, walked);
		json_t *skipped = next_value(w, &start, &e);
		if (!skipped)
			return walk_failed(w, &e);
		json_decref(skipped);
		if (peek(w) != ',')
			return walk_failed(w, NULL);
		w->off++;
	}
}

enum relto_err stix_envelope_each(const char *body, size_t len, stix_each_fn each,
                                  void *ctx, size_t *count, char *err)
{
	size_t walked = 0;
	if (count)
		*count = 0;
	/* Jansson reports positions as int. */
	if (len > INT_MAX)
		return relto_seterr(err, RELTO_ETOOBIG, "body of %zu bytes is too large", len);

	int has_objects = 0;
	size_t n_objects = 0;
	enum relto_err rc = check_body(body, len, &has_objects, &n_objects, err);
	if (rc || !has_objects)
		return rc;

	struct walk w = { body, len, 0, err };
	rc = walk_top(&w, each, ctx, &walked);
	if (count)
		*count = walked;
	if (rc == RELTO_OK && walked != n_objects)
		rc = relto_seterr(err, RELTO_EINTERNAL,
		                  "envelope walk found %zu objects where the parser found %zu",
		                  walked, n_objects);
	return rc;
}
