import { setTimeout as delay } from 'node:timers/promises';
import type { QueueMessage } from '@warmgen/shared/ports/job-queue.ts';
import type { RunLoopQueue } from '../run-loop-ports.ts';

interface StoredMessage {
  readonly id: number;
  readonly jobId: string;
  deliveryAttempt: number;
  /** The ackId of the current delivery; older ones no longer act on the message. */
  ackId: string | null;
  leasedUntilMs: number;
  dead: boolean;
}

export interface InMemoryJobQueue extends RunLoopQueue {
  publish(jobIds: string[]): Promise<void>;
  /** Messages not yet acked (live or dead). */
  readonly messages: Map<number, StoredMessage>;
  /** Every call that acted, in order: `${call}:${jobId}`. */
  readonly calls: string[];
  count(call: string, jobId?: string): number;
}

/**
 * A plain-object queue with the port's semantics: leased pulls that wait for a first
 * message, redelivery on nack or lease expiry with deliveryAttempt + 1, and the
 * dead-letter path once a message would be delivered more than maxAttempts times.
 */
export function createInMemoryJobQueue(maxAttempts = 5): InMemoryJobQueue {
  const messages = new Map<number, StoredMessage>();
  const calls: string[] = [];
  let nextId = 1;
  let nextAck = 1;

  const find = (message: QueueMessage): StoredMessage | undefined =>
    [...messages.values()].find((stored) => stored.ackId === message.ackId);
  const deliver = (stored: StoredMessage, leaseMs: number): QueueMessage => {
    stored.deliveryAttempt += 1;
    stored.ackId = `ack-${nextAck++}`;
    stored.leasedUntilMs = Date.now() + leaseMs;
    return { ackId: stored.ackId, jobId: stored.jobId, deliveryAttempt: stored.deliveryAttempt };
  };
  const takeAvailable = (max: number, leaseMs: number): QueueMessage[] => {
    const out: QueueMessage[] = [];
    for (const stored of messages.values()) {
      if (out.length >= max) {
        break;
      }
      if (stored.dead || stored.leasedUntilMs > Date.now()) {
        continue;
      }
      if (stored.deliveryAttempt >= maxAttempts) {
        stored.dead = true;
        stored.ackId = `dead-${stored.id}`;
        calls.push(`dead:${stored.jobId}`);
        continue;
      }
      out.push(deliver(stored, leaseMs));
    }
    return out;
  };

  return {
    messages,
    calls,
    count: (call, jobId) =>
      calls.filter((entry) => (jobId ? entry === `${call}:${jobId}` : entry.startsWith(`${call}:`)))
        .length,
    async publish(jobIds) {
      for (const jobId of jobIds) {
        const id = nextId++;
        messages.set(id, {
          id,
          jobId,
          deliveryAttempt: 0,
          ackId: null,
          leasedUntilMs: 0,
          dead: false,
        });
      }
    },
    async pull(max, leaseMs, waitMs) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const out = takeAvailable(max, leaseMs);
        if (out.length > 0 || Date.now() >= deadline) {
          for (const message of out) {
            calls.push(`pull:${message.jobId}`);
          }
          return out;
        }
        await delay(Math.min(5, Math.max(1, deadline - Date.now())));
      }
    },
    async ack(message) {
      const stored = find(message);
      if (stored && !stored.dead) {
        messages.delete(stored.id);
        calls.push(`ack:${message.jobId}`);
      }
    },
    async nack(message) {
      const stored = find(message);
      if (stored && !stored.dead) {
        stored.leasedUntilMs = 0;
        calls.push(`nack:${message.jobId}`);
      }
    },
    async extendLease(message, leaseMs) {
      const stored = find(message);
      if (!stored || stored.dead) {
        throw new Error(`extendLease: ${message.ackId} is not a current delivery`);
      }
      stored.leasedUntilMs = Date.now() + leaseMs;
      calls.push(`extend:${message.jobId}`);
    },
    async pullDeadLetters(max) {
      return [...messages.values()]
        .filter((stored) => stored.dead)
        .slice(0, max)
        .map((stored) => ({
          ackId: stored.ackId!,
          jobId: stored.jobId,
          deliveryAttempt: stored.deliveryAttempt,
        }));
    },
    async ackDeadLetter(message) {
      const stored = find(message);
      if (stored?.dead) {
        messages.delete(stored.id);
        calls.push(`ackDead:${message.jobId}`);
      }
    },
  };
}
