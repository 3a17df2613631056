import { Worker } from 'node:worker_threads';

/** What the probe saw: each /healthz answer's latency (ms) and status, in order. */
export interface HealthzProbeResult {
  latenciesMs: number[];
  statuses: number[];
}

/**
 * Requests /healthz back to back (10 ms apart) in a thread of its own, so the caller's own
 * work (parsing hundreds of streams) does not delay its clock, until stop() is called.
 */
const probeSource = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  const latenciesMs = [];
  const statuses = [];
  while (!stop) {
    const started = performance.now();
    const response = await fetch(workerData.url);
    await response.text();
    latenciesMs.push(performance.now() - started);
    statuses.push(response.status);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  parentPort.postMessage({ latenciesMs, statuses });
})();
`;

export function startHealthzProbe(url: string): { stop(): Promise<HealthzProbeResult> } {
  const thread = new Worker(probeSource, { eval: true, workerData: { url } });
  const result = new Promise<HealthzProbeResult>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  return {
    async stop() {
      thread.postMessage('stop');
      try {
        return await result;
      } finally {
        await thread.terminate();
      }
    },
  };
}
