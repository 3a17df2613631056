import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { engineProcessEnv } from '@warmgen/worker/engine/malloc-tunables.ts';
import {
  type ExitStatus,
  exitWithin,
  newDataDir,
  serviceEnv,
  spawnService,
} from './e2e/service-process.ts';

/**
 * The worker main on its own (node worker/src/main.ts), as Cloud Run runs it: one shutdown
 * whatever ends it, logged with the reason that did. `worker.done` also resolves when a
 * signal stops the loop, so a main that awaits it must not take that for the idle exit.
 */
interface LogLine {
  message: string;
  reason?: string;
  signal?: string;
}

async function runWorker(
  env: Record<string, string>,
  act: (child: { kill: (signal: NodeJS.Signals) => void }) => void,
): Promise<{ exit: ExitStatus | 'timeout'; lines: LogLine[]; output: string }> {
  const dataDir = await newDataDir();
  try {
    const { child, logs, waitForExit } = spawnService(
      serviceEnv({ ...engineProcessEnv, DATA_DIR: dataDir, ...env }),
      'worker',
    );
    const deadline = Date.now() + 60_000;
    while (!logs().includes('warmgen worker ready') && Date.now() < deadline) {
      if (child.exitCode !== null) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    act({ kill: (signal) => child.kill(signal) });
    const exit = await exitWithin(waitForExit(), 30_000);
    if (exit === 'timeout') {
      child.kill('SIGKILL');
    }
    const output = logs();
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    return { exit, lines, output };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

function stops(lines: LogLine[]): Array<string | undefined> {
  return lines.filter((line) => line.message === 'worker stopped').map((line) => line.reason);
}

describe('the worker main shuts down once, for the reason that ended it', () => {
  it('long-lived: SIGTERM', async () => {
    const run = await runWorker({}, (child) => child.kill('SIGTERM'));
    assert.deepEqual(run.exit, { code: 0, signal: null }, run.output);
    assert.deepEqual(stops(run.lines), ['SIGTERM'], run.output);
  });

  it('drain mode: SIGTERM before the queue has been idle long enough', async () => {
    const env = { WORKER_MODE: 'drain', IDLE_EXIT_SECONDS: '600' };
    const run = await runWorker(env, (child) => child.kill('SIGTERM'));
    assert.deepEqual(run.exit, { code: 0, signal: null }, run.output);
    assert.deepEqual(stops(run.lines), ['SIGTERM'], run.output);
  });

  it('drain mode: the queue stays idle', async () => {
    const env = { WORKER_MODE: 'drain', IDLE_EXIT_SECONDS: '1' };
    const run = await runWorker(env, () => {});
    assert.deepEqual(run.exit, { code: 0, signal: null }, run.output);
    assert.deepEqual(stops(run.lines), ['queue idle (drain mode)'], run.output);
  });
});
