/*
** collections.c: the collections resources (TAXII 5.1, 5.2) and the
** per-partner access rules every collection endpoint shares.
*/
#include <string.h>
#include "taxii.h"

int taxii_can_read(const struct collection *c, int p)
{
	return p >= 0 && c->can_read[p];
}

int taxii_can_write(const struct collection *c, int p)
{
	return p >= 0 && c->can_write[p];
}

static enum relto_err write_collection(struct buf *b, const struct collection *c, int p)
{
	enum relto_err rc = buf_puts(b, "{\"id\":");
	if (!rc)
		rc = buf_put_json_string(b, c->id);
	if (!rc)
		rc = buf_puts(b, ",\"title\":");
	if (!rc)
		rc = buf_put_json_string(b, c->title);
	if (!rc && c->description) {
		rc = buf_puts(b, ",\"description\":");
		if (!rc)
			rc = buf_put_json_string(b, c->description);
	}
	if (!rc && c->alias) {
		rc = buf_puts(b, ",\"alias\":");
		if (!rc)
			rc = buf_put_json_string(b, c->alias);
	}
	if (!rc)
		rc = buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"%s\"]}",
		                taxii_can_read(c, p) ? "true" : "false",
		                taxii_can_write(c, p) ? "true" : "false", STIX_MEDIA_TYPE);
	return rc;
}

enum relto_err taxii_collections(struct req *r)
{
	struct buf *b = &r->out;
	enum relto_err rc = buf_putc(b, '{');
	int listed = 0;
	for (size_t i = 0; !rc && i < r->root->ncollections; i++) {
		const struct collection *c = &r->root->collections[i];
		if (!taxii_can_read(c, r->partner) && !taxii_can_write(c, r->partner))
			continue; /* invisible to this partner */
		rc = buf_puts(b, listed ? "," : "\"collections\":[");
		if (!rc)
			rc = write_collection(b, c, r->partner);
		listed = 1;
	}
	if (!rc && listed)
		rc = buf_putc(b, ']');
	if (!rc)
		rc = buf_putc(b, '}');
	r->status = 200;
	return rc;
}

enum relto_err taxii_collection(struct req *r)
{
	r->status = 200;
	return write_collection(&r->out, r->coll, r->partner);
}
