/*
** console.c: serves the operator console's three files (see console.h
** and docs/console.md).  The files are C arrays made at build time by
** tools/embed.c from src/console/, so the binary needs no data directory.
*/
#include <string.h>
#include "console.h"

extern const unsigned char embed_index_html[];
extern const size_t embed_index_html_len;
extern const unsigned char embed_console_css[];
extern const size_t embed_console_css_len;
extern const unsigned char embed_console_js[];
extern const size_t embed_console_js_len;

struct console_file {
	const char *path; /* after "/console" */
	const char *media_type;
	const unsigned char *data;
	const size_t *len; /* a pointer: the length is not a constant expression here */
};

static const struct console_file files[] = {
	{"", "text/html; charset=utf-8", embed_index_html, &embed_index_html_len},
	{"/", "text/html; charset=utf-8", embed_index_html, &embed_index_html_len},
	{"/index.html", "text/html; charset=utf-8", embed_index_html, &embed_index_html_len},
	{"/console.css", "text/css; charset=utf-8", embed_console_css, &embed_console_css_len},
	{"/console.js", "text/javascript; charset=utf-8", embed_console_js, &embed_console_js_len},
};

int console_is_path(const char *url)
{
	return strncmp(url, "/console", 8) == 0 && (url[8] == '\0' || url[8] == '/');
}

enum relto_err console_serve(struct req *r, const char *url)
{
	const char *rest = console_is_path(url) ? url + 8 : NULL;
	for (size_t i = 0; rest && i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(files[i].path, rest) != 0)
			continue;
		if (buf_append(&r->out, files[i].data, *files[i].len))
			return relto_seterr(r->err, RELTO_ENOMEM, "out of memory");
		r->media_type = files[i].media_type;
		r->csp = CONSOLE_CSP;
		r->status = 200;
		return RELTO_OK;
	}
	return relto_seterr(r->err, RELTO_ENOTFOUND, "no such console file (the console is at /console/)");
}
