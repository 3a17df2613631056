import type { Job } from '@warmgen/shared/domain/job.ts';
import type { GenerationRequest } from '../engine/generation-engine.ts';
import type { RunLoopContext } from './run-loop-context.ts';

/**
 * The engine request's live-output fields for a job: each piece of its text goes to the
 * stream channel, placed by the attempt (a re-queued job's text starts again) and its
 * offset in that attempt's text. Nothing when the worker has no channel. Publishing is
 * not awaited (it must not hold the decode) and a failed publish is only logged: the job
 * record, written at the end, is what a stream finally shows.
 */
export function liveTextOf(
  ctx: RunLoopContext,
  job: Pick<Job, 'id' | 'attempts'>,
): Pick<GenerationRequest, 'onText' | 'textIntervalMs'> {
  const { stream } = ctx;
  if (stream === undefined) {
    return {};
  }
  let offset = 0;
  return {
    textIntervalMs: stream.intervalMs,
    onText: (text) => {
      const chunk = { jobId: job.id, attempt: job.attempts, offset, text, sentAtMs: ctx.now() };
      offset += text.length;
      stream.channel.publish(chunk).catch((error: unknown) => {
        ctx.logger.debug({ jobId: job.id, err: error }, 'a live-output chunk was not published');
      });
    },
  };
}
