import type { StreamChunk } from '../../ports/stream-channel.ts';

/**
 * How chunks travel in a Pub/Sub message on the stream topic: several chunks (a worker's
 * rows that produced text within one short window) in one message, `{"chunks": [...]}`.
 * One message per decode step rather than one per row per step: on a CPU worker a row gets
 * about one token per coalescing interval, so per-row messages meant close to one message
 * per token (886 per 1,000 tokens at 32 rows, bench:stream), each billed at Pub/Sub's 1 KB
 * minimum and each parsed by every API process.
 *
 * Decoding also reads the earlier form, one chunk per message with a `jobId` attribute, so
 * an API process keeps streaming from workers of the previous release during a rollout.
 */
export function encodeChunks(chunks: readonly StreamChunk[]): Buffer {
  return Buffer.from(JSON.stringify({ chunks }));
}

/** The well-formed chunks in a message's data; anything else in it is dropped. */
export function decodeChunks(data: Buffer): StreamChunk[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return [];
  }
  const candidates =
    typeof parsed === 'object' &&
    parsed !== null &&
    Array.isArray((parsed as { chunks?: unknown }).chunks)
      ? (parsed as { chunks: unknown[] }).chunks
      : [parsed];
  return candidates.filter(isChunk);
}

function isChunk(value: unknown): value is StreamChunk {
  const chunk = value as Partial<StreamChunk> | null;
  return (
    typeof chunk === 'object' &&
    chunk !== null &&
    typeof chunk.jobId === 'string' &&
    typeof chunk.attempt === 'number' &&
    typeof chunk.offset === 'number' &&
    typeof chunk.text === 'string' &&
    (chunk.sentAtMs === undefined || typeof chunk.sentAtMs === 'number')
  );
}
