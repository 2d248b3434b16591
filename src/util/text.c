/*
** text.c: text helpers for messages (see text.h).
*/
#include <string.h>
#include "text.h"

const char *text_quote(const char *s, size_t len, size_t max, char *out)
{
	size_t n = len > max ? max : len;
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}
