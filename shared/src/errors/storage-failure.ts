/**
 * The one table that says an error from the store or the queue means "storage is
 * unavailable, retry later" rather than a bug: a full disk, a read-only store, an I/O
 * error, a lock held too long (SQLite); a service that is down, over quota or too slow
 * (Firestore and Pub/Sub, as gRPC status codes). The API answers these with 503 and
 * Retry-After and turns /readyz 503 until writes succeed again; anything else stays a 500.
 *
 * Pure: it reads the codes adapters' errors carry (node:sqlite's `errcode`, Node's errno
 * `code`, gRPC's numeric `code`) and follows `cause`, so a wrapped error is classified by
 * what it wraps.
 */
export const storageConditions = [
  'disk_full',
  'read_only',
  'io_error',
  'busy',
  'service_unavailable',
  'quota_exhausted',
  'deadline_exceeded',
] as const;
export type StorageCondition = (typeof storageConditions)[number];

export interface StorageFailure {
  condition: StorageCondition;
  /** The code it was recognised by, for messages and logs: `SQLITE_FULL`, `ENOSPC`, `grpc 14`. */
  source: string;
}

/** SQLite primary result codes (the low byte of an extended code). */
const sqliteCodes: Record<number, [StorageCondition, string]> = {
  5: ['busy', 'SQLITE_BUSY'],
  6: ['busy', 'SQLITE_LOCKED'],
  8: ['read_only', 'SQLITE_READONLY'],
  10: ['io_error', 'SQLITE_IOERR'],
  13: ['disk_full', 'SQLITE_FULL'],
  14: ['io_error', 'SQLITE_CANTOPEN'],
};

/** Node errno codes from the filesystem under a store. */
const errnoCodes: Record<string, StorageCondition> = {
  ENOSPC: 'disk_full',
  EDQUOT: 'disk_full',
  EROFS: 'read_only',
  EIO: 'io_error',
};

/** gRPC status codes from Firestore and Pub/Sub that say "try again later". */
const grpcCodes: Record<number, StorageCondition> = {
  4: 'deadline_exceeded',
  8: 'quota_exhausted',
  14: 'service_unavailable',
};

export function storageFailureOf(error: unknown): StorageFailure | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, errcode, cause } = current as {
      code?: unknown;
      errcode?: unknown;
      cause?: unknown;
    };
    if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') {
      const known = sqliteCodes[errcode & 0xff];
      if (known !== undefined) {
        return { condition: known[0], source: known[1] };
      }
    }
    if (typeof code === 'string' && errnoCodes[code] !== undefined) {
      return { condition: errnoCodes[code], source: code };
    }
    if (typeof code === 'number' && grpcCodes[code] !== undefined) {
      return { condition: grpcCodes[code], source: `grpc ${code}` };
    }
    current = cause;
  }
  return null;
}

/** For people: what the condition means, in a 503's message. */
export const storageConditionText: Record<StorageCondition, string> = {
  disk_full: 'the store’s disk is full',
  read_only: 'the store is read-only',
  io_error: 'the store reported an I/O error',
  busy: 'the store is locked by another writer',
  service_unavailable: 'the store or queue service is unavailable',
  quota_exhausted: 'the store or queue service is over its quota',
  deadline_exceeded: 'the store or queue service did not answer in time',
};
