import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { FileStore } from '../ports/file-store.ts';

export interface FileStoreHarness {
  open(): Promise<FileStore>;
  close(): Promise<void>;
}

/**
 * What every FileStore adapter must do: content in, the same bytes out, in order and a
 * chunk at a time; an upload that fails leaves nothing; lists by owner, purpose, order
 * and cursor; delete says whether the file existed.
 */
export function describeFileStoreContract(name: string, harness: FileStoreHarness) {
  describe(`FileStore contract: ${name}`, () => {
    let files: FileStore;
    beforeEach(async () => {
      files = await harness.open();
    });
    afterEach(() => harness.close());

    const header = (id: string, createdAtMs = 1_000) => ({
      id,
      purpose: 'batch',
      filename: `${id}.jsonl`,
      createdAtMs,
      owner: null,
    });

    async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
      const out: Buffer[] = [];
      for await (const chunk of source) {
        out.push(Buffer.from(chunk));
      }
      return out;
    }

    async function* pieces(count: number, size: number, fail = false) {
      for (let i = 0; i < count; i++) {
        yield Buffer.alloc(size, 97 + (i % 26));
      }
      if (fail) {
        throw new Error('client went away');
      }
    }

    it('stores content of several chunks and reads back the same bytes in order', async () => {
      // 3.5 MiB in 64 KiB pieces: several stored chunks and a partial last one.
      const stored = await files.create(header('f1'), pieces(56, 64 * 1024));
      assert.equal(stored.bytes, 56 * 64 * 1024);
      const back: Buffer[] = [];
      for await (const chunk of files.read('f1')) {
        back.push(Buffer.from(chunk));
      }
      assert.deepEqual(Buffer.concat(back), Buffer.concat(await collect(pieces(56, 64 * 1024))));
      assert.ok(back.length >= 3, 'read a chunk at a time');
    });

    it('an upload that fails leaves no file and no content', async () => {
      await assert.rejects(files.create(header('f2'), pieces(40, 64 * 1024, true)), /went away/);
      assert.equal(await files.get('f2'), null);
      assert.deepEqual(await collect(files.read('f2')), []);
      assert.deepEqual(
        await files.list({ owner: null, purpose: null, order: 'desc', afterId: null, limit: 10 }),
        [],
      );
    });

    it('lists by owner and purpose, in either order, after a cursor', async () => {
      await files.create(header('a', 1), pieces(1, 1));
      await files.create(header('b', 2), pieces(1, 1));
      await files.create({ ...header('c', 3), owner: 'other' }, pieces(1, 1));
      const ids = async (query: Partial<Parameters<FileStore['list']>[0]>) =>
        (
          await files.list({
            owner: null,
            purpose: null,
            order: 'desc',
            afterId: null,
            limit: 10,
            ...query,
          })
        ).map((f) => f.id);
      assert.deepEqual(await ids({}), ['c', 'b', 'a']);
      assert.deepEqual(await ids({ order: 'asc' }), ['a', 'b', 'c']);
      assert.deepEqual(await ids({ afterId: 'c', limit: 1 }), ['b']);
      assert.deepEqual(await ids({ owner: 'other' }), ['c']);
      assert.deepEqual(await ids({ purpose: 'fine-tune' }), []);
      assert.equal(await files.delete('b'), true);
      assert.equal(await files.delete('b'), false);
      assert.deepEqual(await ids({}), ['c', 'a']);
    });
  });
}
