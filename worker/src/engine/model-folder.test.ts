import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { loadEngine } from './load-engine.ts';
import { ModelFolderError } from './model-folder-error.ts';

/**
 * Each case copies the tiny model folder, breaks one thing, and expects loadEngine to fail
 * with one ModelFolderError that names the file and the problem.
 */
describe('loadEngine with a bad model folder', () => {
  let good: string;
  let scratch: string;

  before(async () => {
    good = await ensureModel('tiny');
    scratch = await mkdtemp(join(tmpdir(), 'warmgen-model-folder-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  let copies = 0;
  async function brokenCopy(breakIt: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(scratch, `copy-${++copies}`);
    await cp(good, dir, { recursive: true });
    await breakIt(dir);
    return dir;
  }

  /** `wrapped`: a library error caused it, and it is kept as `cause`. */
  async function expectFolderError(dir: string, file: string, problem: RegExp, wrapped = false) {
    await assert.rejects(
      loadEngine({ modelDir: dir, device: 'cpu', maxBatchSize: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ModelFolderError, `got ${String(error)}`);
        assert.equal(error.path, join(dir, file));
        assert.match(error.message, problem);
        assert.ok(error.message.startsWith(join(dir, file)), error.message);
        assert.equal(error.cause instanceof Error, wrapped, `cause: ${String(error.cause)}`);
        return true;
      },
    );
  }

  async function editConfig(dir: string, edit: (config: Record<string, unknown>) => void) {
    const path = join(dir, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    edit(config);
    await writeFile(path, JSON.stringify(config));
  }

  it('a missing folder', async () => {
    const dir = join(scratch, 'no-such-model');
    await expectFolderError(dir, '', /does not exist/);
  });

  it('config.json that is not JSON', async () => {
    const dir = await brokenCopy((d) =>
      writeFile(join(d, 'config.json'), '{"model_type": "gpt2",'),
    );
    await expectFolderError(dir, 'config.json', /not valid JSON/, true);
  });

  it('config.json without n_positions', async () => {
    const dir = await brokenCopy((d) =>
      editConfig(d, (config) => {
        delete config.n_positions;
      }),
    );
    await expectFolderError(dir, 'config.json', /"n_positions" must be a positive integer/);
  });

  it('config.json for another architecture', async () => {
    const dir = await brokenCopy((d) =>
      editConfig(d, (config) => {
        config.model_type = 'llama';
      }),
    );
    await expectFolderError(dir, 'config.json', /"model_type" must be "gpt2"/);
  });

  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'config.json']) {
    it(`missing ${file}`, async () => {
      const dir = await brokenCopy((d) => rm(join(d, file)));
      await expectFolderError(dir, file, /file is missing/);
    });
  }

  it('a tokenizer.json the library cannot use (error wrapped, cause kept)', async () => {
    const dir = await brokenCopy((d) => writeFile(join(d, 'tokenizer.json'), '{"model": 3}'));
    await expectFolderError(dir, 'tokenizer.json', /tokenizer could not be loaded/, true);
  });

  it('missing onnx/model.onnx', async () => {
    const dir = await brokenCopy((d) => rm(join(d, 'onnx', 'model.onnx')));
    await expectFolderError(dir, 'onnx/model.onnx', /ONNX graph is missing/);
  });

  it('missing external data named by the config', async () => {
    const dir = await brokenCopy((d) =>
      editConfig(d, (config) => {
        config['transformers.js_config'] = { dtype: 'fp32', use_external_data_format: true };
      }),
    );
    await expectFolderError(dir, 'onnx/model.onnx_data', /external weight data .* is missing/);
  });

  it('a corrupt ONNX file (the parse error wrapped, cause kept)', async () => {
    const dir = await brokenCopy(async (d) => {
      await writeFile(join(d, 'onnx', 'model.onnx'), 'this is not a protobuf');
      await rm(join(d, 'onnx', 'warmgen-decode.json'));
    });
    await expectFolderError(dir, 'onnx/model.onnx', /could not be loaded/, true);
  });

  it('a decode graph made from another model.onnx is stale, named with what to do', async () => {
    const dir = await brokenCopy(async (d) => {
      const graph = await readFile(join(d, 'onnx', 'model.onnx'));
      // Same graph, one byte more: another file as far as the stamp's sha256 goes.
      await writeFile(join(d, 'onnx', 'model.onnx'), Buffer.concat([graph, Buffer.from([0])]));
    });
    await expectFolderError(
      dir,
      'onnx/warmgen-decode.onnx',
      /is stale: .*another model\.onnx.*model:push/,
    );
  });

  it('a decode graph from an older warmgen is rebuilt at load, not refused', async () => {
    const dir = await brokenCopy(async (d) => {
      const stampPath = join(d, 'onnx', 'warmgen-decode.json');
      const stamp = JSON.parse(await readFile(stampPath, 'utf8'));
      await writeFile(stampPath, JSON.stringify({ ...stamp, version: 0 }));
    });
    const built: string[] = [];
    const engine = await loadEngine({ modelDir: dir, device: 'cpu', maxBatchSize: 1 }, (line) =>
      built.push(line),
    );
    await engine.dispose();
    assert.ok(
      built.some((line) => /writing the decode graph/.test(line)),
      built.join('\n'),
    );
    const stamp = JSON.parse(await readFile(join(dir, 'onnx', 'warmgen-decode.json'), 'utf8'));
    assert.notEqual(stamp.version, 0);
  });

  it('a graph with fewer layers than config.json says', async () => {
    const dir = await brokenCopy((d) =>
      editConfig(d, (config) => {
        config.n_layer = 3;
      }),
    );
    await expectFolderError(dir, 'onnx/model.onnx', /no initializer named transformer\.h\.2\./);
  });
});
