/*
** relto.h: what every module of relto shares: the one error enum, the size
** of error message buffers, and the global limits.
**
** Errors: every fallible function returns enum relto_err and, where it takes
** a `char *err` (last parameter, RELTO_ERRBUF_SIZE bytes, NULL allowed),
** writes a human-readable reason there with relto_seterr().  The first
** message written stays (curl's failf habit), so the lowest layer that knows
** what went wrong gets to say it.  Codes are never renumbered: the CLI exit
** status and the HTTP mapping in core/err.c depend on them.
*/
#ifndef RELTO_H
#define RELTO_H

#include <stddef.h>
#include <stdint.h>

#define RELTO_VERSION "0.1.0"

enum relto_err {
	RELTO_OK = 0,
	RELTO_ENOMEM,       /* out of memory */
	RELTO_EINVAL,       /* bad input: HTTP 400, CLI exit 2 */
	RELTO_ENOTFOUND,    /* no such thing (or not visible to the caller): 404 */
	RELTO_ECONFLICT,    /* already exists */
	RELTO_EDENIED,      /* authenticated but not allowed: 403 */
	RELTO_ETOOBIG,      /* over a configured limit: 413 */
	RELTO_EUNSUPPORTED, /* understood but not supported: 422/415 */
	RELTO_ESTORE,       /* the store failed: 503/500 */
	RELTO_EINTERNAL,    /* a bug or an OS failure */
	RELTO_EUNAUTH,      /* no valid credentials: 401 */
	RELTO_ENOTACCEPT,   /* Accept header names no media type we serve: 406 */
	RELTO_EMEDIATYPE,   /* Content-Type we do not take: 415 */
	RELTO_ERATE,        /* over the partner's request rate: 429 */
};

#define RELTO_ERRBUF_SIZE 256

/* Write a printf-style message into err unless err is NULL or already holds
** a message (the first message stays).  Always returns code, so callers can
** write `return relto_seterr(err, RELTO_EINVAL, "...")`. */
enum relto_err relto_seterr(char *err, enum relto_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Short name of a code ("EINVAL"), for logs and the CLI. Never NULL. */
const char *relto_strerror(enum relto_err code);

#endif
