import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storageFailureOf } from './storage-failure.ts';

const sqlite = (errcode: number, errstr: string) =>
  Object.assign(new Error(errstr), { code: 'ERR_SQLITE_ERROR', errcode, errstr });
const errno = (code: string) => Object.assign(new Error(code), { code });
const grpc = (code: number) => Object.assign(new Error(`${code} UNAVAILABLE`), { code });

describe('storageFailureOf: the one table of storage failures', () => {
  it('names the condition for SQLite, filesystem and gRPC codes', () => {
    const table: [unknown, string, string][] = [
      [sqlite(13, 'database or disk is full'), 'disk_full', 'SQLITE_FULL'],
      [sqlite(8, 'attempt to write a readonly database'), 'read_only', 'SQLITE_READONLY'],
      // Extended codes: SQLITE_IOERR_WRITE (778), SQLITE_READONLY_DBMOVED (1032).
      [sqlite(778, 'disk I/O error'), 'io_error', 'SQLITE_IOERR'],
      [sqlite(1032, 'attempt to write a readonly database'), 'read_only', 'SQLITE_READONLY'],
      [sqlite(5, 'database is locked'), 'busy', 'SQLITE_BUSY'],
      [errno('ENOSPC'), 'disk_full', 'ENOSPC'],
      [errno('EROFS'), 'read_only', 'EROFS'],
      [errno('EIO'), 'io_error', 'EIO'],
      [grpc(14), 'service_unavailable', 'grpc 14'],
      [grpc(8), 'quota_exhausted', 'grpc 8'],
      [grpc(4), 'deadline_exceeded', 'grpc 4'],
    ];
    for (const [error, condition, source] of table) {
      assert.deepEqual(storageFailureOf(error), { condition, source }, String(error));
    }
  });

  it('follows cause, so a wrapped failure is still recognised', () => {
    const wrapped = new Error('createJobs failed', {
      cause: new Error('in transaction', { cause: sqlite(13, 'database or disk is full') }),
    });
    assert.equal(storageFailureOf(wrapped)?.condition, 'disk_full');
  });

  it('leaves bugs and bad input alone: they stay 4xx/500', () => {
    for (const error of [
      new Error('boom'),
      sqlite(19, 'UNIQUE constraint failed'), // SQLITE_CONSTRAINT: a bug of ours, not the disk
      sqlite(1, 'no such table: jobs'),
      grpc(5), // NOT_FOUND
      grpc(9), // FAILED_PRECONDITION: a lost conditional write, handled by the adapters
      errno('ENOENT'),
      Object.assign(new Error('x'), { code: 'FST_ERR_VALIDATION' }),
      null,
      'a string',
    ]) {
      assert.equal(storageFailureOf(error), null, String(error));
    }
  });
});
