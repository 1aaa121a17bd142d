/* Cumulative histogram buckets from 50 us to 10 s (see histogram.h). */
#include "histogram.h"

static const double bounds[HISTOGRAM_BUCKETS] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 10,
};

void histogram_observe(struct histogram *h, double seconds)
{
	int i;

	for (i = 0; i < HISTOGRAM_BUCKETS && seconds > bounds[i]; i++)
		;
	h->counts[i]++;
	h->n++;
	h->sum += seconds;
}

void histogram_write(const struct histogram *h, FILE *out, const char *name, const char *labels)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	int i;

	if (!labels)
		labels = "";
	for (i = 0; i < HISTOGRAM_BUCKETS; i++) {
		cum += h->counts[i];
		fprintf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
			(unsigned long long)cum);
	}
	cum += h->counts[HISTOGRAM_BUCKETS];
	fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		(unsigned long long)cum);
	fprintf(out, "%s_sum%s%s%s %.9f\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		h->sum);
	fprintf(out, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels, *labels ? "}" : "",
		(unsigned long long)h->n);
}
