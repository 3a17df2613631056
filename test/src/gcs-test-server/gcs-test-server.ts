import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, type Operation } from './faults.ts';
import { sendMedia } from './media-response.ts';
import { ObjectStore, toResource } from './object-store.ts';
import { gcsError, readBody, UploadHandlers } from './upload-handlers.ts';

/**
 * An in-process server speaking the subset of the Cloud Storage JSON API that
 * `@google-cloud/storage` 8.x uses: objects.list (prefix, delimiter, pageToken, maxResults),
 * objects.get (metadata and alt=media with Range), objects.delete, and multipart and
 * resumable uploads. Point the real client at it with
 * `new Storage({ apiEndpoint: server.url, projectId })` and STORAGE_EMULATOR_HOST unset.
 * Buckets exist implicitly. Every request is recorded, and faults can be injected.
 */
export interface RecordedRequest {
  method: string;
  operation: Operation | 'unknown';
  object?: string;
  range?: string;
  status?: number;
}

export interface GcsTestServer {
  /** `http://127.0.0.1:PORT`, the client's apiEndpoint. */
  readonly url: string;
  readonly store: ObjectStore;
  readonly faults: FaultPlan;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const objectPath = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/;
const listPath = /^\/storage\/v1\/b\/([^/]+)\/o\/?$/;
const uploadPath = /^\/upload\/storage\/v1\/b\/([^/]+)\/o\/?$/;

export async function startGcsTestServer(
  options: { host?: string; port?: number; store?: ObjectStore } = {},
): Promise<GcsTestServer> {
  const store = options.store ?? new ObjectStore();
  const faults = new FaultPlan();
  const requests: RecordedRequest[] = [];
  let baseUrl = '';
  const uploads = new UploadHandlers(store, () => baseUrl);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', baseUrl);
    const record: RecordedRequest = { method: req.method ?? 'GET', operation: 'unknown' };
    if (req.headers.range) {
      record.range = req.headers.range;
    }
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const type = typeof body === 'string' ? 'text/plain' : 'application/json; charset=UTF-8';
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Length': Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };

    const objectMatch = objectPath.exec(url.pathname);
    const listMatch = listPath.exec(url.pathname);
    const uploadMatch = uploadPath.exec(url.pathname);
    const bucket = decodeURIComponent((objectMatch ?? listMatch ?? uploadMatch)?.[1] ?? '');
    const name = objectMatch?.[2]
      ? decodeURIComponent(objectMatch[2])
      : url.searchParams.get('name');
    record.operation = operationOf(req.method, url, objectMatch, listMatch, uploadMatch);
    if (name) {
      record.object = name;
    }

    const fault = faults.take(record.operation as Operation, name ?? undefined);
    if (fault?.kind === 'status') {
      await readBody(req);
      const headers: Record<string, string> = fault.retryAfterSeconds
        ? { 'Retry-After': String(fault.retryAfterSeconds) }
        : {};
      return reply(fault.status, gcsError(fault.status, `Injected ${fault.status}`), headers);
    }

    switch (record.operation) {
      case 'list': {
        const maxResults = url.searchParams.get('maxResults');
        const page = store.list(bucket, {
          prefix: url.searchParams.get('prefix') ?? '',
          delimiter: url.searchParams.get('delimiter') ?? '',
          pageToken: url.searchParams.get('pageToken') ?? '',
          ...(maxResults ? { maxResults: Number(maxResults) } : {}),
        });
        return reply(200, {
          kind: 'storage#objects',
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
          ...(page.prefixes.length ? { prefixes: page.prefixes } : {}),
          ...(page.items.length ? { items: page.items.map((o) => toResource(o, baseUrl)) } : {}),
        });
      }
      case 'metadata':
      case 'media':
      case 'delete': {
        const object = name ? store.get(bucket, name) : undefined;
        const generation = url.searchParams.get('generation');
        if (!object || (generation !== null && generation !== object.generation)) {
          return reply(404, gcsError(404, `No such object: ${bucket}/${name}`));
        }
        const ifMatch = url.searchParams.get('ifGenerationMatch');
        if (record.operation === 'delete' && ifMatch !== null && ifMatch !== object.generation) {
          return reply(
            412,
            gcsError(412, 'At least one of the pre-conditions you specified did not hold.'),
          );
        }
        if (record.operation === 'delete') {
          store.delete(bucket, object.name);
          res.writeHead(204);
          res.end();
          return;
        }
        if (record.operation === 'metadata') {
          return reply(200, toResource(object, baseUrl));
        }
        return sendMedia(req, res, store, object, fault);
      }
      case 'upload': {
        const type = url.searchParams.get('uploadType');
        if (req.method === 'PUT') {
          return uploads.putResumable(req, url, reply);
        }
        if (type === 'multipart') {
          return uploads.multipart(req, url, bucket, reply);
        }
        if (type === 'resumable') {
          return uploads.startResumable(req, url, bucket, reply);
        }
        return reply(400, gcsError(400, `Unsupported uploadType "${type}"`));
      }
      default:
        await readBody(req);
        return reply(
          404,
          gcsError(404, `Not implemented by the test server: ${req.method} ${url.pathname}`),
        );
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(gcsError(500, String(error))));
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => {
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.address}:${address.port}`;

  return {
    url: baseUrl,
    store,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function operationOf(
  method: string | undefined,
  url: URL,
  objectMatch: RegExpExecArray | null,
  listMatch: RegExpExecArray | null,
  uploadMatch: RegExpExecArray | null,
): Operation | 'unknown' {
  if (uploadMatch && (method === 'POST' || method === 'PUT')) {
    return 'upload';
  }
  if (listMatch && method === 'GET') {
    return 'list';
  }
  if (objectMatch && method === 'GET') {
    return url.searchParams.get('alt') === 'media' ? 'media' : 'metadata';
  }
  if (objectMatch && method === 'DELETE') {
    return 'delete';
  }
  return 'unknown';
}
