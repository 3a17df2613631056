import type { Firestore, Query } from '@google-cloud/firestore';
import type { StatusCounts } from '../../domain/job.ts';
import { jobStatuses } from '../../domain/job-status.ts';

/**
 * Jobs by status under `query`, from one consistent snapshot: a count() aggregation per
 * status, all read in one read-only transaction (no locks, one read time), so a job that
 * moves from queued to running between two counts is not counted twice or missed.
 *
 * Counting is chosen over counters kept in a batch document: the counts are derived from
 * the jobs themselves and can never drift (a lost or doubled increment cannot happen),
 * and no single document takes a write per job transition. Firestore sustains about one
 * write per second on one document, and a large batch finishing on many workers would
 * make its counter document the bottleneck. A count() costs one read per 1,000 index
 * entries it passes, so a 10,000-job batch costs about 10-15 reads per call.
 */
export async function countByStatus(db: Firestore, query: Query): Promise<StatusCounts> {
  const counts = await db.runTransaction(
    (transaction) =>
      Promise.all(
        jobStatuses.map(async (status) => {
          const snapshot = await transaction.get(query.where('status', '==', status).count());
          return [status, snapshot.data().count] as const;
        }),
      ),
    { readOnly: true },
  );
  return Object.fromEntries(counts) as StatusCounts;
}
