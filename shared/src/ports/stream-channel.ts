/**
 * Live output from the workers to the API processes: pieces of a job's text while it
 * generates, for the SSE stream. Best effort by design: the job record stays the source of
 * truth, so a lost or late chunk never changes the final text (a stream that misses one
 * catches up from the record, see the stream route). Chunks of one job may reach a
 * listener out of order or twice (redelivery); `attempt` and `offset` let it place each.
 */
export interface StreamChunk {
  jobId: string;
  /** The job's attempt (its claim count) that produced the text: a re-queued job starts again. */
  attempt: number;
  /** Where `text` starts, in UTF-16 code units, in that attempt's text. */
  offset: number;
  text: string;
  /**
   * Epoch ms when the worker handed the chunk to the channel, for the token-to-client
   * latency bench (bench:stream); absent from older workers.
   */
  sentAtMs?: number;
}

export interface StreamChannel {
  /**
   * Sends a chunk to every API process listening for its job. Resolves once handed to the
   * backend; a chunk no one listens for is dropped. Never blocks generation (the caller
   * does not await it between decode steps).
   */
  publish(chunk: StreamChunk): Promise<void>;
  /**
   * Calls onChunk with each chunk of the job published from now on (in this process or, on
   * a shared backend, any other) until the returned function is called.
   */
  listen(jobId: string, onChunk: (chunk: StreamChunk) => void): () => void;
  /**
   * Calls onChunk with every job's chunks from now on, until the returned function is
   * called: an API process keeps each running job's text so far with it, so a stream that
   * opens late still starts at the job's first character.
   */
  listenAll(onChunk: (chunk: StreamChunk) => void): () => void;
  /** Stops listening and releases the backend's resources (a subscription). */
  close(): Promise<void>;
}
