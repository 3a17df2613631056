import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureModel } from '../src/model-builder/ensure-model.ts';
import {
  runStrategy,
  type Strategy,
  type StrategyInput,
  type StrategyResult,
} from './hydrate-strategies.ts';

/**
 * `npm run bench:hydrate`: cold hydration of the GPT-2-small-shaped model (~500 MB) from
 * the GCS test server by warmgen's hydrator, by @google-cloud/storage's TransferManager and
 * by plain sequential downloads, plus a warm restart, all in one run. The server runs in a
 * child process, and so does each download, so every peak RSS is the downloader's own.
 * The machine is shared (2 cores, with the server on them too): compare the ratios;
 * `--rounds N` repeats the cold runs and keeps each one's best.
 *
 *   node worker/bench/hydrate.ts [--rounds 2] [--concurrency 8] [--chunk-mib 16]
 */
const RESULT_PREFIX = 'BENCH_RESULT ';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_FILE = join(REPO_ROOT, 'bench-results', 'hydrate.json');
const SERVER_MAIN = join(REPO_ROOT, 'test', 'src', 'gcs-test-server', 'main.ts');
const BUCKET = 'bench';
const PREFIX = 'gpt2-small';
const TARGETS = { coldVsTransferManager: 1.0, warmSeconds: 1, rssGrowthMb: 100 };

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    input: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    'chunk-mib': { type: 'string', default: '16' },
  },
});

if (values.child) {
  const input = JSON.parse(values.input ?? '{}') as StrategyInput;
  const result = await runStrategy(values.child as Strategy, input);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const chunkBytes = Number(values['chunk-mib']) * 1024 * 1024;
  const modelDir = await ensureModel('small');
  const server = await startServer(modelDir);
  const work = await mkdtemp(join(tmpdir(), 'warmgen-bench-hydrate-'));
  console.log(
    `hydration benchmark: ${(server.bytes / 1e6).toFixed(1)} MB in ${server.objects} files ` +
      `(GPT-2 small shape) from the GCS test server (own process) at ${server.url}\n` +
      `${availableParallelism()} cores; concurrency ${concurrency}, warmgen ranges ${chunkBytes / 1024 / 1024} MiB; ` +
      `${rounds} round(s) of cold runs, best of each kept\n`,
  );
  const runs: StrategyResult[] = [];
  try {
    const input = (dir: string): StrategyInput => ({
      url: server.url,
      bucket: BUCKET,
      prefix: PREFIX,
      dir,
      concurrency,
      chunkBytes,
    });
    let warm: StrategyResult | undefined;
    for (let round = 1; round <= rounds; round += 1) {
      for (const strategy of ['warmgen-cold', 'transfer-manager', 'sequential'] as const) {
        const dir = join(work, `${strategy}-${round}`);
        await mkdir(dir, { recursive: true });
        const result = await runChild(strategy, input(dir));
        runs.push(result);
        report(result, round);
        if (strategy === 'warmgen-cold' && round === rounds) {
          warm = await runChild('warmgen-warm', input(dir));
          runs.push(warm);
          report(warm, round);
        }
        await rm(dir, { recursive: true, force: true });
      }
    }
    await summarize(runs, warm as StrategyResult, { concurrency, chunkBytes, server });
  } finally {
    server.process.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

function best(runs: StrategyResult[], strategy: Strategy): StrategyResult {
  const own = runs.filter((run) => run.strategy === strategy);
  return own.reduce((a, b) => (b.mbPerSecond > a.mbPerSecond ? b : a));
}

async function summarize(
  runs: StrategyResult[],
  warm: StrategyResult,
  setup: { concurrency: number; chunkBytes: number; server: { bytes: number; objects: number } },
): Promise<void> {
  const cold = best(runs, 'warmgen-cold');
  const manager = best(runs, 'transfer-manager');
  const sequential = best(runs, 'sequential');
  const ratio = cold.mbPerSecond / manager.mbPerSecond;
  const maxGrowth = Math.max(
    ...runs.filter((r) => r.strategy.startsWith('warmgen')).map((r) => r.rssGrowthMb),
  );
  const checks = [
    {
      name: 'cold hydration (verified) vs TransferManager throughput',
      value: `${ratio.toFixed(2)}x`,
      target: `>= ${TARGETS.coldVsTransferManager.toFixed(1)}x`,
      pass: ratio >= TARGETS.coldVsTransferManager,
    },
    {
      name: 'warm restart',
      value: `${warm.bytes} bytes in ${warm.seconds.toFixed(3)} s`,
      target: `0 bytes and < ${TARGETS.warmSeconds} s`,
      pass: warm.bytes === 0 && warm.seconds < TARGETS.warmSeconds,
    },
    {
      name: 'hydration peak RSS growth',
      value: `${maxGrowth} MB`,
      target: `< ${TARGETS.rssGrowthMb} MB`,
      pass: maxGrowth < TARGETS.rssGrowthMb,
    },
  ];
  console.log('\nbest of each:');
  for (const run of [cold, manager, sequential, warm]) {
    report(run);
  }
  console.log(
    `\nwarmgen vs sequential: ${(cold.mbPerSecond / sequential.mbPerSecond).toFixed(2)}x`,
  );
  for (const check of checks) {
    console.log(
      `${check.pass ? 'PASS' : 'FAIL'} ${check.name}: ${check.value} (target ${check.target})`,
    );
  }
  await mkdir(join(REPO_ROOT, 'bench-results'), { recursive: true });
  await writeFile(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        model: { bytes: setup.server.bytes, files: setup.server.objects, shape: 'gpt2-small' },
        cores: availableParallelism(),
        concurrency: setup.concurrency,
        warmgenChunkBytes: setup.chunkBytes,
        best: { warmgenCold: cold, transferManager: manager, sequential, warmgenWarm: warm },
        runs,
        checks,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${RESULTS_FILE}`);
}

function report(run: StrategyResult, round?: number): void {
  const label = round === undefined ? '' : `[round ${round}] `;
  console.log(
    `${label}${run.strategy.padEnd(17)} ${(run.bytes / 1e6).toFixed(1).padStart(6)} MB ` +
      `${run.seconds.toFixed(2).padStart(6)} s ${String(run.mbPerSecond).padStart(7)} MB/s  ` +
      `peak RSS ${run.peakRssMb} MB (+${run.rssGrowthMb} MB)`,
  );
}

async function startServer(modelDir: string) {
  const child = spawn(
    process.execPath,
    [SERVER_MAIN, '--bucket', BUCKET, '--prefix', PREFIX, '--folder', modelDir],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  const ready = JSON.parse(line) as { url: string; objects: number; bytes: number };
  return { ...ready, process: child as ChildProcess };
}

async function runChild(strategy: Strategy, input: StrategyInput): Promise<StrategyResult> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--no-warnings', script, '--child', strategy, '--input', JSON.stringify(input)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'close')) as [number];
  const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (code !== 0 || !line) {
    throw new Error(`${strategy} failed (exit ${code}):\n${stderr.slice(-2000)}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as StrategyResult;
}
