/*
** http.h: helpers the http layer's files share (not used outside http/).
*/
#ifndef RELTO_HTTP_H
#define RELTO_HTTP_H

#include "../relto.h"
#include "../util/buf.h"

/* The HTTP status for an error code (400, 401, 403, 404, 406, 409, 413,
** 415, 422, 500, 503). */
unsigned http_status_of(enum relto_err code);

/* Write a TAXII error message resource (TAXII 3.6.1) for status with the
** given description (NULL for none) into out, replacing its contents.
** RELTO_OK; RELTO_ENOMEM; RELTO_ETOOBIG if out's cap is too small. */
enum relto_err http_error_body(struct buf *out, unsigned status, const char *description);

/* Does the Accept header allow answering with TAXII 2.1 JSON?  A missing
** header does (clients that send none accept anything, RFC 9110 12.5.1). */
int http_accept_ok(const char *accept);

/* The same for the admin API's application/json (or any "application" type, or any). */
int http_accept_json(const char *accept);

/* Is content_type application/json (any case, optional charset=utf-8)? */
int http_content_type_json(const char *content_type);

/* Is content_type the TAXII 2.1 media type (with or without version=2.1,
** any case, optional charset=utf-8)? */
int http_content_type_ok(const char *content_type);

#endif
