/**
 * What the job queue and the webhook delivery queue share (both wrap one id-queue core per
 * backend): ids go in, messages come out leased to the puller, and come back when the lease
 * runs out unless acked. Each queue's own port adds what only it does.
 */
export interface LeasedIdQueue<Message> {
  publish(ids: string[]): Promise<void>;
  /**
   * Up to max messages, leased for leaseMs. Waits up to waitMs for the first one; returns
   * an empty array when none arrived.
   */
  pull(max: number, leaseMs: number, waitMs: number): Promise<Message[]>;
  /** Done with the message: it never comes back. */
  ack(message: Message): Promise<void>;
  close(): Promise<void>;
}
