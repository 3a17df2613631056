import type { FileStore } from './file-store.ts';

/**
 * What an OpenAI batch adds to the warmgen batch of the same id: where its lines came
 * from, its window and metadata, and the moments OpenAI's batch object reports. The jobs
 * themselves live in the job store (one store, one queue): the record never duplicates a
 * line, a status or a count. A file that fails validation gets a record with `errors` and
 * no warmgen batch at all, as OpenAI's batch goes to `failed` without running a line.
 */
export interface BatchLineError {
  code: string;
  message: string;
  /** 1-based line of the input file; null for errors about the whole file. */
  line: number | null;
  param: string | null;
}

export interface OpenAiBatchRecord {
  /** The warmgen batch id. */
  id: string;
  owner: string | null;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  /** Request lines in the input file. */
  total: number;
  /** Validation errors; non-null means the batch failed and has no jobs. */
  errors: BatchLineError[] | null;
  createdAtMs: number;
  expiresAtMs: number;
  /**
   * Set once, by the first of cancel, expiry or the observation that every job finished;
   * a retry clears all three (reopen). The summed usage is the warmgen batch's (Batch.usage).
   */
  cancellingAtMs: number | null;
  expiredAtMs: number | null;
  finishedAtMs: number | null;
}

/** Which moment a mark records (each is written at most once). */
export type BatchMoment = 'cancellingAtMs' | 'expiredAtMs' | 'finishedAtMs';

export interface OpenAiBatchStore {
  create(record: OpenAiBatchRecord): Promise<void>;
  get(id: string): Promise<OpenAiBatchRecord | null>;
  /** Newest first; afterId is the last id of the previous page. */
  list(query: {
    owner: string | null;
    afterId: string | null;
    limit: number;
  }): Promise<OpenAiBatchRecord[]>;
  /** Sets the moment if it is still null; returns the record after the call. */
  mark(id: string, moment: BatchMoment, atMs: number): Promise<OpenAiBatchRecord | null>;
  /**
   * A retry: the batch runs again in a new window. Clears the three moments and sets
   * expiresAtMs; returns the record after the call, or null when there is none.
   */
  reopen(id: string, expiresAtMs: number): Promise<OpenAiBatchRecord | null>;
  close(): Promise<void>;
}

/** What /openai/v1 Files and Batches need from a backend. */
export interface OpenAiStores {
  files: FileStore;
  batches: OpenAiBatchStore;
}
