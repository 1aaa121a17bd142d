/* xcni-agent's options: one table serves the command line (--name value),
 * the config file (--config FILE, a JSON object with the same names, as
 * the DaemonSet's ConfigMap holds it), --print-options and --print-config.
 * The command line wins over the file. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "file.h"

enum opt_type { OPT_STR, OPT_UINT };

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t off, size;
	const char *help;
};

#define STR(f, h)                                                                                 \
	{                                                                                         \
#f, OPT_STR, offsetof(struct agent_opts, f), sizeof(((struct agent_opts *)0)->f), \
			h                                                                         \
	}
#define UINT(f, h)                                                 \
	{                                                          \
#f, OPT_UINT, offsetof(struct agent_opts, f), 0, h \
	}

/* Names use dashes on the command line and in the file: node_name is
 * node-name. */
static const struct opt_def defs[] = {
	STR(node_name, "this node's Node name (default: $NODE_NAME, else the hostname)"),
	STR(kubeconfig, "kubeconfig file (default: in-cluster service account)"),
	STR(bpffs_root, "bpffs directory for pins (default /sys/fs/bpf/xcni)"),
	STR(devices, "comma-separated devices for xdp_node (default: the default route's)"),
	STR(xdp_mode, "auto | native | generic | offload (default auto: native, else generic)"),
	STR(node_state_file, "file the CNI reads (default /run/xcni/node.json)"),
	STR(metrics_address,
	    "IP:PORT for /metrics, /healthz, /readyz, /status (default 127.0.0.1:9464)"),
	STR(log_level, "debug | info | warn | error (default info)"),
	STR(node_ip, "node IP (default: the Node's InternalIP)"),
	STR(pod_cidr, "pod CIDR (default: the Node's podCIDR)"),
	STR(cluster_cidr, "all pods' CIDR: pod-to-pod traffic is routed by the datapath "
			  "(default none: by the stack)"),
	UINT(mtu, "pod MTU (default: the first device's)"),
	UINT(maglev_m, "Maglev table size, prime (default 16381)"),
	UINT(max_services, "services map size"),
	UINT(max_backends, "backends map size"),
	UINT(max_conntrack, "conntrack map size"),
	UINT(max_endpoints, "endpoints map size"),
	UINT(ct_gc_interval, "seconds between conntrack GC runs (default 10)"),
	UINT(watch_timeout, "watch timeoutSeconds (default random 300..600)"),
};

#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

static void dashed(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = name[i] == '_' ? '-' : name[i];
	out[i] = '\0';
}

static int set_value(struct agent_opts *o, const struct opt_def *d, const char *v, char *err,
		     size_t len)
{
	char *p = (char *)o + d->off, *end, name[64];
	unsigned long n;

	dashed(d->name, name, sizeof(name));
	if (d->type == OPT_STR) {
		if (strlen(v) >= d->size) {
			snprintf(err, len, "--%s: value too long", name);
			return -EINVAL;
		}
		strcpy(p, v);
		return 0;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > 0xffffffffUL || *v == '-') {
		snprintf(err, len, "--%s: expected a non-negative integer, got \"%s\"", name, v);
		return -EINVAL;
	}
	*(unsigned int *)p = n;
	return 0;
}

static const struct opt_def *find_def(const char *name)
{
	char d[64];

	for (size_t i = 0; i < N_DEFS; i++) {
		dashed(defs[i].name, d, sizeof(d));
		if (!strcmp(d, name))
			return &defs[i];
	}
	return NULL;
}

static int read_config(struct agent_opts *o, const char *path, char *err, size_t len)
{
	char *text = NULL, buf[32];
	const cJSON *it;
	cJSON *root;
	int ret;

	ret = file_read_all(path, &text, 1 << 20);
	if (ret) {
		snprintf(err, len, "config %s: %s", path, strerror(-ret));
		return ret;
	}
	root = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsObject(root)) {
		snprintf(err, len, "config %s: not a JSON object", path);
		cJSON_Delete(root);
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, root)
	{
		const struct opt_def *d = find_def(it->string);
		const char *v = NULL;

		if (!d) {
			snprintf(err, len, "config %s: unknown option \"%s\"", path, it->string);
			ret = -EINVAL;
			break;
		}
		if (cJSON_IsString(it)) {
			v = it->valuestring;
		} else if (cJSON_IsNumber(it) && d->type == OPT_UINT) {
			snprintf(buf, sizeof(buf), "%.0f", it->valuedouble);
			v = buf;
		}
		if (!v) {
			snprintf(err, len, "config %s: \"%s\" has the wrong type", path,
				 it->string);
			ret = -EINVAL;
			break;
		}
		ret = set_value(o, d, v, err, len);
		if (ret)
			break;
	}
	cJSON_Delete(root);
	return ret;
}

