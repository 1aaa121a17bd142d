/* TCP connect rate for bench/agent_scale.sh.
 *   connect_rate serve PORT            accepts and closes every connection
 *   connect_rate IP PORT SECONDS [LO HI]
 *       connects and closes in a loop for SECONDS, prints "connects_per_s N";
 *       with LO HI, from local ports LO..HI in turn
 * The client closes with an RST (SO_LINGER 0), as the kube-proxy baseline
 * does: no TIME_WAIT, so the ports never run out. A port range per target
 * keeps one target's flows from meeting another's closed ones in conntrack
 * (xcni's datapath keeps a closed flow ~10-20 s; a direct flow on the tuple
 * of a closed NATed flow's reply is then answered from the wrong address). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int serve(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0), c;

	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4096)) {
		perror("connect_rate: listen");
		return 1;
	}
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			perror("connect_rate: accept");
	}
}

static int client(const char *ip, int port, double seconds, int lo, int hi)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in local = { .sin_family = AF_INET };
	int one = 1, next = lo;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long ok = 0, failed = 0;
	double t0, t;
	int s;

	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
		fprintf(stderr, "connect_rate: bad address %s\n", ip);
		return 2;
	}
	t0 = now();
	do {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0) {
			perror("connect_rate: socket");
			return 1;
		}
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (lo) {
			local.sin_port = htons(next);
			next = next == hi ? lo : next + 1;
			setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(s, (struct sockaddr *)&local, sizeof(local))) {
				perror("connect_rate: bind");
				close(s);
				return 1;
			}
		}
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
			ok++;
		else if (++failed > 100 && failed > ok) {
			perror("connect_rate: connect");
			close(s);
			return 1;
		}
		close(s);
		t = now();
	} while (t - t0 < seconds);
	printf("connects_per_s %.0f failed %lu\n", ok / (t - t0), failed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]));
	if (argc == 4)
		return client(argv[1], atoi(argv[2]), atof(argv[3]), 0, 0);
	if (argc == 6 && atoi(argv[4]) > 0 && atoi(argv[4]) <= atoi(argv[5]) &&
	    atoi(argv[5]) < 65536)
		return client(argv[1], atoi(argv[2]), atof(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: connect_rate serve PORT | connect_rate IP PORT SECONDS [LO HI]\n");
	return 2;
}
