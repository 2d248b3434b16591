/*
** intern.h: a table of strings numbered 0, 1, 2 ... in the order they were
** first added, found by hash.  The SQLite store numbers submitters with
** it (its reference cache, per connection; its rows' map, per store
** handle), so that "the partner's own" is an integer compare.  Not
** thread-safe: a table shared by threads is used under its owner's lock.
*/
#ifndef RELTO_INTERN_H
#define RELTO_INTERN_H

#include <stddef.h>

struct intern {
	char **v;                 /* v[k]: the name numbered k */
	size_t n, cap;
	int *slots;               /* open addressing: numbers, -1 free */
	size_t nslots;
};

/* The number of s, added if new; -1 when out of memory or when the table
** holds `max` names already.  A zeroed struct intern is an empty table. */
int intern_of(struct intern *t, const char *s, size_t max);
/* The number of s, or -1 when the table does not hold it. */
int intern_find(const struct intern *t, const char *s);
void intern_free(struct intern *t);

#endif
