import type { Job } from '@warmgen/shared/domain/job.ts';
import { isTerminal } from '@warmgen/shared/domain/job-status.ts';
import type { PollTuning } from '../wait-for-job.ts';
import type { LiveTextHub } from './live-text-hub.ts';
import { foreignEventId, type StreamPosition } from './stream-event-id.ts';

/**
 * What a job's stream says, in order: its text in pieces (joined, they are the job's final
 * text), `requeued` when a new attempt starts over (a worker died: the client drops the
 * text it has and the pieces start again), and `done` with the finished job, last.
 */
export type JobEvent =
  | {
      kind: 'text';
      text: string;
      position: StreamPosition;
      /** When the worker sent the newest of it (live text only), for bench:stream. */
      sentAtMs: number | null;
    }
  | { kind: 'requeued'; job: Job }
  | { kind: 'done'; job: Job };

export interface JobEventsDeps {
  readJob: () => Promise<Job | null>;
  hub: Pick<LiveTextHub, 'textOf' | 'watch'>;
  /** How often the record is read while the job is not finished (as long polls do). */
  poll: PollTuning;
  /** The client went away or the server is closing: the events stop, the job goes on. */
  signal: AbortSignal;
}

/**
 * A job's events from `from` (a Last-Event-ID) or its start. The live text comes from the
 * hub as workers send it; the record, read with a growing delay, says when the job is
 * finished or was claimed again, and its final text fills whatever the channel lost, so the
 * pieces always join to the final text. Throws the 400 for a position this job never had.
 */
export async function* jobEvents(
  deps: JobEventsDeps,
  initial: Job,
  from: StreamPosition | null,
): AsyncGenerator<JobEvent> {
  assertStreamPosition(initial, from);
  let attempt = from?.attempt ?? null;
  let sent = from?.offset ?? 0;
  let job = initial;
  let wake: (() => void) | null = null;
  const unwatch = deps.hub.watch(job.id, () => wake?.());
  let delayMs = deps.poll.firstDelayMs;
  let readAtMs = performance.now() + delayMs;
  try {
    while (!deps.signal.aborted) {
      // A new attempt (seen in the record or the channel) starts the text again.
      const live = deps.hub.textOf(job.id);
      const latest = Math.max(job.attempts, live?.attempt ?? 0);
      if (attempt !== null && latest > attempt && sent > 0) {
        if (job.attempts < latest) {
          // Heard on the channel first: the event shows the record of the new attempt.
          job = (await deps.readJob()) ?? job;
        }
        yield { kind: 'requeued', job };
        sent = 0;
      }
      if (attempt === null || latest > attempt) {
        attempt = latest;
      }
      if (isTerminal(job.status)) {
        const text = job.result?.text ?? '';
        if (text.length > sent) {
          yield {
            kind: 'text',
            text: text.slice(sent),
            position: { attempt, offset: text.length },
            sentAtMs: null,
          };
        }
        yield { kind: 'done', job };
        return;
      }
      if (live !== null && live.attempt === attempt && live.text.length > sent) {
        const text = live.text.slice(sent);
        sent = live.text.length;
        yield { kind: 'text', text, position: { attempt, offset: sent }, sentAtMs: live.sentAtMs };
        continue;
      }
      const leftMs = readAtMs - performance.now();
      if (leftMs > 0) {
        // Until the text grows, the next read is due, or the client goes: one timer at a time.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            deps.signal.removeEventListener('abort', done);
            wake = null;
            resolve();
          };
          const timer = setTimeout(done, leftMs);
          deps.signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
        continue;
      }
      job = (await deps.readJob()) ?? job;
      delayMs = Math.min(delayMs * deps.poll.growthFactor, deps.poll.maxDelayMs);
      readAtMs = performance.now() + delayMs;
    }
  } finally {
    unwatch();
  }
}

/**
 * A Last-Event-ID of an attempt this job has not had, or past its final text, is not ours:
 * the 400, thrown before the stream opens.
 */
export function assertStreamPosition(job: Job, from: StreamPosition | null): void {
  if (from === null) {
    return;
  }
  const past =
    from.attempt > job.attempts ||
    (isTerminal(job.status) &&
      from.attempt === job.attempts &&
      from.offset > (job.result?.text.length ?? 0));
  if (past) {
    throw foreignEventId(job.id, `${job.id}.${from.attempt}.${from.offset}`);
  }
}
