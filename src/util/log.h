/*
** log.h: one-line structured log messages on stderr, in logfmt
** (`ts=... level=info msg="..." key=value ...`), so operators can grep and
** ship them.  Secrets never go through here: callers pass partner ids,
** never credentials.  Thread-safe (one fprintf per line; stderr is
** unbuffered and a line is written with a single call).
*/
#ifndef RELTO_LOG_H
#define RELTO_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Write one line: ts, level, then the formatted text (which should be
** `msg="..." key=value` pairs).  Cannot fail (a failed write is dropped). */
void log_line(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
