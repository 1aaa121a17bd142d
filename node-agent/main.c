/* xcni-agent: owns the node's datapath and keeps it equal to the cluster.
 * One loop: the Kubernetes client's poll, then the reconcile step and the
 * timers (datapath clock every second, conntrack GC). */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "dp_pin.h"
#include "http_server.h"
#include "log.h"

static struct agent agent;

static void on_signal(int sig)
{
	(void)sig;
	agent.stop = true;
}

static int run(struct agent *a)
{
	struct http_server *http = NULL;
	char err[1024];
	time_t last_tick = 0;
	int ret;

	ret = agent_dp_start(a, err, sizeof(err));
	if (ret) {
		log_error("datapath_failed", "error=\"%s\"", err);
		goto out;
	}
	http = agent_http_start(a, err, sizeof(err));
	if (!http) {
		log_error("http_failed", "error=\"%s\"", err);
		ret = -EADDRINUSE;
		goto out;
	}
	log_info("http_listening", "address=%s port=%u", a->o.metrics_address,
		 http_server_port(http));
	ret = agent_k8s_start(a, err, sizeof(err));
	if (ret) {
		log_error("kube_client_failed", "error=\"%s\"", err);
		goto out;
	}
	log_info("agent_started", "node=%s", a->o.node_name);
	while (!a->stop) {
		time_t now;

		agent_k8s_poll(a, 200);
		now = time(NULL);
		pthread_mutex_lock(&a->lock);
		agent_k8s_process(a);
		if (now != last_tick) {
			agent_dp_tick(a, now);
			last_tick = now;
		}
		a->last_loop = now;
		pthread_mutex_unlock(&a->lock);
	}
	log_info("agent_stopping", "node=%s", a->o.node_name);
	ret = 0;
out:
	http_server_stop(http);
	agent_k8s_stop(a);
	/* The pinned maps and links stay: the datapath keeps serving. */
	agent_dp_stop(a);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	enum dp_xdp_mode xdp_mode;
	enum log_level level;
	char err[1024];
	int ret;

	/* List responses are large and short-lived: keep them out of the heap
	 * (glibc would otherwise raise this threshold after the first one is
	 * freed and carve the next ones from the heap, where the objects
	 * decoded from them pin the pages for good). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	ret = agent_opts_parse(&agent.o, argc, argv, err, sizeof(err));
	if (ret) {
		if (ret > 0)
			return 0;
		fprintf(stderr, "xcni-agent: %s\n", err);
		return 2;
	}
	if (log_parse_level(agent.o.log_level, &level)) {
		fprintf(stderr, "xcni-agent: --log-level %s: expected debug, info, warn or error\n",
			agent.o.log_level);
		return 2;
	}
	log_set_level(level);
	/* Checked here too so that --print-config refuses what the datapath
	 * bring-up would. */
	if (dp_xdp_mode_parse(agent.o.xdp_mode, &xdp_mode)) {
		fprintf(stderr,
			"xcni-agent: --xdp-mode %s: expected auto, native, generic or offload\n",
			agent.o.xdp_mode);
		return 2;
	}
	if (agent.o.print_config)
		return agent_opts_print_config(&agent.o, stdout) ? 1 : 0;
	if (agent.o.cleanup) {
		ret = agent_cleanup(&agent.o, err, sizeof(err));
		if (ret) {
			log_error("cleanup_failed", "bpffs_root=%s error=\"%s\"",
				  agent.o.bpffs_root, err);
			return 1;
		}
		log_info("cleanup_done", "bpffs_root=%s", agent.o.bpffs_root);
		return 0;
	}
	pthread_mutex_init(&agent.lock, NULL);
	agent.started = agent.last_loop = time(NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ret = run(&agent);
	return ret ? 1 : 0;
}
