import { type CollectionReference, type Firestore, Timestamp } from '@google-cloud/firestore';
import type { WorkerHeartbeat, WorkerHeartbeats } from '../../ports/worker-heartbeats.ts';

/** The record's fields, plus expireAt for the TTL policy (infra/firestore-indexes.json). */
type HeartbeatDocument = WorkerHeartbeat & { expireAt: Timestamp };

/**
 * Worker heartbeats as one Firestore document per worker (`{prefix}workers/{workerId}`),
 * overwritten by each beat: one small write every few seconds per worker, whatever the
 * load. Readers filter on expiresAtMs (the automatic single-field index); the TTL policy on
 * expireAt deletes the documents of workers that died, within a day, so the collection
 * stays as small as the fleet. A plain set, not a transaction: only the worker writes its
 * own document.
 */
export class FirestoreWorkerHeartbeats implements WorkerHeartbeats {
  readonly #db: Firestore;
  readonly #workers: CollectionReference;
  readonly #ownsClient: boolean;

  constructor(db: Firestore, collectionPrefix: string, options: { ownsClient: boolean }) {
    this.#db = db;
    this.#workers = db.collection(`${collectionPrefix}workers`);
    this.#ownsClient = options.ownsClient;
  }

  async beat(heartbeat: WorkerHeartbeat): Promise<void> {
    const document: HeartbeatDocument = {
      ...heartbeat,
      expireAt: Timestamp.fromMillis(heartbeat.expiresAtMs),
    };
    await this.#workers.doc(heartbeat.workerId).set(document);
  }

  async remove(args: { workerId: string }): Promise<void> {
    await this.#workers.doc(args.workerId).delete();
  }

  async listLive(args: { nowMs: number }): Promise<WorkerHeartbeat[]> {
    const snapshot = await this.#workers.where('expiresAtMs', '>', args.nowMs).get();
    return snapshot.docs
      .map((document) => {
        const { expireAt: _ttl, ...heartbeat } = document.data() as HeartbeatDocument;
        return heartbeat;
      })
      .sort((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : 0));
  }

  async close(): Promise<void> {
    if (this.#ownsClient) {
      await this.#db.terminate();
    }
  }
}
