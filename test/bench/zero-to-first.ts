import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capacityClient } from '../src/e2e/capacity-client.ts';
import { freePort } from '../src/e2e/free-port.ts';
import type { JobView } from '../src/e2e/service-client.ts';
import { inheritedEnv, repoRoot } from '../src/gcp-stack/stack-env.ts';
import { startProcess } from '../src/gcp-stack/supervised-process.ts';
import { percentile, round } from './latency-stats.ts';

/**
 * `npm run bench:zero-to-first`: from zero workers to the first job's result, on
 * `dev:gcp --workers 0 --scale job` with the tiny model (target: at most 10 s). Each round
 * waits until no worker is left (GET /v1/capacity: no heartbeat), then submits one job with
 * `Prefer: wait=60` and times the answer: the launcher's decision and the Admin API call,
 * the task's process start, its hydration (from the GCS test server; the host's model cache
 * is shared by dev:gcp's tasks, so rounds after the first reuse it, as a Cloud Run instance
 * reusing its disk would not), the model load and the generation. The job's own timestamps
 * split it into waiting for a worker (created → started) and generating (started → finished).
 *
 *   node test/bench/zero-to-first.ts [--rounds 5] [--tokens 16]
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '16' },
  },
});
const rounds = Number(values.rounds);
const tokens = Number(values.tokens);
const log = (message: string) => process.stderr.write(`${message}\n`);

interface Round {
  round: number;
  totalMs: number;
  waitingForWorkerMs: number;
  generatingMs: number;
  status: string;
  loadAverage1m: number;
}

const loadBefore = loadavg();
const port = await freePort();
log(`starting dev:gcp --workers 0 --scale job on port ${port} ...`);
const stack = startProcess({
  name: 'dev:gcp',
  command: process.execPath,
  args: [
    join(repoRoot, 'tools', 'dev-gcp', 'main.ts'),
    '--workers',
    '0',
    '--scale',
    'job',
    '--port',
    String(port),
  ],
  env: { ...inheritedEnv(), METADATA_SERVER_DETECTION: 'none', IDLE_EXIT_SECONDS: '2' },
  cwd: repoRoot,
  keepLines: 100_000,
});
const results: Round[] = [];
try {
  const banner = await stack.waitForLine(/API key: wg_local_[0-9a-f]+/, 300_000);
  const key = /API key: (wg_local_[0-9a-f]+)/.exec(banner)?.[1] as string;
  const baseUrl = `http://127.0.0.1:${port}`;
  const capacity = capacityClient(baseUrl, key);
  for (let index = 1; index <= rounds; index++) {
    await capacity.until((view) => view.workers.total === 0 && view.queue.running === 0, 120_000);
    const started = performance.now();
    const response = await fetch(`${baseUrl}/v1/generations`, {
      method: 'POST',
      headers: {
        ...capacity.headers,
        'content-type': 'application/json',
        prefer: 'wait=60',
      },
      body: JSON.stringify({
        prompt: `Zero to first, round ${index}`,
        params: { max_new_tokens: tokens, seed: index },
      }),
    });
    const job = (await response.json()) as JobView & {
      created_at: string;
      started_at: string | null;
      finished_at: string | null;
    };
    const totalMs = performance.now() - started;
    const at = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));
    results.push({
      round: index,
      totalMs: round(totalMs, 0),
      waitingForWorkerMs: at(job.started_at) - at(job.created_at),
      generatingMs: at(job.finished_at) - at(job.started_at),
      status: job.status,
      loadAverage1m: round(loadavg()[0] as number, 2),
    });
    const last = results.at(-1) as Round;
    log(
      `round ${index}/${rounds}: ${job.status} after ${last.totalMs} ms (waiting for a worker ${last.waitingForWorkerMs} ms, generating ${last.generatingMs} ms), load ${last.loadAverage1m}`,
    );
  }
} finally {
  await stack.stop(30_000);
}

const totals = results.map((r) => r.totalMs).sort((a, b) => a - b);
const median = percentile(totals, 50);
const report = {
  measuredAt: new Date().toISOString(),
  loadAverage: {
    before: loadBefore.map((v) => round(v, 2)),
    after: loadavg().map((v) => round(v, 2)),
  },
  targetMs: 10_000,
  tokens,
  rounds: results,
  totalMs: {
    median: round(median, 0),
    min: totals[0],
    max: totals.at(-1),
    allSucceeded: results.every((r) => r.status === 'succeeded'),
  },
};
const rows = results.map(
  (r) =>
    `| ${r.round} | ${r.status} | ${r.totalMs} | ${r.waitingForWorkerMs} | ${r.generatingMs} | ${r.loadAverage1m} |`,
);
process.stdout.write(
  [
    '| round | status | submit → result (ms) | waiting for a worker (ms) | generating (ms) | load 1m |',
    '| ----- | ------ | -------------------- | ------------------------- | --------------- | ------- |',
    ...rows,
    '',
    `median ${report.totalMs.median} ms (min ${report.totalMs.min}, max ${report.totalMs.max}; target ≤ 10000 ms); load average ${report.loadAverage.before.join(' ')} → ${report.loadAverage.after.join(' ')}`,
    '',
  ].join('\n'),
);
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(
  join(repoRoot, 'bench-results', 'zero-to-first.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
