/* dp_pin_tool: the node agent's datapath duties for the end-to-end tests,
 * until the agent exists: load and pin, attach XDP, program a service,
 * show, clean up. Each command does its work and exits; the pins stay.
 *
 *   dp_pin_tool load    --root R [--node-ip IP] [--maglev-m M] [--max-ct N]
 *   dp_pin_tool attach  --root R --dev IF [--mode auto|native|generic|offload]
 *   dp_pin_tool detach  --root R --dev IF
 *   dp_pin_tool service --root R --id N --vip IP --port P [--proto tcp|udp]
 *                       --backend IP:PORT [--backend ...]
 *   dp_pin_tool status  --root R
 *   dp_pin_tool refresh --root R
 *   dp_pin_tool cleanup --root R
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "dp.h"
#include "dp_pin.h"

#define MAX_BACKENDS 64

struct args {
	const char *root, *dev, *mode, *vip, *proto;
	struct dp_opts opts;
	uint32_t id;
	uint16_t port;
	const char *backends[MAX_BACKENDS];
	size_t n_backends;
};

static int usage(void)
{
	fprintf(stderr, "usage: dp_pin_tool load|attach|detach|service|status|refresh|cleanup "
			"--root R [options] (see the source)\n");
	return 2;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = { { "root", required_argument, NULL, 'r' },
						  { "dev", required_argument, NULL, 'd' },
						  { "mode", required_argument, NULL, 'm' },
						  { "node-ip", required_argument, NULL, 'n' },
						  { "maglev-m", required_argument, NULL, 'M' },
						  { "max-ct", required_argument, NULL, 'c' },
						  { "id", required_argument, NULL, 'i' },
						  { "vip", required_argument, NULL, 'v' },
						  { "port", required_argument, NULL, 'p' },
						  { "proto", required_argument, NULL, 'P' },
						  { "backend", required_argument, NULL, 'b' },
						  { 0 } };
	struct in_addr ip;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->root = optarg;
			break;
		case 'd':
			a->dev = optarg;
			break;
		case 'm':
			a->mode = optarg;
			break;
		case 'n':
			if (inet_pton(AF_INET, optarg, &ip) != 1)
				return -1;
			a->opts.node_ip = ip.s_addr;
			break;
		case 'M':
			a->opts.maglev_m = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			a->opts.max_ct = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			a->id = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			a->vip = optarg;
			break;
		case 'p':
			a->port = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			a->proto = optarg;
			break;
		case 'b':
			if (a->n_backends == MAX_BACKENDS)
				return -1;
			a->backends[a->n_backends++] = optarg;
			break;
		default:
			return -1;
		}
	}
	return a->root ? 0 : -1;
}

static int cmd_load(struct args *a)
{
	struct datapath dp;
	char msg[512];
	int err;

	a->opts.pin_root = a->root;
	err = dp_load(&dp, &a->opts, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "dp_pin_tool: %s\n", msg);
		return 1;
	}
	printf("loaded: %u maps reused, %u migrated, %u created%s%s\n", dp.maps_reused,
	       dp.maps_migrated, dp.maps_created, msg[0] ? ": " : "", msg);
	dp_close(&dp);
	return 0;
}

static int open_pinned(struct datapath *dp, const char *root)
{
	char msg[512];

	if (dp_open_pinned(dp, root, msg, sizeof(msg))) {
		fprintf(stderr, "dp_pin_tool: %s\n", msg);
		return -1;
	}
	return 0;
}

static int cmd_attach(struct args *a, bool attach)
{
	enum dp_xdp_mode want = DP_XDP_AUTO, got;
	struct datapath dp;
	char msg[512];
	int err;

	if (!a->dev || (a->mode && dp_xdp_mode_parse(a->mode, &want)))
		return usage();
	if (open_pinned(&dp, a->root))
		return 1;
	if (attach)
		err = dp_xdp_attach(&dp, a->root, (int)if_nametoindex(a->dev), want, &got, msg,
				    sizeof(msg));
	else
		err = dp_xdp_detach(&dp, a->root, a->dev, msg, sizeof(msg));
	dp_close(&dp);
	if (err) {
		fprintf(stderr, "dp_pin_tool: %s\n", msg);
		return 1;
	}
	if (attach)
		printf("%s\n", msg);
	return 0;
}

static int cmd_service(struct args *a)
{
	struct svc_key k = { .port = htons(a->port), .proto = 6 };
	struct svc_value v = { .id = a->id, .backend_count = (uint16_t)a->n_backends };
	uint32_t ids[MAX_BACKENDS];
	struct in_addr ip;
	struct datapath dp;
	int err = 0;

	if (!a->vip || inet_pton(AF_INET, a->vip, &ip) != 1 || !a->port)
		return usage();
	k.vip = ip.s_addr;
	if (a->proto && !strcmp(a->proto, "udp"))
		k.proto = 17;
	if (open_pinned(&dp, a->root))
		return 1;
	for (size_t i = 0; !err && i < a->n_backends; i++) {
		char host[INET_ADDRSTRLEN];
		const char *colon = strchr(a->backends[i], ':');
		struct backend b = { 0 };

		if (!colon || colon - a->backends[i] >= (long)sizeof(host)) {
			err = -EINVAL;
			break;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - a->backends[i]), a->backends[i]);
		if (inet_pton(AF_INET, host, &ip) != 1) {
			err = -EINVAL;
			break;
		}
		b.ip = ip.s_addr;
		b.port = htons((uint16_t)atoi(colon + 1));
		/* Backend ids per service: id * 1000 + i, enough for tests. */
		ids[i] = a->id * 1000 + (uint32_t)i;
		err = dp_backend_set(&dp, ids[i], &b);
	}
	if (!err)
		err = dp_service_set(&dp, &k, &v, ids, a->n_backends);
	dp_close(&dp);
	if (err)
		fprintf(stderr, "dp_pin_tool: service %s:%u: %s\n", a->vip, a->port,
			strerror(-err));
	return err ? 1 : 0;
}

