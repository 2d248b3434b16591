/*
** watch.c: the thread that applies other processes' changes as they are
** announced (watch.h).  It sleeps in poll() on two descriptors: the
** store watch's connection and a pipe that watch_close writes to, so
** stopping never waits for an announcement.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "watch.h"
#include "server.h"
#include "../util/log.h"

struct watch {
	struct store_watch *sw;
	struct server *srv;       /* set by watch_start */
	int wake[2];              /* a pipe: watch_close writes, the thread polls */
	pthread_t thread;
	int started;
	int lost;                 /* the last read lost the connection */
};

enum relto_err watch_open(struct store *st, struct watch **out, char *err)
{
	struct store_watch *sw = NULL;
	enum relto_err rc = store_watch_open(st, &sw, err);
	if (rc == RELTO_EUNSUPPORTED) {
		if (err)
			err[0] = '\0'; /* not a failure: the server works without */
		*out = NULL;
		return RELTO_OK;
	}
	if (rc)
		return rc;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w) {
		store_watch_close(sw);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	w->sw = sw;
	if (pipe2(w->wake, O_CLOEXEC) != 0) {
		store_watch_close(sw);
		free(w);
		return relto_seterr(err, RELTO_EINTERNAL, "watch: pipe: %s", strerror(errno));
	}
	*out = w;
	return RELTO_OK;
}

/* The names of the STORE_CHANGED_ bits, lowest first, for the log. */
static const char *const change_names[] = {"rules", "credentials", "objects"};

/* The kinds in changed as the log shows them: "rules,objects". */
static void changes_text(unsigned changed, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < sizeof(change_names) / sizeof(change_names[0]) && used < size; i++)
		if (changed & 1u << i)
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "", change_names[i]);
}

/* Apply one batch of announcements. */
static void apply(struct watch *w, unsigned changed)
{
	struct server *s = w->srv;
	char err[RELTO_ERRBUF_SIZE] = "", kinds[40];
	/* Every kind goes through server_refresh: rules and credentials as
	** the next request would load them, and objects because they may
	** bring marking sets or definitions the decisions do not know yet
	** (withheld until the rebuild this triggers). */
	enum relto_err rc = server_refresh(s, err);
	/* After a reconnect, the pooled connection it took has likely died in
	** the same outage: its first use says so, and the next reconnects. */
	if (rc == RELTO_ESTORE) {
		err[0] = '\0';
		rc = server_refresh(s, err);
	}
	/* After the refresh, so a page made meanwhile is stale too: from here
	** on no page cached before the other process's commit is served. */
	if (changed & STORE_CHANGED_OBJECTS)
		atomic_fetch_add(&s->generation, 1);
	changes_text(changed, kinds, sizeof(kinds));
	if (rc)
		log_line(LOG_ERROR, "msg=\"a change by another process not applied (the next request applies it)\""
		         " changes=%s detail=\"%s\"", kinds, err);
	else
		log_line(LOG_INFO, "msg=\"applied a change by another process\" changes=%s policy_version=%lld"
		         " posture_version=%lld credentials=%lld generation=%llu", kinds,
		         (long long)atomic_load(&s->in_force_policy), (long long)atomic_load(&s->in_force_posture),
		         (long long)atomic_load(&s->in_force_credentials),
		         (unsigned long long)atomic_load(&s->generation));
}

/* One read of the store's watch, and what it says applied. */
static void read_once(struct watch *w)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	unsigned changed = 0;
	enum relto_err rc = store_watch_read(w->sw, &changed, err);
	if (rc) {
		/* The store says nothing of the URL; no password here. */
		log_line(LOG_WARN, "msg=\"%s\" detail=\"%s\"",
		         w->lost ? "still no change announcements from the store; retrying"
		                 : "lost the store's change announcements; reconnecting", err);
		w->lost = 1;
		return;
	}
	if (w->lost && changed) {
		log_line(LOG_INFO, "msg=\"listening to the store's change announcements again\"");
		w->lost = 0;
	}
	if (changed)
		apply(w, changed);
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = w->wake[0], .events = POLLIN},
		                      {.fd = store_watch_fd(w->sw), .events = POLLIN}};
		/* A descriptor of -1 (the connection lost) is not polled. */
		int n = poll(p, 2, store_watch_timeout_ms(w->sw));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_line(LOG_ERROR, "msg=\"watching the store stopped\" detail=\"poll: %s\"", strerror(errno));
			break;
		}
		if (p[0].revents)
			break;
		read_once(w);
	}
	return NULL;
}

enum relto_err watch_start(struct watch *w, struct server *s, char *err)
{
	if (!w)
		return RELTO_OK;
	w->srv = s;
	int e = pthread_create(&w->thread, NULL, watch_main, w);
	if (e)
		return relto_seterr(err, RELTO_EINTERNAL, "watch: no thread: %s", strerror(e));
	w->started = 1;
	return RELTO_OK;
}

void watch_close(struct watch *w)
{
	if (!w)
		return;
	if (w->started) {
		ssize_t n;
		do
			n = write(w->wake[1], "x", 1);
		while (n < 0 && errno == EINTR);
		pthread_join(w->thread, NULL);
	}
	close(w->wake[0]);
	close(w->wake[1]);
	store_watch_close(w->sw);
	free(w);
}
