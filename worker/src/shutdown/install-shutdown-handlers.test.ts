import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createRecordingLogger } from '../run-loop/test-support/recording-logger.ts';
import { installShutdownHandlers, type ShutdownSignal } from './install-shutdown-handlers.ts';

test('the first SIGTERM or SIGINT starts one shutdown; later signals are ignored', async () => {
  const source = new EventEmitter();
  const logger = createRecordingLogger();
  const seen: ShutdownSignal[] = [];
  const remove = installShutdownHandlers({
    source,
    logger,
    onShutdown: async (signal) => {
      seen.push(signal);
    },
  });
  source.emit('SIGTERM', 'SIGTERM');
  source.emit('SIGINT', 'SIGINT');
  source.emit('SIGTERM', 'SIGTERM');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['SIGTERM']);
  assert.equal(logger.messages().filter((message) => message.includes('signal ignored')).length, 2);
  remove();
  assert.equal(source.listenerCount('SIGTERM'), 0);
  assert.equal(source.listenerCount('SIGINT'), 0);
});

test('a failing shutdown handler is logged, not thrown', async () => {
  const source = new EventEmitter();
  const logger = createRecordingLogger();
  const remove = installShutdownHandlers({
    source,
    logger,
    signals: ['SIGINT'],
    onShutdown: () => {
      throw new Error('stop failed');
    },
  });
  source.emit('SIGINT', 'SIGINT');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(logger.messages('error'), ['shutdown handler failed']);
  assert.equal(source.listenerCount('SIGTERM'), 0, 'only the signals asked for');
  remove();
  assert.equal(source.listenerCount('SIGINT'), 0);
});

test('on the real process, listeners are added and removed', () => {
  const before = process.listenerCount('SIGTERM');
  const remove = installShutdownHandlers({
    logger: createRecordingLogger(),
    onShutdown: () => {},
  });
  assert.equal(process.listenerCount('SIGTERM'), before + 1);
  remove();
  assert.equal(process.listenerCount('SIGTERM'), before);
});
