import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { readModelLocation } from './model-location.ts';

const read = (value: string | undefined) => readModelLocation({ MODEL_URI: value }, 'MODEL_URI');

describe('readModelLocation', () => {
  it('means the built-in stand-in model when unset or blank', () => {
    assert.deepEqual(read(undefined), { kind: 'builtin' });
    assert.deepEqual(read(''), { kind: 'builtin' });
  });

  it('accepts plain paths as they are, relative ones included', () => {
    assert.deepEqual(read('/models/gpt2'), { kind: 'file', path: '/models/gpt2' });
    assert.deepEqual(read('models/gpt2'), { kind: 'file', path: 'models/gpt2' });
  });

  it('turns a file:// URL into a path, decoding escapes', () => {
    assert.deepEqual(read('file:///models/my%20gpt2'), { kind: 'file', path: '/models/my gpt2' });
    assert.deepEqual(read('FILE:///m'), { kind: 'file', path: '/m' });
  });

  it('splits gs:// into bucket and prefix without edge slashes', () => {
    assert.deepEqual(read('gs://bucket-1/a/b/'), {
      kind: 'gcs',
      bucket: 'bucket-1',
      prefix: 'a/b',
    });
    assert.deepEqual(read('gs://bucket-1'), { kind: 'gcs', bucket: 'bucket-1', prefix: '' });
  });

  it('rejects other schemes, file URLs with a host, and bad bucket names', () => {
    for (const value of [
      'https://example.com/gpt2',
      's3://b/p',
      'file://host/x',
      'gs://B/x',
      'gs://',
    ]) {
      assert.throws(
        () => read(value),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'MODEL_URI' &&
          error.message.includes(value),
        value,
      );
    }
  });
});
