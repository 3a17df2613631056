import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureModel } from '../src/model-builder/ensure-model.ts';
import { type BenchChild, startChild } from './bench-child.ts';
import {
  CONFIGURATION_NAMES,
  type ConfigurationName,
  NEW_TOKENS,
  startWorkload,
  type TrialResult,
} from './bench-configurations.ts';
import { type ConfigurationSummary, ratioLines, table } from './bench-report.ts';
import { q8AccuracyOnBenchPrompts } from './q8-accuracy.ts';

/**
 * `npm run bench:engine`: new tokens/s and peak RSS of the naive load-per-request pattern,
 * transformers.js's own generate() and the engine, each at batch 1, 8 and 32, on the
 * GPT-2-small-shaped model, all measured in one run; and a long-generation case (32 rows x
 * 512 new tokens) with the engine's decode-step time by past length.
 *
 * Each configuration lives in its own child process (so its peak RSS is its own), loads
 * once, then runs trials when told to. The trials of all configurations are interleaved,
 * round after round, so a noisy neighbour on a shared machine slows them all alike and the
 * ratios stay meaningful.
 *
 *   node worker/bench/engine.ts [--rounds 3] [--only generate-batch-1,engine-batch-1]
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_FILE = join(REPO_ROOT, 'bench-results', 'engine.json');

/**
 * One round: each engine size right after transformers.js generate() at the same size, the
 * single-prompt pair twice, placed symmetrically. The long-generation case runs once, in
 * the last round only (it takes a minute).
 */
const ROUND: readonly ConfigurationName[] = [
  'generate-batch-1',
  'engine-batch-1',
  'load-per-request',
  'generate-batch-8',
  'engine-batch-8',
  'generate-batch-32',
  'engine-batch-32',
  'engine-q8-batch-32',
  'engine-q8-batch-1',
  'engine-batch-1',
  'generate-batch-1',
];

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    model: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});

if (values.child) {
  await serveChild(values.child as ConfigurationName, values.model ?? '');
} else {
  await main();
}

async function main(): Promise<void> {
  const rounds = Number(values.rounds);
  const selected = CONFIGURATION_NAMES.filter(
    (name) => !values.only || values.only.split(',').includes(name),
  );
  const modelDir = await ensureModel('small');
  console.log(
    `engine benchmark: GPT-2-small-shaped model (random weights) from ${modelDir}\n` +
      `${NEW_TOKENS} new tokens per prompt, greedy, EOS off; ${availableParallelism()} cores ` +
      `(${cpus()[0]?.model ?? 'unknown CPU'}); ${rounds} interleaved round(s)\n`,
  );
  const started = performance.now();
  const children = new Map<ConfigurationName, BenchChild>();
  try {
    // Load one at a time, so each load is timed without the others competing.
    for (const name of selected) {
      const child = await startChild(fileURLToPath(import.meta.url), name, modelDir);
      children.set(name, child);
      console.log(`loaded ${name} in ${child.loadSeconds.toFixed(2)} s`);
    }
    const trials = new Map<ConfigurationName, TrialResult[][]>(
      selected.map((n) => [n, Array.from({ length: rounds }, () => [])]),
    );
    let index = 0;
    for (let round = 0; round < rounds; round++) {
      const last = round === rounds - 1;
      for (const name of last
        ? [...ROUND, 'engine-long' as const, 'engine-admission' as const]
        : ROUND) {
        const child = children.get(name);
        if (!child) {
          continue;
        }
        const result = await child.trial(index++);
        trials.get(name)![round]!.push(result);
        const rate = result.newTokens / result.seconds;
        const steps = result.stepMsByPast
          ? `; ms/step by past ${Object.entries(result.stepMsByPast)
              .map(([p, ms]) => `${p}: ${ms.toFixed(1)}`)
              .join(', ')}`
          : '';
        console.log(`round ${round + 1}: ${name}: ${rate.toFixed(1)} tok/s${steps}`);
      }
    }
    const summaries: ConfigurationSummary[] = [];
    for (const name of selected) {
      const child = children.get(name)!;
      summaries.push(summarise(name, trials.get(name)!, child.loadSeconds, await child.close()));
    }
    children.clear();
    console.log(`\n${table(summaries)}\n`);
    const lines = ratioLines(summaries);
    if (selected.some((name) => name.startsWith('engine-q8'))) {
      const accuracy = await q8AccuracyOnBenchPrompts(modelDir);
      lines.push(
        `q8 vs fp32, teacher-forced on ${accuracy.positions} positions of fp32's greedy text: ` +
          `top-1 agreement ${(100 * accuracy.top1Agreement).toFixed(1)}%, max logit error ${accuracy.maxLogitError.toFixed(3)} ` +
          `(${(100 * accuracy.maxLogitErrorRelative).toFixed(1)}% of the largest logit)`,
      );
    }
    console.log(lines.join('\n'));
    const runSeconds = (performance.now() - started) / 1000;
    await mkdir(join(REPO_ROOT, 'bench-results'), { recursive: true });
    const report = {
      measuredAt: new Date().toISOString(),
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? null },
      newTokensPerPrompt: NEW_TOKENS,
      rounds,
      runSeconds,
      configurations: summaries,
      ratios: lines,
    };
    await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nbenchmark took ${runSeconds.toFixed(0)} s; results in ${RESULTS_FILE}`);
  } finally {
    for (const child of children.values()) {
      child.kill();
    }
  }
}

function summarise(
  name: ConfigurationName,
  rounds: TrialResult[][],
  loadSeconds: number,
  peakRssMb: number,
): ConfigurationSummary {
  const all = rounds.flat();
  const sum = (pick: (t: TrialResult) => number, trials = all) =>
    trials.reduce((total, t) => total + pick(t), 0);
  const loads = all.flatMap((t) => (t.loadSeconds === undefined ? [] : [t.loadSeconds]));
  return {
    name,
    prompts: sum((t) => t.prompts),
    newTokens: sum((t) => t.newTokens),
    seconds: sum((t) => t.seconds),
    tokensPerSecond: sum((t) => t.newTokens) / sum((t) => t.seconds),
    tokensPerSecondByRound: rounds.map(
      (r) => sum((t) => t.newTokens, r) / sum((t) => t.seconds, r),
    ),
    // load-per-request loads in every trial: report the mean of those loads.
    loadSeconds: loads.length > 0 ? loads.reduce((a, b) => a + b, 0) / loads.length : loadSeconds,
    peakRssMb,
    ...(all[0]?.stepMsByPast ? { stepMsByPast: all[0].stepMsByPast } : {}),
    ...(all[0]?.admission ? { admission: all[0].admission } : {}),
  };
}

/** Child side: load the configuration, then run trials as the parent asks. */
async function serveChild(name: ConfigurationName, modelDir: string): Promise<void> {
  const send = (message: object) => process.stdout.write(`BENCH ${JSON.stringify(message)}\n`);
  const workload = await startWorkload(name, modelDir);
  send({ type: 'ready', loadSeconds: workload.loadSeconds });
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, argument] = line.split(' ');
    if (command === 'trial') {
      send({ type: 'trial', result: await workload.trial(Number(argument)) });
    } else if (command === 'close') {
      await workload.close();
      send({ type: 'closed', peakRssMb: process.resourceUsage().maxRSS / 1024 });
      return;
    }
  }
}
