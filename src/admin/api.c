/*
** api.c: the admin API (see api.h and docs/admin.md).
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "admin.h"
#include "change.h"
#include "diff.h"
#include "../audit/audit.h"
#include "../jsonh/jsonh.h"
#include "../release/release.h"
#include "../util/ts.h"

/* ---- small helpers ---- */

static enum relto_err no_rules(struct req *r)
{
	return relto_seterr(r->err, RELTO_ENOTFOUND,
	                    "this server runs without a policy and posture (the configuration names none)");
}

static enum relto_err oom(struct req *r)
{
	return relto_seterr(r->err, RELTO_ENOMEM, "out of memory");
}

static enum relto_err version_param(struct req *r, const char *name, int64_t *v)
{
	for (size_t i = 0; i < r->nparams; i++) {
		if (strcmp(r->params[i].key, name) != 0)
			continue;
		const char *s = r->params[i].value ? r->params[i].value : "";
		char *end;
		long long n = strtoll(s, &end, 10);
		if (!*s || *end || n < 0 || n > INT32_MAX)
			return relto_seterr(r->err, RELTO_EINVAL, "'%s' must be a version number, not '%.40s'", name, s);
		*v = n;
		return RELTO_OK;
	}
	return relto_seterr(r->err, RELTO_EINVAL, "the query parameter '%s' (a version number) is required", name);
}

/* The request body as a JSON object whose fields are among `known`
** (NULL-terminated).  *out is a new reference. */
static enum relto_err body_object(struct req *r, const char *const *known, json_t **out)
{
	json_error_t je;
	if (!r->body_len)
		return relto_seterr(r->err, RELTO_EINVAL, "a JSON object is required as the request body");
	if (memchr(r->body, '\0', r->body_len))
		return relto_seterr(r->err, RELTO_EINVAL, "the body contains a NUL byte");
	json_t *v = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v)
		return relto_seterr(r->err, RELTO_EINVAL, "the body is not JSON: line %d, column %d: %s", je.line,
		                    je.column, je.text);
	if (!json_is_object(v)) {
		relto_seterr(r->err, RELTO_EINVAL, "the body must be a JSON object, not %s", jsonh_kind(v));
		json_decref(v);
		return RELTO_EINVAL;
	}
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], key) != 0)
			i++;
		if (!known[i]) {
			relto_seterr(r->err, RELTO_EINVAL, "unknown field '%.60s' in the body", key);
			json_decref(v);
			return RELTO_EINVAL;
		}
	}
	*out = v;
	return RELTO_OK;
}

static enum relto_err reason_of(struct req *r, const json_t *body, const char **reason)
{
	const json_t *v = json_object_get(body, "reason");
	if (!json_is_string(v) || !json_string_length(v))
		return relto_seterr(r->err, RELTO_EINVAL, "'reason' (a non-empty string: why this change) is required");
	*reason = json_string_value(v);
	return RELTO_OK;
}

static enum relto_err exact_of(struct req *r, const json_t *body, int *exact)
{
	const json_t *v = json_object_get(body, "exact");
	*exact = 1;
	if (!v)
		return RELTO_OK;
	if (!json_is_boolean(v))
		return relto_seterr(r->err, RELTO_EINVAL, "'exact' must be true or false");
	*exact = json_is_true(v);
	return RELTO_OK;
}

/* ---- reading ---- */

/* A document's text and version in force, copied under the lock. */
static enum relto_err in_force(struct req *r, enum rules_kind k, char **text, int64_t *version)
{
	struct server *s = r->srv;
	pthread_mutex_lock(&s->rules_lock);
	*text = strdup(s->rules->doc[k].text);
	*version = s->rules->doc[k].version;
	pthread_mutex_unlock(&s->rules_lock);
	return *text ? RELTO_OK : oom(r);
}

