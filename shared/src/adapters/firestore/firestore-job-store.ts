import type {
  CollectionReference,
  DocumentSnapshot,
  Firestore,
  QueryDocumentSnapshot,
} from '@google-cloud/firestore';
import {
  type Batch,
  type Job,
  type NewJob,
  queuedJob,
  type StatusCounts,
} from '../../domain/job.ts';
// Each method's input type (ClaimJob, FailJob, ...), named after the method.
import type * as Input from '../../ports/job-store.ts';
import type { JobStore } from '../../ports/job-store.ts';
import { type CommitLimits, createAllThenLast, deleteAll } from './batch-writes.ts';
import { type AlsoCreate, type ConditionalOutcome, updateIfAllowed } from './conditional-update.ts';
import { createJobsWithKeys } from './create-jobs-with-keys.ts';
import { recordBatchCompletion } from './firestore-webhook-event-store.ts';
import {
  type BatchDocument,
  batchDocument,
  documentToBatch,
  documentToJob,
  type JobDocument,
  newJobDocument,
} from './job-documents.ts';
import * as transitions from './job-transitions.ts';
import { countByStatus } from './status-counts.ts';
import {
  eventDocumentId,
  generationEventOf,
  newWebhookEventDocument,
  webhookEventsCollection,
} from './webhook-event-documents.ts';

export interface FirestoreJobStoreOptions {
  /** Collections are `${prefix}jobs`, `${prefix}batches` and `${prefix}idempotency_keys`. */
  collectionPrefix: string;
  /** How long finished jobs (and batches, and idempotency keys) are kept: expireAt. */
  retentionDays: number;
  commitLimits?: Partial<CommitLimits>;
  /**
   * Jobs of a batch whose creation never finished (the process died between commits) are
   * deleted by listUnpublished once they are this much older than its cutoff.
   */
  abandonedBatchGraceMs?: number;
}

const defaults = {
  commitLimits: { maxWritesPerCommit: 500, maxCommitBytes: 8 * 1024 * 1024 },
  /** Far longer than any batch creation takes, so one still running is never touched. */
  abandonedBatchGraceMs: 10 * 60_000,
};
const dayMs = 86_400_000;
/** Jobs per page when cancelBatch walks a batch. */
const cancelPageSize = 500;

/**
 * The job store on Firestore. Each state change is a conditional write on the job's
 * document (see conditional-update.ts), so a job is completed exactly once whatever the
 * queue delivers. Creation with idempotency keys is a transaction (the key document is
 * created with the job); counts are count() aggregations (see status-counts.ts). Terminal
 * jobs get expireAt for a TTL policy. Indexes: infra/firestore-indexes.json.
 */
export class FirestoreJobStore implements JobStore {
  readonly #db: Firestore;
  readonly #jobs: CollectionReference;
  readonly #batches: CollectionReference;
  readonly #keys: CollectionReference;
  readonly #webhookEvents: CollectionReference;
  readonly #retentionMs: number;
  readonly #commitLimits: CommitLimits;
  readonly #abandonedBatchGraceMs: number;

  /** Takes ownership of the client: close() terminates it. */
  constructor(db: Firestore, options: FirestoreJobStoreOptions) {
    this.#db = db;
    this.#jobs = db.collection(`${options.collectionPrefix}jobs`);
    this.#batches = db.collection(`${options.collectionPrefix}batches`);
    this.#keys = db.collection(`${options.collectionPrefix}idempotency_keys`);
    this.#webhookEvents = db.collection(`${options.collectionPrefix}${webhookEventsCollection}`);
    this.#retentionMs = options.retentionDays * dayMs;
    this.#commitLimits = { ...defaults.commitLimits, ...options.commitLimits };
    this.#abandonedBatchGraceMs = options.abandonedBatchGraceMs ?? defaults.abandonedBatchGraceMs;
  }

