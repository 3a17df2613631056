import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationEngine } from '../src/engine/generation-engine.ts';
import { DeviceError, loadEngine } from '../src/engine/load-engine.ts';
import { describeGpus, vulkanFacts } from '../src/engine/webgpu-probe.ts';
import { ensureModel } from '../src/model-builder/ensure-model.ts';
import { benchPrompts, NEW_TOKENS } from './bench-configurations.ts';

/**
 * `npm run check:gpu`: the one prepared check for a machine with a GPU and nothing but the
 * working tree (it builds its model offline and reaches nothing). It
 *   1. reports the GPU, the Vulkan loader and drivers, and whether DEVICE=webgpu starts;
 *   2. checks the engine on the GPU against the CPU engine: greedy output token for token
 *      on the GPT-2-small-shaped model, rows of mixed lengths;
 *   3. measures engine tokens/s at batch 1, 8 and 32 on the GPU next to the CPU in the
 *      same run (rounds interleaved, medians), beside this project's CPU figure on the
 *      2-core machine and the issue's targets;
 * prints one table, writes bench-results/check-gpu.json, and stays under 8 minutes (it
 * stops measuring at --budget-s and says so). Where no GPU is usable it says why in one
 * line and exits 0: "no GPU" is a result here, not a failure.
 *
 *   node worker/bench/check-gpu.ts [--rounds 2] [--budget-s 420]
 *   node worker/bench/check-gpu.ts --dry-run-on-cpu --model tiny   # the script's own check:
 *     the "GPU" is the CPU provider running the device-resident KV path
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_FILE = join(REPO_ROOT, 'bench-results', 'check-gpu.json');
const BATCHES = [1, 8, 32] as const;
/**
 * The engine fp32 on the 2-core machine (README Benchmarks, bench:engine 2026-12-03) and
 * the GPU targets from the WebGPU issue: 10x at batch 32, 3x at batch 1.
 */
const TWO_CORE_TOKENS_PER_S: Record<number, number> = { 1: 48.0, 8: 226.0, 32: 363.6 };
const TARGET_RATIO: Record<number, number> = { 1: 3, 32: 10 };

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    'budget-s': { type: 'string', default: '420' },
    model: { type: 'string', default: 'small' },
    'dry-run-on-cpu': { type: 'boolean', default: false },
  },
});
const dryRun = values['dry-run-on-cpu'];
const modelSize = values.model === 'tiny' ? 'tiny' : 'small';
const rounds = Number(values.rounds);
const budgetMs = Number(values['budget-s']) * 1000;
const started = performance.now();
const elapsedS = () => ((performance.now() - started) / 1000).toFixed(0);

const facts = vulkanFacts();
const machine = {
  gpus: describeGpus(),
  vulkanLoader: facts.loaderFound,
  vulkanDrivers: facts.driverFiles,
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? null,
};
console.log(
  `GPU check: ${machine.gpus}; Vulkan loader ${facts.loaderFound ? 'found' : 'missing'}; ` +
    `Vulkan drivers: ${facts.driverFiles.length > 0 ? facts.driverFiles.join(', ') : 'none'}; ` +
    `${machine.cores} CPU cores (${machine.cpu ?? 'unknown CPU'})`,
);

if (!dryRun) {
  let probe: GenerationEngine | null = null;
  try {
    const tinyDir = await ensureModel('tiny');
    probe = await loadEngine({ modelDir: tinyDir, device: 'webgpu', maxBatchSize: 1 }, (line) =>
      console.log(line),
    );
  } catch (error) {
    if (!(error instanceof DeviceError)) {
      throw error;
    }
    console.log(`\nRESULT: no GPU usable here. ${error.message}`);
    await report({ gpuUsable: false, reason: error.message });
    process.exit(0);
  }
  await probe.dispose();
}

const modelDir = await ensureModel(modelSize);
console.log(`model: GPT-2-${modelSize}-shaped (random weights) from ${modelDir}`);
const load = (device: 'cpu' | 'webgpu') =>
  loadEngine(
    {
      modelDir,
      maxBatchSize: 32,
      ignoreEos: true,
      ...(device === 'webgpu' && dryRun ? { device: 'cpu', kvPlacement: 'device' } : { device }),
    },
    (line) => console.log(`${device}: ${line}`),
  );
const engines = { cpu: await load('cpu'), webgpu: await load('webgpu') };

