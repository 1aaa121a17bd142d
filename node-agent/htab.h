/* A small chained hash table keyed by bytes (strings or fixed structs,
 * copied in), holding one pointer per key. */
#ifndef XCNI_HTAB_H
#define XCNI_HTAB_H

#include <stddef.h>
#include <string.h>

struct htab;

struct htab *htab_new(void);
/* Frees the table; free_val (may be NULL) is called on every value. */
void htab_free(struct htab *h, void (*free_val)(void *));

void *htab_get(const struct htab *h, const void *key, size_t klen);
/* Inserts or replaces; returns 0, -ENOMEM or -EINVAL (a key of 4 GB or
 * more). *old (if not NULL) gets the
 * replaced value or NULL. */
int htab_put(struct htab *h, const void *key, size_t klen, void *val, void **old);
/* Removes key; returns its value or NULL. */
void *htab_del(struct htab *h, const void *key, size_t klen);
size_t htab_count(const struct htab *h);

/* Iteration: start with it = {0}; each call returns the next value (NULL at
 * the end) and its key. Deleting the current entry while iterating is
 * allowed. */
struct htab_iter {
	size_t bucket;
	void *next;
};

void *htab_next(const struct htab *h, struct htab_iter *it, const void **key, size_t *klen);

/* String keys (without their terminator). */
static inline void *htab_get_str(const struct htab *h, const char *s)
{
	return htab_get(h, s, strlen(s));
}

static inline int htab_put_str(struct htab *h, const char *s, void *val, void **old)
{
	return htab_put(h, s, strlen(s), val, old);
}

static inline void *htab_del_str(struct htab *h, const char *s)
{
	return htab_del(h, s, strlen(s));
}

#endif
