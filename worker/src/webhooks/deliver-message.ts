import type { DeliveryMessage } from '@warmgen/shared/ports/webhook-delivery-queue.ts';
import type { DeliveryContext } from './delivery-context.ts';
import { nextStep } from './retry-schedule.ts';

/**
 * One delivery message: read the event, and if an attempt is due, claim it, POST the
 * signed payload, record the attempt and schedule what follows. The queue only carries
 * the id; the store decides. Outcomes:
 * - event gone, or no longer pending (delivered, gone, failed, or a duplicate message
 *   after the fact): ack;
 * - not due yet (the queue brought it back early, or a duplicate): retryLater until due;
 * - claimed by another worker meanwhile: retryLater past that worker's lease;
 * - attempted: ack when final, else retryLater until the next attempt.
 * Errors (store or queue unreachable) propagate; the message's lease then brings it back.
 */
export async function deliverMessage(
  ctx: DeliveryContext,
  message: DeliveryMessage,
): Promise<void> {
  const event = await ctx.events.getEvent(message.eventId);
  if (event === null || event.state !== 'pending') {
    await ctx.queue.ack(message);
    return;
  }
  const startedAtMs = ctx.now();
  const dueInMs = (event.nextAttemptAtMs ?? startedAtMs) - startedAtMs;
  if (dueInMs > 0) {
    await ctx.queue.retryLater(message, dueInMs);
    return;
  }
  const claimed = await ctx.events.claimAttempt(
    event.id,
    ctx.workerId,
    ctx.config.leaseMs,
    startedAtMs,
  );
  if (claimed === null || claimed.payload === null) {
    // Another worker holds it (or it is not dispatched yet): look again after that lease.
    await ctx.queue.retryLater(message, ctx.config.leaseMs);
    return;
  }
  const headers = ctx.sign(claimed.id, new Date(startedAtMs), claimed.payload);
  const result = await ctx.send({
    url: claimed.url,
    body: claimed.payload,
    headers: { ...headers },
  });
  const attemptsMade = claimed.scheduleAttempts + 1;
  const next = nextStep(result, attemptsMade, ctx.config.retryScheduleMs, ctx.now(), ctx.random);
  const recorded = await ctx.events.finishAttempt(
    claimed.id,
    ctx.workerId,
    {
      atMs: startedAtMs,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      error: result.error,
    },
    next,
  );
  ctx.metrics.attempted(next.state, result.latencyMs / 1_000);
  const fields = {
    eventId: claimed.id,
    type: claimed.type,
    subjectId: claimed.subjectId,
    attempt: attemptsMade,
    statusCode: result.statusCode,
    latencyMs: result.latencyMs,
    state: next.state,
  };
  if (!recorded) {
    ctx.logger.warn(fields, 'webhook attempt not recorded: the claim was lost');
    await ctx.queue.retryLater(message, 0);
    return;
  }
  if (next.state === 'pending') {
    ctx.logger.info(
      { ...fields, error: result.error, nextAttemptAtMs: next.nextAttemptAtMs },
      'webhook attempt failed; will retry',
    );
    await ctx.queue.retryLater(message, (next.nextAttemptAtMs ?? ctx.now()) - ctx.now());
    return;
  }
  if (next.state === 'delivered') {
    ctx.logger.info(fields, 'webhook delivered');
  } else {
    ctx.logger.warn(
      { ...fields, error: result.error },
      next.state === 'gone'
        ? 'webhook endpoint answered 410 Gone; no more attempts'
        : 'webhook retry schedule exhausted; dead-lettered (redeliver to try again)',
    );
  }
  await ctx.queue.ack(message);
}
