/* Chained hash table with FNV-1a over the key bytes, doubling at load 1. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htab.h"

/* 24 bytes before the key: the agent keeps one per service in each of
 * three tables, and a 12-byte service key then fits a 48-byte chunk. */
struct hnode {
	struct hnode *next;
	void *val;
	uint32_t hash;
	uint32_t klen;
	unsigned char key[];
};

struct htab {
	struct hnode **b;
	size_t nb, count;
};

static uint32_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	return h;
}

struct htab *htab_new(void)
{
	struct htab *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->nb = 64;
	h->b = calloc(h->nb, sizeof(*h->b));
	if (!h->b) {
		free(h);
		return NULL;
	}
	return h;
}

void htab_free(struct htab *h, void (*free_val)(void *))
{
	struct hnode *n, *next;
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nb; i++) {
		for (n = h->b[i]; n; n = next) {
			next = n->next;
			if (free_val)
				free_val(n->val);
			free(n);
		}
	}
	free(h->b);
	free(h);
}

static struct hnode **find(const struct htab *h, const void *key, size_t klen, uint32_t hash)
{
	struct hnode **pp = &h->b[hash & (h->nb - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->klen == klen && !memcmp((*pp)->key, key, klen))
			break;
	return pp;
}

void *htab_get(const struct htab *h, const void *key, size_t klen)
{
	struct hnode *n = *find(h, key, klen, hash_bytes(key, klen));

	return n ? n->val : NULL;
}

static void grow(struct htab *h)
{
	size_t nb = h->nb * 2, i;
	struct hnode **b = calloc(nb, sizeof(*b)), *n, *next;

	if (!b)
		return; /* stays correct, only slower */
	for (i = 0; i < h->nb; i++) {
		for (n = h->b[i]; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
}

int htab_put(struct htab *h, const void *key, size_t klen, void *val, void **old)
{
	uint32_t hash = hash_bytes(key, klen);
	struct hnode **pp, *n;

	if (klen > UINT32_MAX)
		return -EINVAL;
	pp = find(h, key, klen, hash);
	if (old)
		*old = *pp ? (*pp)->val : NULL;
	if (*pp) {
		(*pp)->val = val;
		return 0;
	}
	n = malloc(sizeof(*n) + klen);
	if (!n)
		return -ENOMEM;
	n->next = NULL;
	n->val = val;
	n->hash = hash;
	n->klen = (uint32_t)klen;
	memcpy(n->key, key, klen);
	*pp = n;
	if (++h->count > h->nb)
		grow(h);
	return 0;
}

void *htab_del(struct htab *h, const void *key, size_t klen)
{
	struct hnode **pp = find(h, key, klen, hash_bytes(key, klen)), *n = *pp;
	void *val;

	if (!n)
		return NULL;
	*pp = n->next;
	val = n->val;
	free(n);
	h->count--;
	return val;
}

size_t htab_count(const struct htab *h)
{
	return h->count;
}

void *htab_next(const struct htab *h, struct htab_iter *it, const void **key, size_t *klen)
{
	struct hnode *n = it->next;

	while (!n && it->bucket < h->nb)
		n = h->b[it->bucket++];
	if (!n)
		return NULL;
	/* Remember the successor now, so the caller may delete n. */
	it->next = n->next;
	if (key)
		*key = n->key;
	if (klen)
		*klen = n->klen;
	return n->val;
}
