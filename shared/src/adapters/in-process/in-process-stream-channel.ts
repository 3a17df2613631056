import type { StreamChannel, StreamChunk } from '../../ports/stream-channel.ts';
import { StreamListeners } from './stream-listeners.ts';

/**
 * The stream channel of the embedded backend (npm start): API and worker are one process,
 * so a chunk is a function call to the job's listeners, no copy, no I/O.
 */
export class InProcessStreamChannel implements StreamChannel {
  private readonly listeners = new StreamListeners();

  async publish(chunk: StreamChunk): Promise<void> {
    this.listeners.deliver(chunk);
  }

  listen(jobId: string, onChunk: (chunk: StreamChunk) => void): () => void {
    return this.listeners.add(jobId, onChunk);
  }

  listenAll(onChunk: (chunk: StreamChunk) => void): () => void {
    return this.listeners.addAll(onChunk);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