static enum relto_err put_version_doc(struct req *r, enum rules_kind k, int64_t v, const char *text)
{
	struct store_rules meta = {0};
	enum relto_err rc;
	pthread_mutex_lock(&r->srv->rules_lock);
	rc = rules_version(r->sc, r->srv->files, k, v, &meta, r->err);
	pthread_mutex_unlock(&r->srv->rules_lock);
	if (rc)
		return rc;
	char when[TS_BUFSIZE];
	rc = buf_printf(&r->out, "{\"version\": %lld, \"author\": ", (long long)v);
	if (!rc)
		rc = buf_put_json_string(&r->out, meta.author);
	if (!rc)
		rc = v ? buf_printf(&r->out, ", \"at\": \"%s\", \"reason\": ", ts_format(meta.at, when))
		       : buf_puts(&r->out, ", \"at\": null, \"reason\": ");
	if (!rc)
		rc = buf_put_json_string(&r->out, meta.reason);
	if (!rc)
		rc = buf_printf(&r->out, ", \"%s\": ", rules_kind_name(k));
	const char *body = text ? text : meta.body;
	if (!rc)
		rc = k == RULES_POSTURE ? buf_puts(&r->out, body) : buf_put_json_string(&r->out, body);
	if (!rc)
		rc = buf_putc(&r->out, '}');
	store_rules_clear(&meta);
	r->status = 200;
	return rc;
}

static enum relto_err get_doc(struct req *r, enum rules_kind k)
{
	char *text = NULL;
	int64_t v = 0;
	enum relto_err rc = in_force(r, k, &text, &v);
	if (!rc)
		rc = put_version_doc(r, k, v, text);
	free(text);
	return rc;
}

static enum relto_err get_posture(struct req *r)
{
	return get_doc(r, RULES_POSTURE);
}

static enum relto_err get_policy(struct req *r)
{
	return get_doc(r, RULES_POLICY);
}

struct log_ctx {
	struct buf *out;
	int n;
};

static enum relto_err log_row(void *ctx, const struct store_rules *row)
{
	struct log_ctx *l = ctx;
	char when[TS_BUFSIZE];
	enum relto_err rc = buf_printf(l->out, "%s{\"version\": %lld, \"at\": \"%s\", \"author\": ", l->n++ ? ", " : "",
	                               (long long)row->version, ts_format(row->at, when));
	if (!rc)
		rc = buf_put_json_string(l->out, row->author);
	if (!rc)
		rc = buf_puts(l->out, ", \"reason\": ");
	if (!rc)
		rc = buf_put_json_string(l->out, row->reason);
	if (!rc)
		rc = buf_putc(l->out, '}');
	return rc;
}

static enum relto_err versions_of(struct req *r, enum rules_kind k)
{
	struct log_ctx l = {.out = &r->out};
	enum relto_err rc = buf_puts(&r->out, "{\"versions\": [");
	if (!rc)
		rc = store_rules_log(r->sc, rules_kind_name(k), log_row, &l, r->err);
	if (!rc)
		rc = buf_puts(&r->out, "]}");
	r->status = 200;
	return rc;
}

static enum relto_err get_posture_versions(struct req *r)
{
	return versions_of(r, RULES_POSTURE);
}

static enum relto_err get_policy_versions(struct req *r)
{
	return versions_of(r, RULES_POLICY);
}

static enum relto_err one_version(struct req *r, enum rules_kind k)
{
	const char *s = r->admin_seg[2];
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0)
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no %s version '%.40s'", rules_kind_name(k), s);
	return put_version_doc(r, k, v, NULL);
}

static enum relto_err get_posture_version(struct req *r)
{
	return one_version(r, RULES_POSTURE);
}

static enum relto_err get_policy_version(struct req *r)
{
	return one_version(r, RULES_POLICY);
}

/* The diff's lines, one JSON string each. */
static enum relto_err lines_json(struct buf *out, const struct buf *lines)
{
	enum relto_err rc = RELTO_OK;
	const char *p = lines->data, *end = lines->data + lines->len;
	for (int n = 0; !rc && p && p < end; n++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, len);
		if (!line)
			return RELTO_ENOMEM;
		rc = buf_puts(out, n ? ", " : "");
		if (!rc)
			rc = buf_put_json_string(out, line);
		free(line);
		p = nl ? nl + 1 : end;
	}
	return rc;
}

