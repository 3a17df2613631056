/** Reads the worker's batch-size histogram from the service's /metrics (Prometheus text). */
export interface BatchSizeTotals {
  batches: number;
  rows: number;
}

export async function batchSizeTotals(baseUrl: string): Promise<BatchSizeTotals> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const read = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return {
    batches: read('warmgen_worker_batch_size_count'),
    rows: read('warmgen_worker_batch_size_sum'),
  };
}

/** Mean rows per generate call between two readings. */
export function meanBatchSize(before: BatchSizeTotals, after: BatchSizeTotals): number {
  const batches = after.batches - before.batches;
  return batches === 0 ? Number.NaN : (after.rows - before.rows) / batches;
}
