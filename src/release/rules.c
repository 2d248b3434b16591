/*
** rules.c: the releasability rules as one value (see rules.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "../policy/policy.h"
#include "../posture/posture.h"
#include "../util/buf.h"

const char *rules_kind_name(enum rules_kind k)
{
	return k == RULES_POLICY ? "policy" : "posture";
}

static void doc_clear(struct rules_doc *d)
{
	free(d->name);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	doc_clear(&r->doc[0]);
	doc_clear(&r->doc[1]);
	policy_free(r->policy);
	posture_free(r->posture);
	free(r);
}

static enum relto_err doc_set(struct rules_doc *d, const char *name, const char *text, size_t len, int64_t version)
{
	struct rules_doc n = {.name = strdup(name), .text = malloc(len + 1), .len = len, .version = version};
	if (!n.name || !n.text) {
		doc_clear(&n);
		return RELTO_ENOMEM;
	}
	memcpy(n.text, text, len);
	n.text[len] = '\0';
	doc_clear(d);
	*d = n;
	return RELTO_OK;
}

/* Compile whatever of r is not compiled yet. */
static enum relto_err compile(struct rules *r, char *err)
{
	enum relto_err rc = RELTO_OK;
	const struct rules_doc *pd = &r->doc[RULES_POLICY], *sd = &r->doc[RULES_POSTURE];
	if (!r->posture)
		rc = posture_load(sd->name, sd->text, sd->len, &r->posture, err);
	if (!rc && !r->policy)
		rc = policy_compile(pd->name, pd->text, pd->len, &r->policy, err);
	return rc;
}

enum relto_err rules_from_texts(const char *policy_name, const char *policy, size_t policy_len,
                                const char *posture_name, const char *posture, size_t posture_len,
                                struct rules **out, char *err)
{
	struct rules *r = calloc(1, sizeof(*r));
	enum relto_err rc = r ? RELTO_OK : RELTO_ENOMEM;
	if (!rc)
		rc = doc_set(&r->doc[RULES_POLICY], policy_name, policy, policy_len, 0);
	if (!rc)
		rc = doc_set(&r->doc[RULES_POSTURE], posture_name, posture, posture_len, 0);
	if (rc == RELTO_ENOMEM)
		relto_seterr(err, rc, "out of memory");
	if (!rc)
		rc = compile(r, err);
	if (rc) {
		rules_free(r);
		return rc;
	}
	*out = r;
	return RELTO_OK;
}

enum relto_err rules_from_files(const char *policy_path, const char *posture_path, struct rules **out, char *err)
{
	struct buf pol, pos;
	buf_init(&pol, 16u << 20);
	buf_init(&pos, 16u << 20);
	enum relto_err rc = buf_read_file(&pos, posture_path, err);
	if (!rc)
		rc = buf_read_file(&pol, policy_path, err);
	if (!rc)
		rc = rules_from_texts(policy_path, pol.data ? pol.data : "", pol.len, posture_path,
		                      pos.data ? pos.data : "", pos.len, out, err);
	buf_free(&pol);
	buf_free(&pos);
	return rc;
}

enum relto_err rules_with(const struct rules *r, enum rules_kind k, const char *name, const char *text,
                          size_t len, int64_t version, struct rules **out, char *err)
{
	struct rules *n = calloc(1, sizeof(*n));
	enum relto_err rc = n ? RELTO_OK : RELTO_ENOMEM;
	for (int i = 0; !rc && i < 2; i++) {
		const struct rules_doc *d = &r->doc[i];
		rc = i == (int)k ? doc_set(&n->doc[i], name, text, len, version)
		                 : doc_set(&n->doc[i], d->name, d->text, d->len, d->version);
	}
	if (rc == RELTO_ENOMEM)
		relto_seterr(err, rc, "out of memory");
	if (!rc)
		rc = compile(n, err);
	if (rc) {
		rules_free(n);
		return rc;
	}
	*out = n;
	return RELTO_OK;
}

enum relto_err rules_current(struct store_conn *c, const struct rules *files, struct rules **out, char *err)
{
	struct rules *cur = NULL;
	enum relto_err rc = rules_with(files, RULES_POLICY, files->doc[RULES_POLICY].name, files->doc[RULES_POLICY].text,
	                               files->doc[RULES_POLICY].len, 0, &cur, err);
	for (int k = 0; !rc && k < 2; k++) {
		struct store_rules sr = {0};
		rc = store_rules_get(c, rules_kind_name((enum rules_kind)k), 0, &sr, NULL);
		if (rc == RELTO_ENOTFOUND) {
			rc = RELTO_OK;
			continue;
		}
		if (rc) {
			rc = relto_seterr(err, rc, "reading the stored %s failed", rules_kind_name((enum rules_kind)k));
			break;
		}
		char name[64];
		struct rules *next = NULL;
		snprintf(name, sizeof(name), "(stored %s v%lld)", rules_kind_name((enum rules_kind)k), (long long)sr.version);
		rc = rules_with(cur, (enum rules_kind)k, name, sr.body, strlen(sr.body), sr.version, &next, err);
		store_rules_clear(&sr);
		if (!rc) {
			rules_free(cur);
			cur = next;
		}
	}
	if (rc) {
		rules_free(cur);
		return rc;
	}
	*out = cur;
	return RELTO_OK;
}

enum relto_err rules_version(struct store_conn *c, const struct rules *files, enum rules_kind k, int64_t v,
                             struct store_rules *meta, char *err)
{
	memset(meta, 0, sizeof(*meta));
	if (v < 0)
		return relto_seterr(err, RELTO_ENOTFOUND, "no %s version %lld", rules_kind_name(k), (long long)v);
	if (v > 0) {
		enum relto_err rc = store_rules_get(c, rules_kind_name(k), v, meta, NULL);
		if (rc == RELTO_ENOTFOUND)
			return relto_seterr(err, rc, "no %s version %lld in the store", rules_kind_name(k), (long long)v);
		return rc ? relto_seterr(err, rc, "reading the stored %s failed", rules_kind_name(k)) : RELTO_OK;
	}
	if (!files)
		return relto_seterr(err, RELTO_ENOTFOUND, "version 0 is the configured %s file; no configuration given",
		                    rules_kind_name(k));
	meta->author = strdup("");
	meta->reason = strdup("");
	meta->body = strdup(files->doc[k].text);
	if (!meta->author || !meta->reason || !meta->body) {
		store_rules_clear(meta);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	return RELTO_OK;
}