static enum relto_err diff_of(struct req *r, enum rules_kind k)
{
	int64_t from = 0, to = 0;
	enum relto_err rc = version_param(r, "from", &from);
	if (!rc)
		rc = version_param(r, "to", &to);
	if (rc)
		return rc;
	struct store_rules a = {0}, b = {0};
	struct buf lines;
	buf_init(&lines, 64u << 20);
	pthread_mutex_lock(&r->srv->rules_lock);
	rc = rules_version(r->sc, r->srv->files, k, from, &a, r->err);
	if (!rc)
		rc = rules_version(r->sc, r->srv->files, k, to, &b, r->err);
	pthread_mutex_unlock(&r->srv->rules_lock);
	if (!rc && k == RULES_POSTURE)
		rc = admin_posture_diff(a.body, strlen(a.body), b.body, strlen(b.body), &lines, r->err);
	else if (!rc)
		rc = admin_text_diff(a.body, strlen(a.body), b.body, strlen(b.body), &lines);
	if (!rc)
		rc = buf_printf(&r->out, "{\"from\": %lld, \"to\": %lld, \"changes\": [", (long long)from, (long long)to);
	if (!rc)
		rc = lines_json(&r->out, &lines);
	if (!rc)
		rc = buf_puts(&r->out, "]}");
	store_rules_clear(&a);
	store_rules_clear(&b);
	buf_free(&lines);
	r->status = 200;
	return rc;
}

static enum relto_err get_posture_diff(struct req *r)
{
	return diff_of(r, RULES_POSTURE);
}

static enum relto_err get_policy_diff(struct req *r)
{
	return diff_of(r, RULES_POLICY);
}

/* A part of the posture in force: its "partners" (one of them when id is
** not NULL) or its "vendors". */
static enum relto_err posture_part(struct req *r, const char *field, const char *id)
{
	char *text = NULL;
	int64_t v = 0;
	enum relto_err rc = in_force(r, RULES_POSTURE, &text, &v);
	json_t *doc = rc ? NULL : json_loads(text, 0, NULL);
	free(text);
	if (rc)
		return rc;
	if (!doc)
		return oom(r);
	json_t *list = json_object_get(doc, field), *pick = NULL, *item;
	size_t i;
	if (id) {
		json_array_foreach(list, i, item)
			if (json_is_string(json_object_get(item, "id")) &&
			    strcmp(json_string_value(json_object_get(item, "id")), id) == 0)
				pick = item;
		if (!pick)
			rc = relto_seterr(r->err, RELTO_ENOTFOUND, "no partner '%.60s' in the posture", id);
	} else {
		pick = json_pack("{sIsO}", "version", (json_int_t)v, field, list ? list : json_null());
		if (!pick)
			rc = oom(r);
	}
	char *out = rc ? NULL : json_dumps(pick, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!rc && !out)
		rc = oom(r);
	if (!rc)
		rc = buf_puts(&r->out, out);
	if (!id)
		json_decref(pick);
	free(out);
	json_decref(doc);
	r->status = 200;
	return rc;
}

static enum relto_err get_partners(struct req *r)
{
	return posture_part(r, "partners", NULL);
}

static enum relto_err get_partner(struct req *r)
{
	return posture_part(r, "partners", r->admin_seg[1]);
}

static enum relto_err get_vendors(struct req *r)
{
	return posture_part(r, "vendors", NULL);
}

