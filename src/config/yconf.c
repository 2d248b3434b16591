/*
** yconf.c: YAML documents with line numbers, on libyaml's document API
** (see yconf.h).  libyaml does the parsing; this file only walks its nodes.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "yconf.h"

struct yconf {
	yaml_document_t doc;
	char *name;
};

enum relto_err yconf_load(const char *name, const char *text, size_t len,
                          struct yconf **out, char *err)
{
	struct yconf *y = calloc(1, sizeof(*y));
	if (!y || !(y->name = strdup(name))) {
		free(y);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		free(y->name);
		free(y);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	enum relto_err rc = RELTO_OK;
	if (!yaml_parser_load(&p, &y->doc)) {
		rc = relto_seterr(err, RELTO_EINVAL, "%s:%zu:%zu: %s%s%s", name,
		                  p.problem_mark.line + 1, p.problem_mark.column + 1,
		                  p.problem ? p.problem : "YAML error",
		                  p.context ? " " : "", p.context ? p.context : "");
		yaml_parser_delete(&p);
		free(y->name);
		free(y);
		return rc;
	}
	yaml_parser_delete(&p);
	if (!yaml_document_get_root_node(&y->doc)) {
		yaml_document_delete(&y->doc);
		free(y->name);
		free(y);
		return relto_seterr(err, RELTO_EINVAL, "%s:1: the file is empty", name);
	}
	*out = y;
	return RELTO_OK;
}

void yconf_free(struct yconf *y)
{
	if (!y)
		return;
	yaml_document_delete(&y->doc);
	free(y->name);
	free(y);
}

static yaml_node_t *node_of(const struct yconf *y, int node)
{
	if (node <= 0)
		return NULL;
	return yaml_document_get_node((yaml_document_t *)&y->doc, node);
}

const char *yconf_name(const struct yconf *y)
{
	return y->name;
}

int yconf_root(const struct yconf *y)
{
	return 1; /* libyaml numbers the root node 1 */
}

int yconf_line(const struct yconf *y, int node)
{
	yaml_node_t *n = node_of(y, node);
	return n ? (int)n->start_mark.line + 1 : 0;
}

int yconf_is_map(const struct yconf *y, int node)
{
	yaml_node_t *n = node_of(y, node);
	return n && n->type == YAML_MAPPING_NODE;
}

int yconf_is_seq(const struct yconf *y, int node)
{
	yaml_node_t *n = node_of(y, node);
	return n && n->type == YAML_SEQUENCE_NODE;
}

const char *yconf_str(const struct yconf *y, int node)
{
	yaml_node_t *n = node_of(y, node);
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

int yconf_get(const struct yconf *y, int map, const char *key)
{
	yaml_node_t *n = node_of(y, map);
	if (!n || n->type != YAML_MAPPING_NODE)
		return 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = yconf_str(y, p->key);
		if (k && strcmp(k, key) == 0)
			return p->value;
	}
	return 0;
}

size_t yconf_seq_len(const struct yconf *y, int seq)
{
	yaml_node_t *n = node_of(y, seq);
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

int yconf_seq_at(const struct yconf *y, int seq, size_t i)
{
	if (i >= yconf_seq_len(y, seq))
		return 0;
	return node_of(y, seq)->data.sequence.items.start[i];
}

enum relto_err yconf_error(const struct yconf *y, int node, char *err,
                           enum relto_err code, const char *fmt, ...)
{
	char msg[RELTO_ERRBUF_SIZE];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return relto_seterr(err, code, "%s:%d: %s", y->name, yconf_line(y, node), msg);
}

enum relto_err yconf_check_keys(const struct yconf *y, int map, const char *where,
                                const char *const *allowed, char *err)
{
	yaml_node_t *n = node_of(y, map);
	if (!n || n->type != YAML_MAPPING_NODE)
		return yconf_error(y, map, err, RELTO_EINVAL, "%s must be a mapping", where);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *k = yconf_str(y, p->key);
		int known = 0;
		for (size_t i = 0; k && allowed[i]; i++)
			known |= strcmp(k, allowed[i]) == 0;
		if (known)
			continue;
		char list[160] = "";
		size_t used = 0;
		for (size_t i = 0; allowed[i] && used < sizeof(list); i++) {
			int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", allowed[i]);
			used += w > 0 ? (size_t)w : 0;
		}
		return yconf_error(y, p->key, err, RELTO_EINVAL,
		                   "unknown key '%s' in %s (expected one of: %s)",
		                   k ? k : "?", where, list);
	}
	return RELTO_OK;
}
