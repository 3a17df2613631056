import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { GcsModelDestination } from '@warmgen/shared/adapters/gcs/gcs-model-destination.ts';
import { hydrateModel } from '@warmgen/shared/hydration/hydrate-model.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { pushModel } from '@warmgen/worker/model-push/push-model.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  gcsSource,
  memoryLogger,
  readTree,
  removeTempDirs,
  tempDir,
  writeFixtureModel,
} from './hydration-fixtures.ts';

let server: GcsTestServer;
let folder: string;
let contents: Map<string, Buffer>;

before(async () => {
  server = await startGcsTestServer();
  folder = await tempDir('push');
  contents = await writeFixtureModel(folder);
});

after(async () => {
  await server.close();
  await removeTempDirs();
});

const destination = (prefix: string) =>
  new GcsModelDestination({
    bucket: 'pushed',
    prefix,
    storage: new Storage({ apiEndpoint: server.url, projectId: 'test-project' }),
  });

test('a pushed folder hydrates back byte for byte; a second push uploads nothing', async () => {
  const mark = server.requests.length;
  const progress: number[] = [];
  const first = await pushModel({
    dir: folder,
    destination: destination('gpt2'),
    onProgress: (sent) => progress.push(sent),
  });
  assert.equal(first.uploadedFiles, contents.size);
  assert.equal(progress.at(-1), first.uploadedBytes);
  const uploads = server.requests.slice(mark).filter((r) => r.operation === 'upload');
  assert.equal(uploads.filter((r) => r.method === 'POST').length, contents.size);
  assert.ok(uploads.every((r) => r.status === 200));

  const hydrated = await hydrateModel({
    source: gcsSource(server, 'pushed', 'gpt2'),
    cacheDir: await tempDir('cache'),
    logger: memoryLogger(),
  });
  const tree = await readTree(hydrated.modelDir);
  for (const [path, data] of contents) {
    assert.ok(tree.get(path)?.equals(data), `${path} differs`);
  }

  const second = await pushModel({ dir: folder, destination: destination('gpt2') });
  assert.equal(second.uploadedFiles, 0);
  assert.equal(second.unchangedFiles, contents.size);
});

test('only a changed file is uploaded again; extra remote files are reported or deleted', async () => {
  await pushModel({ dir: folder, destination: destination('edit') });
  const before = server.store.get('pushed', 'edit/onnx/model.onnx_data')?.generation;
  server.store.put('pushed', 'edit/stale.bin', Buffer.from('old'));
  await writeFile(join(folder, 'config.json'), '{"n_layer": 2}');
  const summary = await pushModel({ dir: folder, destination: destination('edit') });
  assert.equal(summary.uploadedFiles, 1);
  assert.deepEqual(summary.extraPaths, ['stale.bin']);
  assert.equal(server.store.get('pushed', 'edit/config.json')?.size, 14);
  assert.equal(server.store.get('pushed', 'edit/onnx/model.onnx_data')?.generation, before);
  assert.ok(server.store.get('pushed', 'edit/stale.bin'));
  const cleaned = await pushModel({
    dir: folder,
    destination: destination('edit'),
    deleteExtra: true,
  });
  assert.equal(cleaned.deletedFiles, 1);
  assert.equal(server.store.get('pushed', 'edit/stale.bin'), undefined);
});

test('an object changed by someone else during the push fails it instead of being overwritten', async () => {
  const target = destination('race');
  const racing = {
    description: target.description,
    list: () => target.list(),
    upload: async (...args: Parameters<GcsModelDestination['upload']>) => {
      server.store.put('pushed', `race/${args[1]}`, Buffer.from('written by another pusher'));
      return target.upload(...args);
    },
    delete: (path: string, generation: string) => target.delete(path, generation),
  };
  await assert.rejects(
    pushModel({ dir: folder, destination: racing, concurrency: 1 }),
    /uploading config\.json to gs:\/\/pushed\/race failed: .*pre-conditions/,
  );
});

test('a local file that changes after it was hashed is refused by the server (declared crc32c)', async () => {
  const dir = await tempDir('push-changing');
  await writeFile(join(dir, 'weights.bin'), Buffer.alloc(100_000, 1));
  const target = destination('changing');
  const changing = {
    description: target.description,
    list: () => target.list(),
    upload: async (...args: Parameters<GcsModelDestination['upload']>) => {
      await writeFile(args[0], Buffer.alloc(100_000, 2));
      return target.upload(...args);
    },
    delete: (path: string, generation: string) => target.delete(path, generation),
  };
  await assert.rejects(
    pushModel({ dir, destination: changing }),
    /doesn't match calculated CRC32C/,
  );
  assert.equal(server.store.get('pushed', 'changing/weights.bin'), undefined);
});

const cli = new URL('../../worker/src/model-push/main.ts', import.meta.url).pathname;
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--no-warnings', cli, ...args], {
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
  });

test('the model push CLI writes the decode graph, uploads with --endpoint and prints a one-line summary', async () => {
  // A real model folder without warmgen's decode graph (as a user's own export arrives).
  const model = await tempDir('push-cli');
  await cp(await ensureModel('tiny'), model, { recursive: true });
  for (const name of await readdir(join(model, 'onnx'))) {
    if (name.startsWith('warmgen-decode')) {
      await rm(join(model, 'onnx', name));
    }
  }
  const { stdout, stderr } = await run([
    model,
    'gs://pushed/cli/gpt2',
    '--endpoint',
    server.url,
    '--project',
    'p',
  ]);
  assert.match(stderr, /writing the decode graph .*onnx\/warmgen-decode\.onnx/);
  assert.match(
    stdout,
    /^pushed .* to gs:\/\/pushed\/cli\/gpt2: 7 files, 7 uploaded \(\d+\.\d MB\), 0 unchanged, 0 deleted, in [\d.]+ s/,
  );
  assert.match(stderr, /uploaded (\d+\.\d) of \1 MB \(100%\)/);
  const pushed = server.store
    .list('pushed', { prefix: 'cli/gpt2/' })
    .items.map((item) => item.name);
  assert.equal(pushed.length, 7);
  assert.ok(pushed.includes('cli/gpt2/onnx/warmgen-decode.onnx'), pushed.join(', '));
});

test('the model push CLI explains its usage on --help and on bad arguments', async () => {
  const help = await run(['--help']);
  assert.match(help.stdout, /Usage: npm run model:push -- DIR gs:\/\/BUCKET\/PREFIX/);
  await assert.rejects(run([folder, 's3://nope']), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /expected gs:\/\/bucket\/prefix/);
    return true;
  });
});
