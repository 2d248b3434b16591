/*
** text.h: small text helpers: quoting input back in error messages, and
** reading the lowercase hex relto writes.  Pure functions, thread-safe.
*/
#ifndef RELTO_TEXT_H
#define RELTO_TEXT_H

#include <stddef.h>

/* Copy s (len bytes) into out for an error message: bytes that are not
** printable ASCII become '?' (messages end up in JSON error bodies, which
** must stay valid UTF-8 even when cut), and input longer than max bytes
** is cut and ends with "...".  out must hold max + 4 bytes.  Returns out. */
const char *text_quote(const char *s, size_t len, size_t max, char *out);

/* The value of hex digit c, lowercase only (what relto writes, and what
** an id's UUID must be to be kept packed), or -1. */
static inline int text_hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

#endif
