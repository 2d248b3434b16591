/*
** bench/whatif.c: how long a what-if takes on a large hub (issue 4 asks:
** 1,000,000 objects, 1,000 marking sets and 200 partners in under one
** second, counting by marking set).
**
** Builds a temporary SQLite store of N objects in M marking sets
** (bench/synth.h), a configuration and posture of P partners and the
** demo policy, then times admin_prepare() for "vendor zte becomes high
** risk" (it touches the partners running zte in their radio network):
** two decision snapshots, the store's grouped count and the report.
** Prints the best and the median of several runs, and the report's
** totals.  `make bench` builds it; `build/bench/whatif [N M P]` runs it
** (the store takes a while to fill: about N / 40,000 seconds).
*/
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "admin/admin.h"
#include "admin/change.h"
#include "http/server.h"
#include "util/ts.h"
#include "synth.h"

extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

int main(int argc, char **argv)
{
	size_t nobjects = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t nsets = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	size_t npartners = argc > 3 ? strtoul(argv[3], NULL, 10) : 200;
	char err[RELTO_ERRBUF_SIZE] = "", dir[] = "/tmp/relto-bench-XXXXXX", path[64];
	if (!mkdtemp(dir))
		die("mkdtemp", "failed");
	snprintf(path, sizeof(path), "%s/w.db", dir);
	struct store *st;
	if (store_open(path, &st, err))
		die("store", err);
	int64_t t0 = ts_now();
	fill_store(st, nobjects, nsets);
	printf("store: %zu objects in %zu marking sets, filled in %.1f s\n", nobjects, nsets,
	       (double)(ts_now() - t0) / 1e6);

	struct relto_config *cfg = make_config(npartners, path);
	struct buf pos;
	buf_init(&pos, 1u << 28);
	posture_text(npartners, &pos);
	struct rules *cur = NULL;
	if (rules_from_texts("relto.policy", (const char *)embed_relto_policy, embed_relto_policy_len, "(bench posture)",
	                     pos.data, pos.len, &cur, err))
		die("rules", err);
	json_t *changes = json_array();
	char *changed = NULL;
	if (admin_change_from_flag("vendor-risk", "zte=high", changes, err) ||
	    admin_posture_change(pos.data, pos.len, changes, &changed, err))
		die("change", err);
	struct store_conn *c;
	if (store_conn_get(st, &c, err) || server_map_collections(cfg, c, err))
		die("store", err);
	const char *texts[2] = {NULL, changed};
	size_t lens[2] = {0, strlen(changed)};
	enum { RUNS = 7 };
	int64_t t[RUNS];
	int64_t lost = 0;
	size_t affected = 0;
	for (int i = 0; i < RUNS; i++) {
		struct rules *next = NULL;
		struct impact_report *impact = NULL;
		int64_t s0 = ts_now();
		if (admin_prepare(cfg, c, cur, texts, lens, 0, &next, &impact, err))
			die("what-if", err);
		t[i] = ts_now() - s0;
		lost = 0;
		affected = 0;
		for (size_t p = 0; p < impact->npartners; p++) {
			lost += impact->partners[p].total.lost;
			affected += impact->partners[p].total.lost != 0;
		}
		impact_free(impact);
		rules_free(next);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_int64);
	printf("what-if \"zte becomes high risk\" by marking set: %zu objects, %zu marking sets, %zu partners: "
	       "best %.1f ms, median %.1f ms (%d runs); %zu partners lose %lld objects in all\n",
	       nobjects, nsets, npartners, (double)t[0] / 1000.0, (double)t[RUNS / 2] / 1000.0, RUNS, affected,
	       (long long)lost);
	store_conn_put(st, c);
	store_close(st);
	rules_free(cur);
	free(changed);
	json_decref(changes);
	buf_free(&pos);
	config_free(cfg);
	char f[96];
	const char *suffix[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
		unlink(f);
	}
	rmdir(dir);
	return 0;
}
