import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { startCloudRunTestServer } from '../src/cloud-run-test-server/cloud-run-test-server.ts';
import { freePort } from '../src/e2e/free-port.ts';
import {
  startFirestoreEmulator,
  startGcsTestServerProcess,
  startPubSubEmulator,
} from '../src/gcp-stack/local-services.ts';
import { pushModelFolder } from '../src/gcp-stack/push-model-folder.ts';
import {
  apiMain,
  namespacedResources,
  newStackSecrets,
  repoRoot,
  stackEnv,
} from '../src/gcp-stack/stack-env.ts';
import { type SupervisedProcess, startProcess } from '../src/gcp-stack/supervised-process.ts';
import { percentile, round } from './latency-stats.ts';
import { serverLatenciesMs } from './server-side-latency.ts';
import { runSubmitLoad, type SubmitLoadResult } from './submit-load.ts';

/**
 * `npm run bench:submit-launcher`: bench:submit's open-loop POST /v1/generations load
 * against the API process on the Google Cloud adapters (the Pub/Sub and Firestore
 * emulators), with SCALE_MODE=off and SCALE_MODE=job in the same run, rounds alternating
 * (off, on, on, off, …) so drift over the run falls on both. With the launcher on, every
 * accepted job nudges it (a debounced timer), and its decisions read the store's counts,
 * take the Firestore lease and call the Cloud Run Admin API test server (whose tasks stay
 * "running" until the run ends, so the launcher keeps listing executions, as it does while
 * real workers drain). The launcher only works off the request path: the p99 ratio on/off
 * should be 1 within the round-to-round noise, which the off/off spread shows.
 *
 *   node test/bench/launcher-submit.ts [--rate 50] [--seconds 10] [--pairs 3]
 */
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const pairs = Number(values.pairs);
const log = (message: string) => process.stderr.write(`${message}\n`);

const projectId = 'warmgen-bench';
const services: SupervisedProcess[] = [];
let finishTasks: () => void = () => {};
const tasksDone = new Promise<void>((resolve) => {
  finishTasks = resolve;
});

interface Round {
  launcher: 'off' | 'on';
  load: SubmitLoadResult;
  serverP99Ms: number;
  launches: number;
  adminApiRequests: number;
}

const loadBefore = loadavg();
log('starting the Pub/Sub and Firestore emulators and the Cloud Storage test server ...');
const [pubsub, firestore, gcs] = await Promise.all([
  startPubSubEmulator(),
  startFirestoreEmulator(),
  startGcsTestServerProcess(),
]);
services.push(pubsub.process, firestore.process, gcs.process);
const modelUri = 'gs://warmgen-models/gpt2';
// The API reads the model's config and tokenizer files (to count prompt tokens at submit).
await pushModelFolder({
  dir: await ensureModel('tiny'),
  uri: modelUri,
  endpoint: gcs.address,
  projectId,
});
const cloudRun = await startCloudRunTestServer({ runTask: () => tasksDone.then(() => 0) });
const secrets = newStackSecrets();
const cacheDir = await mkdtemp(join(tmpdir(), 'warmgen-bench-launcher-'));
const endpoints = {
  projectId,
  pubsubHost: pubsub.address,
  firestoreHost: firestore.address,
  storageUrl: gcs.address,
  modelUri,
};
const rounds: Round[] = [];
try {
  const order: Array<'off' | 'on'> = [];
  for (let pair = 0; pair < pairs; pair++) {
    order.push(...(pair % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)));
  }
  for (const [index, launcher] of order.entries()) {
    rounds.push(await runRound(index, launcher));
    const last = rounds.at(-1) as Round;
    log(
      `round ${index + 1}/${order.length} launcher ${launcher}: p50 ${last.load.latencyMs.p50} ms, p99 ${last.load.latencyMs.p99} ms (server p99 ${last.serverP99Ms} ms), ${last.load.errors} errors, ${last.launches} launches`,
    );
  }
} finally {
  finishTasks();
  await cloudRun.close();
  await Promise.all(services.map((service) => service.stop()));
  await rm(cacheDir, { recursive: true, force: true });
}

