import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamChunk } from '../../ports/stream-channel.ts';
import { decodeChunks, encodeChunks } from './stream-chunk-message.ts';

describe('stream chunk messages', () => {
  const chunks: StreamChunk[] = [
    { jobId: 'job_a', attempt: 1, offset: 0, text: 'Café 東京 🙂', sentAtMs: 1_700_000_000_000 },
    { jobId: 'job_b', attempt: 2, offset: 17, text: 'line\n"quoted"' },
  ];

  it('round-trips several chunks in one message, in order', () => {
    assert.deepEqual(decodeChunks(encodeChunks(chunks)), chunks);
  });

  it('reads the one-chunk-per-message form of earlier workers', () => {
    assert.deepEqual(decodeChunks(Buffer.from(JSON.stringify(chunks[0]))), [chunks[0]]);
  });

  it('drops what is not a chunk, keeping the chunks beside it', () => {
    const mixed = Buffer.from(
      JSON.stringify({ chunks: [chunks[1], { jobId: 'job_c', text: 1 }, null, 'x'] }),
    );
    assert.deepEqual(decodeChunks(mixed), [chunks[1]]);
    assert.deepEqual(decodeChunks(Buffer.from('not json')), []);
    assert.deepEqual(decodeChunks(Buffer.from('{"chunks": 3}')), []);
  });
});
