import type { Firestore } from '@google-cloud/firestore';
import type { JobError, JobResult } from '@warmgen/shared/domain/job.ts';
import {
  type BatchView,
  type GenerationInput,
  type JobView,
  requestJson,
} from '../e2e/service-client.ts';

/** The API over HTTP with a Bearer key (BACKEND=gcp always requires one). */
export function stackClient(baseUrl: string, apiKey: string) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const expect = <T>(what: string, status: number, reply: { status: number; body: T }): T => {
    if (reply.status !== status) {
      throw new Error(`${what} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
    }
    return reply.body;
  };
  return {
    async submit(input: GenerationInput): Promise<JobView> {
      const reply = await requestJson<JobView>(baseUrl, 'POST', '/v1/generations', input, headers);
      return expect('submit', 202, reply);
    },
    async submitBatch(items: Array<GenerationInput & { custom_id: string }>): Promise<BatchView> {
      const reply = await requestJson<BatchView>(
        baseUrl,
        'POST',
        '/v1/batches',
        { items },
        headers,
      );
      return expect('batch submit', 202, reply);
    },
    async getBatch(id: string): Promise<BatchView> {
      const reply = await requestJson<BatchView>(
        baseUrl,
        'GET',
        `/v1/batches/${id}`,
        undefined,
        headers,
      );
      return expect(`GET batch ${id}`, 200, reply);
    },
  };
}

/** A job document as the Firestore store wrote it (the fields the tests look at). */
export interface StoredJob {
  id: string;
  status: string;
  attempts: number;
  /** The worker holding the job; set only while it is running. */
  leaseOwner: string | null;
  prompt: unknown;
  batchId: string | null;
  result: JobResult | null;
  error: JobError | null;
}

/** Every job document of a collection, read behind the API's back. */
export async function readJobs(db: Firestore, collection: string): Promise<StoredJob[]> {
  const snapshot = await db.collection(collection).get();
  return snapshot.docs.map((doc) => {
    const data = doc.data();
    return {
      id: doc.id,
      status: String(data.status),
      attempts: Number(data.attempts),
      leaseOwner: data.leaseOwner ?? null,
      prompt: data.prompt,
      batchId: data.batchId ?? null,
      result: data.result ?? null,
      error: data.error ?? null,
    };
  });
}

/** Polls the documents until `predicate` holds; throws after `timeoutMs` with a status count. */
export async function waitForJobs(
  db: Firestore,
  collection: string,
  predicate: (jobs: StoredJob[]) => boolean,
  timeoutMs: number,
): Promise<StoredJob[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await readJobs(db, collection);
    if (predicate(jobs)) {
      return jobs;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `jobs never reached the awaited state: ${JSON.stringify(countByStatus(jobs))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function countByStatus(jobs: readonly StoredJob[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of jobs) {
    counts[job.status] = (counts[job.status] ?? 0) + 1;
  }
  return counts;
}
