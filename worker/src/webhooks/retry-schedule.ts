import type { WebhookDeliveryState } from '@warmgen/shared/domain/webhook-event.ts';

/**
 * What follows an attempt, decided from its answer alone (one table, as the run loop's
 * retry decisions are):
 *   2xx              delivered
 *   410 Gone         gone: the receiver says the endpoint is no more; no retries
 *   anything else    retried on the schedule (3xx included: redirects are not followed,
 *                    so a moved endpoint must be fixed by its owner); after the last step,
 *                    failed (the dead letter; redelivery starts the schedule again)
 * A Retry-After header (seconds or an HTTP date) lengthens the wait to what it asks, up to
 * maxRetryAfterMs; it never shortens the schedule.
 */
export interface AttemptAnswer {
  /** null when no HTTP answer came (timeout, connection refused, SSRF refusal). */
  statusCode: number | null;
  /** From the Retry-After header, when there was one. */
  retryAfterMs: number | null;
}

export interface NextStep {
  state: WebhookDeliveryState;
  /** Epoch ms of the next attempt when state is pending, else null. */
  nextAttemptAtMs: number | null;
}

/** Jitter spreads retries of many events failing together (an endpoint outage): ±20 %. */
export const jitterFraction = 0.2;
/** A Retry-After of days would park an event beyond the schedule's own reach. */
export const maxRetryAfterMs = 24 * 3_600_000;

export function nextStep(
  answer: AttemptAnswer,
  /** Attempts made in this schedule, the one just made included. */
  attemptsMade: number,
  scheduleMs: readonly number[],
  nowMs: number,
  random: () => number = Math.random,
): NextStep {
  const status = answer.statusCode;
  if (status !== null && status >= 200 && status < 300) {
    return { state: 'delivered', nextAttemptAtMs: null };
  }
  if (status === 410) {
    return { state: 'gone', nextAttemptAtMs: null };
  }
  const step = scheduleMs[attemptsMade];
  if (step === undefined) {
    return { state: 'failed', nextAttemptAtMs: null };
  }
  const jittered = Math.round(step * (1 - jitterFraction + 2 * jitterFraction * random()));
  const asked = Math.min(answer.retryAfterMs ?? 0, maxRetryAfterMs);
  return { state: 'pending', nextAttemptAtMs: nowMs + Math.max(jittered, asked) };
}

/** Retry-After as delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | null {
  if (header === undefined) {
    return null;
  }
  const value = header.trim();
  if (/^\d+$/.test(value)) {
    return Number(value) * 1_000;
  }
  // An HTTP date names its day and zone ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone
  // would also read "-5" or "2025" as dates.
  const date = /^[A-Za-z]{3}, .+ GMT$/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}
