import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/**
 * The KV-cache budget and the batch size a user who sets nothing gets.
 *
 * Budget: half of what the container can spare after the model. The model costs about
 * three times its weight files while running (onnxruntime's copy of the weights, its
 * arena for activations, the logits and the engine thread's heap), and a fixed 256 MiB
 * covers the rest of the process (API, store, queue). The limit is the cgroup's (a Cloud
 * Run instance's memory setting) where there is one, else the machine's memory.
 *
 * Batch size: bench:engine measured 32 rows as the fastest batch on 2 cores (tokens/s
 * still rising from 8 to 32, flat beyond), so the default is 32 rows, fewer when the
 * budget cannot hold that many rows of a typical length (a short prompt + 256 new tokens).
 */
export const BEST_MEASURED_BATCH = 32;
const TYPICAL_ROW_COLUMNS = 320;
const PROCESS_RESERVE_BYTES = 256 * 2 ** 20;

/** The memory this process may use: the cgroup limit (v2, then v1) or the machine's. */
export function memoryLimitBytes(): number {
  const machine = totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const limit = Number(text);
      if (text !== 'max' && Number.isFinite(limit) && limit > 0) {
        return Math.min(limit, machine);
      }
    } catch {
      // No such cgroup file here: try the next, then the machine.
    }
  }
  return machine;
}

export function defaultKvBudgetBytes(weightBytes: number, limitBytes = memoryLimitBytes()): number {
  const spare = limitBytes - 3 * weightBytes - PROCESS_RESERVE_BYTES;
  return Math.max(0, Math.floor(spare / 2));
}

/** Rows of a typical length the budget holds, at most BEST_MEASURED_BATCH, at least 1. */
export function defaultMaxBatch(budgetBytes: number, bytesPerRowColumn: number): number {
  const rows = Math.floor(budgetBytes / (TYPICAL_ROW_COLUMNS * bytesPerRowColumn));
  return Math.max(1, Math.min(BEST_MEASURED_BATCH, rows));
}