/* What each partner receives now, by level, and why not more. */
static enum relto_err get_receiving(struct req *r)
{
	struct server *s = r->srv;
	pthread_mutex_lock(&s->rules_lock);
	struct impact_rules now = {.policy = s->rules->policy, .posture = s->rules->posture,
	                           .policy_version = s->rules->doc[RULES_POLICY].version,
	                           .posture_version = s->rules->doc[RULES_POSTURE].version};
	enum relto_err rc = impact_receiving(s->cfg, r->sc, &now, 1, &r->out, r->err);
	pthread_mutex_unlock(&s->rules_lock);
	r->status = 200;
	return rc;
}

static enum relto_err get_index(struct req *r)
{
	struct server *s = r->srv;
	if (s->release) {
		const struct release_snapshot *snap = release_get(s->release);
		r->snapshot = snap->id;
		release_put(s->release, snap);
	}
	r->status = 200;
	return buf_printf(&r->out, "{\"posture\": {\"version\": %lld}, \"policy\": {\"version\": %lld}, \"snapshot\": %llu}",
	                  (long long)atomic_load(&s->in_force_posture), (long long)atomic_load(&s->in_force_policy),
	                  (unsigned long long)r->snapshot);
}

/* The audit trail's state: its size and its newest checkpoint, checked
** (signature and the record it signs) with the server's public key. */
static enum relto_err get_audit(struct req *r)
{
	struct server *s = r->srv;
	r->status = 200;
	if (!s->audit)
		return buf_puts(&r->out, "{\"enabled\": false}");
	struct audit_status st;
	enum relto_err rc = audit_status(s->store, &s->audit_pub, &st, r->err);
	if (rc)
		return rc;
	char key[100], at[TS_BUFSIZE];
	audit_pubkey_text(&s->audit_pub, key, sizeof(key));
	key[strcspn(key, "\n")] = '\0';
	rc = buf_printf(&r->out, "{\"enabled\": true, \"records\": %lld, \"checkpoints\": %lld, \"pubkey\": \"%s\", "
	                         "\"checkpoint\": ",
	                (long long)st.records, (long long)st.checkpoints, key);
	if (!rc && st.checkpoints)
		rc = buf_printf(&r->out, "{\"seq\": %lld, \"at\": \"%s\", \"valid\": %s}", (long long)st.checkpoint_seq,
		                ts_format(st.checkpoint_at, at), st.checkpoint_valid ? "true" : "false");
	else if (!rc)
		rc = buf_puts(&r->out, "null");
	return rc ? rc : buf_putc(&r->out, '}');
}

/* ---- changing ---- */

enum change_kind { CHANGE_OPS, CHANGE_POSTURE, CHANGE_POLICY, CHANGE_WHATIF };

