/*
** bench/gen.c: synthetic data for bench/run, deterministic from a seed.
**
**   build/bench/gen objects N DIR [SEED]
**       N STIX 2.1 objects from relto's demo generator (src/demo/gen.c:
**       indicators, malware, attack patterns, intrusion sets, reports with
**       object_refs, relationships, sightings, several versions of some
**       objects; TLP, classification banners, REL TO lists and granular
**       markings in the mix docs/demo-data.md describes), in one
**       collection, as TAXII envelopes DIR/objects-NNN.json of at most
**       50,000 objects, in an order where what an object refers to comes
**       first.
**   build/bench/gen hub P DIR
**       A hub of P partners (P >= 3): DIR/posture.json (countries, groups,
**       agreement levels, operators with vendors, some high-risk),
**       DIR/relto.policy (the demo policy) and DIR/relto.yaml (logins
**       hub, p1 ... p(P-1), admin, every password "bench-password";
**       collection bench, 6b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d, read by
**       all, written by the hub; database DIR/bench.db; plain HTTP on
**       127.0.0.1:{PORT}, to be substituted).  Partner p1 is narrow
**       (CONFIDENTIAL, high-risk radio equipment, outside every
**       coalition); p2 is wide (GBR, FVEY, SECRET); p3 is sparse: a rule
**       added to the demo policy lets it receive TOP SECRET material
**       only, about 1% of the objects.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "demo/gen.h"
#include "util/buf.h"

#define PER_FILE 50000

extern const unsigned char embed_relto_policy[];
extern const size_t embed_relto_policy_len;

struct sink {
	const char *dir;
	FILE *f;
	size_t in_file, files, total;
};

_Noreturn static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench gen: %s: %s\n", what, why);
	exit(1);
}

static void close_file(struct sink *s)
{
	if (s->f) {
		fputs("\n]}\n", s->f);
		if (fclose(s->f) != 0)
			die("write", "cannot close a file");
		s->f = NULL;
	}
}

static enum relto_err emit(void *ctx, size_t collection, const char *json, size_t len)
{
	struct sink *s = ctx;
	(void)collection;
	if (s->f && s->in_file == PER_FILE)
		close_file(s);
	if (!s->f) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/objects-%03zu.json", s->dir, s->files++);
		if (!(s->f = fopen(path, "w")))
			die(path, "cannot create");
		fputs("{\"objects\":[\n", s->f);
		s->in_file = 0;
	}
	if (s->in_file++)
		fputs(",\n", s->f);
	fwrite(json, 1, len, s->f);
	s->total++;
	return RELTO_OK;
}

static int objects(size_t n, const char *dir, uint64_t seed)
{
	struct gen_params p;
	gen_params_default(&p);
	p.count = n;
	p.ncollections = 1;
	p.seed = seed;
	struct sink s = {.dir = dir};
	char err[RELTO_ERRBUF_SIZE] = "";
	if (gen_run(&p, emit, &s, err))
		die("generate", err);
	close_file(&s);
	printf("%zu objects in %zu files in %s\n", s.total, s.files, dir);
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		die(path, "cannot write");
}

static const char *const countries[] = {"GBR", "AUS", "CAN", "NZL", "JPN", "KOR", "DEU", "FRA", "ITA", "ESP",
                                        "POL", "NLD", "NOR", "SWE", "DNK", "FIN", "BEL", "PRT", "CZE", "ROU"};
#define NCOUNTRIES (sizeof(countries) / sizeof(countries[0]))

static int hub(size_t n, const char *dir)
{
	if (n < 3)
		die("hub", "at least 3 partners");
	struct buf pos, cfg;
	buf_init(&pos, 1u << 28);
	buf_init(&cfg, 1u << 28);
	buf_puts(&pos, "{\"format\":\"relto-posture/1\",\"levels\":[\"UNCLASSIFIED\",\"CONFIDENTIAL\",\"SECRET\",\"TOP_SECRET\"],"
	               "\"vendors\":["
	               "{\"id\":\"huawei\",\"name\":\"Huawei\",\"country\":\"CHN\",\"risk\":\"high\",\"lists\":[\"fcc-covered-list:2021-03-12\"],\"source\":\"bench\"},"
	               "{\"id\":\"zte\",\"name\":\"ZTE\",\"country\":\"CHN\",\"risk\":\"high\",\"lists\":[\"fcc-covered-list:2021-03-12\"],\"source\":\"bench\"},"
	               "{\"id\":\"ericsson\",\"name\":\"Ericsson\",\"country\":\"SWE\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"},"
	               "{\"id\":\"nokia\",\"name\":\"Nokia\",\"country\":\"FIN\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"},"
	               "{\"id\":\"samsung\",\"name\":\"Samsung\",\"country\":\"KOR\",\"risk\":\"none\",\"lists\":[],\"source\":\"bench\"}],"
	               "\"partners\":[");
	for (size_t p = 0; p < n; p++) {
		const char *id_fmt = p == 0 ? "hub" : "p%zu";
		char id[32];
		snprintf(id, sizeof(id), id_fmt, p);
		/* p1 narrow, p2 wide, the others varied. */
		const char *country = p == 0 ? "USA" : p == 1 ? "IDN" : p == 2 ? "GBR" : countries[p % NCOUNTRIES];
		int fvey = p == 2 || (p > 2 && p % NCOUNTRIES < 4);
		const char *level = p == 0 || p == 3 ? "TOP_SECRET" : p == 1 ? "CONFIDENTIAL" : p % 3 ? "SECRET" : "CONFIDENTIAL";
		const char *ran = p == 1 ? "huawei" : p > 2 && p % 7 == 0 ? "zte" : p % 2 ? "ericsson" : "nokia";
		buf_printf(&pos, "%s{\"id\":\"%s\",\"name\":\"Partner %s\",\"country\":\"%s\",\"groups\":[%s],"
		                 "\"agreement_level\":\"%s\",\"hub\":%s,\"source\":\"bench\",\"operators\":[{\"name\":\"Operator %s\","
		                 "\"segments\":{\"ran\":[{\"vendor\":\"%s\",\"source\":\"bench\"}],\"core\":[{\"vendor\":\"%s\","
		                 "\"source\":\"bench\"}]}}]}",
		           p ? "," : "", id, id, country, fvey || p == 0 ? "\"fvey\"" : "", level, p == 0 ? "true" : "false", id,
		           ran, p % 5 == 4 ? "samsung" : "nokia");
	}
	buf_puts(&pos, "]}\n");
	char hash[AUTH_HASH_SIZE], err[RELTO_ERRBUF_SIZE] = "";
	if (auth_hash_password("bench-password", 14, hash, err))
		die("hash", err);
	buf_printf(&cfg, "# relto configuration for bench/run (made by build/bench/gen hub)\n"
	                 "server:\n  listen: \"127.0.0.1:{PORT}\"\n  plain_http: true\n  title: \"relto bench hub\"\n"
	                 "database: \"%s/bench.db\"\npolicy: \"%s/relto.policy\"\nposture: \"%s/posture.json\"\n"
	                 "limits:\n  max_page_size: 1000\n  max_connections: 4096\npartners:\n", dir, dir, dir);
	for (size_t p = 0; p < n; p++) {
		char id[32];
		snprintf(id, sizeof(id), p == 0 ? "hub" : "p%zu", p);
		buf_printf(&cfg, "  - id: %s\n    password_hash: \"%s\"\n", id, hash);
	}
	buf_printf(&cfg, "  - id: admin\n    role: admin\n    password_hash: \"%s\"\n"
	                 "api_roots:\n  - path: hub\n    title: \"Hub\"\n    collections:\n"
	                 "      - id: 6b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n        alias: bench\n        title: \"Bench\"\n"
	                 "        read: \"*\"\n        write: [hub]\n", hash);
	write_file(dir, "posture.json", pos.data, pos.len);
	write_file(dir, "relto.yaml", cfg.data, cfg.len);
	static const char sparse[] =
		"\n# bench: partner p3 receives TOP SECRET material only (about 1% of the\n"
		"# objects bench/gen makes), to measure a page that is mostly withheld.\n"
		"deny when partner.id == \"p3\" and object.level < TOP_SECRET\n"
		"    because \"bench: p3 receives TOP SECRET material only\"\n";
	struct buf policy;
	buf_init(&policy, 1u << 20);
	buf_append(&policy, (const char *)embed_relto_policy, embed_relto_policy_len);
	buf_puts(&policy, sparse);
	write_file(dir, "relto.policy", policy.data, policy.len);
	buf_free(&policy);
	printf("hub of %zu partners in %s\n", n, dir);
	buf_free(&pos);
	buf_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "objects") == 0)
		return objects(strtoul(argv[2], NULL, 10), argv[3], argc > 4 ? strtoull(argv[4], NULL, 10) : 1);
	if (argc == 4 && strcmp(argv[1], "hub") == 0)
		return hub(strtoul(argv[2], NULL, 10), argv[3]);
	fputs("usage: gen objects N DIR [SEED] | gen hub PARTNERS DIR\n", stderr);
	return 2;
}
