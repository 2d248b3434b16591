/*
** bench/release_rebuild.c: how long a decision-cache rebuild takes for N
** partners and M marking sets (issue 3 asks: 1,000 x 1,000 under 100 ms).
**
** Builds a temporary SQLite store holding M distinct marking sets (each a
** combination of classification banners and REL TO lists, with their
** marking-definition objects; bench/synth.h), a posture of N partners
** with varied networks, and the demo policy; then times release_rebuild()
** several times and prints the best and the median.  Never run by the
** tests: `make bench` builds it, `build/bench/release_rebuild [N M]` runs it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/config.h"
#include "policy/policy.h"
#include "posture/posture.h"
#include "release/release.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/ts.h"
#include "synth.h"

extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

int main(int argc, char **argv)
{
	size_t npartners = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	size_t nsets = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	char err[RELTO_ERRBUF_SIZE] = "", dir[] = "/tmp/relto-bench-XXXXXX", path[64];
	if (!mkdtemp(dir))
		die("mkdtemp", "failed");
	snprintf(path, sizeof(path), "%s/b.db", dir);
	struct store *st;
	if (store_open(path, &st, err))
		die("store", err);
	fill_store(st, nsets, nsets);
	struct posture *pos = make_posture(npartners);
	struct relto_config *cfg = make_config(npartners, path);
	struct policy *pol;
	if (policy_compile("relto.policy", (const char *)embed_relto_policy, embed_relto_policy_len, &pol, err))
		die("policy", err);
	struct store_conn *c;
	struct release *rl;
	if (store_conn_get(st, &c, err) || release_new(cfg, pol, pos, c, &rl, err))
		die("release", err);
	const struct release_snapshot *s = release_get(rl);
	size_t sets = s->nsets, released = 0;
	for (size_t p = 0; p < s->npartners; p++)
		released += s->nreleased[p];
	release_put(rl, s);
	enum { RUNS = 9 };
	int64_t t[RUNS];
	for (int i = 0; i < RUNS; i++) {
		int64_t t0 = ts_now();
		if (release_rebuild(rl, c, err))
			die("rebuild", err);
		t[i] = ts_now() - t0;
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_int64);
	printf("decision cache rebuild: %zu partners x %zu marking sets (%zu decisions, %.0f%% released): "
	       "best %.1f ms, median %.1f ms (%d runs)\n",
	       npartners, sets, npartners * sets, 100.0 * (double)released / (double)(npartners * sets),
	       (double)t[0] / 1000.0, (double)t[RUNS / 2] / 1000.0, RUNS);
	release_free(rl);
	store_conn_put(st, c);
	store_close(st);
	policy_free(pol);
	posture_free(pos);
	config_free(cfg);
	unlink(path);
	char wal[80];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
	return 0;
}
