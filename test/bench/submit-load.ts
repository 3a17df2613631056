import { setTimeout as sleep } from 'node:timers/promises';
import { round, roundSummary, type Summary, summarize } from './latency-stats.ts';

export interface SubmitLoadOptions {
  ratePerSecond: number;
  seconds: number;
  /** Unmeasured submits first (connections, JIT). */
  warmupRequests: number;
  /** The params every submitted job carries. */
  params: Record<string, unknown>;
  /** Sent with every submit (an API key on BACKEND=gcp). */
  headers?: Record<string, string>;
}

export interface SubmitLoadResult {
  targetRatePerSecond: number;
  achievedRatePerSecond: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  /** Send to response, per request. */
  latencyMs: Summary;
  /** How late the sender fired against its schedule (a busy client inflates latency). */
  senderLagMs: Summary;
}

/**
 * Open-loop load: POST /v1/generations at a fixed rate whatever the answers do, so a slow
 * server meets more requests in flight instead of fewer (no coordinated omission).
 */
export async function runSubmitLoad(
  baseUrl: string,
  options: SubmitLoadOptions,
): Promise<SubmitLoadResult> {
  for (let i = 0; i < options.warmupRequests; i++) {
    await submitOnce(baseUrl, `warm-up ${i}`, options.params, options.headers);
  }
  const total = Math.round(options.ratePerSecond * options.seconds);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const lags: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  let lastSentAt = start;
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) {
      await sleep(wait);
    }
    const sentAt = performance.now();
    lastSentAt = sentAt;
    lags.push(Math.max(0, sentAt - due));
    inFlight.push(
      submitOnce(baseUrl, `Submit load ${i}`, options.params, options.headers).then(
        (outcome) => {
          if (outcome === 'ok') {
            latencies.push(performance.now() - sentAt);
          } else {
            errors++;
            if (errorSamples.length < 5) {
              errorSamples.push(outcome);
            }
          }
        },
        (error: unknown) => {
          errors++;
          if (errorSamples.length < 5) {
            errorSamples.push(String(error));
          }
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const sendSeconds = (lastSentAt - start) / 1000;
  return {
    targetRatePerSecond: options.ratePerSecond,
    achievedRatePerSecond: round(total > 1 ? (total - 1) / sendSeconds : total, 1),
    requests: total,
    errors,
    errorSamples,
    latencyMs: roundSummary(summarize(latencies), 2),
    senderLagMs: roundSummary(summarize(lags), 2),
  };
}

async function submitOnce(
  baseUrl: string,
  prompt: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<'ok' | string> {
  const response = await fetch(`${baseUrl}/v1/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ prompt, params }),
  });
  const text = await response.text();
  return response.status === 202 ? 'ok' : `${response.status} ${text.slice(0, 200)}`;
}
