import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteJobQueue } from './sqlite-job-queue.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

const child = fileURLToPath(
  new URL('./test-fixtures/accept-jobs-until-killed.ts', import.meta.url),
);

/** Runs the accepting child on `path`, SIGKILLs it after `killAfterMs`, returns what it accepted. */
async function acceptUntilKilled(path: string, killAfterMs: number): Promise<string[]> {
  const proc = spawn(process.execPath, [child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  // Start the clock at the first acceptance, so the kill lands mid-stream, not in start-up.
  const started = new Promise<void>((resolve) => {
    proc.stdout.once('data', () => resolve());
  });
  const exited = once(proc, 'exit');
  try {
    await Promise.race([started, exited]);
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    proc.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.equal(signal, 'SIGKILL', `child exited early with code ${code}`);
  } finally {
    proc.kill('SIGKILL');
  }
  // A line cut by the kill has no newline and is ignored: that job was never reported.
  return [...output.matchAll(/^accepted (\S+)$/gm)].map((match) => match[1] as string);
}

describe('SQLite durability across kill -9', () => {
  const db = temporaryDatabasePath();
  after(db.remove);

  it('keeps every job reported as accepted, in the store and exactly once in the queue', async (t) => {
    const accepted: string[] = [];
    for (let round = 0; round < 3; round += 1) {
      accepted.push(...(await acceptUntilKilled(db.path, 100 + Math.random() * 400)));
    }
    t.diagnostic(`${accepted.length} jobs accepted across 3 kills`);
    assert.ok(accepted.length > 100, `only ${accepted.length} jobs were accepted before the kills`);

    const store = SqliteJobStore.open(db.path);
    const queue = SqliteJobQueue.open(db.path, { maxAttempts: 5 });
    try {
      const deliveries = new Map<string, number>();
      for (;;) {
        const messages = await queue.pull(5_000, 600_000, 0);
        if (messages.length === 0) {
          break;
        }
        for (const message of messages) {
          deliveries.set(message.jobId, (deliveries.get(message.jobId) ?? 0) + 1);
        }
      }
      for (const id of accepted) {
        assert.ok(await store.getJob(id), `accepted job ${id} is missing from the store`);
        assert.equal(
          deliveries.get(id),
          1,
          `accepted job ${id} is in the queue ${deliveries.get(id) ?? 0} times`,
        );
      }
      const duplicated = [...deliveries].filter(([, count]) => count > 1);
      assert.deepEqual(duplicated, [], 'no job is in the queue twice');
      for (const id of deliveries.keys()) {
        assert.ok(
          await store.getJob(id),
          `queued job ${id} has no record: published before created`,
        );
      }
    } finally {
      await queue.close();
      await store.close();
    }
  });
});
