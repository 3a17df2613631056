import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { type JobView, requestJson } from '../src/e2e/service-client.ts';
import { repoRoot, startService } from '../src/e2e/service-process.ts';
import { doneJob, openStream, streamedText } from '../src/e2e/sse-client.ts';
import { streamsOverJobs } from '../src/e2e/streams-over-jobs.ts';
import {
  type LocalService,
  startFirestoreEmulator,
  startGcsTestServerProcess,
  startPubSubEmulator,
} from '../src/gcp-stack/local-services.ts';
import { pushModelFolder } from '../src/gcp-stack/push-model-folder.ts';
import { apiMain, newStackSecrets, stackEnv, workerMain } from '../src/gcp-stack/stack-env.ts';
import { type SupervisedProcess, startProcess } from '../src/gcp-stack/supervised-process.ts';
import { percentile, round } from './latency-stats.ts';

/**
 * `npm run bench:stream`: what live output costs and how late it is, measured.
 * - token→client latency: from the worker handing a row's text to the stream channel
 *   (StreamChunk.sentAtMs, after the engine's per-row coalescing) to the SSE client reading
 *   the event (the `warmgen-timing: 1` comments), p50/p95, on npm start and on the emulator
 *   stack (API and worker as separate processes, chunks over Pub/Sub);
 * - generation tokens/s at 32 running rows with 32 streams open vs none, alternating rounds
 *   in one run (the ratio is the figure; the machine is shared);
 * - on gcp, stream-topic publishes (backend writes) per 1,000 generated tokens, counted by a
 *   subscription of the bench's own;
 * - on npm start, /healthz latency p50/p99 while 200 streams follow a batch of 32 jobs.
 * Prints a table and writes bench-results/stream.json. `--skip-gcp` runs npm start only.
 */
const rows = 32;
const maxNewTokens = Number(process.env.BENCH_TOKENS ?? 128);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
// The GPT-2-small-shaped model by default: streaming's cost is per published chunk, so it only
// reads true against a decode step as long as the product's (the tiny model decodes ~5x faster,
// which inflates the relative cost). BENCH_MODEL=tiny for a quick run.
const modelName = process.env.BENCH_MODEL === 'tiny' ? 'tiny' : 'small';
const skipGcp = process.argv.includes('--skip-gcp');
const timing = { 'warmgen-timing': '1' };

interface RoundResult {
  streams: boolean;
  tokens: number;
  /** From the first job's start to the last one's finish, as the jobs' records say. */
  wallMs: number;
  tokensPerSecond: number;
  latenciesMs: number[];
}

/** 32 jobs at once; with streams, one per job, read with the timing comments. */
async function runRound(
  baseUrl: string,
  headers: Record<string, string>,
  streams: boolean,
  seed: number,
): Promise<RoundResult> {
  const latenciesMs: number[] = [];
  const body = (i: number) => ({
    prompt: `Bench row ${i}`,
    params: { max_new_tokens: maxNewTokens, temperature: 0.8, seed: seed + i },
  });
  const jobs: JobView[] = await Promise.all(
    Array.from({ length: rows }, async (_, i) => {
      if (!streams) {
        const submitted = await requestJson<JobView>(
          baseUrl,
          'POST',
          '/v1/generations',
          body(i),
          headers,
        );
        return waitDone(baseUrl, headers, submitted.body.id);
      }
      const opened = await openStream(`${baseUrl}/v1/generations`, {
        method: 'POST',
        headers: { ...headers, ...timing },
        body: { ...body(i), stream: true },
      });
      const events = [];
      for await (const event of opened.events) {
        if (event.event === 'text' && event.comment?.startsWith('sent-at ')) {
          const sentAtMs = Number(event.comment.slice('sent-at '.length));
          // performance.now() at receipt, on the epoch clock the worker used.
          latenciesMs.push(event.atMs + performance.timeOrigin - sentAtMs);
        }
        events.push(event);
      }
      return doneJob<JobView>(events);
    }),
  );
  const tokens = jobs.reduce((sum, job) => sum + (job.result?.usage.completion_tokens ?? 0), 0);
  const start = Math.min(...jobs.map((job) => Date.parse(job.started_at!)));
  const end = Math.max(...jobs.map((job) => Date.parse(job.finished_at!)));
  return {
    streams,
    tokens,
    wallMs: end - start,
    tokensPerSecond: (tokens * 1000) / (end - start),
    latenciesMs,
  };
}

