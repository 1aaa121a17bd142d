/* Retry delays: exponential with jitter, as client-go's reflector does
 * (800 ms doubling to a 30 s cap, back to the start after two quiet
 * minutes), and the server's Retry-After when it gives one. */
#ifndef XCNI_KUBE_BACKOFF_H
#define XCNI_KUBE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define BACKOFF_BASE_MS 800u
#define BACKOFF_CAP_MS 30000u
#define BACKOFF_RESET_MS 120000u
#define BACKOFF_JITTER 0.5
/* A Retry-After beyond this is taken as this: a bogus header must not
 * silence an informer for hours. */
#define BACKOFF_RETRY_AFTER_MAX_S 600u

struct backoff {
	uint32_t base_ms;
	uint32_t cap_ms; /* the step stops growing here */
	uint32_t reset_ms; /* a failure this long after the previous one starts over */
	double jitter; /* a delay d is drawn from [d, d * (1 + jitter)) */
	uint32_t step_ms; /* the last step; 0 before the first failure */
	uint64_t last_ms; /* when the last failure was reported */
};

/* The defaults above. */
void backoff_init(struct backoff *b);
/* Forgets past failures: the next delay is base again. */
void backoff_reset(struct backoff *b);

/* The delay in ms before retrying a failure reported at now_ms; u is a
 * uniform random number in [0, 1) that places it inside the jitter. */
uint64_t backoff_next(struct backoff *b, uint64_t now_ms, double u);
/* The same, but the server asked for retry_after_s seconds: that, jittered
 * upwards the same way, replaces the exponential delay (whose step still
 * grows, for failures that come without the header). 0 seconds is taken
 * as no header. */
uint64_t backoff_retry_after(struct backoff *b, uint64_t now_ms, uint32_t retry_after_s, double u);

/* A small PRNG for the jitter: xorshift64* over *state (never 0); returns
 * a uniform double in [0, 1). */
double backoff_rand(uint64_t *state);

#endif
