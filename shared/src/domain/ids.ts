import { randomBytes } from 'node:crypto';

/**
 * Identifiers the service hands out. Random rather than time-ordered: Firestore spreads
 * writes by document id, and sequential ids would make one hot range. 128 random bits
 * make collisions negligible; the prefix tells a reader what kind of thing an id names.
 */
function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

export const newJobId = (): string => newId('job');
export const newBatchId = (): string => newId('batch');
/** Names one worker process in job leases (lease_owner). */
export const newWorkerId = (): string => newId('worker');
