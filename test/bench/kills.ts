import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BatchView, requestJson } from '../src/e2e/service-client.ts';
import {
  newDataDir,
  repoRoot,
  type ServiceProcess,
  startService,
} from '../src/e2e/service-process.ts';
import { round } from './latency-stats.ts';

/**
 * `npm run bench:kills`: a 300-item batch on `npm start` (the tiny stand-in model, the
 * embedded backend) run to the end without kills and with three SIGKILL + restart cycles
 * (at a quarter, half and three quarters of the items done, the restart on the same
 * DATA_DIR), interleaved in one run so both see the same machine. The figure is the ratio
 * of their times (target: at most 1.5x). A restarted process releases the dead one's jobs
 * at once (ports/worker-processes.ts), so a kill costs its restart and the work in flight,
 * not the dead process's leases. Every round checks that all 300 items succeeded.
 * Prints a table and writes bench-results/kills.json.
 *
 *   node test/bench/kills.ts [--rounds 3] [--items 300] [--tokens 100]
 */
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    items: { type: 'string', default: '300' },
    // 100 tokens an item: a batch that runs about 24 s here without kills, the ~25 s of the
    // issue's measured batch; a kill costs about 3 s (restart, and the 32 rows in flight
    // run again), so a much shorter batch is dominated by that fixed cost.
    tokens: { type: 'string', default: '100' },
  },
});
const rounds = Number(values.rounds);
const items = Number(values.items);
const tokens = Number(values.tokens);
const killAtFractions = [0.25, 0.5, 0.75];
const serviceEnv = { LEASE_SECONDS: '10' };
const log = (message: string) => process.stderr.write(`${message}\n`);

interface RoundResult {
  round: number;
  kills: number;
  wallMs: number;
  /** Jobs queued again at once by a restart (from its log line). */
  releasedAtRestart: number;
  /** Items that ran more than once (killed mid-generation). */
  rerunItems: number;
  succeeded: number;
  loadAverage1m: number;
}

async function batchOf(service: ServiceProcess, id: string): Promise<BatchView> {
  const reply = await requestJson<BatchView>(service.baseUrl, 'GET', `/v1/batches/${id}`);
  if (reply.status !== 200) {
    throw new Error(`GET batch answered ${reply.status}`);
  }
  return reply.body;
}

async function runRound(roundNumber: number, kills: number): Promise<RoundResult> {
  const dataDir = await newDataDir();
  let service = await startService({ dataDir, env: serviceEnv });
  const startedMs = performance.now();
  const submitted = await requestJson<BatchView>(service.baseUrl, 'POST', '/v1/batches', {
    items: Array.from({ length: items }, (_, i) => ({
      custom_id: `item-${String(i).padStart(4, '0')}`,
      prompt: `Item ${i} of the batch says`,
      params: { max_new_tokens: tokens, temperature: 0.8, seed: i },
    })),
  });
  if (submitted.status !== 202) {
    throw new Error(`batch submit answered ${submitted.status}`);
  }
  const batchId = submitted.body.id;
  const killAt = killAtFractions.slice(0, kills).map((fraction) => Math.round(items * fraction));
  let released = 0;
  for (;;) {
    const batch = await batchOf(service, batchId);
    if (batch.status === 'completed') {
      break;
    }
    if (killAt.length > 0 && batch.counts.succeeded >= (killAt[0] ?? Infinity)) {
      killAt.shift();
      await service.kill();
      service = await startService({ dataDir, env: serviceEnv });
      const line = /released (\d+) jobs of \d+ dead worker processes/.exec(service.logs());
      released += Number(line?.[1] ?? 0);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const wallMs = performance.now() - startedMs;
  const lines = await fetch(`${service.baseUrl}/v1/batches/${batchId}/results`).then((r) =>
    r.text(),
  );
  const results = lines
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { status: string; id: string });
  let rerunItems = 0;
  for (const result of results) {
    const job = await requestJson<{ attempts: number }>(
      service.baseUrl,
      'GET',
      `/v1/generations/${result.id}`,
    );
    rerunItems += job.body.attempts > 1 ? 1 : 0;
  }
  await service.stop();
  await rm(dataDir, { recursive: true, force: true });
  return {
    round: roundNumber,
    kills,
    wallMs: Math.round(wallMs),
    releasedAtRestart: released,
    rerunItems,
    succeeded: results.filter((result) => result.status === 'succeeded').length,
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}

const results: RoundResult[] = [];
for (let r = 1; r <= rounds; r++) {
  // Alternate which goes first, so a drift in the machine's load does not favour one.
  for (const kills of r % 2 === 1 ? [0, 3] : [3, 0]) {
    log(`round ${r}: ${kills} kills…`);
    const result = await runRound(r, kills);
    results.push(result);
    log(`  ${JSON.stringify(result)}`);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const ratios = Array.from({ length: rounds }, (_, i) => {
  const without = results.find((result) => result.round === i + 1 && result.kills === 0);
  const withKills = results.find((result) => result.round === i + 1 && result.kills === 3);
  return round((withKills?.wallMs ?? 0) / (without?.wallMs ?? 1), 2);
});
const summary = {
  items,
  maxNewTokens: tokens,
  leaseSeconds: Number(serviceEnv.LEASE_SECONDS),
  medianWithoutKillsMs: median(results.filter((r) => r.kills === 0).map((r) => r.wallMs)),
  medianWithKillsMs: median(results.filter((r) => r.kills === 3).map((r) => r.wallMs)),
  ratioByRound: ratios,
  medianRatio: median(ratios),
  allSucceeded: results.every((result) => result.succeeded === items),
};

console.log(`\n${items}-item batch on npm start, ${tokens} tokens each, LEASE_SECONDS=10\n`);
console.log(
  '| round | kills | wall s | released at restart | items run twice | succeeded | load 1m |',
);
console.log(
  '| ----- | ----- | ------ | ------------------- | --------------- | --------- | ------- |',
);
for (const r of results) {
  console.log(
    `| ${r.round} | ${r.kills} | ${(r.wallMs / 1000).toFixed(1)} | ${r.releasedAtRestart} | ${r.rerunItems} | ${r.succeeded}/${items} | ${r.loadAverage1m} |`,
  );
}
console.log(
  `\nwith 3 kills / without, by round: ${ratios.map((ratio) => `${ratio}x`).join(', ')}; median ${summary.medianRatio.toFixed(2)}x (target ≤ 1.5x)`,
);
const outDir = join(repoRoot, 'bench-results');
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, 'kills.json'), `${JSON.stringify({ summary, results }, null, 2)}\n`);
console.log('results in bench-results/kills.json');
