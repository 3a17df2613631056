import type {
  CollectionReference,
  DocumentReference,
  DocumentSnapshot,
  Firestore,
} from '@google-cloud/firestore';
import {
  maxRecordedAttempts,
  type WebhookAttempt,
  type WebhookDeliveryState,
  type WebhookEvent,
} from '../../domain/webhook-event.ts';
import type { WebhookEventStore } from '../../ports/webhook-event-store.ts';
import {
  documentToWebhookEvent,
  eventDocumentId,
  latestRound,
  newWebhookEventDocument,
  type WebhookEventDocument,
  webhookEventsCollection,
} from './webhook-event-documents.ts';

export interface FirestoreWebhookEventStoreOptions {
  /** The same prefix as the FirestoreJobStore's: the events live beside its jobs. */
  collectionPrefix: string;
  retentionDays: number;
}

const failedPrecondition = 9;
const alreadyExists = 6;
const maxRounds = 10;
const dayMs = 86_400_000;
/** Open batches looked at per recordBatchCompletions call. */
const batchesPerSweep = 100;

type Decide = (event: WebhookEventDocument) => Partial<WebhookEventDocument> | null;

/**
 * Webhook events on Firestore (see webhook-event-documents.ts for the layout). Jobs' events
 * arrive with their terminal transitions, written by FirestoreJobStore; batch.completed is
 * recorded here by recordBatchCompletions, which the delivery worker calls every few
 * seconds: batches still owing their event whose jobs are all terminal get it, created once
 * (ALREADY_EXISTS for anyone else). Every other change is a compare-and-set on the event's
 * document (update-time precondition), as the job store's transitions are.
 *
 * Composite indexes (production): webhook_events (dispatchedAtMs, createdAtMs) and
 * (state, nextAttemptAtMs); jobs (batchId, status).
 */
export class FirestoreWebhookEventStore implements WebhookEventStore {
  readonly #db: Firestore;
  readonly #events: CollectionReference;
  readonly #batches: CollectionReference;
  readonly #jobs: CollectionReference;
  readonly #retentionMs: number;

  /** Takes ownership of the client: close() terminates it. */
  constructor(db: Firestore, options: FirestoreWebhookEventStoreOptions) {
    this.#db = db;
    this.#events = db.collection(`${options.collectionPrefix}${webhookEventsCollection}`);
    this.#batches = db.collection(`${options.collectionPrefix}batches`);
    this.#jobs = db.collection(`${options.collectionPrefix}jobs`);
    this.#retentionMs = options.retentionDays * dayMs;
  }

