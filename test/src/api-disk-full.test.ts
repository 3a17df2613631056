import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openDatabase } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { SqliteJobQueue } from '@warmgen/shared/adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { fillableDatabase } from '@warmgen/shared/adapters/sqlite/test-fixtures/fillable-database.ts';
import { createFakeEngine } from '@warmgen/worker/run-loop/test-support/fake-generation-engine.ts';
import { startLoop } from '@warmgen/worker/run-loop/test-support/run-loop-harness.ts';
import { sendJson, startApi } from './api-test-harness.ts';

/**
 * The API and a worker run loop on one SQLite database whose disk fills up mid-run, two
 * ways, both run every time:
 *   tmpfs      a real 4 MiB tmpfs filled with a file: what a full disk does. Mounting needs
 *              root (CAP_SYS_ADMIN), which CI has (.ci/run runs as root on a clean machine)
 *   page cap   SQLite's max_page_count stops the database file growing and a filler takes
 *              the free pages: the same SQLITE_FULL, with nothing to mount
 * Targets (issue 13): no response is a 500; every accepted job succeeds after space returns;
 * a job whose final write failed is finished within 10 s of space returning (the worker
 * retries it under its renewed lease; its 60 s lease is never waited for).
 */
describe('a full disk under the embedded store', () => {
  it('tmpfs: 503 storage_unavailable (never 500), /readyz 503, and every job done within 10 s of space returning', async (t) => {
    const mountPoint = mkdtempSync(join(tmpdir(), 'warmgen-full-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    const filler = join(mountPoint, 'filler');
    try {
      const path = join(mountPoint, 'warmgen.sqlite');
      await fullDiskScenario(t, {
        path,
        connect: () => openDatabase(path),
        fill: () => fillDisk(filler),
        free: () => rmSync(filler, { force: true }),
      });
    } finally {
      execFileSync('umount', [mountPoint]);
      rmdirSync(mountPoint);
    }
  });

  it('page cap: 503 storage_unavailable (never 500), /readyz 503, and every job done within 10 s of space returning', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warmgen-full-db-'));
    const path = join(dir, 'warmgen.sqlite');
    const database = fillableDatabase(path);
    try {
      await fullDiskScenario(t, {
        path,
        connect: database.open,
        fill: database.fill,
        free: database.free,
      });
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function fullDiskScenario(
  t: { diagnostic(message: string): void },
  disk: {
    path: string;
    connect: () => ReturnType<typeof openDatabase>;
    fill: () => void;
    free: () => void;
  },
): Promise<void> {
  const api = await startApi({
    dataDir: join(disk.path, '..'),
    storageProbe: true,
    openConnection: disk.connect,
  });
  const workerStore = new SqliteJobStore(disk.connect());
  const workerQueue = new SqliteJobQueue(disk.connect(), { maxAttempts: 5 });
  // Each row takes about a second, so the disk fills while rows run and their final
  // writes (a result of 1,500 words) meet the full disk.
  const engine = createFakeEngine({ stepMs: 4 });
  const worker = startLoop({
    queue: workerQueue,
    store: workerStore,
    engine,
    // The real lease: waiting for it would take a minute.
    config: { leaseMs: 60_000, leaseRenewMs: 1_000, errorBackoffMs: 200, pullWaitMs: 200 },
  });
  try {
    const accepted: string[] = [];
    const statuses: number[] = [];
    const long = { max_new_tokens: 250 };
    for (let i = 0; i < 4; i++) {
      const response = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
        prompt: `before ${i}`,
        params: long,
      });
      statuses.push(response.status);
      assert.equal(response.status, 202);
      accepted.push(response.json.id);
    }
    await waitUntil('the first jobs run', 5_000, async () =>
      (await Promise.all(accepted.map((id) => workerStore.getJob(id)))).every(
        (job) => job?.status === 'running',
      ),
    );

    disk.fill();
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
    assert.ok(lastRefusal, `no submission was refused on a full disk: ${statuses}`);
    assert.equal(lastRefusal.json.error.code, 'storage_unavailable');
    assert.equal(lastRefusal.headers.get('retry-after'), '10');
    assert.match(lastRefusal.json.error.message, /disk is full \(SQLITE_FULL|ENOSPC\)/);
    const notReady = await sendJson(api.baseUrl, 'GET', '/readyz');
    assert.equal(notReady.status, 503, 'readiness follows the failing writes');
    assert.equal(notReady.json.error.code, 'storage_unavailable');
    // Reads still work while writes fail.
    const read = await sendJson(api.baseUrl, 'GET', `/v1/generations/${accepted[0]}`);
    statuses.push(read.status);
    assert.equal(read.status, 200);

    // The rows finish generating on the full disk: their final writes fail and are retried.
    await waitUntil('a final write to fail', 10_000, async () =>
      worker.logger
        .messages('warn')
        .includes('store write failed; retrying while the lease is held'),
    );

    disk.free();
    const spaceBackAtMs = Date.now();
    const readyAfterMs = await waitUntilReady(api.baseUrl, 5_000);
    const again = await sendJson(api.baseUrl, 'POST', '/v1/generations', { prompt: 'after' });
    statuses.push(again.status);
    assert.equal(again.status, 202, JSON.stringify(again.json));
    accepted.push(again.json.id);
    const before = accepted.slice(0, 4);
    await waitUntil('the jobs running when the disk filled to succeed', 10_000, async () =>
      (await Promise.all(before.map((id) => workerStore.getJob(id)))).every(
        (job) => job?.status === 'succeeded',
      ),
    );
    const strandedMs = Date.now() - spaceBackAtMs;
    // Every job the API accepted is intact and completes, once each.
    await waitUntil('every accepted job to succeed', 30_000, async () =>
      (await Promise.all(accepted.map((id) => workerStore.getJob(id)))).every(
        (job) => job?.status === 'succeeded',
      ),
    );
    for (const id of before) {
      assert.equal((await workerStore.getJob(id))?.attempts, 1, `${id} ran once`);
    }
    assert.equal(statuses.filter((s) => s === 500).length, 0, `statuses ${statuses}`);
    assert.equal(statuses.filter((s) => s >= 500 && s !== 503).length, 0, `statuses ${statuses}`);
    t.diagnostic(
      `full disk: ${statuses.filter((s) => s === 202).length} accepted, ${statuses.filter((s) => s === 503).length} refused with 503, 0 with 500; /readyz 200 again ${readyAfterMs} ms and the jobs running at the fill succeeded ${strandedMs} ms after space returned; ${accepted.length} of ${accepted.length} accepted jobs succeeded`,
    );
    assert.ok(strandedMs <= 10_000, `stranded ${strandedMs} ms`);
  } finally {
    disk.free();
    await worker.loop.stop();
    await workerQueue.close();
    await workerStore.close();
    await api.close();
  }
}

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

async function waitUntil(what: string, limitMs: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitUntilReady(baseUrl: string, limitMs: number): Promise<number> {
  const started = Date.now();
  await waitUntil('/readyz to turn 200', limitMs, async () => {
    return (await fetch(`${baseUrl}/readyz`)).status === 200;
  });
  return Date.now() - started;
}
