import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalFolderModelSource } from '@warmgen/shared/adapters/local/local-folder-model-source.ts';
import type { ModelSource } from '@warmgen/shared/ports/model-source.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';
import {
  gcsSource,
  removeTempDirs,
  seedBucket,
  tempDir,
  writeFixtureModel,
} from './hydration-fixtures.ts';

// The same assertions for both ModelSource adapters: what the hydrator relies on.

let server: GcsTestServer;
let folder: string;
let contents: Map<string, Buffer>;

before(async () => {
  server = await startGcsTestServer();
  folder = await tempDir('model');
  contents = await writeFixtureModel(folder);
  seedBucket(server, 'contract', 'models/gpt2', contents);
  server.store.put('contract', 'models/gpt2-other/config.json', Buffer.from('not ours'));
  server.store.put('contract', 'models/gpt2/onnx/', Buffer.alloc(0));
});

after(async () => {
  await server.close();
  await removeTempDirs();
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const adapters: [string, () => ModelSource, (path: string, data: Buffer) => Promise<void>][] = [
  [
    'GcsModelSource',
    () => gcsSource(server, 'contract', 'models/gpt2'),
    async (path, data) => {
      server.store.put('contract', `models/gpt2/${path}`, data);
    },
  ],
  [
    'LocalFolderModelSource',
    () => new LocalFolderModelSource(folder),
    async (path, data) => {
      await writeFile(join(folder, path), data);
      const later = new Date(Date.now() + 10_000);
      await utimes(join(folder, path), later, later);
    },
  ],
];

for (const [name, makeSource, rewrite] of adapters) {
  describe(name, () => {
    test('lists exactly the files under the root, with relative paths, sizes and versions', async () => {
      const files = await makeSource().list();
      assert.deepEqual(files.map((f) => f.path).sort(), [...contents.keys()].sort());
      for (const file of files) {
        assert.equal(file.sizeBytes, contents.get(file.path)?.length);
        assert.ok(file.version.length > 0);
      }
    });

    test('opens whole files and inclusive byte ranges', async () => {
      const source = makeSource();
      const files = await source.list();
      const big = files.find((f) => f.path === 'onnx/model.onnx_data');
      assert.ok(big);
      const data = contents.get(big.path) as Buffer;
      assert.ok((await readAll(await source.open(big))).equals(data));
      const part = await readAll(await source.open(big, { start: 1000, end: 1999 }));
      assert.ok(part.equals(data.subarray(1000, 2000)));
      const last = await readAll(
        await source.open(big, { start: data.length - 1, end: data.length - 1 }),
      );
      assert.ok(last.equals(data.subarray(data.length - 1)));
    });

    test('a rewrite changes the version, and the stale version can no longer be read', async () => {
      const source = makeSource();
      const before = (await source.list()).find((f) => f.path === 'config.json');
      assert.ok(before);
      await rewrite('config.json', Buffer.from('{"rewritten": true}'));
      const afterwards = (await source.list()).find((f) => f.path === 'config.json');
      assert.notEqual(afterwards?.version, before.version);
      await assert.rejects(async () => readAll(await source.open(before)));
    });
  });
}

test('GcsModelSource reports the crc32c and md5 that GCS keeps, and a gs:// description', async () => {
  const source = gcsSource(server, 'contract', 'models/gpt2');
  assert.equal(source.description, 'gs://contract/models/gpt2');
  const tokenizer = (await source.list()).find((f) => f.path === 'tokenizer.json');
  assert.equal(
    tokenizer?.crc32c,
    server.store.get('contract', 'models/gpt2/tokenizer.json')?.crc32c,
  );
  assert.equal(tokenizer?.md5, server.store.get('contract', 'models/gpt2/tokenizer.json')?.md5Hash);
});
