import type { DocumentReference, Firestore } from '@google-cloud/firestore';

export interface CommitLimits {
  /** Writes per commit: Firestore documents 500 per commit or transaction. */
  maxWritesPerCommit: number;
  /** Bytes per commit, with room under Firestore's 10 MiB request limit. */
  maxCommitBytes: number;
}

export interface NewDocument {
  ref: DocumentReference;
  data: Record<string, unknown>;
}

/** Field names, document names and framing a JSON length does not show. */
const perDocumentOverheadBytes = 512;

/**
 * Creates `documents`, then `last`, so `last` appears only once everything before it
 * exists. When all fit in one commit it is one atomic commit. Otherwise the documents go
 * in several commits first and `last` commits alone at the end: until then nothing refers
 * to them (a batch's jobs are reachable through the batch, and the orphan sweeper skips
 * jobs whose batch does not exist yet). If a commit fails, what was written is deleted
 * (best effort) and the error is thrown; a crash leaves them for the sweeper to remove.
 */
export async function createAllThenLast(
  db: Firestore,
  documents: NewDocument[],
  last: NewDocument,
  limits: CommitLimits,
): Promise<void> {
  const chunks = chunkByLimits([...documents, last], limits);
  if (chunks.length === 1) {
    await commitCreates(db, chunks[0] ?? []);
    return;
  }
  const written: DocumentReference[] = [];
  try {
    for (const chunk of chunkByLimits(documents, limits)) {
      await commitCreates(db, chunk);
      written.push(...chunk.map((document) => document.ref));
    }
    await commitCreates(db, [last]);
  } catch (error) {
    await deleteAll(db, written).catch(() => undefined);
    throw error;
  }
}

async function commitCreates(db: Firestore, documents: NewDocument[]): Promise<void> {
  const batch = db.batch();
  for (const { ref, data } of documents) {
    batch.create(ref, data);
  }
  await batch.commit();
}

/** Deletes documents in parallel batched requests; missing ones are fine. */
export async function deleteAll(db: Firestore, refs: DocumentReference[]): Promise<void> {
  const writer = db.bulkWriter({ throttling: false });
  const deletions = refs.map((ref) => writer.delete(ref));
  await writer.close();
  await Promise.all(deletions);
}

function chunkByLimits(documents: NewDocument[], limits: CommitLimits): NewDocument[][] {
  const chunks: NewDocument[][] = [];
  let chunk: NewDocument[] = [];
  let bytes = 0;
  for (const document of documents) {
    const size = Buffer.byteLength(JSON.stringify(document.data)) + perDocumentOverheadBytes;
    if (
      chunk.length > 0 &&
      (chunk.length >= limits.maxWritesPerCommit || bytes + size > limits.maxCommitBytes)
    ) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(document);
    bytes += size;
  }
  if (chunk.length > 0) {
    chunks.push(chunk);
  }
  return chunks;
}
