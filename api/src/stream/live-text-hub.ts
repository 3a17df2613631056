import type { StreamChannel, StreamChunk } from '@warmgen/shared/ports/stream-channel.ts';

/** A job's text so far in its latest attempt, as this process has heard it. */
export interface LiveText {
  attempt: number;
  text: string;
  /** When the worker sent the newest chunk heard (StreamChunk.sentAtMs); null: unknown. */
  sentAtMs: number | null;
}

interface Entry extends LiveText {
  /** Chunks that came before the ones they follow, by offset, until the gap fills. */
  early: Map<number, string>;
  heardAtMs: number;
}

export interface LiveTextHubOptions {
  /** Jobs whose text is kept; the least recently heard goes first. */
  maxJobs: number;
  /** A job not heard from for this long is forgotten (it finished or its worker died). */
  idleMs: number;
  now: () => number;
}

const defaultOptions: LiveTextHubOptions = {
  maxJobs: 10_000,
  // Pub/Sub's retention for the channel: a chunk older than this cannot arrive anyway.
  idleMs: 10 * 60_000,
  now: Date.now,
};

/**
 * One per API process: every running job's text so far, assembled from the stream
 * channel's chunks (placed by attempt and offset, so a late or repeated chunk changes
 * nothing), so a stream that opens late or reconnects starts at the job's first character
 * without asking the worker. Watchers of a job are told when its text grows.
 */
export class LiveTextHub {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly options: LiveTextHubOptions;
  private readonly unlisten: () => void;

  constructor(
    channel: Pick<StreamChannel, 'listenAll'> | null,
    options: Partial<LiveTextHubOptions> = {},
  ) {
    this.options = { ...defaultOptions, ...options };
    this.unlisten = channel?.listenAll((chunk) => this.hear(chunk)) ?? (() => {});
  }

  /** The job's latest attempt's text as far as it is contiguous from its start; null: none heard. */
  textOf(jobId: string): LiveText | null {
    const entry = this.entries.get(jobId);
    return entry === undefined
      ? null
      : { attempt: entry.attempt, text: entry.text, sentAtMs: entry.sentAtMs };
  }

  /** Calls onChange whenever the job's live text changes, until the returned function is called. */
  watch(jobId: string, onChange: () => void): () => void {
    let set = this.watchers.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(jobId, set);
    }
    const watcher = () => onChange();
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(jobId) === set) {
        this.watchers.delete(jobId);
      }
    };
  }

  close(): void {
    this.unlisten();
    this.entries.clear();
    this.watchers.clear();
  }

  private hear(chunk: StreamChunk): void {
    const nowMs = this.options.now();
    let entry = this.entries.get(chunk.jobId);
    if (entry === undefined || chunk.attempt > entry.attempt) {
      // A re-queued job starts again: its new attempt's text replaces the old one's.
      entry = {
        attempt: chunk.attempt,
        text: '',
        early: new Map(),
        heardAtMs: nowMs,
        sentAtMs: null,
      };
    } else if (chunk.attempt < entry.attempt) {
      return;
    }
    const before = entry.text.length;
    place(entry, chunk);
    entry.heardAtMs = nowMs;
    entry.sentAtMs = chunk.sentAtMs ?? null;
    // Re-inserted: the map's order is the order jobs were last heard from.
    this.entries.delete(chunk.jobId);
    this.entries.set(chunk.jobId, entry);
    this.forgetOld(nowMs);
    if (entry.text.length !== before || before === 0) {
      for (const watcher of this.watchers.get(chunk.jobId) ?? []) {
        watcher();
      }
    }
  }

  private forgetOld(nowMs: number): void {
    for (const [jobId, entry] of this.entries) {
      if (
        this.entries.size <= this.options.maxJobs &&
        nowMs - entry.heardAtMs < this.options.idleMs
      ) {
        return;
      }
      this.entries.delete(jobId);
    }
  }
}

/** Adds a chunk's text where it belongs: at the end, past it (held), or over known text. */
function place(entry: Entry, chunk: StreamChunk): void {
  const end = chunk.offset + chunk.text.length;
  if (chunk.offset > entry.text.length) {
    entry.early.set(chunk.offset, chunk.text);
    return;
  }
  if (end > entry.text.length) {
    entry.text += chunk.text.slice(entry.text.length - chunk.offset);
  }
  // Held chunks that now touch the end follow it.
  for (let grew = true; grew && entry.early.size > 0; ) {
    grew = false;
    for (const [offset, text] of entry.early) {
      if (offset <= entry.text.length) {
        entry.early.delete(offset);
        if (offset + text.length > entry.text.length) {
          entry.text += text.slice(entry.text.length - offset);
        }
        grew = true;
      }
    }
  }
}
