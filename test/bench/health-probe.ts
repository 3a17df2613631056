import { setTimeout as sleep } from 'node:timers/promises';
import { roundSummary, type Summary, summarize } from './latency-stats.ts';

export interface HealthProbe {
  /** Stops probing; the latencies of every answered GET /healthz, and how many failed. */
  stop(): Promise<{ latencyMs: Summary; errors: number }>;
}

/**
 * GET /healthz every `intervalMs` while the service works: how long a cheap request waits
 * when the process is generating at full batch. One probe at a time (a slow answer delays
 * the next probe instead of piling up requests).
 */
export function startHealthProbe(baseUrl: string, intervalMs = 100): HealthProbe {
  const latencies: number[] = [];
  let errors = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const sentAt = performance.now();
      try {
        const response = await fetch(`${baseUrl}/healthz`);
        await response.arrayBuffer();
        if (response.status === 200) {
          latencies.push(performance.now() - sentAt);
        } else {
          errors++;
        }
      } catch {
        errors++;
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { latencyMs: roundSummary(summarize(latencies), 2), errors };
    },
  };
}
