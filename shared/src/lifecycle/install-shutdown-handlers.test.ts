import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { installShutdownHandlers, type ShutdownLogger } from './install-shutdown-handlers.ts';

function recordingLogger(): ShutdownLogger & { lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    info: (_fields, message) => lines.push(['info', message]),
    error: (_fields, message) => lines.push(['error', message]),
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('the first SIGTERM or SIGINT starts one shutdown; later signals are ignored', async () => {
  const source = new EventEmitter();
  const logger = recordingLogger();
  const seen: string[] = [];
  const { remove } = installShutdownHandlers({
    source,
    logger,
    onShutdown: async (reason) => {
      seen.push(reason);
    },
  });
  source.emit('SIGTERM', 'SIGTERM');
  source.emit('SIGINT', 'SIGINT');
  source.emit('SIGTERM', 'SIGTERM');
  await nextTurn();
  assert.deepEqual(seen, ['SIGTERM']);
  assert.equal(logger.lines.filter(([, message]) => message.includes('signal ignored')).length, 2);
  remove();
  assert.equal(source.listenerCount('SIGTERM'), 0);
  assert.equal(source.listenerCount('SIGINT'), 0);
});

test("the main's own reason after a signal joins the signal's shutdown (the worker's drain-mode exit)", async () => {
  const source = new EventEmitter();
  const seen: string[] = [];
  let finish = () => {};
  const { shutdown, remove } = installShutdownHandlers({
    source,
    logger: recordingLogger(),
    onShutdown: (reason) => {
      seen.push(reason);
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    },
  });
  source.emit('SIGTERM', 'SIGTERM');
  // worker.done resolves while the SIGTERM shutdown is still stopping the parts.
  let joinedDone = false;
  const joined = shutdown('queue idle (drain mode)').then(() => {
    joinedDone = true;
  });
  await nextTurn();
  assert.deepEqual(seen, ['SIGTERM']);
  assert.equal(joinedDone, false, 'waits for the shutdown under way');
  finish();
  await joined;
  assert.deepEqual(seen, ['SIGTERM']);
  remove();
});

test('a reason from the main starts the shutdown; a signal after it is ignored', async () => {
  const source = new EventEmitter();
  const logger = recordingLogger();
  const seen: string[] = [];
  const { shutdown, remove } = installShutdownHandlers({
    source,
    logger,
    onShutdown: (reason) => {
      seen.push(reason);
    },
  });
  const first = shutdown('queue idle (drain mode)');
  source.emit('SIGTERM', 'SIGTERM');
  await first;
  assert.deepEqual(seen, ['queue idle (drain mode)']);
  assert.deepEqual(logger.lines, [['info', 'shutdown already under way; signal ignored']]);
  remove();
});

test('a failing shutdown handler is logged, not thrown', async () => {
  const source = new EventEmitter();
  const logger = recordingLogger();
  const { remove } = installShutdownHandlers({
    source,
    logger,
    signals: ['SIGINT'],
    onShutdown: () => {
      throw new Error('stop failed');
    },
  });
  source.emit('SIGINT', 'SIGINT');
  await nextTurn();
  assert.deepEqual(
    logger.lines.filter(([level]) => level === 'error'),
    [['error', 'shutdown handler failed']],
  );
  assert.equal(source.listenerCount('SIGTERM'), 0, 'only the signals asked for');
  remove();
  assert.equal(source.listenerCount('SIGINT'), 0);
});

test('on the real process, listeners are added and removed', () => {
  const before = process.listenerCount('SIGTERM');
  const { remove } = installShutdownHandlers({
    logger: recordingLogger(),
    onShutdown: () => {},
  });
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  remove();
  assert.equal(process.listenerCount('SIGTERM'), before);
});
