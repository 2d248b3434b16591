/*
** log.c: logfmt lines on stderr (see log.h).
*/
#include <stdarg.h>
#include <stdio.h>
#include "log.h"
#include "ts.h"

void log_line(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	char line[2048], ts[TS_BUFSIZE];
	int n = snprintf(line, sizeof(line), "ts=%s level=%s ", ts_format(ts_now(), ts),
	                 names[level]);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
