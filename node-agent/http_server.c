/* The agent's HTTP endpoints over libmicrohttpd (see http_server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "http_server.h"

struct http_server {
	struct MHD_Daemon *d;
	const struct http_route *routes;
	void *ctx;
	pthread_mutex_t *lock;
	unsigned int port;
};

static enum MHD_Result reply(struct MHD_Connection *c, int code, const char *type, char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	const struct http_route *rt;
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int code;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     strdup("method not allowed\n"), 19);
	for (rt = s->routes; rt->path; rt++)
		if (!strcmp(rt->path, url))
			break;
	if (!rt->path)
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found\n"), 10);
	out = open_memstream(&body, &len);
	if (!out)
		return MHD_NO;
	pthread_mutex_lock(s->lock);
	code = rt->handle(s->ctx, out);
	pthread_mutex_unlock(s->lock);
	if (fclose(out)) {
		free(body);
		return MHD_NO;
	}
	return reply(c, code, rt->content_type, body, len);
}

struct http_server *http_server_start(const char *addr, const struct http_route *routes, void *ctx,
				      pthread_mutex_t *lock, char *err, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64];
	const union MHD_DaemonInfo *info;
	struct http_server *s;
	unsigned int port;

	if (sscanf(addr, "%63[^:]:%u", host, &port) != 2 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		snprintf(err, len, "metrics address %s: expected IPv4:PORT", addr);
		return NULL;
	}
	sa.sin_port = htons(port);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	s->routes = routes;
	s->ctx = ctx;
	s->lock = lock;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, len, "cannot serve HTTP on %s (in use?)", addr);
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	return s;
}

unsigned int http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
