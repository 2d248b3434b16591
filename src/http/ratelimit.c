/*
** ratelimit.c: per-partner token buckets (see ratelimit.h).
*/
#include <pthread.h>
#include <stdlib.h>
#include "ratelimit.h"

struct bucket {
	pthread_mutex_t lock;
	double tokens;
	int64_t last;             /* µs of the last refill */
};

struct ratelimit {
	unsigned rate, burst;
	size_t n;
	struct bucket *b;
};

enum relto_err ratelimit_new(size_t npartners, unsigned rate, unsigned burst, struct ratelimit **out)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl || !(rl->b = calloc(npartners + 1, sizeof(*rl->b)))) {
		free(rl);
		return RELTO_ENOMEM;
	}
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->n = npartners;
	for (size_t i = 0; i < npartners; i++) {
		pthread_mutex_init(&rl->b[i].lock, NULL);
		rl->b[i].tokens = rl->burst;
	}
	*out = rl;
	return RELTO_OK;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->n; i++)
		pthread_mutex_destroy(&rl->b[i].lock);
	free(rl->b);
	free(rl);
}

int ratelimit_take(struct ratelimit *rl, int p, int64_t now, unsigned *retry_after)
{
	if (!rl->rate || p < 0 || (size_t)p >= rl->n)
		return 1;
	struct bucket *b = &rl->b[p];
	pthread_mutex_lock(&b->lock);
	if (b->last && now > b->last) {
		b->tokens += (double)(now - b->last) * rl->rate / 1e6;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	}
	b->last = now;
	int ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else
		*retry_after = (unsigned)((1.0 - b->tokens) / rl->rate) + 1;
	pthread_mutex_unlock(&b->lock);
	return ok;
}
