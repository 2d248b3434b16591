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
	int64_t expires;             /* µs */
	struct pagecache_entry *e;   /* NULL: empty */
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

static void entry_free(struct pagecache_entry *e)
{
	MHD_destroy_response(e->resp);
	if (e->tag.audit && e->tag.audit_free)
		e->tag.audit_free(e->tag.audit);
	free(e);
}

void pagecache_free(struct pagecache *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < PAGECACHE_SLOTS; i++)
		if (pc->slots[i].e && --pc->slots[i].e->refs == 0)
			entry_free(pc->slots[i].e);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

struct pagecache_entry *pagecache_entry_new(struct MHD_Response *resp, size_t size,
                                            const struct pagecache_tag *tag)
{
	struct pagecache_entry *e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	*e = (struct pagecache_entry){.resp = resp, .size = size, .tag = *tag, .refs = 1};
	return e;
}

void pagecache_drop(struct pagecache *pc, struct pagecache_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&pc->lock);
	int last = --e->refs == 0;
	pthread_mutex_unlock(&pc->lock);
	if (last)
		entry_free(e);
}

static struct slot *slot_of(struct pagecache *pc, const unsigned char *key)
{
	return &pc->slots[(key[0] | (unsigned)key[1] << 8) % PAGECACHE_SLOTS];
}

struct pagecache_entry *pagecache_take(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN],
                                       uint64_t gen)
{
	if (!pc->max_bytes)
		return NULL;
	struct pagecache_entry *e = NULL;
	int64_t now = ts_now();
	pthread_mutex_lock(&pc->lock);
	struct slot *s = slot_of(pc, key);
	if (s->e && s->gen == gen && s->expires > now && sodium_memcmp(s->key, key, PAGECACHE_KEY_LEN) == 0) {
		e = s->e;
		e->refs++;
	}
	pthread_mutex_unlock(&pc->lock);
	return e;
}

void pagecache_put(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                   struct pagecache_entry *e)
{
	if (!pc->max_bytes || e->size > pc->max_bytes / 8)
		return;
	struct pagecache_entry *old = NULL;
	pthread_mutex_lock(&pc->lock);
	struct slot *s = slot_of(pc, key);
	size_t freed = s->e ? s->e->size : 0;
	if (pc->bytes - freed + e->size <= pc->max_bytes) {
		if (s->e && --s->e->refs == 0)
			old = s->e;
		pc->bytes = pc->bytes - freed + e->size;
		memcpy(s->key, key, PAGECACHE_KEY_LEN);
		s->gen = gen;
		s->expires = ts_now() + PAGECACHE_TTL_US;
		s->e = e;
		e->refs++;
	}
	pthread_mutex_unlock(&pc->lock);
	if (old)
		entry_free(old);
}
