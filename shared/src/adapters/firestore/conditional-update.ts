import type { DocumentData, DocumentReference, DocumentSnapshot } from '@google-cloud/firestore';
import type { Job } from '../../domain/job.ts';
import { documentToJob, type JobDocument } from './job-documents.ts';
import type { Decide, JobChanges } from './job-transitions.ts';

/**
 * Documents to create in the same atomic write as the change (the webhook outbox): all of
 * them land with it, or none does.
 */
export type AlsoCreate = (
  job: JobDocument,
  changes: JobChanges,
) => { ref: DocumentReference; data: DocumentData }[];

export interface ConditionalOutcome {
  /** The job after the attempt (changed or not); null when it does not exist. */
  job: Job | null;
  changed: boolean;
}

const failedPrecondition = 9;
/** Rounds of read-decide-write before giving up; each lost round means someone else won. */
const maxRounds = 10;

/**
 * Read, decide, write only if the document is still the version that was read. The
 * update-time precondition makes this a compare-and-set on one document: of two workers
 * claiming one job, exactly one write lands; the other's fails, it reads again and finds
 * the job no longer claimable. This is chosen over a transaction because a server-SDK
 * transaction locks what it reads, so a contended claim waits for a lock (2-3 s on the
 * emulator) instead of failing fast, and costs the same read and write.
 *
 * `first` lets a caller that already holds a fresh snapshot (from a query) skip the read.
 */
export async function updateIfAllowed(
  ref: DocumentReference,
  decide: Decide,
  first?: DocumentSnapshot,
  alsoCreate?: AlsoCreate,
): Promise<ConditionalOutcome> {
  let snapshot = first ?? (await ref.get());
  for (let round = 1; ; round += 1) {
    if (!snapshot.exists || snapshot.updateTime === undefined) {
      return { job: null, changed: false };
    }
    const current = snapshot.data() as JobDocument;
    const changes = decide(current);
    if (changes === null) {
      return { job: documentToJob(current), changed: false };
    }
    try {
      const creations = alsoCreate?.(current, changes) ?? [];
      if (creations.length === 0) {
        await ref.update(changes, { lastUpdateTime: snapshot.updateTime });
      } else {
        const write = ref.firestore.batch().update(ref, changes, {
          lastUpdateTime: snapshot.updateTime,
        });
        for (const creation of creations) {
          write.create(creation.ref, creation.data);
        }
        await write.commit();
      }
      return { job: documentToJob({ ...current, ...changes }), changed: true };
    } catch (error) {
      if ((error as { code?: unknown }).code !== failedPrecondition || round >= maxRounds) {
        throw error;
      }
    }
    snapshot = await ref.get();
  }
}