static int cmd_status(struct args *a)
{
	struct dp_xdp_dev devs[32];
	int n = dp_xdp_list(a->root, devs, 32);

	if (n < 0) {
		fprintf(stderr, "dp_pin_tool: %s\n", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n && i < 32; i++)
		printf("xdp %s %s\n", devs[i].ifname, dp_xdp_mode_name(devs[i].mode));
	return 0;
}

static int cmd_refresh(struct args *a)
{
	struct datapath dp;
	int n;

	if (open_pinned(&dp, a->root))
		return 1;
	n = dp_tc_pod_refresh(&dp);
	dp_close(&dp);
	if (n < 0) {
		fprintf(stderr, "dp_pin_tool: refresh: %s\n", strerror(-n));
		return 1;
	}
	printf("refreshed %d\n", n);
	return 0;
}

static int cmd_cleanup(struct args *a)
{
	char msg[512];
	int err = dp_cleanup(a->root, msg, sizeof(msg));

	if (msg[0])
		fprintf(stderr, "dp_pin_tool: %s\n", msg);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	const char *cmd;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	libbpf_set_print(quiet);
	if (parse(argc - 1, argv + 1, &a))
		return usage();
	if (!strcmp(cmd, "load"))
		return cmd_load(&a);
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&a, true);
	if (!strcmp(cmd, "detach"))
		return cmd_attach(&a, false);
	if (!strcmp(cmd, "service"))
		return cmd_service(&a);
	if (!strcmp(cmd, "status"))
		return cmd_status(&a);
	if (!strcmp(cmd, "refresh"))
		return cmd_refresh(&a);
	if (!strcmp(cmd, "cleanup"))
		return cmd_cleanup(&a);
	return usage();
}
