import { withCallDeadlines, withinDeadline } from './call-deadline.ts';
import type { Backend } from './open-backend.ts';

/**
 * The backend as the API process uses it on Google Cloud: every store, queue and record
 * call, and the readiness probes, under `deadlineMs` (GCP_CALL_DEADLINE_MS), so a cut-off
 * Firestore or Pub/Sub answers 503 instead of holding requests (call-deadline.ts says why).
 */
export function deadlinedBackend(backend: Backend, deadlineMs: number): Backend {
  const deadlined = <T extends object>(target: T, name: string) =>
    withCallDeadlines(target, deadlineMs, name);
  const probe = (run: (() => Promise<void>) | undefined, name: string) =>
    run === undefined ? {} : { [name]: () => withinDeadline(run, deadlineMs, name) };
  return {
    ...backend,
    store: deadlined(backend.store, 'store'),
    queue: deadlined(backend.queue, 'queue'),
    webhooks: {
      events: deadlined(backend.webhooks.events, 'webhook events'),
      queue: deadlined(backend.webhooks.queue, 'webhook queue'),
    },
    openai:
      backend.openai === null
        ? null
        : {
            files: deadlined(backend.openai.files, 'files'),
            batches: deadlined(backend.openai.batches, 'openai batches'),
          },
    heartbeats: deadlined(backend.heartbeats, 'heartbeats'),
    ...probe(backend.probeWrites, 'probeWrites'),
    ...probe(backend.probeService, 'probeService'),
  };
}
