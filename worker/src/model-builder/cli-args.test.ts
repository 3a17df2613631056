import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCliArgs } from './cli-args.ts';
import { DEFAULT_MODEL_SEED } from './ensure-model.ts';

test('parses size, out and seed, with the default seed when omitted', () => {
  assert.deepEqual(parseCliArgs(['--size', 'small', '--out', 'm', '--seed', '7']), {
    kind: 'build',
    size: 'small',
    outDir: 'm',
    seed: 7,
  });
  assert.deepEqual(parseCliArgs(['--size=tiny', '--out=x']), {
    kind: 'build',
    size: 'tiny',
    outDir: 'x',
    seed: DEFAULT_MODEL_SEED,
  });
  assert.deepEqual(parseCliArgs(['--help']), { kind: 'help' });
  assert.deepEqual(parseCliArgs(['-h', '--size', 'nope']), { kind: 'help' });
});

test('rejects a bad or missing size, a missing out, a bad seed and unknown flags', () => {
  const message = (argv: string[]): string => {
    const result = parseCliArgs(argv);
    assert.equal(result.kind, 'usage-error', JSON.stringify(argv));
    return result.kind === 'usage-error' ? result.message : '';
  };
  assert.match(
    message(['--size', 'medium', '--out', 'x']),
    /--size is "medium": expected one of tiny, small/,
  );
  assert.match(message(['--out', 'x']), /--size is missing/);
  assert.match(message(['--size', 'tiny']), /--out DIR is required/);
  for (const seed of ['-1', '1.5', 'abc', '4294967296', '']) {
    assert.match(
      message(['--size', 'tiny', '--out', 'x', `--seed=${seed}`]),
      /--seed must be an integer/,
    );
  }
  assert.match(message(['--size', 'tiny', '--out', 'x', '--fast']), /Unknown option '--fast'/);
});
