/*
** bench/release_rebuild.c: how long a decision-cache rebuild takes for N
** partners and M marking sets (issue 3 asks: 1,000 x 1,000 under 100 ms).
**
** Builds a temporary SQLite store holding M distinct marking sets (each a
** combination of classification banners, REL TO lists and TLP markings,
** with their marking-definition objects), a posture of N partners with
** random networks, and the demo policy; then times release_rebuild()
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
#include "ingest/ingest.h"

#define COLL "11111111-2222-4333-8444-555555555555"

extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

static const char *const countries[] = {"USA", "GBR", "AUS", "CAN", "NZL", "JPN", "KOR", "DEU", "FRA", "ITA",
                                        "ESP", "POL", "NLD", "NOR", "SWE", "DNK"};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))
static const char *const levels[] = {"UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"};

static void die(const char *what, const char *err)
{
	fprintf(stderr, "release_rebuild: %s: %s\n", what, err);
	exit(1);
}

/* Marking definition d: a banner with a level and a REL TO list. */
static void definition(struct buf *b, size_t d, char id[64])
{
	snprintf(id, 64, "marking-definition--%08zx-0000-4000-8000-000000000000", d);
	buf_printf(b, "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	              "\"created\":\"2024-01-01T00:00:00.000Z\",\"definition_type\":\"statement\","
	              "\"definition\":{\"statement\":\"%s//REL TO USA, %s, %s\"}}",
	           id, levels[d % 4], countries[1 + d % (NCOUNTRIES - 1)], countries[1 + (d / 7) % (NCOUNTRIES - 1)]);
}

static void fill_store(struct store *st, size_t nsets)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct store_conn *c;
	int64_t coll;
	if (store_conn_get(st, &c, err) || store_collection(c, COLL, &coll, err))
		die("store", err);
	size_t ndefs = 64;
	struct buf env;
	buf_init(&env, 1u << 30);
	buf_puts(&env, "{\"objects\":[");
	char ids[64][64];
	for (size_t d = 0; d < ndefs; d++) {
		buf_puts(&env, d ? "," : "");
		definition(&env, d, ids[d]);
	}
	/* Objects carrying two or three of the definitions: nsets distinct sets. */
	for (size_t s = 0; s < nsets; s++) {
		size_t a = s % ndefs, b = (a + 1 + s / ndefs) % ndefs, k = (b + 1 + s / (ndefs * ndefs)) % ndefs;
		int three = s >= ndefs * (ndefs - 1);
		buf_printf(&env, ",{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		                 "\"id\":\"indicator--%08zx-0000-4000-8000-000000000000\","
		                 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
		                 "\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\","
		                 "\"valid_from\":\"2024-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\",\"%s\"%s%s%s]}",
		           s, ids[a], ids[b], three ? ",\"" : "", three ? ids[k] : "", three ? "\"" : "");
	}
	buf_puts(&env, "]}");
	struct ingest_opts opts = {.batch = 5000, .posted_by = "p0"};
	struct ingest_stats stats;
	if (ingest_body(c, coll, env.data, env.len, &opts, NULL, NULL, &stats, err))
		die("ingest", err);
	if (stats.rejected)
		die("ingest", "objects rejected");
	store_conn_put(st, c);
	buf_free(&env);
}

static struct relto_config *make_config(size_t npartners, const char *db)
{
	struct buf b;
	buf_init(&b, 1u << 28);
	buf_printf(&b, "database: \"%s\"\npartners:\n", db);
	for (size_t p = 0; p < npartners; p++)
		buf_printf(&b, "  - id: p%zu\n    password_hash: \"$argon2id$bench\"\n", p);
	buf_printf(&b, "api_roots:\n  - path: r\n    title: r\n    collections:\n"
	               "      - id: %s\n        title: c\n        read: \"*\"\n", COLL);
	struct relto_config *cfg = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (config_load_text("(bench config)", b.data, b.len, &cfg, err))
		die("config", err);
	buf_free(&b);
	return cfg;
}

static struct posture *make_posture(size_t npartners)
{
	struct buf b;
	buf_init(&b, 1u << 28);
	buf_puts(&b, "{\"format\":\"relto-posture/1\",\"levels\":[\"UNCLASSIFIED\",\"CONFIDENTIAL\",\"SECRET\",\"TOP_SECRET\"],"
	             "\"vendors\":[{\"id\":\"huawei\",\"name\":\"Huawei\",\"country\":\"CHN\",\"risk\":\"high\",\"lists\":[],\"source\":\"bench\"},"
	             "{\"id\":\"nokia\",\"name\":\"Nokia\",\"country\":\"FIN\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"}],\"partners\":[");
	for (size_t p = 0; p < npartners; p++)
		buf_printf(&b, "%s{\"id\":\"p%zu\",\"name\":\"Partner %zu\",\"country\":\"%s\",\"groups\":[],"
		               "\"agreement_level\":\"%s\",\"hub\":%s,\"source\":\"bench\",\"operators\":[{\"name\":\"op\",\"segments\":"
		               "{\"ran\":[{\"vendor\":\"%s\",\"source\":\"bench\"}],\"core\":[{\"vendor\":\"nokia\",\"source\":\"bench\"}]}}]}",
		           p ? "," : "", p, p, countries[p % NCOUNTRIES], p % 3 ? "SECRET" : "TOP_SECRET",
		           p == 0 ? "true" : "false", p % 5 ? "nokia" : "huawei");
	buf_puts(&b, "]}");
	struct posture *pos = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (posture_load("(bench posture)", b.data, b.len, &pos, err))
		die("posture", err);
	buf_free(&b);
	return pos;
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

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
	fill_store(st, nsets);
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
	qsort(t, RUNS, sizeof(t[0]), cmp);
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