async function waitDone(
  baseUrl: string,
  headers: Record<string, string>,
  id: string,
): Promise<JobView> {
  for (;;) {
    const reply = await requestJson<JobView>(
      baseUrl,
      'GET',
      `/v1/generations/${id}?wait=30`,
      undefined,
      headers,
    );
    if (['succeeded', 'failed', 'canceled'].includes(reply.body.status)) {
      return reply.body;
    }
  }
}

/** Alternating rounds, streams on and off (order flipped each round), after a warm-up. */
async function onAndOff(baseUrl: string, headers: Record<string, string>) {
  await runRound(baseUrl, headers, false, 1_000);
  const results: RoundResult[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const streams of round % 2 === 0 ? [true, false] : [false, true]) {
      results.push(await runRound(baseUrl, headers, streams, round * 100));
    }
  }
  const median = (values: number[]) => percentile(values, 50);
  const on = results.filter((r) => r.streams);
  const off = results.filter((r) => !r.streams);
  const latencies = on.flatMap((r) => r.latenciesMs);
  return {
    tokensPerSecondOn: round(median(on.map((r) => r.tokensPerSecond))),
    tokensPerSecondOff: round(median(off.map((r) => r.tokensPerSecond))),
    /** On / off within each round (the two runs next to each other): the spread to quote. */
    onOffRatioByRound: on.map((r, i) =>
      round(r.tokensPerSecond / (off[i]?.tokensPerSecond ?? NaN), 3),
    ),
    latencyMs: {
      count: latencies.length,
      p50: round(percentile(latencies, 50)),
      p95: round(percentile(latencies, 95)),
    },
    rounds: results.map(({ latenciesMs: _, ...rest }) => ({
      ...rest,
      tokensPerSecond: round(rest.tokensPerSecond),
    })),
  };
}

/**
 * 200 streams open over a batch of 32 running jobs (6 or 7 per job): /healthz latency
 * meanwhile, probed from a thread of its own (target p99 < 50 ms).
 */
async function healthzUnderStreams(baseUrl: string) {
  const streams = 200;
  const { events, healthz } = await streamsOverJobs(baseUrl, { jobs: rows, streams, maxNewTokens });
  const { latenciesMs, statuses } = healthz;
  const joined = events.filter(
    (stream) => streamedText(stream) === doneJob<JobView>(stream).result?.text,
  ).length;
  return {
    streams,
    streamsJoinedToFinalText: joined,
    probes: latenciesMs.length,
    probesNot200: statuses.filter((status) => status !== 200).length,
    p50Ms: round(percentile(latenciesMs, 50)),
    p99Ms: round(percentile(latenciesMs, 99)),
    maxMs: round(Math.max(...latenciesMs)),
  };
}

async function embedded() {
  const service = await startService({
    env: {
      MAX_BATCH: String(rows),
      MAX_STREAMS_PER_KEY: '1000',
      MODEL_URI: await ensureModel(modelName),
    },
  });
  try {
    const result = await onAndOff(service.baseUrl, {});
    return { ...result, healthzUnder200Streams: await healthzUnderStreams(service.baseUrl) };
  } finally {
    await service.stop();
  }
}

