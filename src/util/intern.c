/*
** intern.c: strings numbered in order of arrival, found by hash (intern.h).
*/
#include <stdlib.h>
#include <string.h>
#include "intern.h"

static size_t hash_text(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 ^ (unsigned char)*s++;
	return h;
}

/* The slot of s (t->nslots > 0): its number there, or -1 (free). */
static int *slot_of(const struct intern *t, const char *s)
{
	size_t i = hash_text(s) & (t->nslots - 1);
	while (t->slots[i] >= 0 && strcmp(t->v[t->slots[i]], s) != 0)
		i = (i + 1) & (t->nslots - 1);
	return &t->slots[i];
}

int intern_find(const struct intern *t, const char *s)
{
	return t->nslots ? *slot_of(t, s) : -1;
}

int intern_of(struct intern *t, const char *s, size_t max)
{
	int found = intern_find(t, s);
	if (found >= 0)
		return found;
	if (t->n >= max)
		return -1;
	/* At most half full: probes stay short. */
	if (2 * (t->n + 1) > t->nslots) {
		size_t n = t->nslots ? 2 * t->nslots : 64;
		int *slots = malloc(n * sizeof(*slots));
		if (!slots)
			return -1;
		memset(slots, 0xff, n * sizeof(*slots));
		free(t->slots);
		t->slots = slots;
		t->nslots = n;
		for (size_t i = 0; i < t->n; i++)
			*slot_of(t, t->v[i]) = (int)i;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if (!(t->v[t->n] = strdup(s)))
		return -1;
	*slot_of(t, s) = (int)t->n;
	return (int)t->n++;
}

void intern_free(struct intern *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
