/*
** ratelimit.h: a request rate per partner (limits.rate, limits.burst), as
** a token bucket: each partner may make `burst` requests at once and
** `rate` per second on average; beyond that it is answered 429 with a
** Retry-After saying when the next request will pass.  Per partner, not
** per connection, so opening more connections does not buy more.
**
** Threading: ratelimit_take from any thread (a mutex per partner).
** Ownership: ratelimit_free frees all; NULL is a no-op.
*/
#ifndef RELTO_RATELIMIT_H
#define RELTO_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

struct ratelimit;

/* npartners buckets of rate per second (0: unlimited, every take passes)
** and burst.  RELTO_OK and *out; RELTO_ENOMEM. */
enum relto_err ratelimit_new(size_t npartners, unsigned rate, unsigned burst, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);

/* One request of partner p at time now (µs).  1: it passes; 0: it does
** not, and *retry_after is the whole seconds (>= 1) until one would. */
int ratelimit_take(struct ratelimit *rl, int p, int64_t now, unsigned *retry_after);

#endif
