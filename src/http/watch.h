/*
** watch.h: a server's ear on its store (store.h, "watching for changes
** other processes commit"): a thread that waits for the changes other
** processes on the same database announce and applies each batch at
** once: the rules and credentials they stored (server_refresh, so the
** decision cache is rebuilt before the next request rather than by it),
** and, when they added or deleted objects, the marking sets those
** brought and a new generation, so that no page this process cached
** before their commit is served after the announcement arrives.
**
** The per-request check (server_sync) stays the guarantee that a rules
** change applies to every request that starts after its commit; the
** watch makes it prompt, and is what empties page caches across
** processes.  A store that cannot be watched (SQLite) has no watch: the
** server works as before (data_version per request, pages expiring
** after PAGECACHE_TTL_US).
**
** Threading: watch_open, watch_start and watch_close on the thread that
** starts and stops the server; the watch's thread calls only what any
** request thread may call.  Errors: enum relto_err, err says why.
** Ownership: struct server owns its watch (server->watch).
*/
#ifndef RELTO_WATCH_H
#define RELTO_WATCH_H

#include "../relto.h"
#include "../store/store.h"

struct watch;
struct server;

/* Listen on st's announcements now, before the server loads what it
** serves, so nothing committed after this returns goes unnoticed.
** RELTO_OK and *out; RELTO_OK and *out NULL when st cannot be watched;
** RELTO_ESTORE; RELTO_ENOMEM; RELTO_EINTERNAL (no pipe). */
enum relto_err watch_open(struct store *st, struct watch **out, char *err);

/* Start the thread applying announcements to s, which must stay valid
** until watch_close.  NULL w: nothing to do.  RELTO_OK; RELTO_EINTERNAL
** (no thread). */
enum relto_err watch_start(struct watch *w, struct server *s, char *err);

/* Wake the thread, wait for it to end (after the change it is applying,
** or a reconnect attempt of at most 10 s), and free.  NULL is a no-op. */
void watch_close(struct watch *w);

#endif
