import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseMultipartRelated } from './multipart-related.ts';
import { hashesOf, type ObjectStore, type StoredObject, toResource } from './object-store.ts';

interface ObjectMetadata {
  name?: string;
  contentType?: string;
  metadata?: Record<string, string>;
  crc32c?: string;
  md5Hash?: string;
}

interface UploadSession {
  bucket: string;
  name: string;
  metadata: ObjectMetadata;
  ifGenerationMatch: string | null;
  chunks: Buffer[];
  received: number;
  finished?: StoredObject;
}

export type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

/**
 * The two upload protocols the client uses: uploadType=multipart (one POST) and
 * uploadType=resumable (a POST that opens a session and answers with its Location, then
 * PUTs with Content-Range: `bytes a-b/total`, `bytes a-*\/total|*` or `bytes *\/total|*`
 * for a status query; 308 + Range while incomplete). The final response is the object
 * resource; hashes the client declares (metadata crc32c/md5Hash or X-Goog-Hash) are
 * checked against the bytes, and a mismatch is a 400 that stores nothing, as on GCS.
 */
export class UploadHandlers {
  readonly #sessions = new Map<string, UploadSession>();
  readonly #store: ObjectStore;
  readonly #baseUrl: () => string;

  constructor(store: ObjectStore, baseUrl: () => string) {
    this.#store = store;
    this.#baseUrl = baseUrl;
  }

  async multipart(req: IncomingMessage, url: URL, bucket: string, reply: Reply): Promise<void> {
    const body = await readBody(req);
    const parts = parseMultipartRelated(req.headers['content-type'] ?? '', body);
    const [metaPart, mediaPart] = parts;
    if (!metaPart || !mediaPart) {
      return reply(400, gcsError(400, 'Multipart upload needs a metadata part and a media part'));
    }
    const metadata = JSON.parse(metaPart.body.toString() || '{}') as ObjectMetadata;
    metadata.contentType ??= mediaPart.headers['content-type'];
    const name = url.searchParams.get('name') ?? metadata.name;
    if (!name) {
      return reply(400, gcsError(400, 'Required parameter: name'));
    }
    const ifMatch = url.searchParams.get('ifGenerationMatch');
    this.#finish(bucket, name, metadata, ifMatch, mediaPart.body, undefined, reply);
  }

  async startResumable(
    req: IncomingMessage,
    url: URL,
    bucket: string,
    reply: Reply,
  ): Promise<void> {
    const body = await readBody(req);
    const metadata = JSON.parse(body.toString() || '{}') as ObjectMetadata;
    const name = url.searchParams.get('name') ?? metadata.name;
    if (!name) {
      return reply(400, gcsError(400, 'Required parameter: name'));
    }
    metadata.contentType ??= headerValue(req.headers['x-upload-content-type']);
    const id = randomUUID().replaceAll('-', '');
    this.#sessions.set(id, {
      bucket,
      name,
      metadata,
      ifGenerationMatch: url.searchParams.get('ifGenerationMatch'),
      chunks: [],
      received: 0,
    });
    const location = `${this.#baseUrl()}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
    reply(200, '', { Location: location });
  }

  async putResumable(req: IncomingMessage, url: URL, reply: Reply): Promise<void> {
    const session = this.#sessions.get(url.searchParams.get('upload_id') ?? '');
    const body = await readBody(req);
    if (!session) {
      return reply(404, gcsError(404, 'No such upload session'));
    }
    if (session.finished) {
      return reply(200, toResource(session.finished, this.#baseUrl()));
    }
    const range = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(req.headers['content-range'] ?? '');
    if (!range) {
      return reply(400, gcsError(400, `Bad Content-Range "${req.headers['content-range']}"`));
    }
    const total = range[4] === '*' ? undefined : Number(range[4]);
    if (range[1] !== '*') {
      const start = Number(range[2]);
      if (start > session.received) {
        return reply(
          400,
          gcsError(400, `Upload starts at ${start}, server has ${session.received}`),
        );
      }
      // Bytes the server already has (a retried chunk) are skipped, not stored twice.
      const fresh = body.subarray(session.received - start);
      session.chunks.push(fresh);
      session.received += fresh.length;
    }
    // `bytes a-*/*` is a single-request upload of unknown length: its body is the rest.
    const complete =
      total === undefined ? range[3] === '*' && range[1] !== '*' : session.received >= total;
    if (!complete) {
      const headers: Record<string, string> =
        session.received > 0 ? { Range: `bytes=0-${session.received - 1}` } : {};
      return reply(308, '', headers);
    }
    const hashes = parseGoogHash(headerValue(req.headers['x-goog-hash']));
    const metadata = { ...session.metadata, ...hashes };
    const data = Buffer.concat(session.chunks);
    this.#finish(
      session.bucket,
      session.name,
      metadata,
      session.ifGenerationMatch,
      data,
      session,
      reply,
    );
  }

  #finish(
    bucket: string,
    name: string,
    metadata: ObjectMetadata,
    ifGenerationMatch: string | null,
    data: Buffer,
    session: UploadSession | undefined,
    reply: Reply,
  ): void {
    const current = this.#store.get(bucket, name);
    if (ifGenerationMatch !== null && (current?.generation ?? '0') !== ifGenerationMatch) {
      reply(
        412,
        gcsError(
          412,
          'At least one of the pre-conditions you specified did not hold.',
          'conditionNotMet',
        ),
      );
      return;
    }
    const actual = hashesOf(data);
    for (const [field, label] of [
      ['crc32c', 'CRC32C'],
      ['md5Hash', 'MD5'],
    ] as const) {
      const declared = metadata[field];
      if (declared !== undefined && declared !== actual[field]) {
        const message = `Provided ${label} "${declared}" doesn't match calculated ${label} "${actual[field]}".`;
        reply(400, gcsError(400, message));
        return;
      }
    }
    const stored = this.#store.put(bucket, name, data, {
      ...(metadata.contentType ? { contentType: metadata.contentType } : {}),
      ...(metadata.metadata ? { metadata: metadata.metadata } : {}),
    });
    if (session) {
      session.finished = stored;
      session.chunks = [];
    }
    reply(200, toResource(stored, this.#baseUrl()));
  }
}

export function gcsError(code: number, message: string, reason = defaultReason(code)) {
  return { error: { code, message, errors: [{ message, domain: 'global', reason }] } };
}

function defaultReason(code: number): string {
  return (
    { 400: 'invalid', 404: 'notFound', 412: 'conditionNotMet', 429: 'rateLimitExceeded' }[code] ??
    'backendError'
  );
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseGoogHash(header: string | undefined): Pick<ObjectMetadata, 'crc32c' | 'md5Hash'> {
  const hashes: Pick<ObjectMetadata, 'crc32c' | 'md5Hash'> = {};
  for (const pair of (header ?? '').split(',')) {
    const at = pair.indexOf('=');
    const [key, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    if (key === 'crc32c') {
      hashes.crc32c = value;
    } else if (key === 'md5') {
      hashes.md5Hash = value;
    }
  }
  return hashes;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
