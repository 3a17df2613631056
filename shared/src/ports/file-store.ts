/**
 * Uploaded files (the OpenAI-compatible surface's Files: batch input files). Content is
 * written and read as a stream of chunks, so a 200 MB upload never sits in memory whole.
 * A file becomes visible (get, list, read) only once all of its content is stored: a
 * failed or interrupted upload leaves nothing behind that a batch could be created from.
 */
export interface StoredFile {
  id: string;
  purpose: string;
  filename: string;
  bytes: number;
  /** Epoch milliseconds. */
  createdAtMs: number;
  /** As NewJob.owner: the API key that uploaded it, null when the API runs open. */
  owner: string | null;
}

export interface FileListQuery {
  owner: string | null;
  purpose: string | null;
  /** Newest first (desc, OpenAI's default) or oldest first. */
  order: 'asc' | 'desc';
  /** Cursor: the id of the last file of the previous page. */
  afterId: string | null;
  limit: number;
}

export interface FileStore {
  /**
   * Stores the content as it arrives and returns the file, visible from then on. If
   * `content` throws (a client gone, a limit passed), nothing is kept and the error is
   * rethrown.
   */
  create(file: Omit<StoredFile, 'bytes'>, content: AsyncIterable<Uint8Array>): Promise<StoredFile>;
  get(id: string): Promise<StoredFile | null>;
  /** Files the owner may see (all when owner is null), in order. */
  list(query: FileListQuery): Promise<StoredFile[]>;
  /** Removes the file and its content. Returns whether it existed. */
  delete(id: string): Promise<boolean>;
  /** The content, in chunks, in order; nothing for a file that does not exist. */
  read(id: string): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
