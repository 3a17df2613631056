import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { buildModelFolder } from './build-model.ts';
import { MODEL_SPECS, type ModelSize } from './model-sizes.ts';
import { parameterCount } from './weight-plan.ts';

let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'warmgen-build-model-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out.set(path.slice(dir.length), await readFile(path));
    }
  }
  return out;
}

test('writes the files transformers.js reads, with the declared parameter count', async () => {
  const dir = join(work, 'layout');
  const summary = await buildModelFolder({ size: 'tiny', outDir: dir, seed: 1 });
  const files = await filesOf(dir);
  assert.deepEqual([...files.keys()].sort(), [
    '/config.json',
    '/generation_config.json',
    '/onnx/model.onnx',
    '/onnx/warmgen-decode.json',
    '/onnx/warmgen-decode.onnx',
    '/tokenizer.json',
    '/tokenizer_config.json',
  ]);
  const total = [...files.values()].reduce((sum, bytes) => sum + bytes.length, 0);
  assert.equal(summary.bytes, total);
  assert.equal(summary.parameters, parameterCount(MODEL_SPECS.tiny));
  const config = JSON.parse(files.get('/config.json')!.toString());
  assert.equal(config.model_type, 'gpt2');
  assert.deepEqual(config['transformers.js_config'], { dtype: 'fp32' });
});

test('GPT-2 small has exactly 124,439,808 parameters (lm_head tied, stored once)', () => {
  assert.equal(parameterCount(MODEL_SPECS.small), 124_439_808);
});

test('the same seed gives the same bytes; another seed gives other weights', async () => {
  const a = await filesOf(
    (await buildModelFolder({ size: 'tiny', outDir: join(work, 'a'), seed: 5 })).dir,
  );
  const b = await filesOf(
    (await buildModelFolder({ size: 'tiny', outDir: join(work, 'b'), seed: 5 })).dir,
  );
  const c = await filesOf(
    (await buildModelFolder({ size: 'tiny', outDir: join(work, 'c'), seed: 6 })).dir,
  );
  for (const [name, bytes] of a) {
    assert.ok(bytes.equals(b.get(name)!), `${name} differs between two builds with one seed`);
  }
  assert.ok(!a.get('/onnx/model.onnx')!.equals(c.get('/onnx/model.onnx')!));
  assert.ok(a.get('/tokenizer.json')!.equals(c.get('/tokenizer.json')!));
});

test('transformers.js loads the folder and greedy output does not collapse to one token', async () => {
  const dir = join(work, 'load');
  await buildModelFolder({ size: 'tiny', outDir: dir, seed: 42 });
  env.allowRemoteModels = false;
  const tokenizer = await AutoTokenizer.from_pretrained(dir);
  const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32', device: 'cpu' });
  try {
    tokenizer.padding_side = 'left';
    const prompts = ['Hello, my name is', 'The quick brown fox jumps over the lazy dog', 'x'];
    const inputs = tokenizer(prompts, { padding: true });
    const newTokens = 32;
    const output = (await model.generate({
      ...inputs,
      max_new_tokens: newTokens,
      do_sample: false,
      eos_token_id: -1,
    })) as Tensor;
    const rows = output.tolist() as bigint[][];
    assert.equal(rows.length, prompts.length);
    for (const row of rows) {
      const generated = row.slice(-newTokens).map(Number);
      assert.equal(generated.length, newTokens);
      // A degenerate random model repeats one token; require real variety.
      assert.ok(
        new Set(generated).size >= newTokens / 2,
        `only ${new Set(generated).size} distinct ids`,
      );
    }
  } finally {
    await model.dispose();
  }
});

test('a bad size or an unwritable folder fails with a clear message', async () => {
  await assert.rejects(
    buildModelFolder({ size: 'medium' as ModelSize, outDir: join(work, 'bad'), seed: 1 }),
    /unknown model size "medium": expected one of tiny, small/,
  );
  const file = join(work, 'a-file');
  await writeFile(file, 'not a folder');
  await assert.rejects(
    buildModelFolder({ size: 'tiny', outDir: join(file, 'model'), seed: 1 }),
    /cannot create model folder .*a-file\/model/,
  );
  await assert.rejects(
    buildModelFolder({ size: 'tiny', outDir: join(work, 'seed'), seed: -1 }),
    /seed must be an integer/,
  );
});
