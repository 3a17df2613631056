import type { Firestore } from '@google-cloud/firestore';
import type { LaunchLease } from '../../ports/launch-lease.ts';

interface LeaseDocument {
  holder: string;
  expiresAtMs: number;
}

const alreadyExists = 6;
const failedPrecondition = 9;

/**
 * The launch lease as one Firestore document (`{prefix}launcher/lease`), taken with a
 * create (no document yet) or an update-time precondition (an expired or own lease): of
 * two API processes racing, one write lands and the other's fails, and it then reads the
 * winner's lease. A precondition rather than a transaction, as in conditional-update.ts:
 * the loser learns at once instead of waiting on a lock.
 */
export class FirestoreLaunchLease implements LaunchLease {
  readonly #doc;

  constructor(db: Firestore, collectionPrefix: string) {
    this.#doc = db.collection(`${collectionPrefix}launcher`).doc('lease');
  }

  async tryAcquire(holder: string, ttlMs: number, nowMs: number): Promise<boolean> {
    const snapshot = await this.#doc.get();
    const next: LeaseDocument = { holder, expiresAtMs: nowMs + ttlMs };
    try {
      if (!snapshot.exists || snapshot.updateTime === undefined) {
        await this.#doc.create(next);
        return true;
      }
      const current = snapshot.data() as LeaseDocument;
      if (current.holder !== holder && current.expiresAtMs > nowMs) {
        return false;
      }
      await this.#doc.update({ ...next }, { lastUpdateTime: snapshot.updateTime });
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === alreadyExists || code === failedPrecondition) {
        return false;
      }
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    const snapshot = await this.#doc.get();
    if (!snapshot.exists || snapshot.updateTime === undefined) {
      return;
    }
    if ((snapshot.data() as LeaseDocument).holder !== holder) {
      return;
    }
    try {
      await this.#doc.delete({ lastUpdateTime: snapshot.updateTime });
    } catch (error) {
      // Someone took it over meanwhile (ours had expired): theirs stands.
      if ((error as { code?: unknown }).code !== failedPrecondition) {
        throw error;
      }
    }
  }
}
