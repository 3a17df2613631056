import type { Firestore } from '@google-cloud/firestore';

/**
 * /readyz's look at Firestore on BACKEND=gcp: one document read (the cheapest call that
 * goes to the service; a missing document still answers). Unlike SQLite, an unreachable
 * Firestore is a network condition no write of ours reports until a client tries one, so
 * readiness asks it directly. Rejects while the service does not answer.
 */
export class FirestoreProbe {
  readonly #db: Firestore;
  readonly #path: string;

  constructor(db: Firestore, collectionPrefix: string) {
    this.#db = db;
    this.#path = `${collectionPrefix}readiness/probe`;
  }

  async probe(): Promise<void> {
    await this.#db.doc(this.#path).get();
  }

  async close(): Promise<void> {
    await this.#db.terminate();
  }
}
