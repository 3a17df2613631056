import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { crc32c } from '@node-rs/crc32';

/**
 * The objects a GCS test server holds. Content lives in memory, or on disk for large seeded
 * models (so a 500 MB model does not sit in the server's heap). Hashes are computed once at
 * write time, as GCS does, and rendered exactly as the JSON API returns them: crc32c as
 * base64 of the big-endian uint32, md5Hash as base64, size and generation as strings.
 */
export interface StoredObject {
  bucket: string;
  name: string;
  /** Microseconds since the epoch, strictly increasing per write (as GCS generations are). */
  generation: string;
  metageneration: string;
  contentType: string;
  size: number;
  crc32c: string;
  md5Hash: string;
  timeCreated: string;
  metadata?: Record<string, string>;
  content: { kind: 'memory'; data: Buffer } | { kind: 'file'; path: string };
}

export interface ObjectResource {
  kind: 'storage#object';
  id: string;
  selfLink: string;
  mediaLink: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  contentType: string;
  storageClass: 'STANDARD';
  size: string;
  md5Hash: string;
  crc32c: string;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  metadata?: Record<string, string>;
}

export interface ListPage {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken?: string;
}

export function crc32cBase64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

/** The crc32c and md5Hash fields GCS computes for these bytes. */
export function hashesOf(data: Buffer): { crc32c: string; md5Hash: string } {
  return {
    crc32c: crc32cBase64(crc32c(data)),
    md5Hash: createHash('md5').update(data).digest('base64'),
  };
}

export class ObjectStore {
  readonly #objects = new Map<string, StoredObject>();
  #lastGeneration = 0;

  put(
    bucket: string,
    name: string,
    data: Buffer,
    options: { contentType?: string; metadata?: Record<string, string> } = {},
  ): StoredObject {
    return this.#store(
      bucket,
      name,
      data.length,
      hashesOf(data),
      { kind: 'memory', data },
      options,
    );
  }

  /** Stores a file by reference: its bytes are read from disk on every download. */
  async putFile(bucket: string, name: string, path: string): Promise<StoredObject> {
    let crc = 0;
    let size = 0;
    const md5 = createHash('md5');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      crc = crc32c(chunk as Buffer, crc);
      md5.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const hashes = { crc32c: crc32cBase64(crc), md5Hash: md5.digest('base64') };
    return this.#store(bucket, name, size, hashes, { kind: 'file', path }, {});
  }

  /** Stores every file under dir as prefix/relative-path; returns the objects written. */
  async putFolder(bucket: string, prefix: string, dir: string): Promise<StoredObject[]> {
    const written: StoredObject[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) {
        continue;
      }
      const path = join(entry.parentPath, entry.name);
      const name = [prefix, relative(dir, path).split(sep).join('/')].filter(Boolean).join('/');
      written.push(await this.putFile(bucket, name, path));
    }
    return written;
  }

  get(bucket: string, name: string): StoredObject | undefined {
    return this.#objects.get(`${bucket}/${name}`);
  }

  delete(bucket: string, name: string): boolean {
    return this.#objects.delete(`${bucket}/${name}`);
  }

  /** Lexicographic listing with prefix, delimiter and page tokens, like objects.list. */
  list(
    bucket: string,
    options: { prefix?: string; delimiter?: string; pageToken?: string; maxResults?: number },
  ): ListPage {
    const prefix = options.prefix ?? '';
    const after = options.pageToken ? Buffer.from(options.pageToken, 'base64url').toString() : '';
    const maxResults = Math.min(options.maxResults ?? 1000, 1000);
    const names = [...this.#objects.values()]
      .filter((o) => o.bucket === bucket && o.name.startsWith(prefix) && o.name > after)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const items: StoredObject[] = [];
    const prefixes = new Set<string>();
    let last = '';
    for (const object of names) {
      if (items.length + prefixes.size >= maxResults) {
        return { items, prefixes: [...prefixes], nextPageToken: encodeToken(last) };
      }
      const rest = object.name.slice(prefix.length);
      const cut = options.delimiter ? rest.indexOf(options.delimiter) : -1;
      if (cut >= 0 && options.delimiter) {
        prefixes.add(prefix + rest.slice(0, cut + options.delimiter.length));
      } else {
        items.push(object);
      }
      last = object.name;
    }
    return { items, prefixes: [...prefixes] };
  }

  /** The bytes [start, end] (inclusive) of an object's content. */
  read(object: StoredObject, start: number, end: number): Readable {
    if (object.content.kind === 'file') {
      return createReadStream(object.content.path, { start, end, highWaterMark: 1 << 16 });
    }
    // Sliced into 64 KiB pieces so slow and fault-injecting bodies behave like a socket's.
    const data = object.content.data.subarray(start, end + 1);
    return Readable.from(pieces(data, 1 << 16), { objectMode: false });
  }

  #store(
    bucket: string,
    name: string,
    size: number,
    hashes: { crc32c: string; md5Hash: string },
    content: StoredObject['content'],
    options: { contentType?: string; metadata?: Record<string, string> },
  ): StoredObject {
    this.#lastGeneration = Math.max(Date.now() * 1000, this.#lastGeneration + 1);
    const object: StoredObject = {
      bucket,
      name,
      generation: String(this.#lastGeneration),
      metageneration: '1',
      contentType: options.contentType ?? 'application/octet-stream',
      size,
      ...hashes,
      timeCreated: new Date().toISOString(),
      content,
      ...(options.metadata ? { metadata: options.metadata } : {}),
    };
    this.#objects.set(`${bucket}/${name}`, object);
    return object;
  }
}

function* pieces(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) {
    yield data.subarray(offset, offset + size);
  }
}

function encodeToken(name: string): string {
  return Buffer.from(name).toString('base64url');
}

/** The JSON resource GCS returns for an object (objects.get, objects.list items, inserts). */
export function toResource(object: StoredObject, baseUrl: string): ObjectResource {
  const encoded = encodeURIComponent(object.name);
  return {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: object.metageneration,
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
    md5Hash: object.md5Hash,
    crc32c: object.crc32c,
    etag: etagOf(object),
    timeCreated: object.timeCreated,
    updated: object.timeCreated,
    timeStorageClassUpdated: object.timeCreated,
    ...(object.metadata ? { metadata: object.metadata } : {}),
  };
}

export function etagOf(object: StoredObject): string {
  return Buffer.from(`${object.generation}/${object.metageneration}`).toString('base64');
}