// 2. Correctness: greedy, EOS on, mixed lengths, all rows batched on each device.
const greedy = { ...defaultGenerationParams, temperature: 0 };
const requests = benchPrompts(8).map((prompt, i) => ({
  prompt,
  params: { ...greedy, max_new_tokens: 8 + 8 * (i % 4) },
}));
const [cpuOut, gpuOut] = [
  await engines.cpu.generate(requests),
  await engines.webgpu.generate(requests),
];
const mismatches = requests.flatMap((_, i) =>
  cpuOut[i]!.text === gpuOut[i]!.text
    ? []
    : [{ row: i, cpu: cpuOut[i]!.text, gpu: gpuOut[i]!.text }],
);
console.log(
  `greedy output, GPU vs CPU, ${requests.length} rows: ${mismatches.length === 0 ? 'equal, token for token' : `${mismatches.length} rows differ (first: row ${mismatches[0]!.row})`}`,
);

// 3. Throughput, interleaved: each round runs every batch size on the CPU, then the GPU.
const params = { ...greedy, max_new_tokens: NEW_TOKENS };
const rates: Record<string, number[]> = {};
let stoppedEarly = false;
for (let round = 0; round < rounds && !stoppedEarly; round++) {
  for (const batch of BATCHES) {
    for (const device of ['cpu', 'webgpu'] as const) {
      if (performance.now() - started > budgetMs) {
        stoppedEarly = true;
        break;
      }
      const prompts = benchPrompts(batch, round * 32);
      const t0 = performance.now();
      const outputs = await engines[device].generate(prompts.map((prompt) => ({ prompt, params })));
      const seconds = (performance.now() - t0) / 1000;
      const tokens = outputs.reduce((sum, output) => sum + output.completionTokens, 0);
      const key = `${device}-${batch}`;
      rates[key] = [...(rates[key] ?? []), tokens / seconds];
      console.log(
        `round ${round + 1}: ${device} batch ${batch}: ${(tokens / seconds).toFixed(1)} tok/s (${elapsedS()} s)`,
      );
    }
  }
}
await engines.cpu.dispose();
await engines.webgpu.dispose();

const median = (xs: number[] | undefined) => {
  if (!xs || xs.length === 0) {
    return null;
  }
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rows = BATCHES.map((batch) => {
  const cpu = median(rates[`cpu-${batch}`]);
  const gpu = median(rates[`webgpu-${batch}`]);
  const vsTwoCore = gpu === null ? null : gpu / TWO_CORE_TOKENS_PER_S[batch]!;
  return {
    batch,
    cpu,
    gpu,
    gpuVsCpu: gpu && cpu ? gpu / cpu : null,
    vsTwoCore,
    target: TARGET_RATIO[batch] ?? null,
  };
});
const f = (x: number | null, digits = 1) => (x === null ? '—' : x.toFixed(digits));
console.log(
  `\n| batch | CPU here (tok/s) | GPU webgpu (tok/s) | GPU / CPU here | GPU / 2-core CPU (${Object.values(TWO_CORE_TOKENS_PER_S).join(', ')}) | target |\n| --- | --- | --- | --- | --- | --- |\n${rows
    .map(
      (r) =>
        `| ${r.batch} | ${f(r.cpu)} | ${f(r.gpu)} | ${f(r.gpuVsCpu, 2)}x | ${f(r.vsTwoCore, 2)}x | ${r.target === null ? '' : `≥ ${r.target}x: ${r.vsTwoCore !== null && r.vsTwoCore >= r.target ? 'met' : 'NOT met'}`} |`,
    )
    .join('\n')}`,
);
console.log(
  `\nRESULT${dryRun ? ' (dry run: the "GPU" was the CPU provider on the device KV path)' : ''}: GPU usable; greedy ${mismatches.length === 0 ? 'equal to the CPU engine' : 'DIFFERS from the CPU engine'}; ${rounds} round(s)${stoppedEarly ? ' (stopped early at the time budget)' : ''}; ${elapsedS()} s`,
);
await report({
  gpuUsable: true,
  greedyEqual: mismatches.length === 0,
  mismatches,
  rows,
  stoppedEarly,
});

async function report(result: object): Promise<void> {
  await mkdir(join(REPO_ROOT, 'bench-results'), { recursive: true });
  const body = { measuredAt: new Date().toISOString(), machine, newTokens: NEW_TOKENS, ...result };
  await writeFile(RESULTS_FILE, `${JSON.stringify(body, null, 2)}\n`);
  console.log(`results in ${RESULTS_FILE}`);
}
