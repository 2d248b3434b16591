/*
** console.h: the operator console (docs/console.md): one web page, its
** stylesheet and its script, embedded in the binary at build time
** (src/console/, tools/embed.c) and served under /console/ to logins with
** the admin role.  The page itself only reads and calls the admin API
** (/admin/...); this module only hands out the files.
**
** Threading: no state; any number of requests at once.
** Errors: returns enum relto_err; on failure r->err says why and nothing
** else in r is changed.
** Ownership: the answer is copied into r->out; the media type and header
** values put in r are static strings.
**
** The http layer authenticates, checks the admin role and the method (GET
** or HEAD), then calls console_serve and sends what it left in r.
*/
#ifndef RELTO_ADMIN_CONSOLE_H
#define RELTO_ADMIN_CONSOLE_H

#include "../relto.h"
#include "../http/request.h"

/* The Content-Security-Policy the console's files are served with: the
** page loads nothing but its own files and talks only to its own origin. */
#define CONSOLE_CSP                                                                                 \
	"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " \
	"frame-ancestors 'none'"

/* Is url ("/console", "/console/...") the console's? */
int console_is_path(const char *url);

/* Answer url, one of "/console", "/console/" (the page), "/console/console.css"
** and "/console/console.js": status 200, the file in r->out, r->media_type
** and r->csp set.  RELTO_ENOTFOUND for any other path under /console/;
** RELTO_ENOMEM when the copy does not fit (r->out may then hold part of
** it: the caller answers with an error, which resets it). */
enum relto_err console_serve(struct req *r, const char *url);

#endif