  async recordBatchCompletions(nowMs: number): Promise<number> {
    const owing = await this.#batches
      .where('completionEventPending', '==', true)
      .limit(batchesPerSweep)
      .get();
    let recorded = 0;
    for (const batch of owing.docs) {
      const collections = { events: this.#events, jobs: this.#jobs };
      if (await recordBatchCompletion(batch, collections, nowMs, this.#retentionMs)) {
        recorded += 1;
      }
    }
    return recorded;
  }

  async listUndispatched(limit: number): Promise<WebhookEvent[]> {
    const snapshot = await this.#events
      .where('dispatchedAtMs', '==', null)
      .orderBy('createdAtMs')
      .limit(limit)
      .get();
    return snapshot.docs.map((document) => documentToWebhookEvent(document.data()));
  }

  async markDispatched(id: string, payload: string, nowMs: number): Promise<void> {
    const ref = await this.#refOf(id);
    if (ref !== null) {
      await this.#update(ref, (event) => ({
        dispatchedAtMs: nowMs,
        payload: event.payload ?? payload,
      }));
    }
  }

  async listStale(nowMs: number, staleAfterMs: number, limit: number): Promise<WebhookEvent[]> {
    const before = nowMs - staleAfterMs;
    const snapshot = await this.#events
      .where('state', '==', 'pending')
      .where('nextAttemptAtMs', '<=', before)
      .orderBy('nextAttemptAtMs')
      .limit(limit * 4)
      .get();
    return snapshot.docs
      .map((document) => document.data() as WebhookEventDocument)
      .filter(
        (event) =>
          event.dispatchedAtMs !== null &&
          event.dispatchedAtMs <= before &&
          !isLeased(event, nowMs),
      )
      .slice(0, limit)
      .map(documentToWebhookEvent);
  }

  async getEvent(id: string): Promise<WebhookEvent | null> {
    const ref = await this.#refOf(id);
    if (ref === null) {
      return null;
    }
    const snapshot = await ref.get();
    return snapshot.exists ? documentToWebhookEvent(snapshot.data() ?? {}) : null;
  }

  async getEventFor(subjectId: string): Promise<WebhookEvent | null> {
    const latest = await this.#latestRefOf(subjectId);
    if (latest === null) {
      return null;
    }
    const snapshot = await latest.get();
    return snapshot.exists ? documentToWebhookEvent(snapshot.data() ?? {}) : null;
  }

  async claimAttempt(
    id: string,
    workerId: string,
    leaseMs: number,
    nowMs: number,
  ): Promise<WebhookEvent | null> {
    const ref = await this.#refOf(id);
    if (ref === null) {
      return null;
    }
    const outcome = await this.#update(ref, (event) =>
      event.state === 'pending' && (event.nextAttemptAtMs ?? 0) <= nowMs && !isLeased(event, nowMs)
        ? { leaseOwner: workerId, leaseExpiresAtMs: nowMs + leaseMs }
        : null,
    );
    return outcome.changed ? outcome.event : null;
  }

  async finishAttempt(
    id: string,
    workerId: string,
    attempt: WebhookAttempt,
    next: { state: WebhookDeliveryState; nextAttemptAtMs: number | null },
  ): Promise<boolean> {
    const ref = await this.#refOf(id);
    if (ref === null) {
      return false;
    }
    const outcome = await this.#update(ref, (event) =>
      event.state === 'pending' && event.leaseOwner === workerId
        ? {
            attempts: [...event.attempts, attempt].slice(-maxRecordedAttempts),
            scheduleAttempts: event.scheduleAttempts + 1,
            state: next.state,
            nextAttemptAtMs: next.state === 'pending' ? next.nextAttemptAtMs : null,
            leaseOwner: null,
            leaseExpiresAtMs: null,
          }
        : null,
    );
    return outcome.changed;
  }

  async redeliver(
    subjectId: string,
    nowMs: number,
  ): Promise<{ event: WebhookEvent; restarted: boolean } | null> {
    const latest = await this.#latestRefOf(subjectId);
    if (latest === null) {
      return null;
    }
    const outcome = await this.#update(latest, (event) =>
      isLeased(event, nowMs)
        ? null
        : {
            state: 'pending',
            scheduleAttempts: 0,
            nextAttemptAtMs: nowMs,
            dispatchedAtMs: null,
          },
    );
    return outcome.event === null ? null : { event: outcome.event, restarted: outcome.changed };
  }

  async close(): Promise<void> {
    await this.#db.terminate();
  }

  /**
   * The document of the subject's latest round. A subject has one event per round (one
   * unless it was retried), so reading them all by the single-field index costs a read or two.
   */
  async #latestRefOf(subjectId: string): Promise<DocumentReference | null> {
    const snapshot = await this.#events.where('subjectId', '==', subjectId).get();
    return latestRound(snapshot.docs)?.ref ?? null;
  }

  /** The document of an event id (documents are keyed by subject). */
  async #refOf(id: string): Promise<DocumentReference | null> {
    const snapshot = await this.#events.where('id', '==', id).limit(1).get();
    return snapshot.docs[0]?.ref ?? null;
  }

  /** Read, decide, write if unchanged since the read; again on a lost race. */
  async #update(
    ref: DocumentReference,
    decide: Decide,
  ): Promise<{ event: WebhookEvent | null; changed: boolean }> {
    for (let round = 1; ; round += 1) {
      const snapshot: DocumentSnapshot = await ref.get();
      if (!snapshot.exists || snapshot.updateTime === undefined) {
        return { event: null, changed: false };
      }
      const current = snapshot.data() as WebhookEventDocument;
      const changes = decide(current);
      if (changes === null) {
        return { event: documentToWebhookEvent(current), changed: false };
      }
      try {
        await ref.update(changes, { lastUpdateTime: snapshot.updateTime });
        return { event: documentToWebhookEvent({ ...current, ...changes }), changed: true };
      } catch (error) {
        if ((error as { code?: unknown }).code !== failedPrecondition || round >= maxRounds) {
          throw error;
        }
      }
    }
  }
}

/**
 * Records the batch.completed the batch owes for its current round (its `retries`), once
 * none of its jobs is open and no retry is still re-queueing rows. Exactly once: the event
 * document's create() fails for anyone else. The owed flag is then cleared only on the
 * version read here, so a retry that started meanwhile (and owes the next round) keeps it.
 * Returns whether this call created the event. Used by the sweep and by a retry, which
 * first settles the round it ends.
 */
export async function recordBatchCompletion(
  batch: DocumentSnapshot,
  collections: { events: CollectionReference; jobs: CollectionReference },
  nowMs: number,
  retentionMs: number,
): Promise<boolean> {
  if (batch.get('retrying') === true) {
    return false;
  }
  const open = await collections.jobs
    .where('batchId', '==', batch.id)
    .where('status', 'in', ['queued', 'running'])
    .limit(1)
    .get();
  if (!open.empty) {
    return false;
  }
  const last = await collections.jobs
    .where('batchId', '==', batch.id)
    .orderBy('finishedAtMs', 'desc')
    .limit(1)
    .get();
  const atMs = last.docs[0]?.get('finishedAtMs') ?? nowMs;
  const round = Number(batch.get('retries') ?? 0);
  const event = newWebhookEventDocument(
    'batch.completed',
    batch.id,
    batch.get('webhook').url,
    atMs,
    nowMs + retentionMs,
    round,
  );
  let created = false;
  try {
    await collections.events.doc(eventDocumentId(batch.id, round)).create(event);
    created = true;
  } catch (error) {
    if ((error as { code?: unknown }).code !== alreadyExists) {
      throw error;
    }
  }
  try {
    await batch.ref.update(
      { completionEventPending: false },
      batch.updateTime === undefined ? {} : { lastUpdateTime: batch.updateTime },
    );
  } catch (error) {
    if ((error as { code?: unknown }).code !== failedPrecondition) {
      throw error;
    }
  }
  return created;
}

function isLeased(event: WebhookEventDocument, nowMs: number): boolean {
  return (
    event.leaseOwner !== null && event.leaseExpiresAtMs !== null && event.leaseExpiresAtMs > nowMs
  );
}
