/* Exponential backoff with jitter and Retry-After. Time and randomness
 * come from the caller, so the arithmetic is testable as it is. */
#include "backoff.h"

void backoff_init(struct backoff *b)
{
	b->base_ms = BACKOFF_BASE_MS;
	b->cap_ms = BACKOFF_CAP_MS;
	b->reset_ms = BACKOFF_RESET_MS;
	b->jitter = BACKOFF_JITTER;
	backoff_reset(b);
}

void backoff_reset(struct backoff *b)
{
	b->step_ms = 0;
	b->last_ms = 0;
}

static uint64_t jittered(const struct backoff *b, uint64_t d, double u)
{
	if (u < 0 || u >= 1)
		u = 0;
	return d + (uint64_t)((double)d * b->jitter * u);
}

/* Moves the step on: base first, then doubling up to the cap; a failure
 * long after the previous one is a new episode and starts at base. */
static void advance(struct backoff *b, uint64_t now_ms)
{
	if (b->step_ms && now_ms - b->last_ms >= b->reset_ms)
		b->step_ms = 0;
	if (!b->step_ms)
		b->step_ms = b->base_ms;
	else
		b->step_ms = b->step_ms >= b->cap_ms / 2 ? b->cap_ms : b->step_ms * 2;
	if (b->step_ms > b->cap_ms)
		b->step_ms = b->cap_ms;
	b->last_ms = now_ms;
}

uint64_t backoff_next(struct backoff *b, uint64_t now_ms, double u)
{
	advance(b, now_ms);
	return jittered(b, b->step_ms, u);
}

uint64_t backoff_retry_after(struct backoff *b, uint64_t now_ms, uint32_t retry_after_s, double u)
{
	/* "Retry-After: 0" repeated would be a busy loop. */
	if (!retry_after_s)
		return backoff_next(b, now_ms, u);
	advance(b, now_ms);
	if (retry_after_s > BACKOFF_RETRY_AFTER_MAX_S)
		retry_after_s = BACKOFF_RETRY_AFTER_MAX_S;
	return jittered(b, (uint64_t)retry_after_s * 1000, u);
}

double backoff_rand(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	/* The top 53 bits make an exact double in [0, 1). */
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}
