import type { WebhookEvent } from '@warmgen/shared/domain/webhook-event.ts';
import type { RouteContext } from './routes/route-context.ts';

/** The webhook event of a job or batch for its API view: null without a webhook or event. */
export async function deliveryOf(
  ctx: Pick<RouteContext, 'events'>,
  subject: { id: string; webhook: unknown },
): Promise<WebhookEvent | null> {
  if (ctx.events === null || subject.webhook === null) {
    return null;
  }
  return ctx.events.getEventFor(subject.id);
}
