import type { Job } from '@warmgen/shared/domain/job.ts';
import { toJobView } from '@warmgen/shared/views/job-view.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from '../auth/caller.ts';
import { requestAbort } from '../request-abort.ts';
import type { RouteContext } from '../routes/route-context.ts';
import { deliveryOf } from '../webhook-delivery-of.ts';
import { assertStreamPosition, type JobEvent, jobEvents } from './job-events.ts';
import { doneEventId, parseLastEventId, textEventId } from './stream-event-id.ts';

/** A request header that asks for `: sent-at <epoch ms>` comments before text events. */
export const timingHeader = 'warmgen-timing';

/**
 * Answers a request with a job's SSE stream (GET …/stream, POST with "stream": true).
 * Everything that can refuse it (a foreign Last-Event-ID: 400; too many open streams:
 * 429 with Retry-After) is checked before the headers go out, so those answers are JSON.
 * A client that goes away stops its stream only: the job goes on (cancel is its own call).
 */
export async function serveJobStream(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  job: Job,
  /** A place taken before the job was written (POST: a 429 must leave no job); else taken here. */
  place: (() => void) | null = null,
): Promise<void> {
  const header = request.headers['last-event-id'];
  const from = parseLastEventId(job.id, Array.isArray(header) ? header[0] : header);
  if (from === 'done') {
    // The client saw the final event and reconnected, as EventSource does when a stream
    // ends: 204 is what tells an EventSource to stop.
    await reply.code(204).send();
    return;
  }
  assertStreamPosition(job, from);
  const release = place ?? acquireStream(ctx, request, reply);
  const abort = requestAbort(reply, ctx.closing);
  try {
    reply.header('location', `/v1/generations/${job.id}`);
    // Headers now, so a queued job's client sees the stream open and its keep-alives.
    reply.sse.sendHeaders(200);
    const events = jobEvents(
      {
        readJob: () => ctx.store.getJob(job.id),
        hub: ctx.streams.hub,
        poll: ctx.poll,
        signal: abort.signal,
      },
      job,
      from,
    );
    // bench:stream's clock: a comment (ignored by clients) with when the worker sent the text.
    const timing = request.headers[timingHeader] === '1';
    for await (const event of events) {
      if (!reply.sse.isConnected) {
        break;
      }
      if (timing && event.kind === 'text' && event.sentAtMs !== null) {
        reply.raw.write(`: sent-at ${event.sentAtMs}\n`);
      }
      await reply.sse.send(await messageOf(ctx, job.id, event));
    }
  } catch (error) {
    // A write to a client that just went away is the normal end of a stream.
    if (reply.sse.isConnected) {
      throw error;
    }
  } finally {
    abort.dispose();
    release();
  }
}

/**
 * Counts a stream in for the caller's key, or throws the 429 with its Retry-After. The
 * place is released when the response closes, whatever ended it (an error before the
 * stream, the stream's end, the client going away); releasing twice is a no-op.
 */
export function acquireStream(
  ctx: Pick<RouteContext, 'streams'>,
  request: FastifyRequest,
  reply: FastifyReply,
): () => void {
  const key = callerOf(request).owner ?? `ip:${request.ip}`;
  try {
    const release = ctx.streams.limit.acquire(key);
    reply.raw.once('close', release);
    return release;
  } catch (error) {
    reply.header('retry-after', String(ctx.streams.limit.retryAfterSeconds));
    throw error;
  }
}

async function messageOf(ctx: RouteContext, jobId: string, event: JobEvent) {
  switch (event.kind) {
    case 'text':
      return {
        id: textEventId(jobId, event.position),
        event: 'text',
        data: { text: event.text },
      };
    case 'requeued':
      return { event: 'requeued', data: toJobView(event.job, await deliveryOf(ctx, event.job)) };
    case 'done':
      return {
        id: doneEventId(jobId),
        event: 'done',
        data: toJobView(event.job, await deliveryOf(ctx, event.job)),
      };
  }
}
