/*
** admin.c: preparing and committing rules changes (see admin.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admin.h"

enum relto_err admin_prepare(const struct relto_config *cfg, struct store_conn *c, const struct rules *cur,
                             const char *const texts[2], const size_t lens[2], int exact, struct rules **next,
                             struct impact_report **impact, char *err)
{
	static const char *const names[2] = {"policy", "posture"};
	struct rules *n = NULL;
	enum relto_err rc = RELTO_OK;
	*next = NULL;
	*impact = NULL;
	for (int k = 0; !rc && k < 2; k++) {
		if (!texts[k])
			continue;
		struct rules *m = NULL;
		rc = rules_with(n ? n : cur, (enum rules_kind)k, names[k], texts[k], lens[k], -1, &m, err);
		if (!rc) {
			rules_free(n);
			n = m;
		}
	}
	if (!rc && !n)
		rc = relto_seterr(err, RELTO_EINVAL, "nothing to change");
	if (!rc && cfg) {
		struct impact_rules before = {.policy = cur->policy, .posture = cur->posture,
		                              .policy_version = cur->doc[RULES_POLICY].version,
		                              .posture_version = cur->doc[RULES_POSTURE].version};
		struct impact_rules after = {.policy = n->policy, .posture = n->posture,
		                             .policy_version = n->doc[RULES_POLICY].version,
		                             .posture_version = n->doc[RULES_POSTURE].version};
		rc = impact_compute(cfg, c, &before, &after, exact, impact, err);
	}
	if (rc) {
		rules_free(n);
		return rc;
	}
	*next = n;
	return RELTO_OK;
}

enum relto_err admin_commit(struct store_conn *c, const struct rules *cur, struct rules *next,
                            struct impact_report *impact, const char *author, const char *reason, char *err)
{
	if (!author || !*author)
		return relto_seterr(err, RELTO_EINVAL, "a change needs an author");
	if (!reason || !*reason)
		return relto_seterr(err, RELTO_EINVAL, "a change needs a reason");
	if (next->doc[RULES_POLICY].version == -1 && next->doc[RULES_POSTURE].version == -1)
		return relto_seterr(err, RELTO_EINVAL, "change the policy and the posture one at a time");
	enum relto_err rc = RELTO_OK;
	for (int k = 0; !rc && k < 2; k++) {
		struct rules_doc *d = &next->doc[k];
		if (d->version != -1)
			continue;
		int64_t v = 0;
		rc = store_rules_put(c, rules_kind_name((enum rules_kind)k), author, reason, d->text,
		                     cur->doc[k].version, &v, err);
		if (rc)
			break;
		char name[64];
		snprintf(name, sizeof(name), "(stored %s v%lld)", rules_kind_name((enum rules_kind)k), (long long)v);
		char *dup = strdup(name);
		if (dup) {
			free(d->name);
			d->name = dup;
		}
		d->version = v;
		if (impact && k == RULES_POLICY)
			impact->after.policy_version = v;
		if (impact && k == RULES_POSTURE)
			impact->after.posture_version = v;
	}
	return rc;
}
