import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { inheritedEnv } from '../../test/src/gcp-stack/stack-env.ts';
import { startProcess } from '../../test/src/gcp-stack/supervised-process.ts';
import { defaultRestartBackoff, keepRestarting, restartDelayMs } from './keep-restarting.ts';

const fast = { initialMs: 20, maxMs: 50, stableAfterMs: 60_000 };

/** Real child processes: each call runs the next script of the list (the last one repeats). */
function scripts(...sources: string[]) {
  let calls = 0;
  const start = () => {
    const source = sources[Math.min(calls, sources.length - 1)] ?? '';
    calls += 1;
    return startProcess({
      name: 'worker-1',
      command: process.execPath,
      args: ['-e', source],
      env: inheritedEnv(),
    });
  };
  return { start, calls: () => calls };
}
const crash = (code: number) => `console.log('dying with ${code}'); process.exit(${code})`;
const serve = 'console.log("up"); setInterval(() => {}, 1000)';

async function until(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(10);
  }
}

describe('keepRestarting: dev:gcp restarts a failed worker as the platform would', () => {
  it('backs off 1 s, 2 s, 4 s ... up to 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 20].map((n) => restartDelayMs(defaultRestartBackoff, n));
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('restarts after non-zero exits with growing waits, logging each, until one stays up', async () => {
    const lines: string[] = [];
    const run = scripts(crash(3), crash(4), serve);
    const kept = keepRestarting({
      name: 'worker-1',
      start: run.start,
      say: (l) => lines.push(l),
      backoff: fast,
    });
    try {
      await until(() => kept.restarts() === 2, 'two restarts');
      await kept.current().waitForLine(/^up$/, 10_000);
      assert.match(
        lines[0] ?? '',
        /worker-1 exited \(code 3, signal null\); restarting in 0\.02 s \(failure 1 in a row\); last lines:\ndying with 3/,
      );
      assert.match(
        lines[1] ?? '',
        /worker-1 exited \(code 4, signal null\); restarting in 0\.04 s \(failure 2 in a row\)/,
      );
      assert.equal(kept.current().hasExited, false);
    } finally {
      const status = await kept.stop();
      assert.equal(status.signal, 'SIGTERM');
    }
    await sleep(100);
    assert.equal(run.calls(), 3, 'a stopped process is not restarted');
  });

  it('restarts a worker killed with SIGKILL', async () => {
    const lines: string[] = [];
    const run = scripts(serve);
    const kept = keepRestarting({
      name: 'worker-2',
      start: run.start,
      say: (l) => lines.push(l),
      backoff: fast,
    });
    try {
      const first = kept.current();
      await first.waitForLine(/^up$/, 10_000);
      process.kill(first.pid, 'SIGKILL');
      await until(() => kept.restarts() === 1, 'a restart');
      assert.notEqual(kept.current().pid, first.pid);
      await kept.current().waitForLine(/^up$/, 10_000);
      assert.match(
        lines[0] ?? '',
        /worker-2 exited \(code null, signal SIGKILL\); restarting in 0\.02 s/,
      );
    } finally {
      await kept.stop();
    }
  });

  it('leaves a worker that exited 0 stopped (drain mode finished), saying so', async () => {
    const lines: string[] = [];
    const run = scripts(crash(0));
    const kept = keepRestarting({
      name: 'worker-1',
      start: run.start,
      say: (l) => lines.push(l),
      backoff: fast,
    });
    await kept.current().exited;
    await until(() => lines.length === 1, 'the log line');
    await sleep(100);
    assert.deepEqual(lines, ['dev:gcp: worker-1 exited cleanly (code 0); not restarted']);
    assert.equal(run.calls(), 1);
    await kept.stop();
  });

  it('stop() during the back-off cancels the restart', async () => {
    const lines: string[] = [];
    const run = scripts(crash(1));
    const kept = keepRestarting({
      name: 'worker-1',
      start: run.start,
      say: (l) => lines.push(l),
      backoff: { ...fast, initialMs: 500 },
    });
    await until(() => lines.length === 1, 'the first failure');
    await kept.stop();
    await sleep(700);
    assert.equal(run.calls(), 1);
  });
});
