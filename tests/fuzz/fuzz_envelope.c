/*
** fuzz_envelope.c: libFuzzer target for STIX ingest.  The input is a POST
** body (a TAXII envelope or a STIX bundle) and goes through what ingest
** does before the store: stix_envelope_each() splits it, stix_validate()
** and stix_refs() judge each element.  The objects that pass then go
** where stored objects go on the way out: their marking set is resolved
** (marking_resolve, with the marking definitions of the same body as the
** store's) and a partial copy is made (redact_object, stripping what their
** granular markings select and hiding a reference).
**
** The store itself is left out: ingest_body() only hands the validated
** objects to store_put(), and a durable SQLite transaction per input would
** cut the rate a thousandfold without reaching more parsing code.
**
** Besides the sanitizers, the target checks what the headers promise and
** abort()s when a promise is broken:
**  - every span handed to the callback lies in the body, has no
**    whitespace at either end, and parses on its own to the value the
**    callback got; the walk counts exactly the elements of "objects";
**  - a body refused as malformed (RELTO_EINVAL, RELTO_ETOOBIG) calls no
**    callback; error messages are printable ASCII;
**  - an object stix_validate() accepts has a canonical marking set that
**    marking_resolve() accepts, and a copy redact_object() can make, which
**    parses as a JSON object without duplicate keys and, unless withheld,
**    has lost every top-level property a selector names and still passes
**    stix_validate() (redact.h: "The copy is still valid STIX 2.1").
** Run: tests/fuzz/run (see tests/fuzz/README.md).
*/
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "marking/marking.h"
#include "release/redact.h"
#include "stix/stix.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_KEPT 64 /* valid objects followed past validation */

struct kept {
	const char *raw;
	size_t len;
	char *canon;
	char *hidden;  /* a JSON list with the object's first optional reference, or NULL */
};

