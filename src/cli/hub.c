/*
** hub.c: opening a hub's configuration, rules and store for the commands
** that work on the store directly (see cli.h).
*/
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../audit/audit.h"
#include "../release/rules.h"
#include "../util/ts.h"

void cli_hub_close(struct cli_hub *h)
{
	store_conn_put(h->st, h->c);
	store_close(h->st);
	rules_free(h->files);
	config_free(h->cfg);
	memset(h, 0, sizeof(*h));
}

enum relto_err cli_hub_open(const char *config, int demo, const char *db, int need_rules, struct cli_hub *h,
                            char *err)
{
	memset(h, 0, sizeof(*h));
	h->db = db;
	int ways = !!config + !!demo + (db && !demo);
	if (ways != 1 || (need_rules && !config && !demo))
		return relto_seterr(err, RELTO_EINVAL, "give -c CONFIG or --demo [--db PATH]%s",
		                    need_rules ? "" : " or --db PATH");
	enum relto_err rc = RELTO_OK;
	if (demo) {
		rc = cli_demo_rules(db ? db : "relto-demo.db", &h->cfg, &h->files, err);
	} else if (config) {
		rc = config_load_file(config, &h->cfg, err);
		if (!rc && h->cfg->policy)
			rc = rules_from_files(h->cfg->policy, h->cfg->posture, &h->files, err);
		else if (!rc && need_rules)
			rc = relto_seterr(err, RELTO_EINVAL, "%s names no policy and posture", config);
	}
	if (!rc)
		rc = store_open(h->cfg ? h->cfg->database : db, &h->st, err);
	if (!rc)
		rc = store_conn_get(h->st, &h->c, err);
	if (!rc && h->cfg)
		rc = server_map_collections(h->cfg, h->c, err);
	if (rc)
		cli_hub_close(h);
	return rc;
}

int cli_audit_admin(const struct cli_hub *h, const char *action, const char *subject, const char *author,
                    int64_t version, const char *reason, const char *document)
{
	if (h->cfg && !h->cfg->audit.enabled)
		return 0;
	char path[4096], err[RELTO_ERRBUF_SIZE] = "", who[80];
	struct audit_key key;
	int have_path = h->cfg ? config_audit_key_path(h->cfg, path, sizeof(path))
	                       : cli_beside_db(h->db, ".audit-key", path, sizeof(path));
	/* Without the signing key (another user's file, or no server has run
	** yet) the record is chained but not signed: the server's next
	** checkpoint signs it. */
	if (!have_path || audit_key_load(path, 0, &key, NULL) != RELTO_OK)
		memset(&key, 0, sizeof(key));
	const struct passwd *pw = getpwuid(getuid());
	snprintf(who, sizeof(who), "os:%s", pw && pw->pw_name ? pw->pw_name : "?");
	unsigned char digest[AUDIT_HASH_LEN];
	if (document)
		audit_hash(document, strlen(document), digest);
	struct audit_admin a = {.at = ts_now(), .partner = "cli", .credential = who, .action = action,
	                        .subject = subject ? subject : "", .author = author ? author : "", .version = version, .reason = reason ? reason : "",
	                        .digest = document ? digest : NULL};
	struct buf body;
	buf_init(&body, 1u << 20);
	enum relto_err rc = audit_body_admin(&body, &a);
	if (!rc)
		rc = audit_append_now(h->st, &key, body.data, body.len, NULL, err);
	buf_free(&body);
	audit_key_wipe(&key);
	if (rc) {
		fprintf(stderr, "relto: warning: the change is stored, but the audit trail could not record it: %s\n",
		        err[0] ? err : relto_strerror(rc));
		return 1;
	}
	return 0;
}
