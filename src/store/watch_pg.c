/*
** watch_pg.c: change announcements on PostgreSQL (store.h, "watching for
** changes other processes commit").  Both halves of one small protocol
** live here: writers call pg__announce inside their transaction, which
** runs pg_notify('relto_changes', 'KIND ORIGIN'); PostgreSQL delivers it
** to every session listening on the channel when the transaction
** commits, in commit order, and drops it if it rolls back.  A watch is a
** connection of its own that has run LISTEN; reading it consumes what
** has arrived, without waiting.
**
** PostgreSQL keeps nothing for a session that is gone: what is announced
** while a watch is disconnected is lost, so a watch that reconnects
** reports that anything may have changed.
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pg_int.h"

#define CHANNEL "relto_changes"
#define RETRY_FIRST_US INT64_C(100000)
#define RETRY_MAX_US INT64_C(10000000)

struct pg_watch {
	struct store_watch base;  /* first: store.c calls through base.ops */
	char *uri;
	char origin[PG_ORIGIN_LEN + 1]; /* the announcements to leave out */
	struct pg_link l;
	int connected;            /* 0: lost, reconnect at retry_at */
	int64_t retry_at;         /* monotonic µs */
	int64_t pause;            /* µs between the next two attempts */
};

static const struct store_watch_ops pg_watch_ops;

/* The kinds announced, as named in payloads. */
static const struct {
	const char *name;
	unsigned bit;
} kinds[] = {
	{"rules", STORE_CHANGED_RULES},
	{"credentials", STORE_CHANGED_CREDENTIALS},
	{"objects", STORE_CHANGED_OBJECTS},
};

/* The watch's connection waits, idle, for days: TCP keepalives find a
** peer that vanished without closing (a dropped route, a firewall that
** forgot the connection) within a minute, and keep such firewalls from
** forgetting it.  A reconnect attempt gives up after 10 s, so that a
** server stopping while its database is unreachable does not wait for
** the kernel's TCP timeout.  The URI's own settings win over these. */
static const char *const watch_keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                                         "keepalives_count", NULL};
static const char *const watch_values[] = {"10", "1", "30", "10", "3", NULL};

enum relto_err pg__announce(struct pg_link *l, const char *origin, const char *kind, char *err)
{
	char payload[64];
	snprintf(payload, sizeof(payload), "%s %s", kind, origin);
	struct pg_params p = {0};
	pg__text(&p, payload);
	return pg__run(l, "SELECT pg_notify('" CHANNEL "', $1)", &p, "announcing a change", NULL, err);
}

static int64_t monotonic_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* libpq hands messages the server sends outside any query (the notice
** of pg_terminate_backend, say) to a notice processor that prints them
** on stderr, outside the log's format; the loss they announce is
** reported by store_watch_read instead. */
static void drop_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connect and LISTEN.  RELTO_OK; RELTO_ESTORE. */
static enum relto_err listen_now(struct pg_watch *w, char *err)
{
	enum relto_err rc = pg__connect_with(w->uri, watch_keys, watch_values, &w->l, err);
	if (rc)
		return rc;
	PQsetNoticeProcessor(w->l.db, drop_notice, NULL);
	rc = pg__exec(&w->l, "LISTEN " CHANNEL, "listening for changes", err);
	if (rc) {
		pg__disconnect(&w->l);
		return rc;
	}
	w->connected = 1;
	w->pause = RETRY_FIRST_US;
	return RELTO_OK;
}

/* The next attempt after the current pause, which then doubles. */
static void schedule_retry(struct pg_watch *w)
{
	w->retry_at = monotonic_us() + w->pause;
	w->pause = w->pause * 2 < RETRY_MAX_US ? w->pause * 2 : RETRY_MAX_US;
}

enum relto_err pg__watch_open(const char *uri, const char *origin, struct store_watch **out, char *err)
{
	struct pg_watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->uri = strdup(uri))) {
		free(w);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	w->base.ops = &pg_watch_ops;
	snprintf(w->origin, sizeof(w->origin), "%s", origin);
	enum relto_err rc = listen_now(w, err);
	if (rc) {
		free(w->uri);
		free(w);
		return rc;
	}
	*out = &w->base;
	return RELTO_OK;
}

static int w_fd(const struct store_watch *base)
{
	const struct pg_watch *w = (const struct pg_watch *)base;
	return w->connected ? PQsocket(w->l.db) : -1;
}

static int w_timeout_ms(const struct store_watch *base)
{
	const struct pg_watch *w = (const struct pg_watch *)base;
	if (w->connected)
		return -1;
	int64_t left = w->retry_at - monotonic_us();
	if (left <= 0)
		return 0;
	return left / 1000 + 1 > INT_MAX ? INT_MAX : (int)(left / 1000 + 1);
}

/* What one payload ("KIND ORIGIN") reports: 0 for this store's own, the
** kind's bit, or everything for a kind this relto does not know (a newer
** relto's, or an operator's NOTIFY relto_changes by hand). */
static unsigned payload_changes(const struct pg_watch *w, const char *payload)
{
	const char *space = strchr(payload, ' ');
	size_t len = space ? (size_t)(space - payload) : strlen(payload);
	if (space && strcmp(space + 1, w->origin) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == len && strncmp(payload, kinds[i].name, len) == 0)
			return kinds[i].bit;
	return STORE_CHANGED_ALL;
}

static enum relto_err w_read(struct store_watch *base, unsigned *changed, char *err)
{
	struct pg_watch *w = (struct pg_watch *)base;
	*changed = 0;
	if (!w->connected) {
		if (monotonic_us() < w->retry_at)
			return RELTO_OK;
		enum relto_err rc = listen_now(w, err);
		if (rc) {
			schedule_retry(w);
			return rc;
		}
		*changed = STORE_CHANGED_ALL; /* what was announced meanwhile is lost */
		return RELTO_OK;
	}
	if (!PQconsumeInput(w->l.db) || PQstatus(w->l.db) != CONNECTION_OK) {
		enum relto_err rc = pg__fail(&w->l, NULL, "watching for changes", err);
		pg__disconnect(&w->l);
		w->connected = 0;
		schedule_retry(w);
		return rc;
	}
	for (PGnotify *n = PQnotifies(w->l.db); n; n = PQnotifies(w->l.db)) {
		*changed |= payload_changes(w, n->extra);
		PQfreemem(n);
	}
	return RELTO_OK;
}

static void w_close(struct store_watch *base)
{
	struct pg_watch *w = (struct pg_watch *)base;
	if (w->connected)
		pg__disconnect(&w->l);
	free(w->uri);
	free(w);
}

static const struct store_watch_ops pg_watch_ops = {
	.fd = w_fd,
	.timeout_ms = w_timeout_ms,
	.read = w_read,
	.close = w_close,
};