async function gcp() {
  const services: SupervisedProcess[] = [];
  const keep = (service: LocalService) => {
    services.push(service.process);
    return service;
  };
  try {
    const [pubsub, firestore, gcs] = await Promise.all([
      startPubSubEmulator().then(keep),
      startFirestoreEmulator().then(keep),
      startGcsTestServerProcess().then(keep),
    ]);
    const projectId = 'warmgen-bench';
    const modelUri = 'gs://warmgen-models/gpt2';
    await pushModelFolder({
      dir: await ensureModel(modelName),
      uri: modelUri,
      endpoint: gcs.address,
      projectId,
    });
    const secrets = newStackSecrets();
    const env = stackEnv(
      {
        projectId,
        pubsubHost: pubsub.address,
        firestoreHost: firestore.address,
        storageUrl: gcs.address,
        modelUri,
      },
      secrets,
      join(repoRoot, '.cache', 'bench-stream', 'models'),
      { MAX_BATCH: String(rows), MAX_STREAMS_PER_KEY: '1000' },
    );
    const port = 18_000 + Math.floor(Math.random() * 1_000);
    const api = startProcess({
      name: 'api',
      command: process.execPath,
      args: [apiMain],
      env: { ...env, PORT: String(port) },
      cwd: repoRoot,
    });
    services.push(api);
    await api.waitForLine(/warmgen API ready/, 120_000);
    const worker = startProcess({
      name: 'worker',
      command: process.execPath,
      args: [workerMain],
      env,
      cwd: repoRoot,
    });
    services.push(worker);
    await worker.waitForLine(/warmgen worker ready/, 300_000);

    // Every publish to the stream topic, counted by a subscription of our own.
    const client = createPubSubClient({ projectId, emulatorHost: pubsub.address });
    const [subscription] = await client
      .topic(env.PUBSUB_STREAM_TOPIC ?? 'warmgen-stream')
      .createSubscription('bench-stream-count');
    let published = 0;
    subscription.on('message', (message) => {
      published += 1;
      message.ack();
    });
    const headers = { authorization: `Bearer ${secrets.apiKey}` };
    const result = await onAndOff(`http://127.0.0.1:${port}`, headers);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await subscription.close();
    await client.close();
    // Every round publishes (workers stream whether or not a client listens).
    const tokens = result.rounds.reduce((sum, r) => sum + r.tokens, 0) + rows * maxNewTokens;
    return {
      ...result,
      streamPublishes: published,
      publishesPer1000Tokens: round((published * 1000) / tokens),
    };
  } finally {
    for (const member of services.reverse()) {
      await member.stop();
    }
  }
}

const startedLoad = loadavg().map((value) => round(value, 2));
const embeddedResult = await embedded();
const gcpResult = skipGcp ? null : await gcp();
const report = {
  rows,
  maxNewTokens,
  rounds,
  model: modelName,
  cores: availableParallelism(),
  loadAverageAtStart: startedLoad,
  loadAverageAtEnd: loadavg().map((value) => round(value, 2)),
  embedded: embeddedResult,
  gcp: gcpResult,
};
const line = (name: string, r: Awaited<ReturnType<typeof onAndOff>>, writes: string) =>
  `| ${name.padEnd(13)} | ${String(r.latencyMs.p50).padStart(7)} | ${String(r.latencyMs.p95).padStart(7)} | ${String(r.tokensPerSecondOn).padStart(9)} | ${String(r.tokensPerSecondOff).padStart(10)} | ${(`${((r.tokensPerSecondOn / r.tokensPerSecondOff - 1) * 100).toFixed(1)} %`).padStart(8)} | ${writes.padStart(12)} |`;
process.stdout.write(
  `\nbench:stream: ${rows} rows x ${maxNewTokens} tokens, ${modelName} model, ${rounds} rounds each way; load ${startedLoad.join(' ')} -> ${report.loadAverageAtEnd.join(' ')} on ${report.cores} cores\n\n` +
    '| backend       | p50 ms  | p95 ms  | tok/s on  | tok/s off  | on / off | writes/1k tok |\n' +
    '| ------------- | ------- | ------- | --------- | ---------- | -------- | ------------- |\n' +
    `${line('npm start', embeddedResult, '-')}\n` +
    (gcpResult
      ? `${line('gcp emulators', gcpResult, String(gcpResult.publishesPer1000Tokens))}\n`
      : ''),
);
const spread = (name: string, r: Awaited<ReturnType<typeof onAndOff>>) =>
  `${name}: on / off by round ${r.onOffRatioByRound.join(', ')} (min ${Math.min(...r.onOffRatioByRound)}, max ${Math.max(...r.onOffRatioByRound)})\n`;
const load = embeddedResult.healthzUnder200Streams;
process.stdout.write(
  `\n${spread('npm start', embeddedResult)}${gcpResult ? spread('gcp emulators', gcpResult) : ''}` +
    `\n/healthz while ${load.streams} streams follow ${rows} running jobs (npm start): ` +
    `p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, max ${load.maxMs} ms over ${load.probes} probes ` +
    `(${load.probesNot200} not 200); ${load.streamsJoinedToFinalText}/${load.streams} streams joined to their final text\n`,
);
await mkdir(join(repoRoot, 'bench-results'), { recursive: true });
await writeFile(
  join(repoRoot, 'bench-results', 'stream.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
process.stdout.write('\nwritten to bench-results/stream.json\n');
