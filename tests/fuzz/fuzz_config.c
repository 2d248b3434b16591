/*
** fuzz_config.c: libFuzzer target for the configuration file
** (config/config.h): the input is a YAML file, read with
** config_load_text() (libyaml, then relto's checks of every key).
**
** Checks besides the sanitizers (abort() on failure): a refused file
** says where ("c.yaml:LINE: message"); a loaded one is consistent: every
** partner, API root and collection is found again by its id (and alias),
** the access tables have one entry per partner, and the page sizes are
** in order.  Reading every field lets AddressSanitizer see a string or
** table that is too short.
** Run: tests/fuzz/run (see tests/fuzz/README.md).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* strlen() of every string reaches its NUL, or ASan says why not. */
static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void check_collection(const struct relto_config *c, const struct api_root *r,
                             const struct collection *col)
{
	touch(col->title);
	touch(col->description);
	touch(col->default_level);
	if (!col->id || !config_is_uuid(col->id))
		fail("a collection id is not a UUID", col->id);
	if (config_find_collection(r, col->id) != col)
		fail("a collection is not found by its id", col->id);
	if (col->alias && !config_find_collection(r, col->alias))
		fail("a collection is not found by its alias", col->alias);
	const struct api_root *where = NULL;
	if (!config_find_collection_any(c, col->id, &where) || !where)
		fail("a collection is not found across the roots", col->id);
	unsigned sum = 0;
	for (size_t p = 0; p < c->npartners; p++)
		sum += col->can_read[p] + col->can_write[p];
	(void)sum;
}

static void check_loaded(const struct relto_config *c)
{
	touch(c->source);
	touch(c->listen_host);
	touch(c->database);
	touch(c->policy);
	touch(c->posture);
	touch(c->title);
	touch(c->description);
	touch(c->contact);
	if (c->limits.default_page_size < 1 || c->limits.default_page_size > c->limits.max_page_size)
		fail("default_page_size is not within 1..max_page_size", NULL);
	for (size_t i = 0; i < c->npartners; i++) {
		const struct partner *p = &c->partners[i];
		touch(p->name);
		touch(p->password_hash);
		if (!p->id || config_find_partner(c, p->id) != (int)i)
			fail("a partner is not found by its id", p->id);
	}
	for (size_t i = 0; i < c->nroots; i++) {
		const struct api_root *r = &c->roots[i];
		touch(r->title);
		touch(r->description);
		if (!r->path || config_find_root(c, r->path) != r)
			fail("an API root is not found by its path", r->path);
		for (size_t j = 0; j < r->ncollections; j++)
			check_collection(c, r, &r->collections[j]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relto_config *c = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = config_load_text("c.yaml", (const char *)data, size, &c, err);
	switch (rc) {
	case RELTO_OK:
		if (!c)
			fail("config_load_text succeeded without a config", NULL);
		check_loaded(c);
		config_free(c);
		break;
	case RELTO_EINVAL:
		if (strncmp(err, "c.yaml:", 7) != 0)
			fail("a refused config does not say where", err);
		break;
	case RELTO_ENOMEM:
		break;
	default:
		fail("config_load_text returned an unexpected code", relto_strerror(rc));
	}
	return 0;
}
