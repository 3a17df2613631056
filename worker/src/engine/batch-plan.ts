import type { GenerationRow } from './generation-row.ts';

/**
 * How a generate() call's rows are split over forward passes, to bound peak memory.
 *
 * Cohorts: rows that decode together in one forward pass per step. onnxruntime-node holds
 * a step's new KV cache twice (its own output and the copy it hands to JavaScript) next to
 * the cache fed in, so a pass over r rows of up to c columns costs about
 * 3 x r x c x bytesPerRowColumn. A cohort is capped so its output cache
 * (r x c x bytesPerRowColumn) stays within kvBytesPerPass; c is bounded up front by each
 * row's prompt + max_new_tokens, so a cohort never outgrows its cap. Rows are ordered by
 * that bound first, so rows of similar length share a cohort (and little padding).
 *
 * Prefill groups: within a cohort, the prompts run in passes whose full
 * [rows, prompt length, vocab] logits stay within prefillLogitsBytes.
 */
export interface PlanLimits {
  kvBytesPerPass: number;
  /** KV-cache bytes of one row and one column: layers x 2 x heads x head size x 4. */
  kvBytesPerRowColumn: number;
  prefillLogitsBytes: number;
  vocabSize: number;
}

export function planCohorts(rows: readonly GenerationRow[], limits: PlanLimits): GenerationRow[][] {
  const ordered = [...rows].sort(
    (a, b) => a.maxColumns - b.maxColumns || a.promptIds.length - b.promptIds.length,
  );
  return splitWhile(ordered, (group) => fitsInPass(group, limits));
}

/** True when these rows may share one forward pass (see planCohorts). */
export function fitsInPass(rows: readonly GenerationRow[], limits: PlanLimits): boolean {
  const columns = Math.max(0, ...rows.map((row) => row.maxColumns));
  return rows.length * columns * limits.kvBytesPerRowColumn <= limits.kvBytesPerPass;
}

export function planPrefill(rows: readonly GenerationRow[], limits: PlanLimits): GenerationRow[][] {
  return splitWhile(rows, (group) => {
    const width = Math.max(0, ...group.map((row) => row.promptIds.length));
    return group.length * width * limits.vocabSize * 4 <= limits.prefillLogitsBytes;
  });
}

/** Consecutive groups, each as long as `fits` allows; a single row always forms a group. */
function splitWhile<T>(items: readonly T[], fits: (group: T[]) => boolean): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (current.length > 0 && !fits([...current, item])) {
      groups.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) {
    groups.push(current);
  }
  return groups;
}
