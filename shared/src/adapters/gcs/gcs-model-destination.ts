import { Storage } from '@google-cloud/storage';

export interface GcsModelDestinationOptions {
  bucket: string;
  prefix: string;
  storage?: Storage;
  apiEndpoint?: string;
  projectId?: string;
}

export interface RemoteModelObject {
  /** Path relative to the prefix, forward slashes. */
  path: string;
  sizeBytes: number;
  generation: string;
  crc32c?: string;
}

/**
 * Where `model push` writes: a Cloud Storage folder gs://bucket/prefix. Uploads are
 * resumable and conditional on the generation the pusher saw (0 = must not exist), so a
 * concurrent push fails instead of silently overwriting, and the client may retry them
 * safely. The file's CRC32C is declared up front: GCS refuses bytes that don't match it,
 * and the object it returns is checked again here.
 */
export class GcsModelDestination {
  readonly description: string;
  readonly #storage: Storage;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: GcsModelDestinationOptions) {
    this.#bucket = options.bucket;
    this.#prefix = options.prefix.replace(/^\/+|\/+$/g, '');
    this.description = `gs://${[this.#bucket, this.#prefix].filter(Boolean).join('/')}`;
    this.#storage =
      options.storage ??
      new Storage({
        ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
        ...(options.projectId ? { projectId: options.projectId } : {}),
      });
  }

  async list(): Promise<RemoteModelObject[]> {
    const folder = this.#prefix ? `${this.#prefix}/` : '';
    const [objects] = await this.#storage.bucket(this.#bucket).getFiles({ prefix: folder });
    return objects
      .filter((object) => !object.name.endsWith('/'))
      .map((object) => ({
        path: object.name.slice(folder.length),
        sizeBytes: Number(object.metadata.size),
        generation: String(object.metadata.generation),
        ...(object.metadata.crc32c ? { crc32c: object.metadata.crc32c } : {}),
      }));
  }

  async upload(
    localPath: string,
    path: string,
    options: {
      crc32c: string;
      /** The generation being replaced, or "0" for a new object. */
      ifGenerationMatch: string;
      onProgress?: (bytesSent: number) => void;
    },
  ): Promise<RemoteModelObject> {
    const [file] = await this.#storage.bucket(this.#bucket).upload(localPath, {
      destination: this.#objectName(path),
      resumable: true,
      // Checked server-side against the declared crc32c, and below: the client's own
      // validation would hash the file a second time in JavaScript.
      validation: false,
      metadata: { crc32c: options.crc32c, contentType: contentTypeOf(path) },
      preconditionOpts: { ifGenerationMatch: Number(options.ifGenerationMatch) },
      ...(options.onProgress
        ? {
            onUploadProgress: (event: { bytesWritten: number }) =>
              options.onProgress?.(event.bytesWritten),
          }
        : {}),
    });
    const { crc32c, size, generation } = file.metadata;
    if (crc32c !== options.crc32c) {
      throw new Error(
        `${this.description}/${path}: stored crc32c ${crc32c} does not match the local file's ${options.crc32c}`,
      );
    }
    return { path, sizeBytes: Number(size), generation: String(generation), crc32c };
  }

  async delete(path: string, generation: string): Promise<void> {
    await this.#storage
      .bucket(this.#bucket)
      .file(this.#objectName(path))
      .delete({ ifGenerationMatch: Number(generation) });
  }

  #objectName(path: string): string {
    return this.#prefix ? `${this.#prefix}/${path}` : path;
  }
}

function contentTypeOf(path: string): string {
  return path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}
