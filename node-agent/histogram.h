/* A Prometheus-style cumulative histogram of durations in seconds. */
#ifndef XCNI_HISTOGRAM_H
#define XCNI_HISTOGRAM_H

#include <stdint.h>
#include <stdio.h>

#define HISTOGRAM_BUCKETS 14

struct histogram {
	uint64_t counts[HISTOGRAM_BUCKETS + 1]; /* the last one is +Inf */
	uint64_t n;
	double sum;
};

void histogram_observe(struct histogram *h, double seconds);
/* Writes name_bucket{le=...}, name_sum and name_count, with labels (may be
 * "" or e.g. "kind=\"service\"") added to each. */
void histogram_write(const struct histogram *h, FILE *out, const char *name, const char *labels);

#endif
