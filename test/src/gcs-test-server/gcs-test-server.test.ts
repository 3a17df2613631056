import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CRC32C, type File, Storage, TransferManager } from '@google-cloud/storage';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server.ts';

// The real @google-cloud/storage client drives every test, so a test server that drifts
// from what the client sends or expects fails here first. Hashes are checked with the
// client's own CRC32C class and node's md5, independent of the server's implementation.

const MiB = 1024 * 1024;
let server: GcsTestServer;
let storage: Storage;
let dir: string;

const crc32cOf = (data: Buffer) => {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
};
const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');
const opsSince = (mark: number) =>
  server.requests.slice(mark).map((r) => `${r.method} ${r.operation} ${r.status}`);

before(async () => {
  server = await startGcsTestServer();
  // Short client-side retry delays keep the retry tests fast; the retry logic is the client's.
  storage = new Storage({
    apiEndpoint: server.url,
    projectId: 'test-project',
    retryOptions: { maxRetries: 3, retryDelayMultiplier: 1.1, maxRetryDelay: 2 },
  });
  dir = await mkdtemp(join(tmpdir(), 'gcs-test-server-'));
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  server.faults.clear();
});

describe('uploads', () => {
  test('a resumable upload (the default) stores the bytes and returns GCS-shaped metadata', async () => {
    const data = randomBytes(2 * MiB + 123);
    const mark = server.requests.length;
    const file = storage.bucket('up').file('model/weights.bin');
    await file.save(data, { contentType: 'application/octet-stream' });
    assert.deepEqual(opsSince(mark), ['POST upload 200', 'PUT upload 200']);
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.size, String(data.length));
    assert.equal(metadata.crc32c, crc32cOf(data));
    assert.equal(metadata.md5Hash, md5Of(data));
    assert.match(String(metadata.generation), /^\d{16}$/);
    assert.equal(metadata.metageneration, '1');
    assert.equal(metadata.id, `up/model/weights.bin/${metadata.generation}`);
    const [downloaded] = await file.download();
    assert.ok(downloaded.equals(data));
  });

  test('a multipart upload is one POST and keeps the content type', async () => {
    const data = randomBytes(300_000);
    const mark = server.requests.length;
    const file = storage.bucket('up').file('config.json');
    await file.save(data, { resumable: false, contentType: 'application/json' });
    assert.deepEqual(opsSince(mark), ['POST upload 200']);
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.contentType, 'application/json');
    assert.equal(metadata.crc32c, crc32cOf(data));
    assert.equal(metadata.size, '300000');
  });

  test('a chunked resumable upload gets 308 + Range until the last chunk', async () => {
    const data = randomBytes(3 * MiB + 5);
    const mark = server.requests.length;
    const file = storage.bucket('up').file('chunked.bin');
    await file.save(data, { chunkSize: MiB });
    assert.deepEqual(opsSince(mark), [
      'POST upload 200',
      'PUT upload 308',
      'PUT upload 308',
      'PUT upload 308',
      'PUT upload 200',
    ]);
    const [downloaded] = await file.download();
    assert.ok(downloaded.equals(data));
  });

  test('bucket.upload() of a local file is validated, and a rewrite gets a higher generation', async () => {
    const path = join(dir, 'local.bin');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, randomBytes(100_000));
    const bucket = storage.bucket('up');
    const [first] = await bucket.upload(path, { destination: 'local.bin' });
    const [second] = await bucket.upload(path, { destination: 'local.bin' });
    assert.ok(
      BigInt(String(second.metadata.generation)) > BigInt(String(first.metadata.generation)),
    );
  });

  test('a precondition that does not hold is a 412; a resumable PUT that got a 503 is resumed', async () => {
    const writer = new Storage({
      apiEndpoint: server.url,
      projectId: 'test-project',
      retryOptions: { maxRetryDelay: 1.5 },
    });
    const file = writer.bucket('up').file('precondition.bin');
    const data = randomBytes(500_000);
    server.faults.add({ kind: 'status', status: 503, operation: 'upload', skip: 1 });
    const mark = server.requests.length;
    await file.save(data, { preconditionOpts: { ifGenerationMatch: 0 } });
    assert.deepEqual(opsSince(mark), [
      'POST upload 200',
      'PUT upload 503',
      'PUT upload 308',
      'PUT upload 200',
    ]);
    assert.ok((await file.download())[0].equals(data));
    await assert.rejects(file.save(data, { preconditionOpts: { ifGenerationMatch: 0 } }), {
      code: 412,
    });
  });

  test('a declared hash that does not match the bytes is refused and nothing is stored', async () => {
    const file = storage.bucket('up').file('bad-hash.bin');
    await assert.rejects(
      file.save(randomBytes(1000), {
        resumable: false,
        metadata: { md5Hash: md5Of(Buffer.from('x')) },
      }),
      /doesn't match calculated MD5/,
    );
    const [exists] = await file.exists();
    assert.equal(exists, false);
  });
});

