/*
** pagecache.c: finished page answers, by key and generation (see
** pagecache.h).  Direct-mapped slots: a new entry replaces whatever held
** its slot, which needs no bookkeeping and bounds the work per request.
*/
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "pagecache.h"
#include "../util/ts.h"

struct slot {
	unsigned char key[PAGECACHE_KEY_LEN];
	uint64_t gen;
	struct pagecache_tag tag;
	int64_t expires;             /* µs */
	struct MHD_Response *resp;   /* NULL: empty */
	size_t size;
};

struct pagecache {
	pthread_mutex_t lock;
	size_t max_bytes, bytes;
	struct slot slots[PAGECACHE_SLOTS];
};

enum relto_err pagecache_new(size_t max_bytes, struct pagecache **out)
{
	struct pagecache *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return RELTO_ENOMEM;
	pthread_mutex_init(&pc->lock, NULL);
	pc->max_bytes = max_bytes;
	*out = pc;
	return RELTO_OK;
}

void pagecache_free(struct pagecache *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < PAGECACHE_SLOTS; i++)
		if (pc->slots[i].resp)
			MHD_destroy_response(pc->slots[i].resp);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

static struct slot *slot_of(struct pagecache *pc, const unsigned char *key)
{
	return &pc->slots[(key[0] | (unsigned)key[1] << 8) % PAGECACHE_SLOTS];
}

int pagecache_serve(struct pagecache *pc, struct MHD_Connection *conn,
                    const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                    enum MHD_Result *ret, struct pagecache_tag *tag)
{
	if (!pc->max_bytes)
		return 0;
	int hit = 0;
	int64_t now = ts_now();
	pthread_mutex_lock(&pc->lock);
	struct slot *s = slot_of(pc, key);
	if (s->resp && s->gen == gen && s->expires > now &&
	    sodium_memcmp(s->key, key, PAGECACHE_KEY_LEN) == 0) {
		/* Queued under the lock: the response gains the connection's
		** reference before anyone can evict the slot. */
		*ret = MHD_queue_response(conn, MHD_HTTP_OK, s->resp);
		*tag = s->tag;
		hit = 1;
	}
	pthread_mutex_unlock(&pc->lock);
	return hit;
}

int pagecache_put(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                  const struct pagecache_tag *tag, struct MHD_Response *resp, size_t size)
{
	if (!pc->max_bytes || size > pc->max_bytes / 8)
		return 0;
	struct MHD_Response *old = NULL;
	int taken = 0;
	pthread_mutex_lock(&pc->lock);
	struct slot *s = slot_of(pc, key);
	size_t freed = s->resp ? s->size : 0;
	if (pc->bytes - freed + size <= pc->max_bytes) {
		old = s->resp;
		pc->bytes = pc->bytes - freed + size;
		memcpy(s->key, key, PAGECACHE_KEY_LEN);
		s->gen = gen;
		s->tag = *tag;
		s->expires = ts_now() + PAGECACHE_TTL_US;
		s->size = size;
		s->resp = resp;
		taken = 1;
	}
	pthread_mutex_unlock(&pc->lock);
	if (old)
		MHD_destroy_response(old);
	return taken;
}
