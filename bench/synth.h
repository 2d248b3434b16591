/*
** bench/synth.h: synthetic data the decision benchmarks share: a store
** holding a chosen number of distinct marking sets (combinations of
** classification banners with REL TO lists) over a chosen number of
** objects, a configuration and a posture of N partners with random-ish
** networks.  Deterministic.  Included by one bench program each (every
** bench program is its own binary), hence static inline functions.
*/
#ifndef RELTO_BENCH_SYNTH_H
#define RELTO_BENCH_SYNTH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "ingest/ingest.h"
#include "posture/posture.h"
#include "store/store.h"
#include "util/buf.h"

#define COLL "11111111-2222-4333-8444-555555555555"

extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

static const char *const countries[] = {"USA", "GBR", "AUS", "CAN", "NZL", "JPN", "KOR", "DEU", "FRA", "ITA",
                                        "ESP", "POL", "NLD", "NOR", "SWE", "DNK"};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))
static const char *const levels[] = {"UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"};

_Noreturn static inline void die(const char *what, const char *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err);
	exit(1);
}

/* Marking definition d: a banner with a level and a REL TO list. */
static inline void definition(struct buf *b, size_t d, char id[64])
{
	snprintf(id, 64, "marking-definition--%08zx-0000-4000-8000-000000000000", d);
	buf_printf(b, "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"%s\","
	              "\"created\":\"2024-01-01T00:00:00.000Z\",\"definition_type\":\"statement\","
	              "\"definition\":{\"statement\":\"%s//REL TO USA, %s, %s\"}}",
	           id, levels[d % 4], countries[1 + d % (NCOUNTRIES - 1)], countries[1 + (d / 7) % (NCOUNTRIES - 1)]);
}

/* nobjects indicators in nsets distinct marking sets (object i in set
** i % nsets), each set two or three of 64 marking definitions, ingested
** in envelopes of 20,000. */
static inline void fill_store(struct store *st, size_t nobjects, size_t nsets)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct store_conn *c;
	int64_t coll;
	if (store_conn_get(st, &c, err) || store_collection(c, COLL, &coll, err))
		die("store", err);
	enum { NDEFS = 64, CHUNK = 20000 };
	char ids[NDEFS][64];
	struct buf env;
	buf_init(&env, 1u << 30);
	buf_puts(&env, "{\"objects\":[");
	for (size_t d = 0; d < NDEFS; d++) {
		buf_puts(&env, d ? "," : "");
		definition(&env, d, ids[d]);
	}
	size_t in_env = NDEFS;
	for (size_t i = 0; i <= nobjects; i++) {
		if (i == nobjects || in_env == CHUNK) {
			buf_puts(&env, "]}");
			struct ingest_opts opts = {.batch = 5000, .posted_by = "p0"};
			struct ingest_stats stats;
			if (ingest_body(c, coll, env.data, env.len, &opts, NULL, NULL, &stats, err))
				die("ingest", err);
			if (stats.rejected)
				die("ingest", "objects rejected");
			buf_reset(&env);
			buf_puts(&env, "{\"objects\":[");
			in_env = 0;
		}
		if (i == nobjects)
			break;
		size_t s = i % nsets;
		size_t a = s % NDEFS, b = (a + 1 + s / NDEFS) % NDEFS, k = (b + 1 + s / (NDEFS * NDEFS)) % NDEFS;
		int three = s >= NDEFS * (NDEFS - 1);
		buf_printf(&env, "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
		                 "\"id\":\"indicator--%08zx-0000-4000-8000-%012zx\","
		                 "\"created\":\"2024-01-01T00:00:00.000Z\",\"modified\":\"2024-01-01T00:00:00.000Z\","
		                 "\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\","
		                 "\"valid_from\":\"2024-01-01T00:00:00Z\",\"object_marking_refs\":[\"%s\",\"%s\"%s%s%s]}",
		           in_env ? "," : "", s, i, ids[a], ids[b], three ? ",\"" : "", three ? ids[k] : "", three ? "\"" : "");
		in_env++;
	}
	store_conn_put(st, c);
	buf_free(&env);
}

static inline struct relto_config *make_config(size_t npartners, const char *db)
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

/* The posture text: vendors huawei (high risk), zte and nokia (none);
** partner p runs huawei in its ran when p % 5 == 0, zte when p % 7 == 0,
** nokia otherwise. */
static inline void posture_text(size_t npartners, struct buf *b)
{
	buf_puts(b, "{\"format\":\"relto-posture/1\",\"levels\":[\"UNCLASSIFIED\",\"CONFIDENTIAL\",\"SECRET\",\"TOP_SECRET\"],"
	            "\"vendors\":[{\"id\":\"huawei\",\"name\":\"Huawei\",\"country\":\"CHN\",\"risk\":\"high\",\"lists\":[],\"source\":\"bench\"},"
	            "{\"id\":\"zte\",\"name\":\"ZTE\",\"country\":\"CHN\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"},"
	            "{\"id\":\"nokia\",\"name\":\"Nokia\",\"country\":\"FIN\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"}],\"partners\":[");
	for (size_t p = 0; p < npartners; p++)
		buf_printf(b, "%s{\"id\":\"p%zu\",\"name\":\"Partner %zu\",\"country\":\"%s\",\"groups\":[],"
		              "\"agreement_level\":\"%s\",\"hub\":%s,\"source\":\"bench\",\"operators\":[{\"name\":\"op\",\"segments\":"
		              "{\"ran\":[{\"vendor\":\"%s\",\"source\":\"bench\"}],\"core\":[{\"vendor\":\"nokia\",\"source\":\"bench\"}]}}]}",
		           p ? "," : "", p, p, countries[p % NCOUNTRIES], p % 3 ? "SECRET" : "TOP_SECRET",
		           p == 0 ? "true" : "false", p % 5 == 0 ? "huawei" : p % 7 == 0 ? "zte" : "nokia");
	buf_puts(b, "]}");
}

static inline struct posture *make_posture(size_t npartners)
{
	struct buf b;
	buf_init(&b, 1u << 28);
	posture_text(npartners, &b);
	struct posture *pos = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (posture_load("(bench posture)", b.data, b.len, &pos, err))
		die("posture", err);
	buf_free(&b);
	return pos;
}

/* qsort order for run times. */
static inline int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

#endif
