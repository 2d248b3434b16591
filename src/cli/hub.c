/*
** hub.c: opening a hub's configuration, rules and store for the commands
** that work on the store directly (see cli.h).
*/
#include <string.h>
#include "cli.h"
#include "../release/rules.h"

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
