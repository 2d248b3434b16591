/*
** buf.h: a growable byte buffer with a hard cap (curl's dynbuf).
**
** Every buffer that grows with input has a cap; appending past it fails
** with RELTO_ETOOBIG and leaves the buffer as it was.  A failed allocation
** returns RELTO_ENOMEM and also leaves the contents intact, so the caller
** frees with buf_free() on every path.  The contents are always
** NUL-terminated (the NUL is not counted in len), so text can be used as a
** C string.  Not thread-safe; one owner at a time.
*/
#ifndef RELTO_BUF_H
#define RELTO_BUF_H

#include <stdarg.h>
#include "../relto.h"

struct buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes used, excluding the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* the most len may ever be */
};

/* Start an empty buffer that may hold up to cap bytes.  Cannot fail. */
void buf_init(struct buf *b, size_t cap);
/* Free the contents and reset to empty (the cap stays).  Cannot fail. */
void buf_free(struct buf *b);
/* Keep the allocation, forget the contents. */
void buf_reset(struct buf *b);
/* Hand the contents to the caller (who must free() them) and reset b.
** Returns NULL for an empty buffer that never allocated. */
char *buf_steal(struct buf *b);

enum relto_err buf_append(struct buf *b, const void *p, size_t n);
enum relto_err buf_puts(struct buf *b, const char *s);
enum relto_err buf_putc(struct buf *b, char c);
/* Make room for n more bytes (and the NUL) at once, so that they can be
** written at data + len directly (then len moved past them, and a NUL
** put after).  RELTO_OK; RELTO_ETOOBIG; RELTO_ENOMEM. */
enum relto_err buf_reserve(struct buf *b, size_t n);
enum relto_err buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum relto_err buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Append v in decimal: what buf_printf("%lld") does, without formatting
** a format string twice (on paths taken for every request). */
enum relto_err buf_put_i64(struct buf *b, long long v);
/* Append s as a JSON string literal, quotes included, escaping as RFC 8259
** requires.  s must be valid UTF-8 (it is passed through unchanged). */
enum relto_err buf_put_json_string(struct buf *b, const char *s);
/* Append the whole file at path.  RELTO_ENOTFOUND if it cannot be opened or
** read (err says why, with the path); RELTO_ETOOBIG past the cap.  On
** failure the buffer holds what it held before. */
enum relto_err buf_read_file(struct buf *b, const char *path, char *err);

#endif
