import type { WebhookEvent } from '@warmgen/shared/domain/webhook-event.ts';
import type { DeliveryContext } from './delivery-context.ts';
import { buildEventPayload } from './event-payload.ts';

/** Events moved per dispatch pass; the rest wait for the next pass. */
const eventsPerPass = 200;

/**
 * Moves events from the outbox to the delivery queue: fix each event's payload and mark it
 * dispatched, then publish its id. Marking first means a crash in between leaves an event
 * dispatched with no message; the stale sweep (below) hands those out again, and the
 * store's claims make a duplicate message harmless. Returns how many were published.
 */
export async function dispatchOutbox(ctx: DeliveryContext): Promise<number> {
  const events = await ctx.events.listUndispatched(eventsPerPass);
  return publish(ctx, events);
}

/**
 * Pending events nobody attempted long after they were due: their message was lost (or
 * its worker died holding it). Publishing again is safe: attempts are claimed in the store.
 */
export async function redispatchStale(ctx: DeliveryContext): Promise<number> {
  const events = await ctx.events.listStale(ctx.now(), ctx.config.staleAfterMs, eventsPerPass);
  if (events.length > 0) {
    ctx.logger.warn({ events: events.map((e) => e.id) }, 'webhook events handed out again');
  }
  return publish(ctx, events);
}

async function publish(ctx: DeliveryContext, events: readonly WebhookEvent[]): Promise<number> {
  if (events.length === 0) {
    return 0;
  }
  const ready: string[] = [];
  for (const event of events) {
    const payload = event.payload ?? (await buildEventPayload(event, ctx.jobs));
    await ctx.events.markDispatched(event.id, payload, ctx.now());
    ready.push(event.id);
  }
  await ctx.queue.publish(ready);
  ctx.logger.debug({ events: ready.length }, 'webhook events dispatched');
  return ready.length;
}
