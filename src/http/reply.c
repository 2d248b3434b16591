/*
** reply.c: the one place where error codes become HTTP statuses and TAXII
** error message resources (TAXII 3.6.1).  Every error answer of relto is
** made here (h2o's h2o_send_error_generic habit).
*/
#include "http.h"

unsigned http_status_of(enum relto_err code)
{
	switch (code) {
	case RELTO_OK: return 200;
	case RELTO_EINVAL: return 400;
	case RELTO_EUNAUTH: return 401;
	case RELTO_EDENIED: return 403;
	case RELTO_ENOTFOUND: return 404;
	case RELTO_ENOTACCEPT: return 406;
	case RELTO_ECONFLICT: return 409;
	case RELTO_ETOOBIG: return 413;
	case RELTO_EMEDIATYPE: return 415;
	case RELTO_ERATE: return 429;
	case RELTO_EUNSUPPORTED: return 422;
	case RELTO_ENOMEM: return 503;
	case RELTO_ESTORE: return 503;
	case RELTO_EINTERNAL: return 500;
	}
	return 500;
}

static const char *title_of(unsigned status)
{
	switch (status) {
	case 400: return "Bad request";
	case 401: return "Authentication required";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 406: return "Not acceptable";
	case 409: return "Conflict";
	case 413: return "Request entity too large";
	case 415: return "Unsupported media type";
	case 422: return "Unprocessable entity";
	case 429: return "Too many requests";
	case 503: return "Service unavailable";
	}
	return "Internal server error";
}

enum relto_err http_error_body(struct buf *out, unsigned status, const char *description)
{
	/* Descriptions quote what the client sent (a bad id, a bad limit),
	** which may be any bytes, and may have been cut mid-character: keep
	** printable ASCII only, so the body is always valid UTF-8 JSON. */
	char clean[RELTO_ERRBUF_SIZE];
	size_t n = 0;
	for (; description && description[n] && n < sizeof(clean) - 1; n++) {
		unsigned char c = (unsigned char)description[n];
		clean[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	clean[n] = '\0';
	buf_reset(out);
	enum relto_err rc = buf_puts(out, "{\"title\":");
	if (!rc)
		rc = buf_put_json_string(out, title_of(status));
	if (!rc && n) {
		rc = buf_puts(out, ",\"description\":");
		if (!rc)
			rc = buf_put_json_string(out, clean);
	}
	if (!rc)
		rc = buf_printf(out, ",\"http_status\":\"%u\"}", status);
	return rc;
}
