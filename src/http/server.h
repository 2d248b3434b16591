/*
** server.h: the running server: configuration, store, authentication and
** the HTTP daemon (libmicrohttpd, epoll, a thread pool sized to the
** cores).  Everything a request handler needs hangs off struct server;
** there are no globals.
**
** Threading: server_start() and server_stop() run on the main thread;
** handlers run on the pool's threads and only read struct server.
** Ownership: the server borrows cfg and st, which must outlive it.
*/
#ifndef RELTO_SERVER_H
#define RELTO_SERVER_H

#include <stdatomic.h>
#include "../relto.h"
#include "../auth/auth.h"
#include "../config/config.h"
#include "../store/store.h"

struct server {
	struct relto_config *cfg;
	struct store *store;
	struct auth *auth;
	unsigned char cursor_key[STORE_SECRET_LEN];
	void *daemon;   /* struct MHD_Daemon *, kept opaque outside http/ */
	struct pagecache *pages; /* finished page answers (http/pagecache.h) */
	/* Releasability: NULL when the configuration names no policy. */
	struct policy *policy;
	struct posture *posture;
	struct release *release;
	/* The stored posture version in force (relto posture import); 0 while
	** the posture comes from a file or the built-in demo one. */
	int64_t posture_version;
	struct redact_cache *partials; /* partial copies of objects (release/redact.h) */
	/* Bumped after every change this process makes to what any answer
	** could contain (objects added or deleted; later policy, posture):
	** cached pages of older generations are never served. */
	_Atomic uint64_t generation;
	int log_requests;
	uint16_t port;  /* the port actually bound (useful with port 0) */
};

/* Map every configured collection to its store key, load secrets, build
** the decision cache when pol and pos are given (the server takes them
** over, on failure too; both NULL: no releasability filter), and start
** listening.  RELTO_OK and *out (stop with server_stop);
** RELTO_EINTERNAL if the address cannot be bound (err says why);
** RELTO_EINVAL for a collection default level the policy lacks;
** RELTO_ESTORE. */
enum relto_err server_start(struct relto_config *cfg, struct store *st, struct policy *pol,
                            struct posture *pos, struct server **out, char *err);

/* Bring the decisions up to date with the store: a posture version newer
** than the one in force (relto posture import, from any process) is
** loaded and applied; marking sets or marking definitions the decision
** cache does not know (writes by other processes; the server's own POSTs
** rebuild at once) trigger a rebuild.  Call now and then from the main
** thread.  RELTO_OK; RELTO_ESTORE; RELTO_EINVAL (a stored posture that
** no longer loads; the one in force stays). */
enum relto_err server_refresh(struct server *s, char *err);

/* Replace the policy and posture (taking them over, on failure too) and
** rebuild; on failure the old rules stay in force.  RELTO_OK; RELTO_EINVAL;
** RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err server_set_rules(struct server *s, struct policy *pol, struct posture *pos, char *err);

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