struct walk {
	const char *body;
	size_t len;
	size_t calls;
	json_t *defs;  /* marking definitions of the body, by id */
	struct kept kept[MAX_KEPT];
	size_t nkept;
};

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_envelope: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void check_message(const char *err)
{
	for (const char *p = err; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail("error message is not printable ASCII", err);
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct refs {
	size_t n;
	const char *optional; /* first reference that is not required (borrowed) */
};

static enum relto_err count_ref(void *ctx, const char *id, int required)
{
	struct refs *r = ctx;
	if (!id)
		fail("stix_refs passed a NULL id", NULL);
	r->n++;
	if (!required && !r->optional)
		r->optional = id;
	return RELTO_OK;
}

static void keep(struct walk *w, const char *raw, size_t len, const json_t *value,
                 const struct stix_meta *meta)
{
	struct refs refs = {0};
	if (stix_refs(value, count_ref, &refs) != RELTO_OK)
		fail("stix_refs failed", NULL);
	if (strcmp(meta->type, "marking-definition") == 0) {
		struct marking_facts f;
		marking_read_definition(value, &f);
		json_object_set(w->defs, meta->id, (json_t *)value);
	}
	if (w->nkept == MAX_KEPT)
		return;
	struct kept *k = &w->kept[w->nkept];
	k->raw = raw;
	k->len = len;
	k->canon = strdup(meta->marking_canon);
	k->hidden = NULL;
	if (refs.optional) {
		json_t *list = json_pack("[s]", refs.optional);
		k->hidden = list ? json_dumps(list, JSON_COMPACT) : NULL;
		json_decref(list);
	}
	if (!k->canon)
		fail("out of memory", NULL);
	w->nkept++;
}

static enum relto_err each(void *ctx, size_t index, const char *raw, size_t len, json_t *value)
{
	struct walk *w = ctx;
	if (index != w->calls++)
		fail("callback index out of order", NULL);
	if (!value || !raw || len == 0 || raw < w->body || raw + len > w->body + w->len)
		fail("element span outside the body", NULL);
	if (blank(raw[0]) || blank(raw[len - 1]))
		fail("element span has whitespace at an end", NULL);
	json_error_t je;
	json_t *again = json_loadb(raw, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!again || !json_equal(again, value))
		fail("element span does not parse to the element", again ? NULL : je.text);
	json_decref(again);
	if (!json_is_object(value))
		return RELTO_OK; /* ingest rejects it: "not a JSON object" */

	struct stix_meta meta;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = stix_validate(value, &meta, err);
	if (rc == RELTO_OK) {
		if (!meta.marking_canon)
			fail("stix_validate left marking_canon NULL", meta.id);
		keep(w, raw, len, value, &meta);
		stix_meta_clear(&meta);
	} else if (rc == RELTO_EINVAL) {
		if (!err[0])
			fail("stix_validate refused an object without saying why", NULL);
		check_message(err);
	} else if (rc != RELTO_ENOMEM) {
		fail("stix_validate returned an unexpected code", relto_strerror(rc));
	}
	return RELTO_OK;
}

static const json_t *lookup(void *ctx, const char *id)
{
	return json_object_get(ctx, id);
}

/* Resolve an object's marking set, then make the copy a partner would get
** if every granular marking were hidden from it. */
static void serve(const struct walk *w, const struct kept *k)
{
	struct marking_result m;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = marking_resolve(k->canon, lookup, w->defs, &m, err);
	if (rc == RELTO_ENOMEM)
		return;
	if (rc != RELTO_OK)
		fail("marking_resolve refused a canonical marking set from stix_validate", k->canon);

	size_t nsel = 0;
	for (size_t g = 0; g < m.ngranular; g++)
		nsel += m.granular[g].nselectors;
	const char **sel = malloc((nsel + 1) * sizeof(*sel));
	if (!sel) {
		marking_result_clear(&m);
		return;
	}
	struct redaction red = {.selectors = sel, .hidden_refs = k->hidden};
	for (size_t g = 0; g < m.ngranular; g++)
		for (size_t s = 0; s < m.granular[g].nselectors; s++)
			sel[red.nselectors++] = m.granular[g].selectors[s];
	struct buf out;
	buf_init(&out, 1 << 20);
	int withheld = 0;
	rc = redact_object(k->raw, k->len, &red, &out, &withheld);
	if (rc == RELTO_EINVAL)
		fail("redact_object could not parse an object ingest accepted", NULL);
	if (rc == RELTO_OK && !withheld) {
		json_t *copy = json_loadb(out.data ? out.data : "", out.len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(copy))
			fail("partial copy is not a JSON object", out.data);
		struct stix_meta again;
		char why[RELTO_ERRBUF_SIZE] = "";
		rc = stix_validate(copy, &again, why);
		if (rc != RELTO_OK && rc != RELTO_ENOMEM) {
			fprintf(stderr, "object: %.*s\ncopy:   %s\n", (int)k->len, k->raw, out.data);
			fail("partial copy is not valid STIX (redact.h says it stays valid)", why);
		}
		stix_meta_clear(&again);
		for (size_t i = 0; i < red.nselectors; i++)
			if (!strchr(sel[i], '.') && json_object_get(copy, sel[i]))
				fail("a property a granular marking selects survived redaction", sel[i]);
		json_decref(copy);
	}
	buf_free(&out);
	free(sel);
	marking_result_clear(&m);
}

/* The independent count: the length of the top-level "objects" list. */
static size_t objects_in(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		fail("a body the walk accepted does not parse", NULL);
	size_t n = json_array_size(json_object_get(root, "objects"));
	json_decref(root);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct walk w = {.body = (const char *)data, .len = size, .defs = json_object()};
	if (!w.defs)
		return 0;
	size_t count = 0;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = stix_envelope_each(w.body, size, each, &w, &count, err);
	switch (rc) {
	case RELTO_OK:
		if (count != w.calls || count != objects_in(w.body, size))
			fail("object count differs from the body's \"objects\"", NULL);
		break;
	case RELTO_EINVAL:
	case RELTO_ETOOBIG:
		if (w.calls || count)
			fail("a refused body reached the callback", err);
		if (!err[0])
			fail("body refused without saying why", NULL);
		check_message(err);
		break;
	case RELTO_ENOMEM:
	case RELTO_EINTERNAL:
		break;
	default:
		fail("stix_envelope_each returned an unexpected code", relto_strerror(rc));
	}
	for (size_t i = 0; i < w.nkept; i++) {
		serve(&w, &w.kept[i]);
		free(w.kept[i].canon);
		free(w.kept[i].hidden);
	}
	json_decref(w.defs);
	return 0;
}
