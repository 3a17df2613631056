/**
 * Measures the embedded adapters on the paths the API's budget depends on:
 * - accept one job (createJobs + publish, as POST /v1/generations does), paced at a target
 *   rate while a worker in another process pulls, claims and completes on the same file;
 * - a 10,000-item batch (createBatch + publish).
 * Usage: node shared/src/adapters/sqlite/bench/sqlite-bench.ts [rate=200] [seconds=10]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { batchFixture, newJobFixture } from '../../../contract/job-fixtures.ts';
import { newBatchId } from '../../../domain/ids.ts';
import { SqliteJobQueue } from '../sqlite-job-queue.ts';
import { SqliteJobStore } from '../sqlite-job-store.ts';
import { temporaryDatabasePath } from '../test-database.ts';

const rate = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 10);
const db = temporaryDatabasePath();
const store = SqliteJobStore.open(db.path);
const queue = SqliteJobQueue.open(db.path, { maxAttempts: 5 });
const worker = fork(fileURLToPath(new URL('./bench-worker.ts', import.meta.url)), [db.path]);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

try {
  const latencies: number[] = [];
  const intervalMs = 1_000 / rate;
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i += 1) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const t = performance.now();
    const [job] = await store.createJobs([newJobFixture({ idempotencyKey: `k${i}` })]);
    await queue.publish([job!.id]);
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => ms.toFixed(2);
  console.log(
    `accept 1 job at ${rate}/s for ${seconds} s (worker completing concurrently): ` +
      `p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms, ` +
      `max ${fmt(latencies.at(-1) ?? Number.NaN)} ms`,
  );

  const batchId = newBatchId();
  const jobs = Array.from({ length: 10_000 }, (_, i) =>
    newJobFixture({ batchId, customId: `${i}` }),
  );
  const t = performance.now();
  await store.createBatch({ batch: batchFixture(batchId, jobs.length), jobs });
  const stored = performance.now();
  await queue.publish(jobs.map((job) => job.id));
  const published = performance.now();
  console.log(
    `10,000-item batch: createBatch ${(stored - t).toFixed(0)} ms, ` +
      `publish ${(published - stored).toFixed(0)} ms`,
  );
  const counts = await store.countJobs();
  console.log(`worker completed ${counts.succeeded} jobs meanwhile`);
} finally {
  worker.kill();
  await queue.close();
  await store.close();
  db.remove();
}
