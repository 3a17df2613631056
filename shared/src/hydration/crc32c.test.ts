import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32cCombine, crc32cToBase64, crc32cUpdate } from './crc32c.ts';

test('crc32c matches the Castagnoli check value and GCS base64 form', () => {
  const crc = crc32cUpdate(0, Buffer.from('123456789'));
  assert.equal(crc, 0xe3069283);
  assert.equal(crc32cToBase64(crc), '4waSgw==');
  assert.equal(crc32cToBase64(crc32cUpdate(0, Buffer.alloc(0))), 'AAAAAA==');
});

test('combining chunk CRCs in order gives the whole-buffer CRC, for any split', () => {
  const data = randomBytes(1_000_003);
  const whole = crc32cUpdate(0, data);
  for (const sizes of [
    [1, 1_000_002],
    [500_000, 500_003],
    [65_536, 65_536, 868_931],
    [1_000_003, 0],
  ]) {
    let combined = 0;
    let offset = 0;
    for (const size of sizes) {
      const chunk = data.subarray(offset, offset + size);
      combined = crc32cCombine(combined, crc32cUpdate(0, chunk), chunk.length);
      offset += size;
    }
    assert.equal(combined, whole, `split ${sizes.join('+')}`);
  }
});

test('combining handles lengths beyond 2^32 bytes (x^(8n) by squaring)', () => {
  // crc(A ‖ zeros(n)) computed two ways for a length whose bits exceed 32: combine with the
  // CRC of n zero bytes, and by zero-extending in halves (zeros(n) = zeros(n/2) ‖ zeros(n/2)).
  const a = crc32cUpdate(0, Buffer.from('warmgen'));
  const zerosCrc = (n: number): number => {
    if (n <= 1 << 20) {
      return crc32cUpdate(0, Buffer.alloc(n));
    }
    const half = zerosCrc(n / 2);
    return crc32cCombine(half, half, n / 2);
  };
  const n = 2 ** 33;
  const direct = crc32cCombine(a, zerosCrc(n), n);
  const stepwise = crc32cCombine(crc32cCombine(a, zerosCrc(n / 2), n / 2), zerosCrc(n / 2), n / 2);
  assert.equal(direct, stepwise);
  assert.notEqual(direct, a);
});
