/*
** server.h: the running server: configuration, store, authentication and
** the HTTP daemon (libmicrohttpd, epoll, a thread pool sized to the
** cores).  Everything a request handler needs hangs off struct server;
** there are no globals.
**
** Threading: server_start() and server_stop() run on the main thread;
** handlers run on the pool's threads and only read struct server, as
** does the watch's thread (http/watch.h: other processes' changes).
** Ownership: the server borrows cfg and st, which must outlive it.
*/
#ifndef RELTO_SERVER_H
#define RELTO_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include "../relto.h"
#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../config/config.h"
#include "../store/store.h"

struct server {
	struct relto_config *cfg;
	struct store *store;
	struct auth *auth;
	unsigned char cursor_key[STORE_SECRET_LEN];
	void *daemon;   /* struct MHD_Daemon *, kept opaque outside http/ */
	char *tls_cert, *tls_key, *tls_trust; /* PEM texts, kept while the daemon runs */
	struct pagecache *pages; /* finished page answers (http/pagecache.h) */
	struct ratelimit *rates; /* per-partner request rate (http/ratelimit.h) */
	struct metrics *metrics; /* counters for GET /metrics (http/metrics.h) */
	/* Releasability: all NULL when the configuration names no policy.
	** files: the configured policy and posture (version 0).  rules: the
	** rules in force (release/rules.h), replaced whole under rules_lock,
	** which also serializes every change; readers that use them take it.
	** in_force: their versions, for the per-request check without the
	** lock (server_sync). */
	struct rules *files;
	struct rules *rules;
	pthread_mutex_t rules_lock;
	_Atomic int64_t in_force_policy, in_force_posture;
	_Atomic int64_t in_force_credentials; /* store_heads().credentials loaded into auth */
	struct store_heads refused; /* stored versions that failed to apply */
	struct release *release;
	struct redact_cache *partials; /* partial copies of objects (release/redact.h) */
	/* Other processes' changes as they are announced (http/watch.h);
	** NULL when the store cannot be watched (SQLite). */
	struct watch *watch;
	/* Bumped after every change to what any answer could contain:
	** objects added or deleted through this process, or announced by
	** another (http/watch.h); rules applied; decisions rebuilt.  Cached
	** pages of older generations are never served. */
	_Atomic uint64_t generation;
	/* The audit trail (audit/audit.h), NULL when audit.enabled is false.
	** Answers it records wait, suspended, for their record to be durable;
	** audit_waiting counts them so that server_stop can let them finish
	** (libmicrohttpd must not stop with suspended connections). */
	struct audit *audit;
	struct audit_key audit_pub;   /* the public half, for the console's status */
	_Atomic int stopping;
	_Atomic int audit_waiting;
	/* Set by the command after the start, read by every request (a plain
	** int raced with the workers: ThreadSanitizer). */
	_Atomic int log_requests;
	uint16_t port;  /* the port actually bound (useful with port 0) */
};

/* Map every configured collection to its store key, load secrets, build
** the decision cache from files (the configured policy and posture, which
** the server takes over, on failure too; NULL: no releasability filter)
** with any stored versions applied over them, and start listening.
** RELTO_OK and *out (stop with server_stop); RELTO_EINTERNAL if the
** address cannot be bound (err says why); RELTO_EINVAL for a collection
** default level the policy lacks; RELTO_ESTORE. */
struct rules;
enum relto_err server_start(struct relto_config *cfg, struct store *st, struct rules *files,
                            struct server **out, char *err);

/* Bring the decisions up to date with the store: policy or posture
** versions newer than the ones in force (stored by any process) are
** loaded and applied; marking sets or marking definitions the decision
** cache does not know (writes by other processes; the server's own POSTs
** rebuild at once) trigger a rebuild.  Called every 2 s by the main
** thread (relto serve), and by the watch's thread when another process
** announces a change; safe from any thread.  RELTO_OK; RELTO_ESTORE;
** RELTO_EINVAL (a stored version that no longer applies; the rules in
** force stay). */
enum relto_err server_refresh(struct server *s, char *err);

/* The per-request half of server_refresh: if the store holds policy or
** posture versions other than those in force, apply them before going
** on, so that no request that starts after a change is committed (by
** this process or any other on the store) is decided by the old rules;
** and if credentials were added, rotated or revoked, load them (a revoked
** credential fails on its next request).  Costs one shared-memory read
** when nothing changed.  RELTO_OK; RELTO_ESTORE. */
enum relto_err server_sync(struct server *s, struct store_conn *c, char *err);

/* Replace the configured files (SIGHUP), taking files over, on failure
** too; stored versions still win over them.  RELTO_OK; RELTO_EINVAL;
** RELTO_ESTORE; RELTO_ENOMEM (the rules in force stay). */
enum relto_err server_reload_files(struct server *s, struct rules *files, char *err);

/* Put next (taken over, on failure too) in force: rebuild the decision
** cache, swap, make every cached page stale.  The caller holds
** s->rules_lock.  RELTO_OK; RELTO_EINVAL; RELTO_ESTORE; RELTO_ENOMEM
** (the rules in force stay). */
enum relto_err server_apply_rules(struct server *s, struct store_conn *c, struct rules *next, char *err);

/* Give every configured collection its store key (collection.store_id),
** creating the collections the store does not have yet.  For commands
** that read the store without serving.  RELTO_OK; RELTO_ESTORE. */
enum relto_err server_map_collections(struct relto_config *cfg, struct store_conn *c, char *err);

/* Rebuild the decision cache now and make every cached page stale.
** RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM (the old decisions stay). */
enum relto_err server_rebuild(struct server *s, struct store_conn *c, char *err);
/* Stop accepting, finish running requests, free.  NULL is a no-op. */
void server_stop(struct server *s);

#endif
