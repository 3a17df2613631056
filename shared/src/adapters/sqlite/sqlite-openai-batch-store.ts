import type { DatabaseSync } from 'node:sqlite';
import type {
  BatchMoment,
  OpenAiBatchRecord,
  OpenAiBatchStore,
} from '../../ports/openai-batch-store.ts';
import { openDatabase } from './open-database.ts';

interface RecordRow {
  id: string;
  owner: string | null;
  input_file_id: string;
  endpoint: string;
  completion_window: string;
  metadata: string | null;
  total: number;
  errors: string | null;
  created_at_ms: number;
  expires_at_ms: number;
  cancelling_at_ms: number | null;
  expired_at_ms: number | null;
  finished_at_ms: number | null;
}

const momentColumns: Record<BatchMoment, string> = {
  cancellingAtMs: 'cancelling_at_ms',
  expiredAtMs: 'expired_at_ms',
  finishedAtMs: 'finished_at_ms',
};

/** OpenAI batch records on the embedded SQLite database, one row each. */
export class SqliteOpenAiBatchStore implements OpenAiBatchStore {
  readonly #db: DatabaseSync;

  static open(path: string): SqliteOpenAiBatchStore {
    return new SqliteOpenAiBatchStore(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async create(record: OpenAiBatchRecord): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO openai_batches (id, owner, input_file_id, endpoint, completion_window,
           metadata, total, errors, created_at_ms, expires_at_ms, cancelling_at_ms,
           expired_at_ms, finished_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.id,
        record.owner,
        record.inputFileId,
        record.endpoint,
        record.completionWindow,
        record.metadata === null ? null : JSON.stringify(record.metadata),
        record.total,
        record.errors === null ? null : JSON.stringify(record.errors),
        record.createdAtMs,
        record.expiresAtMs,
        record.cancellingAtMs,
        record.expiredAtMs,
        record.finishedAtMs,
      );
  }

  async get(id: string): Promise<OpenAiBatchRecord | null> {
    const row = this.#db.prepare('SELECT * FROM openai_batches WHERE id = ?').get(id) as
      | RecordRow
      | undefined;
    return row === undefined ? null : rowToRecord(row);
  }

  async list(query: {
    owner: string | null;
    afterId: string | null;
    limit: number;
  }): Promise<OpenAiBatchRecord[]> {
    const after = query.afterId === null ? null : await this.get(query.afterId);
    const rows = this.#db
      .prepare(
        `SELECT * FROM openai_batches
         WHERE (:owner IS NULL OR owner = :owner)
           AND (:after_ms IS NULL OR (created_at_ms, id) < (:after_ms, :after_id))
         ORDER BY created_at_ms DESC, id DESC LIMIT :limit`,
      )
      .all({
        owner: query.owner,
        after_ms: after?.createdAtMs ?? null,
        after_id: after?.id ?? null,
        limit: query.limit,
      }) as unknown as RecordRow[];
    return rows.map(rowToRecord);
  }

  async mark(id: string, moment: BatchMoment, atMs: number): Promise<OpenAiBatchRecord | null> {
    const column = momentColumns[moment];
    this.#db
      .prepare(`UPDATE openai_batches SET ${column} = ? WHERE id = ? AND ${column} IS NULL`)
      .run(atMs, id);
    return this.get(id);
  }

  async reopen(id: string, expiresAtMs: number): Promise<OpenAiBatchRecord | null> {
    this.#db
      .prepare(
        `UPDATE openai_batches SET expires_at_ms = ?, cancelling_at_ms = NULL,
           expired_at_ms = NULL, finished_at_ms = NULL
         WHERE id = ?`,
      )
      .run(expiresAtMs, id);
    return this.get(id);
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}

const orNull = (value: number | null) => (value === null ? null : Number(value));

function rowToRecord(row: RecordRow): OpenAiBatchRecord {
  return {
    id: row.id,
    owner: row.owner,
    inputFileId: row.input_file_id,
    endpoint: row.endpoint,
    completionWindow: row.completion_window,
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    total: Number(row.total),
    errors: row.errors === null ? null : JSON.parse(row.errors),
    createdAtMs: Number(row.created_at_ms),
    expiresAtMs: Number(row.expires_at_ms),
    cancellingAtMs: orNull(row.cancelling_at_ms),
    expiredAtMs: orNull(row.expired_at_ms),
    finishedAtMs: orNull(row.finished_at_ms),
  };
}
