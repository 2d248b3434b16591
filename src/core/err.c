/*
** err.c: the error enum's names and the first-message-stays writer.
** The HTTP mapping of codes lives in http/reply.c, next to the only code
** that needs it.
*/
#include <stdarg.h>
#include <stdio.h>
#include "../relto.h"

enum relto_err relto_seterr(char *err, enum relto_err code, const char *fmt, ...)
{
	if (err && err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, RELTO_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *relto_strerror(enum relto_err code)
{
	static const char *const names[] = {
		"OK", "ENOMEM", "EINVAL", "ENOTFOUND", "ECONFLICT", "EDENIED",
		"ETOOBIG", "EUNSUPPORTED", "ESTORE", "EINTERNAL", "EUNAUTH",
		"ENOTACCEPT", "EMEDIATYPE", "ERATE",
	};
	if ((unsigned)code < sizeof(names) / sizeof(names[0]))
		return names[code];
	return "EUNKNOWN";
}
