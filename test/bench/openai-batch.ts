import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runWarmgen } from '../src/e2e/cli-process.ts';
import { repoRoot, type ServiceProcess, startService } from '../src/e2e/service-process.ts';
import {
  downloadLines,
  numberedLines,
  openAiClient,
  pollBatch,
  uploadLines,
} from '../src/openai/batch-lines.ts';

/**
 * `npm run bench:openai`: the OpenAI-compatible batch surface through the real openai SDK.
 *
 * 1. Acceptance of a large input file: upload `lines` request lines (files.create) and
 *    create the batch (batches.create) against the API process alone on SQLite, as it is
 *    deployed apart from workers; wall time of each step, and the server's RSS growth
 *    (VmRSS from /proc sampled every 20 ms, peak minus the value before the upload).
 *    `trials` runs, each on a fresh process; median and range.
 * 2. A round trip of `round-trip` lines on `npm start` with the tiny model: upload,
 *    create, poll to completed, download, match every custom_id. Then the same prompts,
 *    params and seeds as a native JSONL file through `warmgen submit` (the CLI as a child
 *    process, on the same server): how many of its texts equal the SDK's.
 *
 *   node test/bench/openai-batch.ts [--lines 50000] [--trials 3] [--round-trip 1000]
 */
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '50000' },
    trials: { type: 'string', default: '3' },
    'round-trip': { type: 'string', default: '1000' },
  },
});
const lineCount = Number(values.lines);
const trials = Number(values.trials);
const roundTripLines = Number(values['round-trip']);

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

function watchRss(pid: number) {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      peak = Math.max(peak, await rssBytes(pid));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    return peak;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const s = (ms: number) => Math.round(ms) / 1000;

async function acceptanceTrial() {
  const service: ServiceProcess = await startService({ main: 'api', env: { AUTH_MODE: 'open' } });
  try {
    const client = openAiClient(service.baseUrl);
    const lines = numberedLines(lineCount, 16);
    const before = await rssBytes(service.pid);
    const stopRss = watchRss(service.pid);
    const t0 = performance.now();
    const file = await uploadLines(client, lines);
    const t1 = performance.now();
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    const t2 = performance.now();
    const peak = await stopRss();
    if (batch.status !== 'in_progress' || batch.request_counts?.total !== lineCount) {
      throw new Error(`batch not accepted: ${JSON.stringify(batch).slice(0, 500)}`);
    }
    return {
      bytes: file.bytes,
      uploadMs: t1 - t0,
      createMs: t2 - t1,
      totalMs: t2 - t0,
      rssBeforeBytes: before,
      rssGrowthBytes: peak - before,
    };
  } finally {
    await service.kill();
  }
}

async function roundTrip() {
  const service = await startService({ env: { AUTH_MODE: 'open' } });
  try {
    const client = openAiClient(service.baseUrl);
    const lines = numberedLines(roundTripLines, 8);
    const t0 = performance.now();
    const file = await uploadLines(client, lines);
    const created = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/completions',
      completion_window: '24h',
    });
    const done = await pollBatch(client, created.id, 600_000);
    const output = done.output_file_id ? await downloadLines(client, done.output_file_id) : [];
    const t1 = performance.now();
    const cli = await cliSubmit(service, lines);
    const sdkText = new Map(
      output.map((line) => [
        line.custom_id,
        (line.response?.body as { choices?: Array<{ text: string }> } | undefined)?.choices?.[0]
          ?.text,
      ]),
    );
    const sameText = cli.results.filter(
      (r) => r.status === 'succeeded' && r.result?.text === sdkText.get(r.custom_id),
    ).length;
    const expected = new Set(
      lines.map((line) => (JSON.parse(line) as { custom_id: string }).custom_id),
    );
    const matched = output.filter(
      (line) => expected.has(line.custom_id) && line.response?.status_code === 200,
    );
    return {
      lines: roundTripLines,
      status: done.status,
      requestCounts: done.request_counts,
      matched: new Set(matched.map((line) => line.custom_id)).size,
      seconds: s(t1 - t0),
      cli: { exitCode: cli.exitCode, lines: cli.results.length, sameText, seconds: cli.seconds },
    };
  } finally {
    await service.stop();
  }
}

