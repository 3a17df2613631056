import { Tensor } from 'onnxruntime-node';
import type { GenerationRow } from './generation-row.ts';
import { type CacheLayout, KvCacheBatch } from './kv-cache-batch.ts';
import type { TokenSampler } from './token-sampler.ts';

/**
 * The decode loop: drives a GPT-2 graph's forward pass and KV cache for a batch of rows,
 * each with its own parameters.
 *
 * 1. Prefill: prompts are left-padded to a common length and run in one pass (in row
 *    groups when the full [rows, length, vocab] logits would be large), giving each row's
 *    first token from its last prompt position.
 * 2. Decode: one token per step for every live row, feeding the cache back.
 * 3. After every step, rows that finished (length, stop, EOS) or whose signal fired are
 *    sliced out of the cache, so they cost nothing further.
 * Only the last position's logits of each row are read, as views into the output.
 */
export interface ForwardPass {
  layout: CacheLayout;
  /** Runs the graph; feeds may hold inputs the graph does not declare (ignored). */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

export interface DecodeSettings {
  /** Token written into padding positions (masked out, so any id works). */
  padTokenId: number;
  /** Most bytes of prefill logits one forward pass may produce; bounds peak memory. */
  prefillLogitsBytes: number;
  vocabSize: number;
}

export async function decodeBatch(
  forward: ForwardPass,
  rows: readonly GenerationRow[],
  sampler: TokenSampler,
  settings: DecodeSettings,
): Promise<void> {
  let live = rows.filter((row) => !row.cancelIfAborted(performance.now()));
  if (live.length === 0) {
    return;
  }
  const parts: KvCacheBatch[] = [];
  for (const group of prefillGroups(live, settings)) {
    parts.push(await prefill(forward, group, sampler, settings));
  }
  const cache = KvCacheBatch.concat(parts);
  live = keepLive(cache, live);

  while (live.length > 0) {
    for (const row of live) {
      row.cancelIfAborted(performance.now());
    }
    live = keepLive(cache, live);
    if (live.length === 0) {
      break;
    }
    const ones = live.map(() => 1);
    const inputIds = BigInt64Array.from(live, (row) => BigInt(row.lastToken));
    const feeds = cache.stepInputs(1, ones);
    feeds.input_ids = new Tensor('int64', inputIds, [live.length, 1]);
    const outputs = await forward.run(feeds);
    cache.advance(outputs, 1, ones);
    pickNextTokens(outputs, live, sampler);
  }
}

/** Prefills one group of rows into a fresh cache and accepts each row's first token. */
async function prefill(
  forward: ForwardPass,
  group: readonly GenerationRow[],
  sampler: TokenSampler,
  settings: DecodeSettings,
): Promise<KvCacheBatch> {
  const width = Math.max(...group.map((row) => row.promptIds.length));
  const inputIds = new BigInt64Array(group.length * width).fill(BigInt(settings.padTokenId));
  group.forEach((row, r) => {
    const offset = r * width + width - row.promptIds.length;
    row.promptIds.forEach((id, i) => {
      inputIds[offset + i] = BigInt(id);
    });
  });
  const cache = KvCacheBatch.empty(forward.layout, group.length);
  const promptLengths = group.map((row) => row.promptIds.length);
  const feeds = cache.stepInputs(width, promptLengths);
  feeds.input_ids = new Tensor('int64', inputIds, [group.length, width]);
  const outputs = await forward.run(feeds);
  cache.advance(outputs, width, promptLengths);
  pickNextTokens(outputs, group, sampler);
  return cache;
}

/** Each row's next token from the last position of its logits ([rows, positions, vocab]). */
function pickNextTokens(
  outputs: Record<string, Tensor>,
  rows: readonly GenerationRow[],
  sampler: TokenSampler,
): void {
  const logits = outputs.logits;
  if (!logits) {
    throw new Error('model output "logits" is missing');
  }
  const [, positions = 1, vocab = 0] = logits.dims;
  const data = logits.data as Float32Array;
  const now = performance.now();
  rows.forEach((row, r) => {
    if (row.finished || row.cancelIfAborted(now)) {
      return;
    }
    const start = (r * positions + positions - 1) * vocab;
    row.accept(row.pick(data.subarray(start, start + vocab), sampler), now);
  });
}

/** Slices finished rows out of the cache; returns the rows still live, in cache order. */
function keepLive(cache: KvCacheBatch, rows: readonly GenerationRow[]): GenerationRow[] {
  const keep: number[] = [];
  rows.forEach((row, r) => {
    if (!row.finished) {
      keep.push(r);
    }
  });
  if (keep.length === rows.length) {
    return [...rows];
  }
  if (keep.length > 0) {
    cache.keepRows(keep);
  }
  return keep.map((r) => rows[r]!);
}

/**
 * Splits rows (in order) into prefill groups whose logits stay within the byte budget;
 * a single row always forms a group, however long its prompt.
 */
function prefillGroups(
  rows: readonly GenerationRow[],
  settings: DecodeSettings,
): GenerationRow[][] {
  const groups: GenerationRow[][] = [];
  let current: GenerationRow[] = [];
  let width = 0;
  for (const row of rows) {
    const nextWidth = Math.max(width, row.promptIds.length);
    const bytes = (current.length + 1) * nextWidth * settings.vocabSize * 4;
    if (current.length > 0 && bytes > settings.prefillLogitsBytes) {
      groups.push(current);
      current = [];
      width = 0;
    }
    current.push(row);
    width = Math.max(width, row.promptIds.length);
  }
  groups.push(current);
  return groups;
}