describe('reads', () => {
  const data = randomBytes(33 * MiB + 7);
  const small = [randomBytes(1000), randomBytes(70_000), randomBytes(0)];

  before(async () => {
    const bucket = storage.bucket('read');
    await bucket.file('gpt2/onnx/model.onnx_data').save(data, { resumable: false });
    await Promise.all(small.map((d, i) => bucket.file(`gpt2/file-${i}.json`).save(d)));
    await bucket.file('other/unrelated.txt').save('x');
  });

  test('list by prefix returns every object under it, across pages', async () => {
    const bucket = storage.bucket('read');
    const [all] = await bucket.getFiles({ prefix: 'gpt2/' });
    assert.deepEqual(
      all.map((f) => f.name),
      ['gpt2/file-0.json', 'gpt2/file-1.json', 'gpt2/file-2.json', 'gpt2/onnx/model.onnx_data'],
    );
    assert.equal(all[3]?.metadata.size, String(data.length));
    const [page, next] = await bucket.getFiles({
      prefix: 'gpt2/',
      maxResults: 3,
      autoPaginate: false,
    });
    assert.equal(page.length, 3);
    assert.ok(next && 'pageToken' in next);
    const [rest, last] = await bucket.getFiles({ ...next, autoPaginate: false });
    assert.deepEqual(
      rest.map((f: File) => f.name),
      ['gpt2/onnx/model.onnx_data'],
    );
    assert.equal(last, null);
  });

  test('list with a delimiter returns folder prefixes', async () => {
    const [, , response] = await storage
      .bucket('read')
      .getFiles({ prefix: 'gpt2/', delimiter: '/', autoPaginate: false });
    assert.deepEqual((response as { prefixes?: string[] }).prefixes, ['gpt2/onnx/']);
  });

  test('getMetadata returns size, hashes and generation as strings; a missing object is a 404', async () => {
    const [metadata] = await storage.bucket('read').file('gpt2/file-1.json').getMetadata();
    assert.equal(metadata.size, '70000');
    assert.equal(metadata.crc32c, crc32cOf(small[1] as Buffer));
    assert.equal(metadata.md5Hash, md5Of(small[1] as Buffer));
    assert.equal(typeof metadata.generation, 'string');
    await assert.rejects(storage.bucket('read').file('nope').getMetadata(), { code: 404 });
  });

  test('a validated download (crc32c and md5) succeeds, and a flipped byte is caught by the client', async () => {
    const file = storage.bucket('read').file('gpt2/file-1.json');
    assert.ok((await file.download())[0].equals(small[1] as Buffer));
    assert.ok((await file.download({ validation: 'md5' }))[0].equals(small[1] as Buffer));
    server.faults.add({ kind: 'flip', object: 'gpt2/file-1.json' });
    await assert.rejects(file.download(), { code: 'CONTENT_DOWNLOAD_MISMATCH' });
  });

  test('an empty object downloads as zero bytes', async () => {
    const [empty] = await storage.bucket('read').file('gpt2/file-2.json').download();
    assert.equal(empty.length, 0);
  });

  test('ranged downloads return 206 with the requested bytes, and a generation pin is honoured', async () => {
    const file = storage.bucket('read').file('gpt2/onnx/model.onnx_data');
    const mark = server.requests.length;
    const [middle] = await file.download({ start: 1000, end: 1999 });
    assert.ok(middle.equals(data.subarray(1000, 2000)));
    const [tail] = await file.download({ start: data.length - 10 });
    assert.ok(tail.equals(data.subarray(data.length - 10)));
    assert.deepEqual(opsSince(mark), ['GET media 206', 'GET media 206']);
    const [metadata] = await file.getMetadata();
    const pinned = storage
      .bucket('read')
      .file(file.name, { generation: Number(metadata.generation) + 1 });
    await assert.rejects(pinned.download({ start: 0, end: 9 }), { code: 404 });
  });

  test('TransferManager.downloadFileInChunks fetches ranges and checks the whole-file crc32c', async () => {
    const manager = new TransferManager(storage.bucket('read'));
    const destination = join(dir, 'chunked.bin');
    const mark = server.requests.length;
    await manager.downloadFileInChunks('gpt2/onnx/model.onnx_data', {
      destination,
      chunkSizeBytes: 8 * MiB,
      concurrencyLimit: 3,
      validation: 'crc32c',
      noReturnData: true,
    });
    assert.ok((await readFile(destination)).equals(data));
    const ranged = server.requests.slice(mark).filter((r) => r.range);
    assert.equal(ranged.length, 5);
    assert.ok(ranged.every((r) => r.status === 206));

    server.faults.add({ kind: 'flip', object: 'gpt2/onnx/model.onnx_data', atByte: 12345 });
    await assert.rejects(
      manager.downloadFileInChunks('gpt2/onnx/model.onnx_data', {
        destination,
        chunkSizeBytes: 8 * MiB,
        noReturnData: true,
      }),
      { code: 'CONTENT_DOWNLOAD_MISMATCH' },
    );
  });

  test('TransferManager.downloadManyFiles writes each object under its name', async () => {
    const manager = new TransferManager(storage.bucket('read'));
    const names = small.map((_, i) => `gpt2/file-${i}.json`);
    const results = await manager.downloadManyFiles(names, {
      passthroughOptions: { destination: join(dir, 'many') },
    });
    assert.ok(Array.isArray(results));
    assert.deepEqual(
      results.map((r) => (r as { skipped?: boolean }).skipped),
      [false, false, false],
    );
    for (const [i, name] of names.entries()) {
      assert.ok((await readFile(join(dir, 'many', name))).equals(small[i] as Buffer));
    }
  });
});

