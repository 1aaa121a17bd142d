/* The reconciler's datapath operations over lib/datapath, and adoption of
 * pinned state (see dp_ops.h). */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>

#include "dp_ops.h"
#include "htab.h"

static int op_backend_set(void *ctx, uint32_t id, const struct backend *b)
{
	return dp_backend_set(ctx, id, b);
}

static int op_backend_del(void *ctx, uint32_t id)
{
	return dp_backend_del(ctx, id);
}

static int op_service_set(void *ctx, const struct svc_key *k, const struct svc_value *v,
			  const uint32_t *ids, size_t n, const uint32_t *old, size_t n_old)
{
	return dp_service_update(ctx, k, v, ids, n, old, n_old);
}

static int op_service_del(void *ctx, const struct svc_key *k, uint32_t id, const uint32_t *old,
			  size_t n_old)
{
	return dp_service_remove(ctx, k, id, old, n_old);
}

const struct dp_ops dp_real_ops = {
	.backend_set = op_backend_set,
	.backend_del = op_backend_del,
	.service_set = op_service_set,
	.service_del = op_service_del,
};

struct members {
	uint32_t *ids;
	size_t n, cap;
};

static void members_free(void *p)
{
	struct members *m = p;

	if (m)
		free(m->ids);
	free(m);
}

/* svc_backends, grouped by service id. */
static int read_members(const struct datapath *dp, struct htab *by_svc)
{
	struct svc_backend_key k, next, *prev = NULL;

	while (!bpf_map_get_next_key(dp->fd_svc_backends, prev, &next)) {
		struct members *m = htab_get(by_svc, &next.svc_id, sizeof(next.svc_id));

		if (!m) {
			m = calloc(1, sizeof(*m));
			if (!m || htab_put(by_svc, &next.svc_id, sizeof(next.svc_id), m, NULL)) {
				free(m);
				return -ENOMEM;
			}
		}
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 8;
			uint32_t *ids = realloc(m->ids, cap * sizeof(*ids));

			if (!ids)
				return -ENOMEM;
			m->ids = ids;
			m->cap = cap;
		}
		m->ids[m->n++] = next.backend_id;
		k = next;
		prev = &k;
	}
	return errno == ENOENT ? 0 : -errno;
}

int dp_adopt(const struct datapath *dp, struct reconciler *r, unsigned int *n_services,
	     unsigned int *n_backends)
{
	struct htab *by_svc = htab_new();
	uint32_t bid, bnext, *bprev = NULL;
	struct svc_key sk, snext, *sprev = NULL, *bad = NULL;
	size_t n_bad = 0;
	int err;

	*n_services = *n_backends = 0;
	if (!by_svc)
		return -ENOMEM;
	while (!bpf_map_get_next_key(dp->fd_backends, bprev, &bnext)) {
		struct backend b;

		if (!bpf_map_lookup_elem(dp->fd_backends, &bnext, &b) &&
		    !reconciler_adopt_backend(r, bnext, &b))
			(*n_backends)++;
		bid = bnext;
		bprev = &bid;
	}
	err = read_members(dp, by_svc);
	while (!err && !bpf_map_get_next_key(dp->fd_services, sprev, &snext)) {
		struct svc_value v;
		struct members *m;

		if (!bpf_map_lookup_elem(dp->fd_services, &snext, &v)) {
			m = htab_get(by_svc, &v.id, sizeof(v.id));
			if (!reconciler_adopt_service(r, &snext, &v, m ? m->ids : NULL,
						      m ? m->n : 0)) {
				(*n_services)++;
			} else {
				/* Inconsistent (a backend gone, an id twice): the
				 * shadow cannot hold it, so it goes now and the
				 * sync writes it afresh. */
				struct svc_key *nb = realloc(bad, (n_bad + 1) * sizeof(*bad));

				if (!nb) {
					err = -ENOMEM;
					break;
				}
				bad = nb;
				bad[n_bad++] = snext;
			}
		}
		sk = snext;
		sprev = &sk;
	}
	for (size_t i = 0; i < n_bad; i++)
		dp_service_del(dp, &bad[i]);
	free(bad);
	htab_free(by_svc, members_free);
	return err;
}
