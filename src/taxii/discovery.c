/*
** discovery.c: the server-level resources: discovery (TAXII 4.1), API
** root (4.2) and status (4.3).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "taxii.h"
#include "../store/store.h"

/* Optional string member: ,"key":"value" when value is set. */
static enum relto_err opt_member(struct buf *b, const char *key, const char *value)
{
	if (!value)
		return RELTO_OK;
	enum relto_err rc = buf_printf(b, ",\"%s\":", key);
	return rc ? rc : buf_put_json_string(b, value);
}

enum relto_err taxii_discovery(struct req *r)
{
	const struct relto_config *c = r->srv->cfg;
	struct buf *b = &r->out;
	enum relto_err rc = buf_puts(b, "{\"title\":");
	if (!rc)
		rc = buf_put_json_string(b, c->title ? c->title : "relto TAXII 2.1 server");
	if (!rc)
		rc = opt_member(b, "description", c->description);
	if (!rc)
		rc = opt_member(b, "contact", c->contact);
	/* API roots as paths relative to the server (section 4.1.1 allows
	** them; absolute URLs must be HTTPS, and a Host header is the
	** client's word, not ours). */
	for (size_t i = 0; !rc && i < c->nroots; i++) {
		char url[128];
		snprintf(url, sizeof(url), "/%s/", c->roots[i].path);
		if (i == 0) {
			rc = buf_puts(b, ",\"default\":");
			if (!rc)
				rc = buf_put_json_string(b, url);
			if (!rc)
				rc = buf_puts(b, ",\"api_roots\":[");
		} else {
			rc = buf_putc(b, ',');
		}
		if (!rc)
			rc = buf_put_json_string(b, url);
		if (!rc && i + 1 == c->nroots)
			rc = buf_putc(b, ']');
	}
	if (!rc)
		rc = buf_putc(b, '}');
	r->status = 200;
	return rc;
}

enum relto_err taxii_api_root(struct req *r)
{
	const struct api_root *root = r->root;
	struct buf *b = &r->out;
	enum relto_err rc = buf_puts(b, "{\"title\":");
	if (!rc)
		rc = buf_put_json_string(b, root->title);
	if (!rc)
		rc = opt_member(b, "description", root->description);
	if (!rc)
		rc = buf_printf(b, ",\"versions\":[\"%s\"],\"max_content_length\":%zu}", TAXII_MEDIA_TYPE,
		                r->srv->cfg->limits.max_content_length);
	r->status = 200;
	return rc;
}

void taxii_status_owner(const struct req *r, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", r->root->path, r->who->id);
}

enum relto_err taxii_status(struct req *r)
{
	char *json = NULL;
	/* Only the partner that posted may read a status: for anyone else it
	** does not exist.  The root is part of the key too. */
	char owner[256];
	taxii_status_owner(r, owner, sizeof(owner));
	enum relto_err rc = store_status_get(r->sc, r->status_id, owner, &json, r->err);
	if (rc)
		return rc;
	rc = buf_puts(&r->out, json);
	free(json);
	r->status = 200;
	return rc;
}
