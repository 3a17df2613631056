import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { groupAlive, startEmulator } from './emulator-process.ts';
import { findEmulatorLaunchers } from './gcloud-sdk.ts';

const standIn = (script: string, extra: { stopGraceMs?: number } = {}) =>
  startEmulator({
    name: 'stand-in',
    command: 'bash',
    args: ['-c', script],
    ready: /^ready$/,
    startTimeoutMs: 10_000,
    ...extra,
  });

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (groupAlive(pgid)) {
    assert.ok(performance.now() < deadline, `process group ${pgid} still alive`);
    await sleep(50);
  }
}

/** Runs the fixture in its own node process and returns it with the group it started. */
async function startFixture(mode: 'exit' | 'hang') {
  const script = fileURLToPath(new URL('./test-fixtures/start-and-leave.ts', import.meta.url));
  const child = spawn(process.execPath, [script, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const pgid = Number(chunk.toString().trim());
  assert.ok(Number.isInteger(pgid) && pgid > 0, `fixture printed ${chunk.toString()}`);
  return { child, pgid };
}

describe('emulator processes', () => {
  it('stop() ends every process of the group, children included', async () => {
    const emulator = await standIn('sleep 600 & echo ready; wait');
    assert.ok(groupAlive(emulator.processGroup));
    await emulator.stop();
    assert.equal(groupAlive(emulator.processGroup), false);
    await emulator.stop();
  });

  it('stop() kills a process that ignores SIGTERM once the grace period is over', async () => {
    const emulator = await standIn("trap '' TERM; echo ready; sleep 600", { stopGraceMs: 300 });
    const started = performance.now();
    await emulator.stop();
    assert.equal(groupAlive(emulator.processGroup), false);
    assert.ok(performance.now() - started >= 300);
  });

  it('reports an emulator that exits before it is ready, with its output', async () => {
    await assert.rejects(standIn('echo port already in use; exit 3'), (error: Error) => {
      assert.match(error.message, /exited before it was ready \(code 3/);
      assert.match(error.message, /port already in use/);
      return true;
    });
  });

  it('gives up on an emulator that never prints its readiness line', async () => {
    await assert.rejects(
      startEmulator({
        name: 'silent',
        command: 'bash',
        args: ['-c', 'sleep 600'],
        ready: /^ready$/,
        startTimeoutMs: 300,
      }),
      /silent emulator not ready after 300 ms/,
    );
  });

  it('the group ends when the test process exits without stopping it', async () => {
    const { child, pgid } = await startFixture('exit');
    await once(child, 'exit');
    await waitUntilGone(pgid, 2_000);
  });

  it('the group ends when the test process is killed with SIGKILL (watchdog)', async () => {
    const { child, pgid } = await startFixture('hang');
    assert.ok(groupAlive(pgid));
    child.kill('SIGKILL');
    await once(child, 'exit');
    // The watchdog looks once a second, then TERMs the group.
    await waitUntilGone(pgid, 5_000);
  });

  it('fails with a clear message when gcloud is not installed', () => {
    assert.throws(
      () => findEmulatorLaunchers('/nonexistent:/also-missing'),
      (error: Error) => {
        assert.match(error.message, /gcloud is not on PATH/);
        assert.match(error.message, /pubsub-emulator/);
        return true;
      },
    );
    assert.throws(() => findEmulatorLaunchers(undefined), /gcloud is not on PATH/);
  });
});
