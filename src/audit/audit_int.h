/*
** audit_int.h: what audit.c and verify.c share, and nothing else includes.
*/
#ifndef RELTO_AUDIT_INT_H
#define RELTO_AUDIT_INT_H

#include "audit.h"

/* The record's type and partner as columns (for selecting) are cut to
** these sizes (NUL included); verify compares them so cut. */
#define AUDIT_TYPE_MAX 64
#define AUDIT_PARTNER_MAX 256

/* n bytes as 2n lowercase hex digits and a NUL. */
void audit__hex(const unsigned char *p, size_t n, char *out);

/* What a checkpoint signs: a tag, the record's seq and the time (both
** 8 bytes, big-endian), and the record's hash. */
#define AUDIT_CP_MSG_LEN (25 + 8 + 8 + AUDIT_HASH_LEN)
void audit__checkpoint_message(int64_t seq, int64_t at, const unsigned char hash[AUDIT_HASH_LEN],
                               unsigned char out[AUDIT_CP_MSG_LEN]);

#endif
