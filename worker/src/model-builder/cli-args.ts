import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_SEED } from './ensure-model.ts';
import { isModelSize, MODEL_SIZE_NAMES, type ModelSize } from './model-sizes.ts';

/** Command-line arguments of `npm run model:build`, parsed without side effects. */
export const USAGE = `Usage: npm run model:build -- --size ${MODEL_SIZE_NAMES.join('|')} --out DIR [--seed N]

Writes a GPT-2 model folder (real GPT-2 tokenizer, deterministic random weights) that
transformers.js and the warmgen worker load like a published export.

  --size   tiny  (2 layers, width 64; a few MB, builds in under a second)
           small (exactly GPT-2 small: 124,439,808 parameters, ~500 MB)
  --out    folder to write (created if missing; existing model files are overwritten)
  --seed   weight seed, integer 0..4294967295 (default ${DEFAULT_MODEL_SEED}); same seed => same bytes
  --help   show this text`;

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'build'; size: ModelSize; outDir: string; seed: number }
  | { kind: 'usage-error'; message: string };

export function parseCliArgs(argv: string[]): CliCommand {
  let values: { size?: string; out?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        size: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: 'usage-error', message: (error as Error).message };
  }
  if (values.help) {
    return { kind: 'help' };
  }
  if (!isModelSize(values.size)) {
    const given = values.size === undefined ? 'missing' : JSON.stringify(values.size);
    return {
      kind: 'usage-error',
      message: `--size is ${given}: expected one of ${MODEL_SIZE_NAMES.join(', ')}`,
    };
  }
  if (!values.out) {
    return { kind: 'usage-error', message: '--out DIR is required' };
  }
  const seed = values.seed === undefined ? DEFAULT_MODEL_SEED : Number(values.seed);
  if (!/^\d+$/.test(values.seed ?? '0') || !Number.isSafeInteger(seed) || seed > 0xffffffff) {
    return {
      kind: 'usage-error',
      message: `--seed must be an integer in 0..4294967295, got ${JSON.stringify(values.seed)}`,
    };
  }
  return { kind: 'build', size: values.size, outDir: values.out, seed };
}