/** The OpenAI lines' prompts, params and seeds as native batch items, through `warmgen submit`. */
async function cliSubmit(service: ServiceProcess, openAiLines: readonly string[]) {
  const dir = await mkdtemp(join(tmpdir(), 'warmgen-bench-cli-'));
  try {
    const native = openAiLines.map((line) => {
      const { custom_id, body } = JSON.parse(line) as {
        custom_id: string;
        body: { prompt: string; max_tokens: number; seed: number };
      };
      return JSON.stringify({
        custom_id,
        prompt: body.prompt,
        params: { max_new_tokens: body.max_tokens, seed: body.seed },
      });
    });
    await writeFile(join(dir, 'prompts.jsonl'), `${native.join('\n')}\n`);
    const t0 = performance.now();
    const run = await runWarmgen(
      ['submit', join(dir, 'prompts.jsonl'), '--out', join(dir, 'results.jsonl')],
      { env: { WARMGEN_URL: service.baseUrl } },
    );
    const seconds = s(performance.now() - t0);
    const text = await readFile(join(dir, 'results.jsonl'), 'utf8').catch(() => '');
    const results = text
      .split('\n')
      .filter((line) => line !== '')
      .map(
        (line) =>
          JSON.parse(line) as {
            custom_id: string;
            status: string;
            result: { text: string } | null;
          },
      );
    return { exitCode: run.code, results, seconds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const load = loadavg()[0] ?? 0;
const acceptance: Awaited<ReturnType<typeof acceptanceTrial>>[] = [];
for (let i = 0; i < trials; i++) {
  acceptance.push(await acceptanceTrial());
}
const round = roundTripLines > 0 ? await roundTrip() : null;

const summary = (pick: (t: (typeof acceptance)[number]) => number, unit: (x: number) => number) => {
  const xs = acceptance.map(pick);
  return { median: unit(median(xs)), min: unit(Math.min(...xs)), max: unit(Math.max(...xs)) };
};
const report = {
  measuredAt: new Date().toISOString(),
  loadAverage1m: load,
  lines: lineCount,
  fileMb: mb(acceptance[0]?.bytes ?? 0),
  uploadSeconds: summary((t) => t.uploadMs, s),
  createSeconds: summary((t) => t.createMs, s),
  acceptedSeconds: summary((t) => t.totalMs, s),
  rssGrowthMb: summary((t) => t.rssGrowthBytes, mb),
  trials: acceptance,
  roundTrip: round,
};
console.log(
  `\nopenai batch acceptance: ${lineCount} lines (${report.fileMb} MB), ${trials} trials, load ${load.toFixed(2)}`,
);
console.log('| step | median | min | max |');
console.log('|---|---|---|---|');
for (const [name, figure, unit] of [
  ['files.create (upload)', report.uploadSeconds, 's'],
  ['batches.create (check + record 50k jobs + queue)', report.createSeconds, 's'],
  ['accepted (both)', report.acceptedSeconds, 's'],
  ['server RSS growth', report.rssGrowthMb, 'MB'],
] as const) {
  console.log(
    `| ${name} | ${figure.median} ${unit} | ${figure.min} ${unit} | ${figure.max} ${unit} |`,
  );
}
if (round) {
  console.log(
    `\nround trip on npm start (tiny model): ${round.lines} lines, ${round.status}, ` +
      `${round.matched}/${round.lines} matched by custom_id, ${round.seconds} s`,
  );
  console.log(
    `warmgen submit of the same prompts and seeds: exit ${round.cli.exitCode}, ${round.cli.lines} results, ` +
      `${round.cli.sameText}/${round.lines} texts equal to the SDK's, ${round.cli.seconds} s`,
  );
}
const dir = join(repoRoot, 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'openai-batch.json'), `${JSON.stringify(report, null, 2)}\n`);
