/* udp_pps: the rate at which small UDP packets arrive, for bench/pods.sh.
 * iperf3's UDP receiver reads one packet per system call, so its own loop,
 * not the network path, bounds what it can count; this one batches both
 * ways (sendmmsg, recvmmsg) so that the path is what is measured.
 *
 *   udp_pps send ADDRESS PORT SECONDS [PAYLOAD]  send as fast as possible
 *   udp_pps recv PORT SECONDS [SKIP]
 *
 * recv waits for the first packet, lets SKIP seconds (default 0.5) pass,
 * then counts for SECONDS and prints one JSON object: packets counted,
 * seconds (measured), the socket's drops over the window (SO_RXQ_OVFL), and
 * the rate in Mpps. send prints the packets it sent. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAX_PAYLOAD 1472

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_port(const char *s, struct sockaddr_in *sa)
{
	char *end;
	long port = strtol(s, &end, 10);

	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)port);
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return *end || *out <= 0 || *out > 3600 ? -EINVAL : 0;
}

static int do_send(const char *addr, const char *port, const char *secs, const char *len)
{
	static char payload[MAX_PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_in dst = { 0 };
	unsigned long long sent = 0;
	double seconds, stop;
	long plen = len ? strtol(len, NULL, 10) : 64;
	int fd, i, n;

	if (parse_port(port, &dst) || inet_pton(AF_INET, addr, &dst.sin_addr) != 1 ||
	    parse_seconds(secs, &seconds) || plen < 1 || plen > MAX_PAYLOAD) {
		fprintf(stderr, "udp_pps: bad arguments\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* connect: the route is looked up once, not per packet. */
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("udp_pps: socket");
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = (size_t)plen;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	stop = now() + seconds;
	while (now() < stop) {
		n = sendmmsg(fd, msgs, BATCH, 0);
		/* A full queue or an ICMP error reported back: go on. */
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED &&
		    errno != EINTR) {
			perror("udp_pps: sendmmsg");
			close(fd);
			return 1;
		}
		if (n > 0)
			sent += (unsigned long long)n;
	}
	close(fd);
	printf("{\"sent\": %llu, \"seconds\": %.6f}\n", sent, seconds);
	return 0;
}

/* The socket's drop counter, from the SO_RXQ_OVFL control message of the
 * last batch (0 when none came with it). */
static unsigned int rx_drops(const struct msghdr *h, unsigned int last)
{
	struct cmsghdr *c;
	unsigned int v;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	}
	return last;
}

static int do_recv(const char *port, const char *secs, const char *skip_s)
{
	static char bufs[BATCH][MAX_PAYLOAD];
	static char ctl[BATCH][CMSG_SPACE(sizeof(unsigned int))];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct sockaddr_in sa = { 0 };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	unsigned long long count = 0;
	unsigned int drops = 0, drops0 = 0;
	double seconds, skip = 0.5, t, start = 0, stop = 0;
	int fd, i, n, one = 1, rcvbuf = 4 << 20;

	if (parse_port(port, &sa) || parse_seconds(secs, &seconds) ||
	    (skip_s && parse_seconds(skip_s, &skip))) {
		fprintf(stderr, "udp_pps: bad arguments\n");
		return 2;
	}
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("udp_pps: socket");
		return 1;
	}
	/* A larger queue rides out scheduling gaps (capped by rmem_max). */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Ready: bench/pods.sh starts the sender when it sees this. */
	fprintf(stderr, "udp_pps: listening\n");
	for (;;) {
		for (i = 0; i < BATCH; i++) {
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, 0, NULL);
		t = now();
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			perror("udp_pps: recvmmsg");
			close(fd);
			return 1;
		}
		if (n <= 0) {
			/* Nothing for a while after the window opened: the
			 * sender has stopped early. */
			if (start && t > stop)
				break;
			continue;
		}
		if (!start) {
			start = t + skip;
			stop = start + seconds;
		}
		drops = rx_drops(&msgs[n - 1].msg_hdr, drops);
		if (t < start) {
			drops0 = drops;
			continue;
		}
		count += (unsigned long long)n;
		if (t >= stop)
			break;
	}
	close(fd);
	t -= start;
	printf("{\"packets\": %llu, \"seconds\": %.6f, \"socket_drops\": %u, \"mpps\": %.6f}\n",
	       count, t, drops - drops0, t > 0 ? count / t / 1e6 : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: udp_pps send ADDRESS PORT SECONDS [PAYLOAD]\n"
			"       udp_pps recv PORT SECONDS [SKIP]\n");
	return 2;
}
