import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ApiLimits } from '@warmgen/api/api-limits.ts';
import { type ApiDeps, type ApiServer, buildApi } from '@warmgen/api/build-api.ts';
import { openDatabase } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { SqliteFileStore } from '@warmgen/shared/adapters/sqlite/sqlite-file-store.ts';
import { SqliteJobQueue } from '@warmgen/shared/adapters/sqlite/sqlite-job-queue.ts';
import { SqliteJobStore } from '@warmgen/shared/adapters/sqlite/sqlite-job-store.ts';
import { SqliteOpenAiBatchStore } from '@warmgen/shared/adapters/sqlite/sqlite-openai-batch-store.ts';
import { SqliteWebhookEventStore } from '@warmgen/shared/adapters/sqlite/sqlite-webhook-event-store.ts';
import { SqliteWriteProbe } from '@warmgen/shared/adapters/sqlite/sqlite-write-probe.ts';
import type { JobResult } from '@warmgen/shared/domain/job.ts';
import type { JobQueue } from '@warmgen/shared/ports/job-queue.ts';
import type { JobStore } from '@warmgen/shared/ports/job-store.ts';
import { strictAddressPolicy } from '@warmgen/shared/webhooks/webhook-address-policy.ts';
import type { ResolveHost } from '@warmgen/shared/webhooks/webhook-url-check.ts';
import { Registry } from 'prom-client';
import { defaultApiLimits } from './fixtures/malformed-requests.ts';

/**
 * The API over real HTTP on 127.0.0.1, on a SQLite store and queue in a fresh temp folder.
 * `close` stops the server and removes the folder; every test must call it.
 */
export interface RunningApi {
  baseUrl: string;
  app: ApiServer;
  store: SqliteJobStore;
  queue: SqliteJobQueue;
  events: SqliteWebhookEventStore;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * No real DNS in tests: every name resolves to one public documentation-free address
 * unless a test passes its own table.
 */
export const publicResolver: ResolveHost = async () => ['93.184.215.14'];

export async function startApi(
  options: {
    limits?: Partial<ApiLimits>;
    tuning?: ApiDeps['tuning'];
    isReady?: () => boolean;
    /** Lets a test watch the store calls the API makes. */
    wrapStore?: (store: JobStore) => JobStore;
    /** Lets a test make the queue fail. */
    wrapQueue?: (queue: JobQueue) => JobQueue;
    auth?: ApiDeps['auth'];
    webhookGuard?: ApiDeps['webhookGuard'];
    /** The database's folder, which the test owns (default: a fresh temp folder, removed). */
    dataDir?: string;
    /** true: the SQLite write probe, as the mains wire it; or a probe of the test's own. */
    storageProbe?: true | (() => Promise<void>);
    /** Probe on /readyz while healthy too (the gcp wiring). */
    storageProbeWhileHealthy?: boolean;
    /** The /openai/v1 settings (default: OpenAI's limits, model gpt2). */
    openai?: ApiDeps['openai'];
    /** The API's clock (default Date.now). */
    now?: () => number;
    /** Opens each connection to the database (default: openDatabase on its path). */
    openConnection?: () => DatabaseSync;
    /** Live output: the stream channel and limits (default: none, 100 per key). */
    stream?: ApiDeps['stream'];
    /** The model's prompt counter (default: none, prompts are not counted at submit). */
    promptTokens?: ApiDeps['promptTokens'];
  } = {},
): Promise<RunningApi> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'warmgen-api-')));
  const path = join(dir, 'warmgen.sqlite');
  const connect = options.openConnection ?? (() => openDatabase(path));
  const store = new SqliteJobStore(connect());
  const queue = new SqliteJobQueue(connect(), { maxAttempts: 3 });
  const events = new SqliteWebhookEventStore(connect());
  const openaiStores = {
    files: new SqliteFileStore(connect()),
    batches: new SqliteOpenAiBatchStore(connect()),
  };
  const probe = options.storageProbe === true ? new SqliteWriteProbe(connect()) : null;
  const storageProbe =
    probe !== null
      ? () => probe.probe()
      : (options.storageProbe as (() => Promise<void>) | undefined);
  const registry = new Registry();
  const app = buildApi({
    store: options.wrapStore ? options.wrapStore(store) : store,
    queue: options.wrapQueue ? options.wrapQueue(queue) : queue,
    limits: { ...defaultApiLimits, ...options.limits },
    isReady: options.isReady ?? (() => true),
    registry,
    logger: false,
    tuning: options.tuning,
    auth: options.auth,
    webhookEvents: events,
    openaiStores,
    ...(options.now ? { now: options.now } : {}),
    ...(options.openai ? { openai: options.openai } : {}),
    webhookGuard: options.webhookGuard ?? { policy: strictAddressPolicy, resolve: publicResolver },
    ...(storageProbe ? { storageProbe } : {}),
    ...(options.storageProbeWhileHealthy ? { storageProbeWhileHealthy: true } : {}),
    ...(options.stream ? { stream: options.stream } : {}),
    ...(options.promptTokens ? { promptTokens: options.promptTokens } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    store,
    queue,
    events,
    registry,
    async close() {
      await app.close();
      await probe?.close();
      await events.close();
      await openaiStores.files.close();
      await openaiStores.batches.close();
      await queue.close();
      await store.close();
      if (options.dataDir === undefined) {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request with exactly these headers and body bytes (fetch would add or normalise
 * some). Resolves with the response even if the server answers before reading the whole
 * body and then closes the connection (an early 413).
 */
export function rawRequest(
  baseUrl: string,
  spec: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer | null;
  },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = spec.body === null || spec.body === undefined ? null : Buffer.from(spec.body);
  const headers: Record<string, string> = { ...spec.headers };
  if (body !== null) {
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', (error) => {
      // EPIPE/ECONNRESET after the response arrived is the server refusing the rest.
      if (!answered) {
        reject(error);
      }
    });
    req.end(body ?? undefined);
  });
}

/** JSON request helper for behaviour tests. */
export async function sendJson(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : null,
  };
}

export const resultFor = (text: string): JobResult => ({
  text,
  promptTokens: 3,
  completionTokens: 4,
  finishReason: 'length',
  timings: { queueMs: 5, generateMs: 40, tokensPerSecond: 100 },
});

/** Plays the worker's part through the store: claim, then complete. */
export async function completeAsWorker(store: SqliteJobStore, jobId: string, text: string) {
  const claimed = await store.claimJob({
    id: jobId,
    workerId: 'test-worker',
    leaseMs: 60_000,
    nowMs: Date.now(),
  });
  if (claimed === null) {
    throw new Error(`job ${jobId} could not be claimed`);
  }
  const done = await store.completeJob({
    id: jobId,
    workerId: 'test-worker',
    result: resultFor(text),
    nowMs: Date.now(),
  });
  if (!done) {
    throw new Error(`job ${jobId} could not be completed`);
  }
}
