/* xcnictl: inspects a node's datapath (the pinned maps) and its agent
 * (the /status endpoint): status, services, backends, conntrack, stats;
 * tables for people, -o json for scripts. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp.h"
#include "dp_pin.h"
#include "stat_names.h"
#include "xcni/pins.h"

struct ctl {
	const char *root;
	const char *agent;
	bool json;
	struct datapath dp;
};

static const char *proto_name(uint8_t p)
{
	return p == IPPROTO_TCP	 ? "TCP" :
	       p == IPPROTO_UDP	 ? "UDP" :
	       p == IPPROTO_ICMP ? "ICMP" :
				   "?";
}

static void addr_port(uint32_t ip, uint16_t port_be, char *out, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	snprintf(out, len, "%s:%u", a, ntohs(port_be));
}

static void print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		printf("%s\n", s);
	free(s);
	cJSON_Delete(j);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	FILE *f = ud;

	return fwrite(p, size, n, f);
}

/* GET http://<agent>/status; NULL when the agent does not answer. */
static cJSON *agent_status(const char *agent)
{
	char url[256], *body = NULL;
	size_t len = 0;
	long code = 0;
	FILE *f = open_memstream(&body, &len);
	CURL *c = curl_easy_init();
	cJSON *j = NULL;

	if (!f || !c)
		goto out;
	snprintf(url, sizeof(url), "http://%s/status", agent);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	fclose(f);
	f = NULL;
	if (code == 200)
		j = cJSON_Parse(body);
out:
	if (f)
		fclose(f);
	if (c)
		curl_easy_cleanup(c);
	free(body);
	return j;
}

static int cmd_status(struct ctl *c)
{
	struct dp_xdp_dev devs[16];
	cJSON *st = agent_status(c->agent), *d;
	int n = dp_xdp_list(c->root, devs, 16);

	if (c->json) {
		cJSON *out = cJSON_CreateObject(), *links = cJSON_AddArrayToObject(out, "xdpLinks");

		cJSON_AddStringToObject(out, "bpffsRoot", c->root);
		cJSON_AddBoolToObject(out, "agentReachable", st != NULL);
		if (st)
			cJSON_AddItemToObject(out, "agent", st);
		for (int i = 0; i < n && i < 16; i++) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "device", devs[i].ifname);
			cJSON_AddNumberToObject(d, "ifindex", devs[i].ifindex);
			cJSON_AddStringToObject(d, "mode", dp_xdp_mode_name(devs[i].mode));
			cJSON_AddItemToArray(links, d);
		}
		print_json(out);
		return 0;
	}
	printf("bpffs root:  %s\n", c->root);
	if (st) {
		const cJSON *v;

		printf("agent:       %s (node %s, %s, %s)\n", c->agent,
		       cJSON_GetStringValue(cJSON_GetObjectItem(st, "node")),
		       cJSON_IsTrue(cJSON_GetObjectItem(st, "datapathLoaded")) ?
			       "datapath loaded" :
			       "datapath NOT loaded",
		       cJSON_IsTrue(cJSON_GetObjectItem(st, "synced")) ? "synced" : "NOT synced");
		printf("node IP:     %s\n",
		       cJSON_GetStringValue(cJSON_GetObjectItem(st, "nodeIP")));
		v = cJSON_GetObjectItem(st, "services");
		printf("services:    %d entries, %d backends\n", v ? v->valueint : 0,
		       cJSON_GetObjectItem(st, "backends") ?
			       cJSON_GetObjectItem(st, "backends")->valueint :
			       0);
		printf("informers:   ");
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(st, "informers"))
		{
			printf("%s(%s rv=%s) ", v->string,
			       cJSON_IsTrue(cJSON_GetObjectItem(v, "synced")) ? "synced" :
										"syncing",
			       cJSON_GetStringValue(cJSON_GetObjectItem(v, "resourceVersion")));
		}
		printf("\n");
		cJSON_Delete(st);
	} else {
		printf("agent:       %s not answering\n", c->agent);
	}
	printf("%-16s %-8s %s\n", "DEVICE", "IFINDEX", "XDP MODE");
	for (int i = 0; i < n && i < 16; i++)
		printf("%-16s %-8d %s\n", devs[i].ifname, devs[i].ifindex,
		       dp_xdp_mode_name(devs[i].mode));
	return 0;
}

