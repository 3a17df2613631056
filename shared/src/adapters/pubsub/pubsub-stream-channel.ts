import { randomBytes } from 'node:crypto';
import type { Message, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import type { StreamChannel, StreamChunk } from '../../ports/stream-channel.ts';
import { StreamListeners } from '../in-process/stream-listeners.ts';
import { ignoreExisting } from './pubsub-topology.ts';
import { decodeChunks, encodeChunks } from './stream-chunk-message.ts';

export interface PubSubStreamNames {
  /** The one topic every worker publishes its rows' chunks to. */
  topic: string;
  /** Start of each API process's own subscription id (a random end is added). */
  subscriptionPrefix: string;
}

/** Least expiry Pub/Sub allows: the subscription of an API process that died goes by itself. */
const orphanExpirySeconds = 24 * 3600;
/** Least retention Pub/Sub allows; a chunk older than this is useless to a live stream. */
const retentionSeconds = 600;
/**
 * Chunks published within this window go out as one message (stream-chunk-message.ts says
 * why): the engine hands out a decode step's rows together, so one message per step. The
 * window is the latency it adds, the same 10 ms the library's own batching waited before.
 */
const batchWindowMs = 10;
/** A message is sent at once when its chunks reach this size (Pub/Sub allows 10 MB). */
const maxBatchBytes = 256 * 1024;

interface PendingBatch {
  chunks: StreamChunk[];
  bytes: number;
  timer: NodeJS.Timeout;
  sent: PromiseWithResolvers<void>;
}

/**
 * The stream channel on Google Cloud: one Pub/Sub topic, and a subscription per API process
 * (made when it starts, deleted when it stops) that receives every chunk; each process
 * hands a chunk to its own listeners for the job and acks it either way. See
 * docs/live-output.md for why Pub/Sub and not Firestore chunk documents (latency, cost per
 * 1,000 tokens, Firestore's one-write-per-second-per-document guidance). Chunks are acked
 * on receipt, never redelivered on purpose: a late chunk is worth less than none, since the
 * job record fills any gap.
 */
export class PubSubStreamChannel implements StreamChannel {
  private readonly topic: Topic;
  private readonly subscription: Subscription | null;
  private readonly listeners = new StreamListeners();
  private pending: PendingBatch | null = null;

  private constructor(topic: Topic, subscription: Subscription | null) {
    this.topic = topic;
    this.subscription = subscription;
    subscription?.on('message', (message: Message) => this.receive(message));
    // A stream error (the service restarting) is retried by the library; nothing to add.
    subscription?.on('error', () => {});
  }

  /**
   * A worker's channel (publish only) or, with `listen`, an API process's, whose own
   * subscription exists before this resolves (so nothing published after it is missed).
   */
  static async open(
    pubsub: PubSub,
    names: PubSubStreamNames,
    options: { listen: boolean },
  ): Promise<PubSubStreamChannel> {
    // Each message is already a batch of chunks (see publish): send it at once.
    const topic = pubsub.topic(names.topic, { batching: { maxMessages: 1 } });
    if (!options.listen) {
      return new PubSubStreamChannel(topic, null);
    }
    const id = `${names.subscriptionPrefix}-${randomBytes(6).toString('hex')}`;
    const [subscription] = await topic.createSubscription(id, {
      ackDeadlineSeconds: 10,
      expirationPolicy: { ttl: { seconds: orphanExpirySeconds } },
      messageRetentionDuration: { seconds: retentionSeconds },
    });
    return new PubSubStreamChannel(topic, subscription);
  }

  /** Creates the topic if missing (dev and tests; Terraform in production). */
  static async ensureTopic(pubsub: PubSub, names: PubSubStreamNames): Promise<void> {
    await ignoreExisting(pubsub.createTopic(names.topic));
  }

  publish(chunk: StreamChunk): Promise<void> {
    const batch = this.pending ?? this.startBatch();
    batch.chunks.push(chunk);
    // UTF-8 is at most 3 bytes per UTF-16 code unit; the rest is the chunk's other fields.
    batch.bytes += chunk.text.length * 3 + 128;
    if (batch.bytes >= maxBatchBytes) {
      this.sendPending();
    }
    return batch.sent.promise;
  }

  private startBatch(): PendingBatch {
    const sent = Promise.withResolvers<void>();
    // Every caller gets this promise and handles it; this keeps a failure from also being
    // reported as unhandled.
    sent.promise.catch(() => {});
    const timer = setTimeout(() => this.sendPending(), batchWindowMs);
    timer.unref();
    this.pending = { chunks: [], bytes: 0, timer, sent };
    return this.pending;
  }

  private sendPending(): void {
    const batch = this.pending;
    if (batch === null) {
      return;
    }
    this.pending = null;
    clearTimeout(batch.timer);
    this.topic
      .publishMessage({ data: encodeChunks(batch.chunks) })
      .then(() => batch.sent.resolve(), batch.sent.reject);
  }

  listen(jobId: string, onChunk: (chunk: StreamChunk) => void): () => void {
    if (this.subscription === null) {
      throw new Error('this stream channel was opened to publish only');
    }
    return this.listeners.add(jobId, onChunk);
  }

  listenAll(onChunk: (chunk: StreamChunk) => void): () => void {
    if (this.subscription === null) {
      throw new Error('this stream channel was opened to publish only');
    }
    return this.listeners.addAll(onChunk);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.sendPending();
    await this.topic.flush().catch(() => undefined);
    if (this.subscription !== null) {
      await this.subscription.close();
      await this.subscription.delete().catch(() => undefined);
    }
  }

  private receive(message: Message): void {
    message.ack();
    for (const chunk of decodeChunks(message.data)) {
      if (this.listeners.has(chunk.jobId)) {
        this.listeners.deliver(chunk);
      }
    }
  }
}
