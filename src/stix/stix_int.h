/*
** stix_int.h: what stix.c and envelope.c share, and nothing else includes.
*/
#ifndef RELTO_STIX_INT_H
#define RELTO_STIX_INT_H

#include <jansson.h>

/* "an object", "a list", "a string", "a number", "a boolean" or "null":
** what a JSON value is, for error messages.  Never NULL. */
const char *stix__json_kind(const json_t *v);

#endif