/* The new texts the body asks for, against the rules in force cur. */
static enum relto_err texts_of(struct req *r, const json_t *body, const struct rules *cur, char *texts[2],
                               size_t lens[2])
{
	const json_t *pol = json_object_get(body, "policy"), *pos = json_object_get(body, "posture");
	const json_t *ops = json_object_get(body, "changes");
	if (pol) {
		if (!json_is_string(pol))
			return relto_seterr(r->err, RELTO_EINVAL, "'policy' must be the policy text (a string)");
		if (!(texts[RULES_POLICY] = strdup(json_string_value(pol))))
			return oom(r);
		lens[RULES_POLICY] = json_string_length(pol);
		if (strlen(texts[RULES_POLICY]) != lens[RULES_POLICY])
			return relto_seterr(r->err, RELTO_EINVAL, "the policy text contains a NUL character");
	}
	if (pos) {
		if (!json_is_object(pos))
			return relto_seterr(r->err, RELTO_EINVAL, "'posture' must be a posture document (an object)");
		if (!(texts[RULES_POSTURE] = json_dumps(pos, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
			return oom(r);
		lens[RULES_POSTURE] = strlen(texts[RULES_POSTURE]);
	}
	if (ops) {
		const char *base = texts[RULES_POSTURE] ? texts[RULES_POSTURE] : cur->doc[RULES_POSTURE].text;
		size_t blen = texts[RULES_POSTURE] ? lens[RULES_POSTURE] : cur->doc[RULES_POSTURE].len;
		char *changed = NULL;
		enum relto_err rc = admin_posture_change(base, blen, ops, &changed, r->err);
		if (rc)
			return rc;
		free(texts[RULES_POSTURE]);
		texts[RULES_POSTURE] = changed;
		lens[RULES_POSTURE] = strlen(changed);
	}
	if (!texts[0] && !texts[1])
		return relto_seterr(r->err, RELTO_EINVAL, "nothing to change: give 'changes', 'posture' or 'policy'");
	return RELTO_OK;
}

static enum relto_err change(struct req *r, enum change_kind kind)
{
	static const char *const fields[][6] = {
		[CHANGE_OPS] = {"reason", "changes", "base", "exact", NULL},
		[CHANGE_POSTURE] = {"reason", "posture", "exact", NULL},
		[CHANGE_POLICY] = {"reason", "policy", "exact", NULL},
		[CHANGE_WHATIF] = {"changes", "posture", "policy", "exact", NULL},
	};
	struct server *s = r->srv;
	json_t *body = NULL;
	const char *reason = NULL;
	int exact = 1;
	enum relto_err rc = body_object(r, fields[kind], &body);
	if (!rc && kind != CHANGE_WHATIF)
		rc = reason_of(r, body, &reason);
	if (!rc)
		rc = exact_of(r, body, &exact);
	if (!rc && kind == CHANGE_OPS && !json_object_get(body, "changes"))
		rc = relto_seterr(r->err, RELTO_EINVAL, "'changes' (a list of change operations) is required");
	if (!rc && kind == CHANGE_POSTURE && !json_object_get(body, "posture"))
		rc = relto_seterr(r->err, RELTO_EINVAL, "'posture' (the whole posture document) is required");
	if (!rc && kind == CHANGE_POLICY && !json_object_get(body, "policy"))
		rc = relto_seterr(r->err, RELTO_EINVAL, "'policy' (the whole policy text) is required");
	const json_t *base = json_object_get(body, "base");
	if (!rc && base && (!json_is_integer(base) || json_integer_value(base) < 0))
		rc = relto_seterr(r->err, RELTO_EINVAL, "'base' must be a posture version number");
	/* Apply what the store holds first, so the change is made against
	** the latest version (admin_commit refuses it otherwise). */
	if (!rc)
		rc = server_sync(s, r->sc, r->err);
	if (rc) {
		json_decref(body);
		return rc;
	}
	char *texts[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	struct rules *next = NULL;
	struct impact_report *impact = NULL;
	pthread_mutex_lock(&s->rules_lock);
	const struct rules *cur = s->rules;
	if (base && json_integer_value(base) != cur->doc[RULES_POSTURE].version)
		rc = relto_seterr(r->err, RELTO_ECONFLICT, "posture version %lld is in force, not %lld (base)",
		                  (long long)cur->doc[RULES_POSTURE].version, (long long)json_integer_value(base));
	if (!rc)
		rc = texts_of(r, body, cur, texts, lens);
	if (!rc)
		rc = admin_prepare(s->cfg, r->sc, cur, (const char *const *)texts, lens, exact, &next, &impact, r->err);
	if (!rc && kind != CHANGE_WHATIF)
		rc = admin_commit(r->sc, cur, next, impact, r->who->id, reason, r->err);
	if (!rc && kind != CHANGE_WHATIF) {
		rc = server_apply_rules(s, r->sc, next, r->err);
		next = NULL;
	}
	/* The audit record of the change, made from the rules now in force. */
	struct buf record;
	buf_init(&record, 1u << 20);
	if (!rc && kind != CHANGE_WHATIF && s->audit) {
		const struct rules_doc *d = &s->rules->doc[kind == CHANGE_POLICY ? RULES_POLICY : RULES_POSTURE];
		unsigned char digest[AUDIT_HASH_LEN];
		audit_hash(d->text, d->len, digest);
		static const char *const action[] = {[CHANGE_OPS] = "posture.change", [CHANGE_POSTURE] = "posture.replace",
		                                     [CHANGE_POLICY] = "policy.apply"};
		struct audit_admin a = {.at = ts_now(), .partner = r->who->id, .credential = r->credential,
		                        .action = action[kind], .subject = "", .author = r->who->id, .version = d->version,
		                        .reason = reason, .digest = digest};
		rc = audit_body_admin(&record, &a);
	}
	pthread_mutex_unlock(&s->rules_lock);
	/* The change is in force: a trail that cannot record it is said so,
	** not hidden. */
	if (!rc && record.len && audit_submit_wait(s->audit, record.data, record.len, r->err))
		rc = relto_seterr(r->err, RELTO_ESTORE, "the change is in force, but the audit trail could not record it");
	buf_free(&record);
	if (!rc && kind != CHANGE_WHATIF) {
		int64_t v = kind == CHANGE_POLICY ? impact->after.policy_version : impact->after.posture_version;
		rc = buf_printf(&r->out, "{\"version\": %lld, \"impact\": ", (long long)v);
	} else if (!rc) {
		rc = buf_puts(&r->out, "{\"impact\": ");
	}
	if (!rc)
		rc = impact_json(impact, &r->out);
	if (!rc)
		rc = buf_putc(&r->out, '}');
	if (!rc)
		r->status = 200;
	free(texts[0]);
	free(texts[1]);
	rules_free(next);
	impact_free(impact);
	json_decref(body);
	return rc;
}

static enum relto_err post_changes(struct req *r)
{
	return change(r, CHANGE_OPS);
}

static enum relto_err put_posture(struct req *r)
{
	return change(r, CHANGE_POSTURE);
}

static enum relto_err put_policy(struct req *r)
{
	return change(r, CHANGE_POLICY);
}

static enum relto_err post_whatif(struct req *r)
{
	return change(r, CHANGE_WHATIF);
}

/* ---- routing ---- */

enum relto_err admin_route(struct req *r, char *const *seg, int n, struct admin_route *out)
{
	memset(out, 0, sizeof(*out));
	r->admin_seg = seg;
	r->admin_nseg = n;
	out->allow = "GET, HEAD";
	if (n == 0) {
		out->get = get_index;
		return RELTO_OK;
	}
	if (n == 1 && strcmp(seg[0], "audit") == 0) {
		out->get = get_audit;
		return RELTO_OK;
	}
	if (!r->srv->release)
		return no_rules(r);
	int posture = strcmp(seg[0], "posture") == 0, policy = strcmp(seg[0], "policy") == 0;
	if ((posture || policy) && n == 1) {
		out->get = posture ? get_posture : get_policy;
		out->put = posture ? put_posture : put_policy;
		out->allow = "GET, HEAD, PUT";
	} else if (posture && n == 2 && strcmp(seg[1], "changes") == 0) {
		out->post = post_changes;
		out->allow = "POST";
	} else if ((posture || policy) && n == 2 && strcmp(seg[1], "versions") == 0) {
		out->get = posture ? get_posture_versions : get_policy_versions;
	} else if ((posture || policy) && n == 3 && strcmp(seg[1], "versions") == 0) {
		out->get = posture ? get_posture_version : get_policy_version;
	} else if ((posture || policy) && n == 2 && strcmp(seg[1], "diff") == 0) {
		out->get = posture ? get_posture_diff : get_policy_diff;
	} else if (strcmp(seg[0], "partners") == 0 && n <= 2) {
		out->get = n == 1 ? get_partners : get_partner;
	} else if (strcmp(seg[0], "vendors") == 0 && n == 1) {
		out->get = get_vendors;
	} else if (strcmp(seg[0], "receiving") == 0 && n == 1) {
		out->get = get_receiving;
	} else if (strcmp(seg[0], "whatif") == 0 && n == 1) {
		out->post = post_whatif;
		out->allow = "POST";
	} else {
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no such admin resource (docs/admin.md lists them)");
	}
	return RELTO_OK;
}
