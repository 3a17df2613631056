/**
 * Every Firestore query the store adapters run, by hand, in the order the code builds it.
 * check-firestore-queries.ts compares the where/orderBy calls listed here with the ones in
 * the source (so a new or changed query fails until it is listed) and derives from each
 * query the composite index Firestore needs for it. Collection groups are written without
 * FIRESTORE_COLLECTION_PREFIX, as in infra/firestore-indexes.json.
 */
export type Operator = '==' | 'in' | '<' | '<=' | '>' | '>=' | '!=' | 'not-in';

export type Clause =
  | { readonly where: string; readonly op: Operator; readonly file?: string }
  | { readonly orderBy: string; readonly direction: 'asc' | 'desc'; readonly file?: string };

export interface FirestoreQuery {
  /** The method that runs it. */
  readonly usedBy: string;
  /** Where its clauses are written (a clause may name another file). */
  readonly file: string;
  readonly collection: string;
  readonly clauses: readonly Clause[];
}

const jobStore = 'shared/src/adapters/firestore/firestore-job-store.ts';
const eventStore = 'shared/src/adapters/firestore/firestore-webhook-event-store.ts';
const statusCounts = 'shared/src/adapters/firestore/status-counts.ts';
const openAiBatchStore = 'shared/src/adapters/firestore/firestore-openai-batch-store.ts';
const heartbeats = 'shared/src/adapters/firestore/firestore-worker-heartbeats.ts';

/** Source folders whose queries must all be listed below (test files excluded). */
export const queryFolders = ['shared/src/adapters/firestore', 'shared/src/webhooks'];

export const firestoreQueries: readonly FirestoreQuery[] = [
  {
    usedBy: 'FirestoreJobStore.listBatchJobs / cancelBatch / retryBatch (#batchPage)',
    file: jobStore,
    collection: 'jobs',
    clauses: [
      { where: 'batchId', op: '==' },
      { orderBy: 'customId', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreJobStore.listBatchJobsInInputOrder (results with ?order=input)',
    file: jobStore,
    collection: 'jobs',
    clauses: [
      { where: 'batchId', op: '==' },
      { orderBy: 'inputIndex', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreJobStore.countBatchJobs (countByStatus adds the status filter)',
    file: jobStore,
    collection: 'jobs',
    clauses: [
      { where: 'batchId', op: '==' },
      { where: 'status', op: '==', file: statusCounts },
    ],
  },
  {
    usedBy: 'FirestoreJobStore.listUnpublished (the orphan sweeper)',
    file: jobStore,
    collection: 'jobs',
    clauses: [
      { where: 'status', op: '==' },
      { where: 'publishedAtMs', op: '==' },
      { where: 'createdAtMs', op: '<=' },
      { orderBy: 'createdAtMs', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreJobStore.oldestQueuedAtMs (GET /v1/capacity)',
    file: jobStore,
    collection: 'jobs',
    clauses: [
      { where: 'status', op: '==' },
      { orderBy: 'createdAtMs', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreWorkerHeartbeats.listLive (GET /v1/capacity, the API metrics)',
    file: heartbeats,
    collection: 'workers',
    clauses: [{ where: 'expiresAtMs', op: '>' }],
  },
  {
    usedBy: 'FirestoreWebhookEventStore.recordBatchCompletions: batches owing their event',
    file: eventStore,
    collection: 'batches',
    clauses: [{ where: 'completionEventPending', op: '==' }],
  },
  {
    usedBy: 'FirestoreWebhookEventStore.recordBatchCompletions: any open job of the batch',
    file: eventStore,
    collection: 'jobs',
    clauses: [
      { where: 'batchId', op: '==' },
      { where: 'status', op: 'in' },
    ],
  },
  {
    usedBy: "FirestoreWebhookEventStore.recordBatchCompletions: the batch's last finish",
    file: eventStore,
    collection: 'jobs',
    clauses: [
      { where: 'batchId', op: '==' },
      { orderBy: 'finishedAtMs', direction: 'desc' },
    ],
  },
  {
    usedBy: 'FirestoreWebhookEventStore.listUndispatched (the outbox)',
    file: eventStore,
    collection: 'webhook_events',
    clauses: [
      { where: 'dispatchedAtMs', op: '==' },
      { orderBy: 'createdAtMs', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreWebhookEventStore.listStale',
    file: eventStore,
    collection: 'webhook_events',
    clauses: [
      { where: 'state', op: '==' },
      { where: 'nextAttemptAtMs', op: '<=' },
      { orderBy: 'nextAttemptAtMs', direction: 'asc' },
    ],
  },
  {
    usedBy: 'FirestoreWebhookEventStore #refOf (an event by its id)',
    file: eventStore,
    collection: 'webhook_events',
    clauses: [{ where: 'id', op: '==' }],
  },
  {
    usedBy: "FirestoreWebhookEventStore #latestRefOf (a subject's events, one per round)",
    file: eventStore,
    collection: 'webhook_events',
    clauses: [{ where: 'subjectId', op: '==' }],
  },
  {
    usedBy: 'FirestoreOpenAiBatchStore.list (GET /openai/v1/batches, newest first, per key)',
    file: openAiBatchStore,
    collection: 'openai_batches',
    clauses: [
      { where: 'owner', op: '==' },
      { orderBy: 'createdAtMs', direction: 'desc' },
    ],
  },
];
