/* The agent's HTTP endpoints (/metrics, /healthz, /readyz, /status) on
 * libmicrohttpd's own thread. Every handler runs with the agent's state
 * lock held, so it sees the state between two events, never mid-way. */
#ifndef XCNI_HTTP_SERVER_H
#define XCNI_HTTP_SERVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

/* A handler writes its body to out and returns the HTTP status. */
struct http_route {
	const char *path;
	const char *content_type;
	int (*handle)(void *ctx, FILE *out);
};

struct http_server;

/* addr is "IP:PORT" (IPv4; PORT 0 picks one). routes ends with a NULL path.
 * Returns NULL with err set on failure. */
struct http_server *http_server_start(const char *addr, const struct http_route *routes, void *ctx,
				      pthread_mutex_t *lock, char *err, size_t len);
/* The port actually bound. */
unsigned int http_server_port(const struct http_server *s);
void http_server_stop(struct http_server *s);

#endif