static void defaults(struct agent_opts *o)
{
	const char *node = getenv("NODE_NAME");

	memset(o, 0, sizeof(*o));
	if (node && *node)
		snprintf(o->node_name, sizeof(o->node_name), "%s", node);
	else
		gethostname(o->node_name, sizeof(o->node_name) - 1);
	strcpy(o->bpffs_root, "/sys/fs/bpf/xcni");
	strcpy(o->xdp_mode, "auto");
	strcpy(o->node_state_file, "/run/xcni/node.json");
	strcpy(o->metrics_address, "127.0.0.1:9464");
	strcpy(o->log_level, "info");
	o->ct_gc_interval = 10;
}

void agent_opts_usage(FILE *out)
{
	char name[64];

	fprintf(out,
		"usage: xcni-agent [--config FILE] [--OPTION VALUE]... [--cleanup]\n"
		"  --config FILE     a JSON object of the options below\n"
		"  --cleanup         remove every pin, link and file the agent made, then exit\n"
		"  --print-options   list the option names\n"
		"  --print-config    check the options, print them as JSON (every name), exit\n"
		"  --print-resources list the API resources the agent watches (GROUP/RESOURCE;\n"
		"                    the core group is empty), exit\n");
	for (size_t i = 0; i < N_DEFS; i++) {
		dashed(defs[i].name, name, sizeof(name));
		fprintf(out, "  --%-18s %s\n", name, defs[i].help);
	}
}

void agent_opts_print_names(FILE *out)
{
	char name[64];

	for (size_t i = 0; i < N_DEFS; i++) {
		dashed(defs[i].name, name, sizeof(name));
		fprintf(out, "%s\n", name);
	}
}

/* The effective options as one JSON object, in the config file's format:
 * what --print-config shows after the file and the flags are applied. */
int agent_opts_print_config(const struct agent_opts *o, FILE *out)
{
	cJSON *root = cJSON_CreateObject();
	char name[64], *text;
	int ret = -ENOMEM;

	if (!root)
		return ret;
	for (size_t i = 0; i < N_DEFS; i++) {
		const char *p = (const char *)o + defs[i].off;

		dashed(defs[i].name, name, sizeof(name));
		if (defs[i].type == OPT_STR ?
			    !cJSON_AddStringToObject(root, name, p) :
			    !cJSON_AddNumberToObject(root, name, *(const unsigned int *)p))
			goto out;
	}
	text = cJSON_Print(root);
	if (!text)
		goto out;
	fprintf(out, "%s\n", text);
	free(text);
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

/* Returns 0, 1 when the caller should exit 0 (help, --print-options,
 * --print-resources), or
 * a negative errno with err set. */
int agent_opts_parse(struct agent_opts *o, int argc, char **argv, char *err, size_t len)
{
	struct option lo[N_DEFS + 7];
	char names[N_DEFS][64];
	const char *config = NULL;
	int c, idx, ret;

	defaults(o);
	for (size_t i = 0; i < N_DEFS; i++) {
		dashed(defs[i].name, names[i], sizeof(names[i]));
		lo[i] = (struct option){ names[i], required_argument, NULL, 1000 + (int)i };
	}
	lo[N_DEFS] = (struct option){ "config", required_argument, NULL, 'c' };
	lo[N_DEFS + 1] = (struct option){ "cleanup", no_argument, NULL, 'C' };
	lo[N_DEFS + 2] = (struct option){ "print-options", no_argument, NULL, 'P' };
	lo[N_DEFS + 3] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[N_DEFS + 4] = (struct option){ "print-config", no_argument, NULL, 'K' };
	lo[N_DEFS + 5] = (struct option){ "print-resources", no_argument, NULL, 'R' };
	lo[N_DEFS + 6] = (struct option){ 0 };

	/* The file first, so that flags override it. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1)
		if (c == 'c')
			config = optarg;
	if (config) {
		ret = read_config(o, config, err, len);
		if (ret)
			return ret;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		switch (c) {
		case 'c':
			break;
		case 'C':
			o->cleanup = true;
			break;
		case 'P':
			agent_opts_print_names(stdout);
			return 1;
		case 'K':
			o->print_config = true;
			break;
		case 'R':
			agent_k8s_print_resources(stdout);
			return 1;
		case 'h':
			agent_opts_usage(stdout);
			return 1;
		case '?':
			snprintf(err, len, "unknown or incomplete option %s (see --help)",
				 argv[optind - 1]);
			return -EINVAL;
		default:
			ret = set_value(o, &defs[c - 1000], optarg, err, len);
			if (ret)
				return ret;
		}
	}
	if (optind < argc) {
		snprintf(err, len, "unexpected argument %s", argv[optind]);
		return -EINVAL;
	}
	if (!o->node_name[0]) {
		snprintf(err, len, "no node name: set --node-name or NODE_NAME");
		return -EINVAL;
	}
	return 0;
}
