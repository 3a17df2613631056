import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoopLifecycle, LoopState } from './loop-lifecycle.ts';
import { sleep } from './sleep.ts';
import { withinGrace } from './within-grace.ts';

/** A loop that turns until stopped, pausing on the stop signal; `calls` records the hooks. */
function turningLoop(options: { endsAfterTurns?: number; crash?: boolean } = {}) {
  const calls: string[] = [];
  let turns = 0;
  const lifecycle = createLoopLifecycle({
    name: 'test loop',
    loop: async () => {
      while (lifecycle.isRunning()) {
        turns++;
        if (options.crash) {
          throw new Error('boom');
        }
        if (options.endsAfterTurns !== undefined && turns >= options.endsAfterTurns) {
          return;
        }
        await sleep(5, lifecycle.stopSignal);
      }
    },
    onStart: () => calls.push('start'),
    onCrash: (error) => calls.push(`crash:${(error as Error).message}`),
    ...(options.endsAfterTurns !== undefined || options.crash
      ? { onEndedByItself: async () => void calls.push('ended') }
      : {}),
    onStop: async (loopEnded) => {
      calls.push('stopping');
      await loopEnded;
      calls.push('loop returned');
    },
  });
  return { lifecycle, calls, turns: () => turns };
}

describe('createLoopLifecycle', () => {
  it('runs idle → running → stopping → stopped; stop() is one promise, start() only once', async () => {
    const { lifecycle, calls } = turningLoop();
    assert.equal(lifecycle.state, LoopState.idle);
    lifecycle.start();
    assert.equal(lifecycle.state, LoopState.running);
    assert.throws(() => lifecycle.start(), /test loop cannot start: it is running/);
    await sleep(20);
    const stopping = lifecycle.stop();
    assert.equal(lifecycle.state, LoopState.stopping);
    assert.ok(lifecycle.stopSignal.aborted);
    assert.equal(lifecycle.stop(), stopping);
    await stopping;
    await lifecycle.done;
    assert.equal(lifecycle.state, LoopState.stopped);
    assert.deepEqual(calls, ['start', 'stopping', 'loop returned']);
  });

  it('ends by itself when the loop returns while running (drain mode), and done resolves', async () => {
    const { lifecycle, calls, turns } = turningLoop({ endsAfterTurns: 3 });
    lifecycle.start();
    await lifecycle.done;
    assert.equal(turns(), 3);
    assert.equal(lifecycle.state, LoopState.stopped);
    await lifecycle.stop();
    assert.deepEqual(calls, ['start', 'ended'], 'stop() after the end does not stop twice');
  });

  it('reports a crash and then ends by itself', async () => {
    const { lifecycle, calls } = turningLoop({ crash: true });
    lifecycle.start();
    await lifecycle.done;
    assert.deepEqual(calls, ['start', 'crash:boom', 'ended']);
  });

  it('stops a loop never started at once, without running onStop', async () => {
    const { lifecycle, calls } = turningLoop();
    await lifecycle.stop();
    assert.equal(lifecycle.state, LoopState.stopped);
    await lifecycle.done;
    assert.deepEqual(calls, []);
    assert.throws(() => lifecycle.start(), /it is stopped/);
  });
});

describe('withinGrace', () => {
  it('is true when the work settles in time and false when the grace runs out', async () => {
    assert.equal(await withinGrace(sleep(5), 1_000), true);
    const startedAtMs = Date.now();
    assert.equal(await withinGrace(new Promise(() => {}), 30), false);
    assert.ok(Date.now() - startedAtMs >= 25);
  });
});
