import { Storage } from '@google-cloud/storage';
import type { ByteRange, ModelFile, ModelSource } from '../../ports/model-source.ts';

export interface GcsModelSourceOptions {
  bucket: string;
  /** Folder inside the bucket, without leading or trailing slashes ("" for the bucket root). */
  prefix: string;
  /**
   * A client to use; otherwise one is built from apiEndpoint and projectId, with the
   * client's own retries off (the hydrator owns retries).
   */
  storage?: Storage;
  /** e.g. the URL of a test server; default the real service. */
  apiEndpoint?: string;
  projectId?: string;
}

/**
 * A model folder in Cloud Storage, gs://bucket/prefix. Lists every object under the prefix
 * (all pages) with its generation, size and hashes, and reads objects pinned to the listed
 * generation, whole or by byte range. Client-side validation is off on reads: the hydrator
 * verifies the whole file (ranged reads can't be validated by the client anyway).
 */
export class GcsModelSource implements ModelSource {
  readonly description: string;
  readonly #storage: Storage;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: GcsModelSourceOptions) {
    this.#bucket = options.bucket;
    this.#prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.description = `gs://${[this.#bucket, this.#prefix].filter(Boolean).join('/')}`;
    this.#storage =
      options.storage ??
      new Storage({
        ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
        ...(options.projectId ? { projectId: options.projectId } : {}),
        // The hydrator retries every list and read itself (backoff, resets, stalls). The
        // client's own retry of a read stream crashes the process: on a 5xx its transport
        // (teeny-request) pipes into the stream it just destroyed and throws
        // ERR_STREAM_UNABLE_TO_PIPE from an event handler, out of anyone's reach.
        retryOptions: { autoRetry: false },
      });
  }

  async list(): Promise<ModelFile[]> {
    const folder = this.#prefix ? `${this.#prefix}/` : '';
    const [objects] = await this.#storage
      .bucket(this.#bucket)
      .getFiles({ prefix: folder, autoPaginate: true });
    const files: ModelFile[] = [];
    for (const object of objects) {
      // Consoles create zero-byte "folder/" placeholder objects; they are not model files.
      if (object.name.endsWith('/')) {
        continue;
      }
      const { size, generation, crc32c, md5Hash } = object.metadata;
      files.push({
        path: object.name.slice(folder.length),
        sizeBytes: Number(size),
        version: String(generation),
        ...(crc32c ? { crc32c } : {}),
        ...(md5Hash ? { md5: md5Hash } : {}),
      });
    }
    return files;
  }

  async open(file: ModelFile, range?: ByteRange): Promise<NodeJS.ReadableStream> {
    const name = this.#prefix ? `${this.#prefix}/${file.path}` : file.path;
    const object = this.#storage
      .bucket(this.#bucket)
      .file(name, { generation: Number(file.version) });
    return object.createReadStream({
      validation: false,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }
}
