/*
** metrics.c: Prometheus counters (see metrics.h).
*/
#include <stdatomic.h>
#include <stdlib.h>
#include "metrics.h"

static const char *const endpoint_names[EP_M_COUNT] = {
	"discovery", "api_root", "status", "collections", "collection", "objects_get", "objects_post", "object_get",
	"object_delete", "manifest", "versions", "admin", "healthz", "metrics", "other",
};

/* The statuses relto answers with; anything else counts as "other". */
static const unsigned statuses[] = {200, 202, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency buckets, in µs (upper bounds; the last is +Inf). */
static const int64_t bucket_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
                                    1000000};
#define NBUCKET (sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

struct metrics {
	const struct relto_config *cfg;
	_Atomic uint64_t requests[EP_M_COUNT][NSTATUS];
	_Atomic uint64_t latency[EP_M_COUNT][NBUCKET];
	_Atomic uint64_t latency_sum_us[EP_M_COUNT];
	_Atomic uint64_t *served;      /* per partner */
	_Atomic uint64_t cache_hits, rebuilds, store_errors;
};

enum relto_err metrics_new(const struct relto_config *cfg, struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));
	if (!m || !(m->served = calloc(cfg->npartners + 1, sizeof(*m->served)))) {
		free(m);
		return RELTO_ENOMEM;
	}
	m->cfg = cfg;
	*out = m;
	return RELTO_OK;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free((void *)m->served);
	free(m);
}

void metrics_request(struct metrics *m, enum metrics_endpoint ep, unsigned status, int64_t us, int partner,
                     size_t served, int cached)
{
	if ((unsigned)ep >= EP_M_COUNT)
		ep = EP_M_OTHER;
	size_t s = 0;
	while (s < NSTATUS - 1 && statuses[s] != status)
		s++;
	size_t b = 0;
	while (b < NBUCKET - 1 && us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&m->requests[ep][s], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency[ep][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_sum_us[ep], (uint64_t)(us > 0 ? us : 0), memory_order_relaxed);
	if (served && partner >= 0 && (size_t)partner < m->cfg->npartners)
		atomic_fetch_add_explicit(&m->served[partner], served, memory_order_relaxed);
	if (cached)
		atomic_fetch_add_explicit(&m->cache_hits, 1, memory_order_relaxed);
}

void metrics_rebuild(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->rebuilds, 1, memory_order_relaxed);
}

void metrics_store_error(struct metrics *m)
{
	atomic_fetch_add_explicit(&m->store_errors, 1, memory_order_relaxed);
}

/* A label value: backslash, double quote and newline escaped. */
static enum relto_err label(struct buf *out, const char *s)
{
	enum relto_err rc = RELTO_OK;
	for (; !rc && *s; s++)
		rc = *s == '\\' ? buf_puts(out, "\\\\") : *s == '"' ? buf_puts(out, "\\\"")
		     : *s == '\n' ? buf_puts(out, "\\n") : buf_putc(out, *s);
	return rc;
}

enum relto_err metrics_withheld_sample(struct buf *out, int first, const char *partner, int line, const char *rule,
                                       int64_t objects)
{
	enum relto_err rc = first ? buf_puts(out, "# HELP relto_objects_withheld Objects a partner does not receive now, "
	                                          "by the rule that withholds them (latest versions, by marking set).\n"
	                                          "# TYPE relto_objects_withheld gauge\n")
	                          : RELTO_OK;
	if (!rc)
		rc = buf_puts(out, "relto_objects_withheld{partner=\"");
	if (!rc)
		rc = label(out, partner);
	if (!rc)
		rc = buf_printf(out, "\",line=\"%d\",rule=\"", line);
	if (!rc)
		rc = label(out, rule);
	if (!rc)
		rc = buf_printf(out, "\"} %lld\n", (long long)objects);
	return rc;
}

