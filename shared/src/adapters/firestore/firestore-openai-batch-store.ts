import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import type {
  BatchMoment,
  OpenAiBatchRecord,
  OpenAiBatchStore,
} from '../../ports/openai-batch-store.ts';

const notFound = 5;

/**
 * OpenAI batch records on Firestore, one document each (id = the warmgen batch id), in
 * `<prefix>openai_batches` beside the jobs. A moment is set once, in a transaction that
 * reads it still unset. Lists are newest first: the composite index (owner,
 * createdAtMs desc) serves the keyed queries (infra/firestore-indexes.json).
 */
export class FirestoreOpenAiBatchStore implements OpenAiBatchStore {
  readonly #db: Firestore;
  readonly #records: CollectionReference;

  /** Takes ownership of the client: close() terminates it. */
  constructor(db: Firestore, options: { collectionPrefix: string }) {
    this.#db = db;
    this.#records = db.collection(`${options.collectionPrefix}openai_batches`);
  }

  async create(record: OpenAiBatchRecord): Promise<void> {
    await this.#records.doc(record.id).create(record);
  }

  async get(id: string): Promise<OpenAiBatchRecord | null> {
    const snapshot = await this.#records.doc(id).get();
    return snapshot.exists ? (snapshot.data() as OpenAiBatchRecord) : null;
  }

  async list(query: {
    owner: string | null;
    afterId: string | null;
    limit: number;
  }): Promise<OpenAiBatchRecord[]> {
    let q = (query.owner === null ? this.#records : this.#records.where('owner', '==', query.owner))
      .orderBy('createdAtMs', 'desc')
      .limit(query.limit);
    if (query.afterId !== null) {
      const after = await this.#records.doc(query.afterId).get();
      if (after.exists) {
        q = q.startAfter(after);
      }
    }
    const snapshot = await q.get();
    return snapshot.docs.map((doc) => doc.data() as OpenAiBatchRecord);
  }

  async mark(id: string, moment: BatchMoment, atMs: number): Promise<OpenAiBatchRecord | null> {
    return this.#db.runTransaction(async (transaction) => {
      const ref = this.#records.doc(id);
      const snapshot = await transaction.get(ref);
      if (!snapshot.exists) {
        return null;
      }
      const record = snapshot.data() as OpenAiBatchRecord;
      if (record[moment] !== null) {
        return record;
      }
      transaction.update(ref, { [moment]: atMs });
      return { ...record, [moment]: atMs };
    });
  }

  async reopen(id: string, expiresAtMs: number): Promise<OpenAiBatchRecord | null> {
    const changes = { expiresAtMs, cancellingAtMs: null, expiredAtMs: null, finishedAtMs: null };
    try {
      await this.#records.doc(id).update(changes);
    } catch (error) {
      if ((error as { code?: unknown }).code === notFound) {
        return null;
      }
      throw error;
    }
    return this.get(id);
  }

  async close(): Promise<void> {
    await this.#db.terminate();
  }
}
