import type { CollectionReference, Firestore } from '@google-cloud/firestore';
import { type Job, type NewJob, queuedJob } from '../../domain/job.ts';
import { idempotencyKeyId } from './idempotency-key-id.ts';
import {
  documentToJob,
  expireAt,
  type IdempotencyKeyDocument,
  newJobDocument,
} from './job-documents.ts';

/**
 * createJobs when some jobs carry an idempotency key, in one transaction: read the key
 * documents and the jobs they name, then create the jobs whose key is free together with
 * their key documents (all or none). A key whose job no longer exists (deleted by TTL) is
 * free again. A key repeated within the call maps to the first job that took it. Two
 * requests racing on one key: both read the missing key document, and Firestore lets
 * only one commit; the other transaction is retried, reads the key and returns the
 * winner's job (on the emulator the retry waits for a lock, 2-3 s).
 */
export function createJobsWithKeys(
  db: Firestore,
  collections: { jobs: CollectionReference; keys: CollectionReference },
  jobs: NewJob[],
  retentionMs: number,
): Promise<Job[]> {
  const keyRef = (key: string) => collections.keys.doc(idempotencyKeyId(key));
  return db.runTransaction(async (transaction) => {
    const keys = [...new Set(jobs.flatMap((job) => job.idempotencyKey ?? []))];
    const keySnapshots = await transaction.getAll(...keys.map(keyRef));
    const claimed = keySnapshots.flatMap((snapshot) =>
      snapshot.exists ? [snapshot.data() as IdempotencyKeyDocument] : [],
    );
    const jobSnapshots =
      claimed.length === 0
        ? []
        : await transaction.getAll(...claimed.map((claim) => collections.jobs.doc(claim.jobId)));
    const byKey = new Map<string, Job>();
    claimed.forEach((claim, index) => {
      const snapshot = jobSnapshots[index];
      if (snapshot?.exists) {
        byKey.set(claim.key, documentToJob(snapshot.data() ?? {}));
      }
    });

    return jobs.map((job) => {
      const existing = job.idempotencyKey === null ? undefined : byKey.get(job.idempotencyKey);
      if (existing !== undefined) {
        return existing;
      }
      transaction.create(collections.jobs.doc(job.id), newJobDocument(job));
      const created = queuedJob(job);
      if (job.idempotencyKey !== null) {
        const keyDocument: IdempotencyKeyDocument = {
          key: job.idempotencyKey,
          jobId: job.id,
          expireAt: expireAt(job.createdAtMs + retentionMs),
        };
        transaction.set(keyRef(job.idempotencyKey), keyDocument);
        byKey.set(job.idempotencyKey, created);
      }
      return created;
    });
  });
}
