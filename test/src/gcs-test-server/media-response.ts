import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultKind } from './faults.ts';
import { etagOf, type ObjectStore, type StoredObject } from './object-store.ts';

type ByteRange = { start: number; end: number };

/**
 * Answers `GET …/o/NAME?alt=media` as GCS does: the whole object (200) or one byte range
 * (206 with Content-Range), with x-goog-hash (whole-object crc32c and md5, also on ranged
 * responses) and x-goog-stored-content-encoding: identity, which the client requires before
 * it validates a download.
 */
export async function sendMedia(
  req: IncomingMessage,
  res: ServerResponse,
  store: ObjectStore,
  object: StoredObject,
  fault: FaultKind | undefined,
): Promise<void> {
  const range = parseRange(req.headers.range, object.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'Content-Type': 'text/plain', 'Content-Range': `bytes */${object.size}` });
    res.end('Request range not satisfiable');
    return;
  }
  const { start, end } = range ?? { start: 0, end: object.size - 1 };
  const length = Math.max(0, end - start + 1);
  const headers: Record<string, string | number> = {
    'Content-Type': object.contentType,
    'Accept-Ranges': 'bytes',
    ETag: etagOf(object),
    'Last-Modified': new Date(object.timeCreated).toUTCString(),
    'x-goog-generation': object.generation,
    'x-goog-metageneration': object.metageneration,
    'x-goog-stored-content-encoding': 'identity',
    'x-goog-stored-content-length': object.size,
    'x-goog-hash': `crc32c=${object.crc32c},md5=${object.md5Hash}`,
    'x-goog-storage-class': 'STANDARD',
  };
  if (fault?.kind !== 'truncate') {
    headers['Content-Length'] = length;
  }
  if (range) {
    headers['Content-Range'] = `bytes ${start}-${end}/${object.size}`;
  }
  res.writeHead(range ? 206 : 200, headers);
  if (length === 0) {
    res.end();
    return;
  }
  const atByte = bodyFault(fault)
    ? Math.min(fault.atByte ?? Math.floor(length / 2), length - 1)
    : 0;
  let offset = 0;
  for await (const piece of store.read(object, start, end)) {
    let chunk = piece as Buffer;
    const pieceEnd = offset + chunk.length;
    if (fault && bodyFault(fault) && offset <= atByte && atByte < pieceEnd) {
      const cut = atByte - offset;
      switch (fault.kind) {
        case 'reset':
          await write(res, chunk.subarray(0, cut));
          res.socket?.resetAndDestroy();
          return;
        case 'truncate':
          await write(res, chunk.subarray(0, cut));
          res.end();
          return;
        case 'flip':
          chunk = Buffer.from(chunk);
          chunk[cut] = (chunk[cut] ?? 0) ^ 0xff;
          break;
        case 'slow':
          await write(res, chunk.subarray(0, cut));
          await sleep(fault.pauseMs);
          chunk = chunk.subarray(cut);
          break;
      }
    }
    if (res.destroyed) {
      return;
    }
    await write(res, chunk);
    offset = pieceEnd;
  }
  res.end();
}

function bodyFault(fault: FaultKind | undefined): fault is Exclude<FaultKind, { kind: 'status' }> {
  return fault !== undefined && fault.kind !== 'status';
}

/** Writes with backpressure, so a slow client slows the server instead of filling its heap. */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  if (chunk.length === 0 || res.write(chunk)) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `bytes=a-b`, `bytes=a-` and `bytes=-n`; an end past the object is clamped, as GCS does. */
function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) {
    return undefined;
  }
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) {
    return 'unsatisfiable';
  }
  return { start, end };
}
