/*
** jsonh.h: small helpers over Jansson that several modules share
** (`json_` is Jansson's own prefix).  Pure functions, thread-safe.
*/
#ifndef RELTO_JSONH_H
#define RELTO_JSONH_H

#include <jansson.h>

/* What a JSON value is, for error messages: "an object", "a list",
** "a string", "a number", "a boolean", "null", or "nothing" for NULL.
** Never NULL. */
const char *jsonh_kind(const json_t *v);

#endif