describe('fault injection', () => {
  before(async () => {
    await storage
      .bucket('faults')
      .file('f.bin')
      .save(randomBytes(256 * 1024), { resumable: false });
  });

  test('a 503 and a 429 (with Retry-After) are retried by the client', async () => {
    // A fresh client: save() without preconditions turns autoRetry off on its Storage for good
    // (@google-cloud/storage 8.4.0 sets retryOptions.autoRetry = false and never restores it).
    const reader = new Storage({
      apiEndpoint: server.url,
      projectId: 'test-project',
      retryOptions: { maxRetryDelay: 0.2 },
    });
    assert.equal(storage.retryOptions.autoRetry, false);
    server.faults.add({ kind: 'status', status: 503, operation: 'metadata', object: 'f.bin' });
    const rule = server.faults.add({
      kind: 'status',
      status: 429,
      operation: 'list',
      retryAfterSeconds: 0,
    });
    const mark = server.requests.length;
    const [metadata] = await reader.bucket('faults').file('f.bin').getMetadata();
    assert.equal(metadata.size, String(256 * 1024));
    const [files] = await reader.bucket('faults').getFiles();
    assert.equal(files.length, 1);
    assert.equal(rule.hits, 1);
    assert.deepEqual(opsSince(mark), [
      'GET metadata 503',
      'GET metadata 200',
      'GET list 429',
      'GET list 200',
    ]);
  });

  test('skip and times select which matching requests fail', async () => {
    server.faults.add({ kind: 'status', status: 500, operation: 'media', skip: 1, times: 2 });
    const url = `${server.url}/storage/v1/b/faults/o/f.bin?alt=media`;
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(url);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [200, 500, 500, 200]);
  });

  test('a connection reset mid-body fails the download', async () => {
    server.faults.add({ kind: 'reset', atByte: 1000, times: Number.POSITIVE_INFINITY });
    await assert.rejects(storage.bucket('faults').file('f.bin').download());
  });

  test('a truncated body ends cleanly without Content-Length; the client sees a hash mismatch', async () => {
    server.faults.add({ kind: 'truncate', atByte: 5000 });
    const response = await fetch(`${server.url}/storage/v1/b/faults/o/f.bin?alt=media`);
    assert.equal(response.headers.get('content-length'), null);
    assert.equal((await response.arrayBuffer()).byteLength, 5000);
    server.faults.add({ kind: 'truncate' });
    await assert.rejects(storage.bucket('faults').file('f.bin').download(), {
      code: 'CONTENT_DOWNLOAD_MISMATCH',
    });
  });

  test('a slow body pauses and still delivers every byte', async () => {
    server.faults.add({ kind: 'slow', pauseMs: 300 });
    const started = performance.now();
    const [data] = await storage.bucket('faults').file('f.bin').download();
    assert.ok(performance.now() - started >= 290);
    assert.equal(data.length, 256 * 1024);
  });
});