async function runRound(index: number, launcher: 'off' | 'on'): Promise<Round> {
  const port = await freePort();
  const namespace = `bench-${index}-${launcher}-${Date.now().toString(36)}`;
  const scale: Record<string, string> =
    launcher === 'on'
      ? {
          SCALE_MODE: 'job',
          SCALE_JOB: `projects/${projectId}/locations/local/jobs/warmgen-worker`,
          SCALE_INTERVAL_SECONDS: '2',
          CLOUD_RUN_API_ENDPOINT: cloudRun.url,
        }
      : { SCALE_MODE: 'off' };
  const api = startProcess({
    name: `api-${launcher}`,
    command: process.execPath,
    args: [apiMain],
    env: stackEnv(endpoints, secrets, cacheDir, {
      ...namespacedResources(namespace),
      PORT: String(port),
      // The per-key limit would refuse most of the load: this measures the API's own cost.
      RATE_LIMIT_PER_MINUTE: '0',
      ...scale,
    }),
    cwd: repoRoot,
    keepLines: 100_000,
  });
  try {
    await api.waitForLine(/warmgen API ready/, 120_000);
    const executionsBefore = cloudRun.executions.length;
    const requestsBefore = cloudRun.requests.length;
    const load = await runSubmitLoad(`http://127.0.0.1:${port}`, {
      ratePerSecond: rate,
      seconds,
      warmupRequests: 50,
      params: { max_new_tokens: 16, seed: 1 },
      headers: { authorization: `Bearer ${secrets.apiKey}` },
    });
    const server = serverLatenciesMs(api.lines().join('\n'), 'POST', '/v1/generations').slice(
      -load.requests,
    );
    server.sort((a, b) => a - b);
    return {
      launcher,
      load,
      serverP99Ms: round(server[Math.max(0, Math.ceil(0.99 * server.length) - 1)] ?? Number.NaN, 2),
      launches: cloudRun.executions.length - executionsBefore,
      adminApiRequests: cloudRun.requests.length - requestsBefore,
    };
  } finally {
    await api.stop();
  }
}

const p99Of = (launcher: 'off' | 'on') =>
  rounds.filter((r) => r.launcher === launcher).map((r) => r.load.latencyMs.p99);
const median = (samples: number[]) => percentile(samples, 50);
const off = p99Of('off');
const on = p99Of('on');
const report = {
  measuredAt: new Date().toISOString(),
  loadAverage: {
    before: loadBefore.map((v) => round(v, 2)),
    after: loadavg().map((v) => round(v, 2)),
  },
  ratePerSecond: rate,
  seconds,
  rounds,
  p99Ms: {
    off: { median: round(median(off), 2), min: Math.min(...off), max: Math.max(...off) },
    on: { median: round(median(on), 2), min: Math.min(...on), max: Math.max(...on) },
    ratioOnOff: round(median(on) / median(off), 3),
  },
};
const table = [
  '| launcher | rounds | p99 median (ms) | p99 min–max (ms) | launches | errors |',
  '| -------- | ------ | --------------- | ---------------- | -------- | ------ |',
  ...(['off', 'on'] as const).map((launcher) => {
    const of = rounds.filter((r) => r.launcher === launcher);
    const p = report.p99Ms[launcher];
    return `| ${launcher} | ${of.length} | ${p.median} | ${p.min}–${p.max} | ${of.reduce((s, r) => s + r.launches, 0)} | ${of.reduce((s, r) => s + r.load.errors, 0)} |`;
  }),
];
process.stdout.write(
  `${table.join('\n')}\n\np99 on/off: ${report.p99Ms.ratioOnOff}; load average ${report.loadAverage.before.join(' ')} → ${report.loadAverage.after.join(' ')}\n`,
);
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(
  join(repoRoot, 'bench-results', 'launcher-submit.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
