import { Tensor } from 'onnxruntime-node';
import { fitsInPass, type PlanLimits, planCohorts, planPrefill } from './batch-plan.ts';
import type { GenerationRow } from './generation-row.ts';
import { type CacheLayout, KvCacheBatch } from './kv-cache-batch.ts';
import type { TokenSampler } from './token-sampler.ts';

/**
 * The decode loop: drives a GPT-2 graph's forward pass and KV cache for a batch of rows,
 * each with its own parameters.
 *
 * 1. Plan: rows are split into cohorts that each decode in one forward pass (one cohort
 *    unless the KV cache would be large; see batch-plan.ts).
 * 2. Prefill: a cohort's prompts are left-padded to a common length and run together
 *    (in row groups if the full logits would be large), giving each row its first token
 *    from its last prompt position.
 * 3. Decode: one token per step for every live row, cohort by cohort, feeding each
 *    cohort's cache back.
 * 4. After every step, rows that finished (length, stop, EOS) or whose signal fired are
 *    sliced out of their cohort's cache, so they cost nothing further; cohorts that have
 *    shrunk enough are merged back into one pass.
 * Only the last position's logits of each row are read, as views into the output.
 */
export interface ForwardPass {
  layout: CacheLayout;
  /** Runs the graph; feeds may hold inputs the graph does not declare (ignored). */
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
}

export interface DecodeSettings extends PlanLimits {
  /** Token written into padding positions (masked out, so any id works). */
  padTokenId: number;
}

interface Cohort {
  cache: KvCacheBatch;
  /** Live rows, in cache order. */
  rows: GenerationRow[];
}

export async function decodeBatch(
  forward: ForwardPass,
  rows: readonly GenerationRow[],
  sampler: TokenSampler,
  settings: DecodeSettings,
): Promise<void> {
  const live = rows.filter((row) => !row.cancelIfAborted(performance.now()));
  let cohorts: Cohort[] = [];
  for (const members of planCohorts(live, settings)) {
    const parts: KvCacheBatch[] = [];
    for (const group of planPrefill(members, settings)) {
      parts.push(await prefill(forward, group, sampler, settings));
    }
    const cohort = { cache: KvCacheBatch.concat(parts), rows: members };
    cohort.rows = keepLive(cohort.cache, cohort.rows);
    cohorts.push(cohort);
  }

  cohorts = mergeCohorts(cohorts, settings);
  while (cohorts.length > 0) {
    for (const cohort of cohorts) {
      await decodeStep(forward, cohort, sampler);
    }
    cohorts = mergeCohorts(cohorts, settings);
  }
}

/** Runs one decode step for a cohort's live rows and accepts their next tokens. */
async function decodeStep(
  forward: ForwardPass,
  cohort: Cohort,
  sampler: TokenSampler,
): Promise<void> {
  const now = performance.now();
  for (const row of cohort.rows) {
    row.cancelIfAborted(now);
  }
  cohort.rows = keepLive(cohort.cache, cohort.rows);
  if (cohort.rows.length === 0) {
    return;
  }
  const ones = cohort.rows.map(() => 1);
  const inputIds = BigInt64Array.from(cohort.rows, (row) => BigInt(row.lastToken));
  const feeds = cohort.cache.stepInputs(1, ones);
  feeds.input_ids = new Tensor('int64', inputIds, [cohort.rows.length, 1]);
  const outputs = await forward.run(feeds);
  cohort.cache.advance(outputs, 1, ones);
  pickNextTokens(outputs, cohort.rows, sampler);
  cohort.rows = keepLive(cohort.cache, cohort.rows);
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

/** Drops empty cohorts and merges neighbours whose rows now fit in one pass. */
function mergeCohorts(cohorts: readonly Cohort[], limits: PlanLimits): Cohort[] {
  const merged: Cohort[] = [];
  for (const cohort of cohorts) {
    if (cohort.rows.length === 0) {
      continue;
    }
    const last = merged.at(-1);
    if (last && fitsInPass([...last.rows, ...cohort.rows], limits)) {
      last.cache = KvCacheBatch.concat([last.cache, cohort.cache]);
      last.rows = [...last.rows, ...cohort.rows];
    } else {
      merged.push(cohort);
    }
  }
  return merged;
}
