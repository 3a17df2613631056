import type { StreamChunk } from '../../ports/stream-channel.ts';

/**
 * A process's listeners for live output, by job: what every stream channel adapter keeps
 * on the receiving side, whatever carried the chunk there.
 */
export class StreamListeners {
  private readonly byJob = new Map<string, Set<(chunk: StreamChunk) => void>>();
  /** Listeners of every job's chunks. */
  private readonly all = new Set<(chunk: StreamChunk) => void>();

  /** Whether a chunk of the job has anyone to go to (so a backend can skip parsing it). */
  has(jobId: string): boolean {
    return this.all.size > 0 || this.byJob.has(jobId);
  }

  addAll(onChunk: (chunk: StreamChunk) => void): () => void {
    const listener = (chunk: StreamChunk) => onChunk(chunk);
    this.all.add(listener);
    return () => {
      this.all.delete(listener);
    };
  }

  add(jobId: string, onChunk: (chunk: StreamChunk) => void): () => void {
    let set = this.byJob.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.byJob.set(jobId, set);
    }
    // A wrapper: the same function listening twice is two listeners, removed one by one.
    const listener = (chunk: StreamChunk) => onChunk(chunk);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byJob.get(jobId) === set) {
        this.byJob.delete(jobId);
      }
    };
  }

  deliver(chunk: StreamChunk): void {
    for (const onChunk of [...this.all, ...(this.byJob.get(chunk.jobId) ?? [])]) {
      try {
        onChunk(chunk);
      } catch {
        // One listener's failure must not reach the publisher nor the other listeners.
      }
    }
  }

  clear(): void {
    this.all.clear();
    this.byJob.clear();
  }
}