static void flags_str(uint16_t f, char *out, size_t len)
{
	snprintf(out, len, "%s%s%s%s", f & SVC_F_NODEPORT ? "nodeport," : "",
		 f & SVC_F_EXTERNAL ? "external," : "", f & SVC_F_LOCAL ? "local," : "",
		 f & SVC_F_AFFINITY ? "affinity," : "");
	if (*out)
		out[strlen(out) - 1] = '\0';
	else
		snprintf(out, len, "-");
}

static int cmd_services(struct ctl *c)
{
	struct svc_key k, next, *prev = NULL;
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;

	if (!c->json)
		printf("%-22s %-5s %-6s %-8s %-8s %s\n", "ADDRESS", "PROTO", "ID", "BACKENDS",
		       "AFFINITY", "FLAGS");
	while (!bpf_map_get_next_key(c->dp.fd_services, prev, &next)) {
		struct svc_value v;
		char addr[32], fl[64];

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(c->dp.fd_services, &k, &v))
			continue;
		if (k.vip)
			addr_port(k.vip, k.port, addr, sizeof(addr));
		else
			snprintf(addr, sizeof(addr), "*:%u", ntohs(k.port));
		flags_str(v.flags, fl, sizeof(fl));
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "address", addr);
			cJSON_AddStringToObject(o, "protocol", proto_name(k.proto));
			cJSON_AddNumberToObject(o, "id", v.id);
			cJSON_AddNumberToObject(o, "backends", v.backend_count);
			cJSON_AddNumberToObject(o, "affinityTimeout", v.affinity_timeout);
			cJSON_AddStringToObject(o, "flags", fl);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-22s %-5s %-6u %-8u %-8u %s\n", addr, proto_name(k.proto), v.id,
			       v.backend_count, v.flags & SVC_F_AFFINITY ? v.affinity_timeout : 0,
			       fl);
		}
	}
	if (arr)
		print_json(arr);
	return 0;
}

static int cmd_backends(struct ctl *c)
{
	uint32_t k, next, *prev = NULL;
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;

	if (!c->json)
		printf("%-8s %-22s %s\n", "ID", "ADDRESS", "STATE");
	while (!bpf_map_get_next_key(c->dp.fd_backends, prev, &next)) {
		struct backend b;
		char addr[32];

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(c->dp.fd_backends, &k, &b))
			continue;
		addr_port(b.ip, b.port, addr, sizeof(addr));
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", k);
			cJSON_AddStringToObject(o, "address", addr);
			cJSON_AddBoolToObject(o, "terminating", b.flags & BACKEND_F_TERMINATING);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-8u %-22s %s\n", k, addr,
			       b.flags & BACKEND_F_TERMINATING ? "terminating" : "active");
		}
	}
	if (arr)
		print_json(arr);
	return 0;
}

