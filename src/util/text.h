/*
** text.h: small text helpers shared by modules that quote input back in
** error messages.  Pure functions, thread-safe.
*/
#ifndef RELTO_TEXT_H
#define RELTO_TEXT_H

#include <stddef.h>

/* Copy s (len bytes) into out for an error message: bytes that are not
** printable ASCII become '?' (messages end up in JSON error bodies, which
** must stay valid UTF-8 even when cut), and input longer than max bytes
** is cut and ends with "...".  out must hold max + 4 bytes.  Returns out. */
const char *text_quote(const char *s, size_t len, size_t max, char *out);

#endif
