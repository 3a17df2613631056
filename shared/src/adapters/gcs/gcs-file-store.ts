import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type File, Storage } from '@google-cloud/storage';
import type { FileListQuery, FileStore, StoredFile } from '../../ports/file-store.ts';

export interface GcsFileStoreOptions {
  bucket: string;
  prefix: string;
  storage?: Storage;
  apiEndpoint?: string;
  projectId?: string;
}

/**
 * Files in a Cloud Storage folder, one object each (`<prefix>/files/<id>`), the header
 * in the object's custom metadata. Uploads are resumable streams: an object exists only
 * once its last byte is committed, so a failed upload leaves nothing a read could find.
 * Listing reads the folder's object headers and sorts them here (GCS lists by name only);
 * that is a read of every header per list call, fine for the input files a deployment
 * keeps (delete them after use, or give the bucket a lifecycle rule, see infra/).
 */
export class GcsFileStore implements FileStore {
  readonly #storage: Storage;
  readonly #bucket: string;
  readonly #folder: string;

  constructor(options: GcsFileStoreOptions) {
    this.#bucket = options.bucket;
    const prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.#folder = `${prefix ? `${prefix}/` : ''}files/`;
    this.#storage =
      options.storage ??
      new Storage({
        ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
        ...(options.projectId ? { projectId: options.projectId } : {}),
      });
  }

  #object(id: string): File {
    return this.#storage.bucket(this.#bucket).file(`${this.#folder}${id}`);
  }

  async create(
    file: Omit<StoredFile, 'bytes'>,
    content: AsyncIterable<Uint8Array>,
  ): Promise<StoredFile> {
    const object = this.#object(file.id);
    let bytes = 0;
    const counted = Readable.from(
      (async function* () {
        for await (const chunk of content) {
          bytes += chunk.byteLength;
          yield chunk;
        }
      })(),
    );
    try {
      await pipeline(
        counted,
        object.createWriteStream({
          resumable: true,
          contentType: 'application/jsonl',
          // The bytes are checked by GCS against what was sent; hashing them again in
          // JavaScript would double the CPU of a 200 MB upload.
          validation: false,
          metadata: {
            metadata: {
              purpose: file.purpose,
              filename: file.filename,
              createdAtMs: String(file.createdAtMs),
              owner: file.owner ?? '',
            },
          },
          preconditionOpts: { ifGenerationMatch: 0 },
        }) as Writable,
      );
    } catch (error) {
      await object.delete({ ignoreNotFound: true }).catch(() => undefined);
      throw error;
    }
    return { ...file, bytes };
  }

  async get(id: string): Promise<StoredFile | null> {
    try {
      const [metadata] = await this.#object(id).getMetadata();
      return toStoredFile(id, metadata);
    } catch (error) {
      if ((error as { code?: number }).code === 404) {
        return null;
      }
      throw error;
    }
  }

  async list(query: FileListQuery): Promise<StoredFile[]> {
    const [objects] = await this.#storage
      .bucket(this.#bucket)
      .getFiles({ prefix: this.#folder, autoPaginate: true });
    const sign = query.order === 'desc' ? -1 : 1;
    const all = objects
      .map((object) => toStoredFile(object.name.slice(this.#folder.length), object.metadata))
      .filter(
        (file) =>
          (query.owner === null || file.owner === query.owner) &&
          (query.purpose === null || file.purpose === query.purpose),
      )
      .sort((a, b) => sign * (a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1)));
    const start = query.afterId === null ? 0 : all.findIndex((f) => f.id === query.afterId) + 1;
    return all.slice(start, start + query.limit);
  }

  async delete(id: string): Promise<boolean> {
    try {
      await this.#object(id).delete();
      return true;
    } catch (error) {
      if ((error as { code?: number }).code === 404) {
        return false;
      }
      throw error;
    }
  }

  /** A file that does not exist reads as empty, as on the other adapters. */
  async *read(id: string): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of this.#object(id).createReadStream({ validation: false })) {
        yield chunk as Uint8Array;
      }
    } catch (error) {
      if ((error as { code?: number }).code !== 404) {
        throw error;
      }
    }
  }

  async close(): Promise<void> {}
}

function toStoredFile(
  id: string,
  metadata: { size?: string | number; metadata?: Record<string, unknown> | null },
): StoredFile {
  const custom = metadata.metadata ?? {};
  const owner = String(custom.owner ?? '');
  return {
    id,
    purpose: String(custom.purpose ?? 'batch'),
    filename: String(custom.filename ?? id),
    bytes: Number(metadata.size ?? 0),
    createdAtMs: Number(custom.createdAtMs ?? 0),
    owner: owner === '' ? null : owner,
  };
}
