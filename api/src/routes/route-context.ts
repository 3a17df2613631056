import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import type { WebhookEventStore } from '@warmgen/shared/ports/webhook-event-store.ts';
import type { ApiLimits } from '../api-limits.ts';
import type { ApiMetrics } from '../api-metrics.ts';
import type { PromptTokensOf } from '../prompt-fit.ts';
import type { LiveTextHub } from '../stream/live-text-hub.ts';
import type { OpenStreamLimit } from '../stream/open-stream-limit.ts';
import type { PollTuning } from '../wait-for-job.ts';
import type { WebhookUrlGuard } from '../webhook-url-guard.ts';

/** What every route plugin receives from buildApi. */
export interface RouteContext {
  store: JobStore;
  queue: JobQueue;
  limits: ApiLimits;
  metrics: ApiMetrics;
  now: () => number;
  newId: (kind: 'job' | 'batch') => string;
  poll: PollTuning;
  /** Fires when the server starts closing, so long polls answer at once. */
  closing: AbortSignal;
  resultsPageSize: number;
  publishChunkSize: number;
  /** Webhook delivery records, for views and redelivery; null when not wired. */
  events: WebhookEventStore | null;
  /** The SSRF check on submitted webhook URLs. */
  webhookGuard: WebhookUrlGuard;
  /** Live output: running jobs' text from the stream channel, and the open-stream limit. */
  streams: { hub: LiveTextHub; limit: OpenStreamLimit };
  /** The model's prompt counter, for the prompt + max_new_tokens check at submit. */
  promptTokens: PromptTokensOf;
}
