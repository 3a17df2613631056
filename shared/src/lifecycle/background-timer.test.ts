import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startBackgroundTimer } from './background-timer.ts';

it('ticks after the interval, never two at once, reports errors and keeps going', async () => {
  let ticks = 0;
  let overlapping = false;
  let inTick = false;
  const errors: unknown[] = [];
  const timer = startBackgroundTimer(
    1,
    async () => {
      overlapping ||= inTick;
      inTick = true;
      ticks += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      inTick = false;
      if (ticks === 2) {
        throw new Error('second tick');
      }
    },
    (error) => errors.push(error),
  );
  assert.equal(ticks, 0, 'nothing at once by default');
  while (ticks < 4) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await timer.stop();
  const after = ticks;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(ticks, after, 'nothing runs after stop() resolved');
  assert.equal(overlapping, false);
  assert.deepEqual(
    errors.map((error) => (error as Error).message),
    ['second tick'],
  );
});

it('immediately: the first tick runs at start; keepsAlive false: an idle timer holds no process open', async () => {
  let ticks = 0;
  const timer = startBackgroundTimer(
    60_000,
    async () => {
      ticks += 1;
    },
    () => {},
    { immediately: true, keepsAlive: false },
  );
  assert.equal(ticks, 1);
  // Only unreferenced handles are left: the one-minute timer would otherwise be active.
  await new Promise((resolve) => setImmediate(resolve));
  const timers = process
    .getActiveResourcesInfo()
    .filter((resource) => resource === 'Timeout').length;
  await timer.stop();
  const afterStop = process
    .getActiveResourcesInfo()
    .filter((resource) => resource === 'Timeout').length;
  assert.equal(timers, afterStop, 'the pending timer was not counted as keeping the process alive');
});
