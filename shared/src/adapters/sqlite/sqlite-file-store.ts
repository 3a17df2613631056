import type { DatabaseSync } from 'node:sqlite';
import type { FileListQuery, FileStore, StoredFile } from '../../ports/file-store.ts';
import { openDatabase } from './open-database.ts';
import { inTransaction } from './transaction.ts';

/**
 * Bytes per stored chunk: large enough that a 200 MB file is 200 rows, small enough that
 * an upload or a download holds one chunk at a time.
 */
const chunkBytes = 1024 * 1024;

interface FileRow {
  id: string;
  purpose: string;
  filename: string;
  bytes: number;
  created_at_ms: number;
  owner: string | null;
}

/**
 * Files on the embedded SQLite database: a header row and the content in ~1 MiB chunks.
 * The header is written first with complete = 0, each chunk in its own short transaction
 * (so an upload never holds the write lock while it waits on the network), and complete
 * = 1 last: reads only see complete files, and a failed upload deletes what it wrote.
 */
export class SqliteFileStore implements FileStore {
  readonly #db: DatabaseSync;

  static open(path: string): SqliteFileStore {
    return new SqliteFileStore(openDatabase(path));
  }

  /** Takes ownership of a handle from openDatabase: close() closes it. */
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async create(
    file: Omit<StoredFile, 'bytes'>,
    content: AsyncIterable<Uint8Array>,
  ): Promise<StoredFile> {
    this.#db
      .prepare(
        'INSERT INTO files (id, purpose, filename, created_at_ms, owner) VALUES (?, ?, ?, ?, ?)',
      )
      .run(file.id, file.purpose, file.filename, file.createdAtMs, file.owner);
    const insertChunk = this.#db.prepare(
      'INSERT INTO file_chunks (file_id, seq, data) VALUES (?, ?, ?)',
    );
    let bytes = 0;
    let seq = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = () => {
      if (pendingBytes > 0) {
        insertChunk.run(file.id, seq++, Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    };
    try {
      for await (const piece of content) {
        pending.push(piece);
        pendingBytes += piece.byteLength;
        bytes += piece.byteLength;
        if (pendingBytes >= chunkBytes) {
          flush();
        }
      }
      flush();
      this.#db.prepare('UPDATE files SET bytes = ?, complete = 1 WHERE id = ?').run(bytes, file.id);
    } catch (error) {
      await this.delete(file.id);
      throw error;
    }
    return { ...file, bytes };
  }

  async get(id: string): Promise<StoredFile | null> {
    const row = this.#db
      .prepare(`SELECT ${columns} FROM files WHERE id = ? AND complete = 1`)
      .get(id) as FileRow | undefined;
    return row === undefined ? null : rowToFile(row);
  }

  async list(query: FileListQuery): Promise<StoredFile[]> {
    const after = query.afterId === null ? null : await this.get(query.afterId);
    const cmp = query.order === 'desc' ? '<' : '>';
    const direction = query.order === 'desc' ? 'DESC' : 'ASC';
    const rows = this.#db
      .prepare(
        `SELECT ${columns} FROM files WHERE complete = 1
           AND (:owner IS NULL OR owner = :owner)
           AND (:purpose IS NULL OR purpose = :purpose)
           AND (:after_ms IS NULL OR (created_at_ms, id) ${cmp} (:after_ms, :after_id))
         ORDER BY created_at_ms ${direction}, id ${direction} LIMIT :limit`,
      )
      .all({
        owner: query.owner,
        purpose: query.purpose,
        after_ms: after?.createdAtMs ?? null,
        after_id: after?.id ?? null,
        limit: query.limit,
      }) as unknown as FileRow[];
    return rows.map(rowToFile);
  }

  async delete(id: string): Promise<boolean> {
    return inTransaction(this.#db, () => {
      this.#db.prepare('DELETE FROM file_chunks WHERE file_id = ?').run(id);
      return Number(this.#db.prepare('DELETE FROM files WHERE id = ?').run(id).changes) === 1;
    });
  }

  async *read(id: string): AsyncIterable<Uint8Array> {
    const select = this.#db.prepare('SELECT data FROM file_chunks WHERE file_id = ? AND seq = ?');
    for (let seq = 0; ; seq++) {
      const row = select.get(id, seq) as { data: Uint8Array } | undefined;
      if (row === undefined) {
        return;
      }
      yield row.data;
    }
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) {
      this.#db.close();
    }
  }
}

const columns = 'id, purpose, filename, bytes, created_at_ms, owner';

function rowToFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    purpose: row.purpose,
    filename: row.filename,
    bytes: Number(row.bytes),
    createdAtMs: Number(row.created_at_ms),
    owner: row.owner,
  };
}