static uint64_t get(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

enum relto_err metrics_render(const struct metrics *m, int64_t policy_version, int64_t posture_version,
                              uint64_t snapshot, struct buf *out)
{
	enum relto_err rc = buf_puts(out, "# HELP relto_requests_total Requests answered, by endpoint and HTTP status.\n"
	                                  "# TYPE relto_requests_total counter\n");
	for (size_t e = 0; !rc && e < EP_M_COUNT; e++)
		for (size_t s = 0; !rc && s < NSTATUS; s++) {
			uint64_t n = get(&m->requests[e][s]);
			if (!n)
				continue;
			if (s < NSTATUS - 1)
				rc = buf_printf(out, "relto_requests_total{endpoint=\"%s\",status=\"%u\"} %llu\n", endpoint_names[e],
				                statuses[s], (unsigned long long)n);
			else
				rc = buf_printf(out, "relto_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
				                endpoint_names[e], (unsigned long long)n);
		}
	if (!rc)
		rc = buf_puts(out, "# HELP relto_request_duration_seconds Time from the request's first byte to its answer.\n"
		                   "# TYPE relto_request_duration_seconds histogram\n");
	for (size_t e = 0; !rc && e < EP_M_COUNT; e++) {
		uint64_t cum = 0;
		for (size_t b = 0; b < NBUCKET; b++)
			cum += get(&m->latency[e][b]);
		if (!cum)
			continue;
		cum = 0;
		for (size_t b = 0; !rc && b < NBUCKET; b++) {
			cum += get(&m->latency[e][b]);
			if (b < NBUCKET - 1)
				rc = buf_printf(out, "relto_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
				                endpoint_names[e], (double)bucket_us[b] / 1e6, (unsigned long long)cum);
			else
				rc = buf_printf(out, "relto_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n",
				                endpoint_names[e], (unsigned long long)cum);
		}
		if (!rc)
			rc = buf_printf(out, "relto_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n"
			                     "relto_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
			                endpoint_names[e], (double)get(&m->latency_sum_us[e]) / 1e6, endpoint_names[e],
			                (unsigned long long)cum);
	}
	if (!rc)
		rc = buf_puts(out, "# HELP relto_objects_served_total Objects (or manifest and version entries) released, by partner.\n"
		                   "# TYPE relto_objects_served_total counter\n");
	for (size_t p = 0; !rc && p < m->cfg->npartners; p++)
		rc = buf_printf(out, "relto_objects_served_total{partner=\"%s\"} %llu\n", m->cfg->partners[p].id,
		                (unsigned long long)get(&m->served[p]));
	if (!rc)
		rc = buf_printf(out,
		                "# HELP relto_page_cache_hits_total Pages answered from the page cache.\n"
		                "# TYPE relto_page_cache_hits_total counter\nrelto_page_cache_hits_total %llu\n"
		                "# HELP relto_decision_rebuilds_total Decision-cache rebuilds (new marking sets, rules changes).\n"
		                "# TYPE relto_decision_rebuilds_total counter\nrelto_decision_rebuilds_total %llu\n"
		                "# HELP relto_store_errors_total Requests that failed in the store (answered 503).\n"
		                "# TYPE relto_store_errors_total counter\nrelto_store_errors_total %llu\n"
		                "# HELP relto_rules_version The policy and posture versions in force (0: the configured file).\n"
		                "# TYPE relto_rules_version gauge\nrelto_rules_version{kind=\"policy\"} %lld\n"
		                "relto_rules_version{kind=\"posture\"} %lld\n"
		                "# HELP relto_decision_snapshot The decision snapshot requests now start with.\n"
		                "# TYPE relto_decision_snapshot gauge\nrelto_decision_snapshot %llu\n",
		                (unsigned long long)get(&m->cache_hits), (unsigned long long)get(&m->rebuilds),
		                (unsigned long long)get(&m->store_errors), (long long)policy_version,
		                (long long)posture_version, (unsigned long long)snapshot);
	return rc;
}
