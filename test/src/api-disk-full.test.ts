import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { completeAsWorker, sendJson, startApi } from './api-test-harness.ts';

/**
 * The API on SQLite on a real 4 MiB tmpfs, filled up: what a full disk does, not a stand-in
 * for it. Mounting needs root (CAP_SYS_ADMIN); where it is refused the test says so and is
 * skipped, and api-storage-failure.test.ts still covers the behaviour with injected errors.
 */
describe('a full disk under the embedded store', () => {
  let mountPoint = '';
  let mounted = false;
  let refusedBecause = '';
  before(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'warmgen-full-disk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], {
        stdio: 'pipe',
      });
      mounted = true;
    } catch (error) {
      refusedBecause = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    }
  });
  after(() => {
    if (mounted) {
      execFileSync('umount', [mountPoint]);
    }
    rmdirSync(mountPoint);
  });

  it('answers 503 storage_unavailable (never 500), /readyz 503, and recovers when space returns', async (t) => {
    if (!mounted) {
      t.skip(`cannot mount a tmpfs here: ${refusedBecause}`);
      return;
    }
    const api = await startApi({ dataDir: mountPoint, storageProbe: true });
    const filler = join(mountPoint, 'filler');
    try {
      const accepted: string[] = [];
      const first = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'before' });
      assert.equal(first.status, 202);
      accepted.push(first.json.id);

      fillDisk(filler);
      const statuses: number[] = [];
      let lastRefusal: Awaited<ReturnType<typeof sendJson>> | null = null;
      const prompt = 'x'.repeat(4000);
      for (let i = 0; i < 40; i++) {
        const response =
          i % 4 === 3
            ? await sendJson(api.baseUrl, 'POST', '/v1/batches', {
                items: Array.from({ length: 20 }, (_, n) => ({ custom_id: `${i}-${n}`, prompt })),
              })
            : await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt });
        statuses.push(response.status);
        if (response.status === 202 && i % 4 !== 3) {
          accepted.push(response.json.id);
        }
        if (response.status === 503) {
          lastRefusal = response;
        }
      }
      assert.equal(statuses.filter((s) => s >= 500 && s !== 503).length, 0, `statuses ${statuses}`);
      assert.ok(lastRefusal, `no submission was refused on a full disk: ${statuses}`);
      assert.equal(lastRefusal.json.error.code, 'storage_unavailable');
      assert.equal(lastRefusal.headers.get('retry-after'), '10');
      assert.match(lastRefusal.json.error.message, /disk is full \(SQLITE_FULL|ENOSPC\)/);
      const notReady = await sendJson(api.baseUrl, 'GET', '/readyz');
      assert.equal(notReady.status, 503, 'readiness follows the failing writes');
      assert.equal(notReady.json.error.code, 'storage_unavailable');
      // What was written before is still readable.
      assert.equal(
        (await sendJson(api.baseUrl, 'GET', `/v1/generations/${first.json.id}`)).status,
        200,
      );

      rmSync(filler);
      const backAfterMs = await waitUntilReady(api.baseUrl, 5_000);
      t.diagnostic(
        `full disk: ${statuses.filter((s) => s === 202).length} accepted, ${statuses.filter((s) => s === 503).length} refused with 503, 0 with 500; /readyz 200 again ${backAfterMs} ms after space returned`,
      );
      const again = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'after' });
      assert.equal(again.status, 202, JSON.stringify(again.json));
      accepted.push(again.json.id);
      // Every job the API accepted is intact and completes.
      for (const id of accepted) {
        await completeAsWorker(api.store, id, 'done');
        assert.equal((await api.store.getJob(id))?.status, 'succeeded', id);
      }
    } finally {
      rmSync(filler, { force: true });
      await api.close();
    }
  });
});

/** Writes `path` until the filesystem has no space left. */
function fillDisk(path: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const fd = openSync(path, 'w');
  try {
    for (;;) {
      writeSync(fd, chunk);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') {
      throw error;
    }
  } finally {
    closeSync(fd);
  }
  // The last partial block may leave a few hundred bytes: take them too.
  try {
    const tail = openSync(path, 'a');
    try {
      for (;;) {
        writeSync(tail, Buffer.alloc(512, 1));
      }
    } finally {
      closeSync(tail);
    }
  } catch {
    // ENOSPC: full.
  }
}

async function waitUntilReady(baseUrl: string, limitMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if ((await fetch(`${baseUrl}/readyz`)).status === 200) {
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/readyz did not turn 200 within ${limitMs} ms`);
}
