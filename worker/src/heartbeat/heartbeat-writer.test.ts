import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkerHeartbeat } from '@warmgen/shared/ports/worker-heartbeats.ts';
import { startHeartbeat } from './heartbeat-writer.ts';
import { ThroughputWindow } from './throughput-window.ts';

function recorder() {
  const beats: WorkerHeartbeat[] = [];
  const removed: string[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  let failing = false;
  return {
    beats,
    removed,
    warnings,
    infos,
    fail(on: boolean) {
      failing = on;
    },
    heartbeats: {
      async beat(heartbeat: WorkerHeartbeat) {
        if (failing) {
          throw new Error('store unavailable');
        }
        beats.push(heartbeat);
      },
      async remove(args: { workerId: string }) {
        removed.push(args.workerId);
      },
    },
    log: {
      warn: (_fields: object, message: string) => warnings.push(message),
      info: (_fields: object, message: string) => infos.push(message),
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('startHeartbeat', () => {
  it('writes each lifecycle state at once, busy/idle and rates on the timer, and removes the record on stop', async () => {
    const r = recorder();
    let nowMs = 1_000_000;
    const writer = startHeartbeat({
      heartbeats: r.heartbeats,
      workerId: 'worker_a',
      device: 'cpu',
      task: 'exec-1/2',
      log: r.log,
      tuning: { intervalMs: 40, ttlMs: 120, windowMs: 60_000 },
      now: () => nowMs,
    });
    await settle();
    assert.equal(r.beats[0]?.state, 'starting');
    assert.equal(r.beats[0]?.expiresAtMs, 1_000_120);
    assert.equal(r.beats[0]?.task, 'exec-1/2');

    nowMs += 100;
    writer.hydrating({ bytes: 10, totalBytes: 1000 });
    await settle();
    assert.deepEqual(r.beats.at(-1)?.hydration, { bytesDone: 10, bytesTotal: 1000 });
    assert.equal(r.beats.at(-1)?.state, 'hydrating');
    assert.equal(r.beats.at(-1)?.sinceMs, 1_000_100);

    nowMs += 100;
    writer.loading();
    await settle();
    assert.equal(r.beats.at(-1)?.state, 'loading');
    assert.equal(r.beats.at(-1)?.hydration, null, 'progress only while hydrating');

    nowMs += 100;
    writer.warm({ modelSha256: 'f'.repeat(64), maxRows: 16 });
    await settle();
    const warm = r.beats.at(-1);
    assert.equal(warm?.state, 'idle');
    assert.equal(warm?.modelSha256, 'f'.repeat(64));
    assert.equal(warm?.maxRows, 16);
    assert.equal(warm?.sinceMs, 1_000_300);

    // Rows running: the timer's next beat says busy, with the rows.
    writer.observer.inFlight(3);
    const beforeBusy = r.beats.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.ok(r.beats.length > beforeBusy, 'the timer beats');
    assert.equal(r.beats.at(-1)?.state, 'busy');
    assert.equal(r.beats.at(-1)?.runningRows, 3);

    // 2 s after warm: 2 jobs of 100 and 300 tokens, 1.5 s and 2.5 s each.
    nowMs += 2_000;
    writer.observer.rowGenerated(1_500, 3);
    writer.observer.jobCompleted(100, 66);
    writer.observer.rowGenerated(2_500, 2);
    writer.observer.jobCompleted(300, 120);
    writer.observer.inFlight(0);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const last = r.beats.at(-1);
    assert.equal(last?.state, 'idle');
    assert.equal(last?.tokensPerSecond, 200, '400 tokens over the 2 s it has been warm');
    assert.equal(last?.jobsPerSecond, 1);
    assert.equal(last?.meanJobSeconds, 2);
    assert.equal(last?.tokensTotal, 400);

    await writer.stop();
    const count = r.beats.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(r.beats.length, count, 'no beat after stop');
    assert.deepEqual(r.removed, ['worker_a']);
  });

  it('a failing store is logged once, never thrown, and the next beat that lands says so', async () => {
    const r = recorder();
    r.fail(true);
    const writer = startHeartbeat({
      heartbeats: r.heartbeats,
      workerId: 'worker_b',
      device: 'cpu',
      task: null,
      log: r.log,
      tuning: { intervalMs: 20, ttlMs: 60 },
    });
    await new Promise((resolve) => setTimeout(resolve, 90));
    assert.equal(r.warnings.length, 1, r.warnings.join('\n'));
    r.fail(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(r.beats.length > 0);
    assert.deepEqual(r.infos, ['heartbeat: writes work again']);
    await writer.stop();
  });
});

describe('ThroughputWindow', () => {
  it('forgets what finished before the window, and rates over the window once warm longer', () => {
    const window = new ThroughputWindow(10_000);
    window.completed(1_000, 500);
    window.generated(1_000, 4);
    window.completed(15_000, 200);
    window.generated(15_000, 2);
    const rates = window.rates(20_000, 0);
    assert.deepEqual(rates, {
      tokensPerSecond: 20,
      jobsPerSecond: 0.1,
      meanJobSeconds: 2,
      tokensTotal: 700,
    });
    assert.equal(window.rates(30_000, 0).meanJobSeconds, null);
  });
});