  async createJobs(jobs: NewJob[]): Promise<Job[]> {
    if (jobs.length === 0) {
      return [];
    }
    if (jobs.every((job) => job.idempotencyKey === null)) {
      // No reads needed: one atomic batch of creates (fails whole if an id exists).
      const batch = this.#db.batch();
      for (const job of jobs) {
        batch.create(this.#jobs.doc(job.id), newJobDocument(job));
      }
      await batch.commit();
      return jobs.map(queuedJob);
    }
    return createJobsWithKeys(
      this.#db,
      { jobs: this.#jobs, keys: this.#keys },
      jobs,
      this.#retentionMs,
    );
  }

  async createBatch({ batch, jobs }: Input.CreateBatch): Promise<void> {
    const customIds = new Set(jobs.map((job) => job.customId));
    if (customIds.size !== jobs.length) {
      throw new Error(`batch ${batch.id}: custom ids must be unique within the batch`);
    }
    await createAllThenLast(
      this.#db,
      jobs.map((job) => ({ ref: this.#jobs.doc(job.id), data: { ...newJobDocument(job) } })),
      {
        ref: this.#batches.doc(batch.id),
        data: { ...batchDocument(batch, batch.createdAtMs + this.#retentionMs) },
      },
      this.#commitLimits,
    );
  }

  async getJob(id: string): Promise<Job | null> {
    const snapshot = await this.#jobs.doc(id).get();
    return snapshot.exists ? documentToJob(snapshot.data() ?? {}) : null;
  }

  async getBatch(id: string): Promise<Batch | null> {
    const snapshot = await this.#batches.doc(id).get();
    return snapshot.exists ? documentToBatch(snapshot.data() ?? {}) : null;
  }

  async claimJob({ id, workerId, leaseMs, nowMs }: Input.ClaimJob): Promise<Job | null> {
    const outcome = await this.#update(id, transitions.claim(workerId, leaseMs, nowMs));
    return outcome.changed ? outcome.job : null;
  }

  async renewLease({ id, workerId, leaseMs, nowMs }: Input.RenewLease): Promise<boolean> {
    return (await this.#update(id, transitions.renew(workerId, leaseMs, nowMs))).changed;
  }

  async releaseJob({ id, workerId }: Input.ReleaseJob): Promise<boolean> {
    return (await this.#update(id, transitions.release(workerId))).changed;
  }

  async completeJob({ id, workerId, result, nowMs }: Input.CompleteJob): Promise<boolean> {
    const decide = transitions.complete(workerId, result, nowMs, this.#retentionMs);
    return (await this.#update(id, decide)).changed;
  }

  async failJob({ id, error, nowMs, workerId }: Input.FailJob): Promise<boolean> {
    const decide = transitions.fail(error, nowMs, this.#retentionMs, workerId);
    return (await this.#update(id, decide)).changed;
  }

  async requestCancel({ id, nowMs }: Input.RequestCancel): Promise<Job | null> {
    return (await this.#update(id, transitions.requestCancel(nowMs, this.#retentionMs))).job;
  }

  async markCanceled({ id, workerId, nowMs, result }: Input.MarkCanceled): Promise<boolean> {
    const decide = transitions.markCanceled(workerId, nowMs, this.#retentionMs, result);
    return (await this.#update(id, decide)).changed;
  }

  async listBatchJobs({ batchId, afterCustomId, limit }: Input.ListBatchJobs): Promise<Job[]> {
    const snapshot = await this.#batchPage(batchId, afterCustomId, limit).get();
    return snapshot.docs.map((document) => documentToJob(document.data()));
  }

  async listBatchJobsInInputOrder({
    batchId,
    afterInputIndex,
    limit,
  }: Input.ListBatchJobsInInputOrder): Promise<Job[]> {
    const query = this.#jobs.where('batchId', '==', batchId).orderBy('inputIndex').limit(limit);
    const page = afterInputIndex === null ? query : query.startAfter(afterInputIndex);
    const snapshot = await page.get();
    return snapshot.docs.map((document) => documentToJob(document.data()));
  }

  countBatchJobs(batchId: string): Promise<StatusCounts> {
    return countByStatus(this.#db, this.#jobs.where('batchId', '==', batchId));
  }

  /**
   * Flags the batch, then walks its jobs a page at a time and cancels each as
   * requestCancel would, every job with its own conditional write (a batch can be far
   * larger than one commit). The snapshot from the page is the version each write is
   * conditioned on, so a job claimed meanwhile is read again and flagged instead.
   */
  async cancelBatch({ batchId, nowMs }: Input.CancelBatch): Promise<number> {
    await this.#batches.doc(batchId).update({ cancelRequested: true }).catch(ignoreNotFound);
    const decide = transitions.requestCancel(nowMs, this.#retentionMs);
    let changed = 0;
    let cursor: string | null = null;
    for (;;) {
      const page = await this.#batchPage(batchId, cursor, cancelPageSize).get();
      const outcomes = await Promise.all(
        page.docs.map((snapshot) => this.#update(snapshot.id, decide, snapshot)),
      );
      changed += outcomes.filter((outcome) => outcome.changed).length;
      if (page.size < cancelPageSize) {
        return changed;
      }
      cursor = page.docs.at(-1)?.get('customId') ?? null;
    }
  }

  /**
   * Firestore cannot write a whole batch in one commit, so the retry is three steps, each
   * safe to be the last one a crashed process did:
   *   1. the batch document, conditionally: retries + 1 and `retrying` (which holds its
   *      batch.completed back), after the round it ends got its own owed event;
   *   2. its failed and canceled jobs, each with its own conditional write (transitions.
   *      retry), walked a page at a time as cancelBatch does;
   *   3. `retrying` cleared.
   * Cut short after 1 or 2, the batch keeps `retrying`; the next call resumes that round
   * (no open-rows check, which its own re-queued rows would fail) and re-queues only the
   * rows still failed or canceled from before it. Rows re-queued and never published are
   * the orphan sweeper's, as after a createBatch cut short.
   */
  async retryBatch({ batchId, nowMs }: Input.RetryBatch): Promise<Input.RetryBatchOutcome> {
    const taken = await this.#takeForRetry(batchId, nowMs);
    if (taken.outcome !== 'taken') {
      return taken;
    }
    const decide = transitions.retry(taken.round, nowMs);
    const jobIds: string[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await this.#batchPage(batchId, cursor, cancelPageSize).get();
      const outcomes = await Promise.all(
        page.docs.map(async (snapshot) => {
          const changed = decide(snapshot.data() as JobDocument) !== null;
          return changed && (await this.#update(snapshot.id, decide, snapshot)).changed;
        }),
      );
      jobIds.push(...page.docs.filter((_, index) => outcomes[index]).map((doc) => doc.id));
      if (page.size < cancelPageSize) {
        break;
      }
      cursor = page.docs.at(-1)?.get('customId') ?? null;
    }
    await this.#batches.doc(batchId).update({ retrying: false });
    return { outcome: 'retried', batch: taken.batch, jobIds };
  }

  /** Step 1 of retryBatch: the round to run, or why there is none. */
  async #takeForRetry(
    batchId: string,
    nowMs: number,
  ): Promise<
    | { outcome: 'taken'; round: number; batch: Batch }
    | { outcome: 'open' | 'nothing_to_retry' | 'not_found' }
  > {
    const ref = this.#batches.doc(batchId);
    for (let round = 1; ; round += 1) {
      if (round > maxRounds) {
        throw new Error(`batch ${batchId}: the retry lost ${maxRounds} races for its document`);
      }
      const snapshot = await ref.get();
      if (!snapshot.exists || snapshot.updateTime === undefined) {
        return { outcome: 'not_found' };
      }
      const current = snapshot.data() as BatchDocument;
      if (current.retrying === true) {
        return { outcome: 'taken', round: current.retries ?? 0, batch: documentToBatch(current) };
      }
      const counts = await this.countBatchJobs(batchId);
      if (counts.queued + counts.running > 0) {
        return { outcome: 'open' };
      }
      if (counts.failed + counts.canceled === 0) {
        return { outcome: 'nothing_to_retry' };
      }
      if (current.completionEventPending) {
        // The round this retry ends still owes its batch.completed: record it first, or
        // the next round's would take its place.
        const collections = { events: this.#webhookEvents, jobs: this.#jobs };
        await recordBatchCompletion(snapshot, collections, nowMs, this.#retentionMs);
        continue;
      }
      const changes = {
        retries: (current.retries ?? 0) + 1,
        retrying: true,
        cancelRequested: false,
        usage: null,
        completionEventPending: current.webhook?.events.includes('batch.completed') ?? false,
      };
      try {
        await ref.update(changes, { lastUpdateTime: snapshot.updateTime });
        return {
          outcome: 'taken',
          round: changes.retries,
          batch: documentToBatch({ ...current, ...changes }),
        };
      } catch (error) {
        if ((error as { code?: unknown }).code !== failedPrecondition) {
          throw error;
        }
      }
    }
  }

  /** A transaction: the retries check and the write see the same batch document. */
  async setBatchUsage({ batchId, retries, usage }: Input.SetBatchUsage): Promise<boolean> {
    const ref = this.#batches.doc(batchId);
    return this.#db.runTransaction(async (transaction) => {
      const snapshot = await transaction.get(ref);
      if (!snapshot.exists || (snapshot.get('retries') ?? 0) !== retries) {
        return false;
      }
      transaction.update(ref, { usage });
      return true;
    });
  }

  /** One batched write per job (BulkWriter); ids that do not exist are skipped. */
  async markPublished({ ids, nowMs }: Input.MarkPublished): Promise<void> {
    const writer = this.#db.bulkWriter({ throttling: false });
    writer.onWriteError((failure) => failure.code !== notFound && failure.failedAttempts < 5);
    const writes = ids.map((id) =>
      writer.update(this.#jobs.doc(id), { publishedAtMs: nowMs }).catch(ignoreNotFound),
    );
    await writer.close();
    await Promise.all(writes);
  }

  /**
   * Jobs of a batch whose batch document does not exist are not listed: the batch is
   * still being written (createAllThenLast writes it last), or its creation died half-way,
   * and then nobody was ever given those ids. The latter are deleted here once they are
   * abandonedBatchGraceMs older than the cutoff, so they cannot pile up at the head of
   * this query.
   */
  async listUnpublished({ createdBeforeMs, limit }: Input.ListUnpublished): Promise<string[]> {
    const snapshot = await this.#jobs
      .where('status', '==', 'queued')
      .where('publishedAtMs', '==', null)
      .where('createdAtMs', '<=', createdBeforeMs)
      .orderBy('createdAtMs')
      .limit(limit)
      .get();
    const batchIds = [
      ...new Set(snapshot.docs.flatMap((document) => document.get('batchId') ?? [])),
    ] as string[];
    const batches =
      batchIds.length === 0
        ? []
        : await this.#db.getAll(...batchIds.map((id) => this.#batches.doc(id)));
    const missing = new Set(batches.filter((batch) => !batch.exists).map((batch) => batch.id));
    const unlisted = snapshot.docs.filter((document) => missing.has(document.get('batchId')));
    const abandoned = unlisted.filter(
      (document) => document.get('createdAtMs') <= createdBeforeMs - this.#abandonedBatchGraceMs,
    );
    if (abandoned.length > 0) {
      await deleteAll(
        this.#db,
        abandoned.map((document) => document.ref),
      );
    }
    // A retried row waits until it is as old as the cutoff counting from its retry: the
    // request that re-queued it may still be publishing it.
    const retriedBefore = (document: QueryDocumentSnapshot) =>
      (document.get('retriedAtMs') ?? document.get('createdAtMs')) <= createdBeforeMs;
    return snapshot.docs
      .filter((document) => !missing.has(document.get('batchId')) && retriedBefore(document))
      .map((document) => document.id);
  }

  countJobs(): Promise<StatusCounts> {
    return countByStatus(this.#db, this.#jobs);
  }

  async oldestQueuedAtMs(): Promise<number | null> {
    const snapshot = await this.#jobs
      .where('status', '==', 'queued')
      .orderBy('createdAtMs')
      .limit(1)
      .select('createdAtMs')
      .get();
    const first = snapshot.docs[0];
    return first === undefined ? null : Number(first.get('createdAtMs'));
  }

  async close(): Promise<void> {
    await this.#db.terminate();
  }

  #update(
    id: string,
    decide: transitions.Decide,
    first?: DocumentSnapshot,
  ): Promise<ConditionalOutcome> {
    return updateIfAllowed(this.#jobs.doc(id), decide, first, this.#webhookOutbox);
  }

  /** A terminal transition creates the job's webhook event with it (the outbox). */
  readonly #webhookOutbox: AlsoCreate = (job, changes) => {
    const type = generationEventOf(changes.status, job.webhook ?? null);
    if (type === null || job.webhook === null) {
      return [];
    }
    const atMs = changes.finishedAtMs ?? Date.now();
    const round = job.retries ?? 0;
    return [
      {
        ref: this.#webhookEvents.doc(eventDocumentId(job.id, round)),
        data: newWebhookEventDocument(
          type,
          job.id,
          job.webhook.url,
          atMs,
          atMs + this.#retentionMs,
          round,
        ),
      },
    ];
  };

  #batchPage(batchId: string, afterCustomId: string | null, limit: number) {
    const query = this.#jobs.where('batchId', '==', batchId).orderBy('customId').limit(limit);
    return afterCustomId === null ? query : query.startAfter(afterCustomId);
  }
}

const notFound = 5;
const failedPrecondition = 9;
/** Rounds of read-decide-write on the batch document before giving up. */
const maxRounds = 10;

function ignoreNotFound(error: unknown): void {
  if ((error as { code?: unknown }).code !== notFound) {
    throw error;
  }
}