static int cmd_conntrack(struct ctl *c)
{
	struct ct_key k, next, *prev = NULL;
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
	struct dp_config cfg = { 0 };

	dp_config_get(&c->dp, &cfg);
	if (!c->json)
		printf("%-5s %-22s %-22s %-22s %-6s %s\n", "PROTO", "SOURCE", "DESTINATION",
		       "REWRITTEN TO", "AGE", "FLAGS");
	while (!bpf_map_get_next_key(c->dp.fd_ct, prev, &next)) {
		struct ct_value v;
		char src[32], dst[32], to_dst[32] = "", to_src[32] = "", rw[80], fl[64];

		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(c->dp.fd_ct, &k, &v))
			continue;
		addr_port(k.saddr, k.sport, src, sizeof(src));
		addr_port(k.daddr, k.dport, dst, sizeof(dst));
		if (v.flags & CT_F_REWRITE_DST)
			addr_port(v.daddr, v.dport, to_dst, sizeof(to_dst));
		if (v.flags & CT_F_REWRITE_SRC)
			addr_port(v.saddr, v.sport, to_src, sizeof(to_src));
		/* "-", "DST", "src SRC" or "DST src SRC". */
		snprintf(rw, sizeof(rw), "%s%s%s%s", to_dst, *to_dst && *to_src ? " " : "",
			 *to_src ? "src " : "", to_src);
		if (!*rw)
			snprintf(rw, sizeof(rw), "-");
		snprintf(fl, sizeof(fl), "%s%s%s%s", v.flags & CT_F_REPLY ? "reply " : "",
			 v.flags & CT_F_CLOSING ? "closing " : "",
			 v.flags & CT_F_NODEPORT ? "nodeport " : "",
			 v.flags & CT_F_ROUTED ? "routed" : "");
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "protocol", proto_name(k.proto));
			cJSON_AddStringToObject(o, "source", src);
			cJSON_AddStringToObject(o, "destination", dst);
			cJSON_AddStringToObject(o, "rewrite", rw);
			cJSON_AddNumberToObject(o, "backendId", v.backend_id);
			cJSON_AddNumberToObject(o, "ageSeconds", cfg.clock - v.last_seen);
			cJSON_AddStringToObject(o, "flags", fl);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-5s %-22s %-22s %-22s %-6u %s\n", proto_name(k.proto), src, dst,
			       rw, cfg.clock - v.last_seen, fl);
		}
	}
	if (arr)
		print_json(arr);
	return 0;
}

static int cmd_stats(struct ctl *c)
{
	struct stat_value st[STAT_MAX];
	cJSON *obj;
	int err = dp_stats_read(&c->dp, st);

	if (err) {
		fprintf(stderr, "xcnictl: reading stats: %s\n", strerror(-err));
		return 1;
	}
	if (c->json) {
		obj = cJSON_CreateObject();
		for (int i = 0; i < STAT_MAX; i++) {
			cJSON *o = cJSON_AddObjectToObject(obj, stat_name(i));

			cJSON_AddStringToObject(o, "kind", stat_kind(i));
			cJSON_AddNumberToObject(o, "packets", (double)st[i].packets);
			cJSON_AddNumberToObject(o, "bytes", (double)st[i].bytes);
		}
		print_json(obj);
		return 0;
	}
	printf("%-18s %-7s %14s %16s\n", "REASON", "KIND", "PACKETS", "BYTES");
	for (int i = 0; i < STAT_MAX; i++)
		printf("%-18s %-7s %14llu %16llu\n", stat_name(i), stat_kind(i),
		       (unsigned long long)st[i].packets, (unsigned long long)st[i].bytes);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xcnictl [--bpffs-root DIR] [--agent IP:PORT] [-o json] "
		   "status|services|backends|conntrack|stats\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bpffs-root", required_argument, NULL, 'r' },
		{ "agent", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct ctl c = { .root = XCNI_BPFFS_ROOT_DEFAULT, .agent = "127.0.0.1:9464" };
	char msg[512];
	const char *cmd;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "r:a:o:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'r':
			c.root = optarg;
			break;
		case 'a':
			c.agent = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json")) {
				fprintf(stderr, "xcnictl: -o %s: only json is known\n", optarg);
				return 2;
			}
			c.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(cmd, "status")) {
		ret = cmd_status(&c);
		goto out;
	}
	if (strcmp(cmd, "services") && strcmp(cmd, "backends") && strcmp(cmd, "conntrack") &&
	    strcmp(cmd, "stats")) {
		fprintf(stderr, "xcnictl: unknown command %s\n", cmd);
		usage(stderr);
		ret = 2;
		goto out;
	}
	ret = dp_open_pinned(&c.dp, c.root, msg, sizeof(msg));
	if (ret) {
		fprintf(stderr, "xcnictl: %s\n", msg);
		ret = 1;
		goto out;
	}
	if (!strcmp(cmd, "services"))
		ret = cmd_services(&c);
	else if (!strcmp(cmd, "backends"))
		ret = cmd_backends(&c);
	else if (!strcmp(cmd, "conntrack"))
		ret = cmd_conntrack(&c);
	else
		ret = cmd_stats(&c);
	dp_close(&c.dp);
out:
	curl_global_cleanup();
	return ret;
}
