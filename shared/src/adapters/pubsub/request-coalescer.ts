/**
 * Gathers ids added in the same turn of the event loop into one request per key. The
 * worker acks, nacks and extends a whole micro-batch at once, one message at a time
 * through the port; this turns those calls into one Acknowledge or ModifyAckDeadline RPC
 * (per deadline value). Every caller's promise settles with its request.
 */
export class RequestCoalescer {
  readonly #send: (key: string, ids: string[]) => Promise<void>;
  readonly #maxIdsPerRequest: number;
  readonly #pending = new Map<string, { ids: string[]; settled: PromiseWithResolvers<void> }>();

  constructor(send: (key: string, ids: string[]) => Promise<void>, maxIdsPerRequest: number) {
    this.#send = send;
    this.#maxIdsPerRequest = maxIdsPerRequest;
  }

  add(key: string, id: string): Promise<void> {
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      entry = { ids: [], settled: Promise.withResolvers<void>() };
      this.#pending.set(key, entry);
      setImmediate(() => void this.#flush(key));
    }
    entry.ids.push(id);
    return entry.settled.promise;
  }

  async #flush(key: string): Promise<void> {
    const entry = this.#pending.get(key);
    if (entry === undefined) {
      return;
    }
    this.#pending.delete(key);
    try {
      for (let start = 0; start < entry.ids.length; start += this.#maxIdsPerRequest) {
        await this.#send(key, entry.ids.slice(start, start + this.#maxIdsPerRequest));
      }
      entry.settled.resolve();
    } catch (error) {
      entry.settled.reject(error);
    }
  }
}
