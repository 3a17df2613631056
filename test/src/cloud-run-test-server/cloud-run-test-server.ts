import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process server speaking the part of the Cloud Run Admin API (v2, REST) that the
 * launcher's official `@google-cloud/run` clients call with `fallback: true`:
 *   POST  /v2/{job}:run            runJob (overrides.taskCount), answers a long-running
 *                                  Operation whose metadata is the new Execution
 *   GET   /v2/{job}/executions     listExecutions
 *   GET   /v2/{execution}          getExecution
 *   GET   /v2/{workerPool}         getWorkerPool
 *   PATCH /v2/{workerPool}         updateWorkerPool (scaling.manualInstanceCount)
 * Jobs and pools exist implicitly. A run starts each task through `runTask` (dev:gcp and
 * the end-to-end tests start a drain-mode worker process with the CLOUD_RUN_* variables
 * Cloud Run sets); a task runs until its promise settles, and fails on a non-zero exit
 * (retried up to `maxRetries` times, as a job's task template says). `refuseRuns(n)` makes
 * the next n runJob calls answer 503, as an Admin API outage would. With `runInstance`, a
 * pool's instance count is also carried out, as Cloud Run does for a manually scaled pool:
 * raising it starts instances (long-lived worker processes), lowering it stops the newest
 * ones (SIGTERM, so they release their jobs).
 */
export interface TaskEnv {
  CLOUD_RUN_JOB: string;
  CLOUD_RUN_EXECUTION: string;
  CLOUD_RUN_TASK_INDEX: string;
  CLOUD_RUN_TASK_COUNT: string;
  CLOUD_RUN_TASK_ATTEMPT: string;
}

/** Runs one task attempt; resolves with its exit code. */
export type RunTask = (env: TaskEnv) => Promise<number>;

/** Starts one instance of a worker pool; `stop` ends it and resolves with its exit code. */
export type RunInstance = (pool: string, index: number) => { stop(): Promise<number> };

export interface InstanceRecord {
  pool: string;
  index: number;
  /** Exit code once stopped by a scale-down; null while it runs. */
  exitCode: number | null;
  stopped: Promise<void>;
}

export interface ExecutionRecord {
  name: string;
  job: string;
  taskCount: number;
  runningCount: number;
  succeededCount: number;
  failedCount: number;
  retriedCount: number;
  createTime: string;
  completionTime: string | null;
  /** Exit codes of every attempt, by task index. */
  exits: number[][];
  done: Promise<void>;
}

export interface CloudRunTestServer {
  /** `http://127.0.0.1:PORT`, CLOUD_RUN_API_ENDPOINT. */
  readonly url: string;
  readonly executions: ExecutionRecord[];
  /** Instance counts of the worker pools, by name. */
  readonly pools: Map<string, number>;
  /** Every pool instance started (with `runInstance`), in start order. */
  readonly instances: InstanceRecord[];
  /** Requests seen, as "METHOD path" (for tests of what the client sent). */
  readonly requests: Array<{ method: string; path: string; body: unknown; status?: number }>;
  refuseRuns(count: number): void;
  /** Unfinished tasks over every execution. */
  runningTasks(): number;
  close(): Promise<void>;
}

const runPath = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/:]+):run$/;
const listPath = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+)\/executions$/;
const executionPath = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+\/executions\/[^/]+)$/;
const poolPath = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/workerPools\/[^/]+)$/;
const maxTasks = 10_000;

export async function startCloudRunTestServer(options: {
  runTask: RunTask;
  runInstance?: RunInstance;
  maxRetries?: number;
  port?: number;
}): Promise<CloudRunTestServer> {
  const executions: ExecutionRecord[] = [];
  const pools = new Map<string, number>();
  const instances: InstanceRecord[] = [];
  const running = new Map<string, Array<{ record: InstanceRecord; stop(): Promise<number> }>>();

  /** Starts or stops instances until the pool runs `count` of them. */
  function reconcile(pool: string, count: number): void {
    const runInstance = options.runInstance;
    if (runInstance === undefined) {
      return;
    }
    const members = running.get(pool) ?? [];
    running.set(pool, members);
    while (members.length < count) {
      const index = instances.filter((instance) => instance.pool === pool).length;
      const started = runInstance(pool, index);
      const record: InstanceRecord = { pool, index, exitCode: null, stopped: Promise.resolve() };
      instances.push(record);
      members.push({ record, stop: started.stop });
    }
    while (members.length > count) {
      const member = members.pop() as (typeof members)[number];
      member.record.stopped = member.stop().then((code) => {
        member.record.exitCode = code;
      });
    }
  }
  const requests: CloudRunTestServer['requests'] = [];
  const maxRetries = options.maxRetries ?? 0;
  let refusals = 0;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const failure = (res: ServerResponse, status: number, grpc: string, message: string) =>
    reply(res, status, { error: { code: status, message, status: grpc } });

  function startExecution(job: string, taskCount: number): ExecutionRecord {
    const jobId = job.split('/').at(-1) ?? 'job';
    const record: ExecutionRecord = {
      name: `${job}/executions/${jobId}-${randomBytes(3).toString('hex')}`,
      job,
      taskCount,
      runningCount: taskCount,
      succeededCount: 0,
      failedCount: 0,
      retriedCount: 0,
      createTime: new Date().toISOString(),
      completionTime: null,
      exits: Array.from({ length: taskCount }, () => []),
      done: Promise.resolve(),
    };
    const runOne = async (index: number): Promise<void> => {
      for (let attempt = 0; ; attempt += 1) {
        const code = await options
          .runTask({
            CLOUD_RUN_JOB: jobId,
            CLOUD_RUN_EXECUTION: record.name.split('/').at(-1) ?? '',
            CLOUD_RUN_TASK_INDEX: String(index),
            CLOUD_RUN_TASK_COUNT: String(taskCount),
            CLOUD_RUN_TASK_ATTEMPT: String(attempt),
          })
          .catch(() => 1);
        record.exits[index]?.push(code);
        if (code === 0) {
          record.succeededCount += 1;
          break;
        }
        if (attempt >= maxRetries) {
          record.failedCount += 1;
          break;
        }
        record.retriedCount += 1;
      }
      record.runningCount -= 1;
    };
    record.done = Promise.all(Array.from({ length: taskCount }, (_, index) => runOne(index))).then(
      () => {
        record.completionTime = new Date().toISOString();
      },
    );
    executions.push(record);
    return record;
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const raw = await readBody(req);
    const body = raw === '' ? null : (JSON.parse(raw) as unknown);
    const entry: (typeof requests)[number] = { method: req.method ?? 'GET', path, body };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });

    const run = runPath.exec(path);
    if (run?.[1] && req.method === 'POST') {
      if (refusals > 0) {
        refusals -= 1;
        return failure(
          res,
          503,
          'UNAVAILABLE',
          'The service is currently unavailable (test server refusal).',
        );
      }
      const overrides = (body as { overrides?: { taskCount?: number } } | null)?.overrides;
      const taskCount = overrides?.taskCount ?? 1;
      if (!Number.isInteger(taskCount) || taskCount < 1 || taskCount > maxTasks) {
        return failure(res, 400, 'INVALID_ARGUMENT', `overrides.task_count must be 1-${maxTasks}`);
      }
      const execution = startExecution(run[1], taskCount);
      return reply(res, 200, {
        name: `${run[1].split('/jobs/')[0]}/operations/${randomBytes(6).toString('hex')}`,
        done: false,
        metadata: {
          '@type': 'type.googleapis.com/google.cloud.run.v2.Execution',
          ...view(execution),
        },
      });
    }
    const list = listPath.exec(path);
    if (list?.[1] && req.method === 'GET') {
      const found = executions.filter((execution) => execution.job === list[1]).reverse();
      return reply(res, 200, { executions: found.map(view) });
    }
    const one = executionPath.exec(path);
    if (one?.[1] && req.method === 'GET') {
      const found = executions.find((execution) => execution.name === one[1]);
      return found
        ? reply(res, 200, view(found))
        : failure(res, 404, 'NOT_FOUND', `${one[1]} not found`);
    }
    const pool = poolPath.exec(path);
    if (pool?.[1] && req.method === 'GET') {
      return reply(res, 200, poolView(pool[1], pools.get(pool[1]) ?? 0));
    }
    if (pool?.[1] && req.method === 'PATCH') {
      const count = (body as { scaling?: { manualInstanceCount?: number } } | null)?.scaling
        ?.manualInstanceCount;
      if (!Number.isInteger(count) || (count as number) < 0) {
        return failure(res, 400, 'INVALID_ARGUMENT', 'scaling.manual_instance_count must be >= 0');
      }
      pools.set(pool[1], count as number);
      reconcile(pool[1], count as number);
      return reply(res, 200, {
        name: `${pool[1].split('/workerPools/')[0]}/operations/${randomBytes(6).toString('hex')}`,
        done: true,
        response: {
          '@type': 'type.googleapis.com/google.cloud.run.v2.WorkerPool',
          ...poolView(pool[1], count as number),
        },
      });
    }
    return failure(res, 404, 'NOT_FOUND', `no route for ${req.method} ${path}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => failure(res, 500, 'INTERNAL', String(error)));
  });
  // Node closes idle keep-alive sockets after 5 s, racing the client's reuse of them
  // (ECONNRESET); Google's front ends keep them far longer.
  server.keepAliveTimeout = 620_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    executions,
    pools,
    instances,
    requests,
    refuseRuns(count) {
      refusals = count;
    },
    runningTasks: () => executions.reduce((sum, execution) => sum + execution.runningCount, 0),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The Execution resource as the REST API spells it (camelCase, RFC 3339 times). */
function view(execution: ExecutionRecord): Record<string, unknown> {
  return {
    name: execution.name,
    job: execution.job.split('/').at(-1),
    createTime: execution.createTime,
    ...(execution.completionTime ? { completionTime: execution.completionTime } : {}),
    taskCount: execution.taskCount,
    runningCount: execution.runningCount,
    succeededCount: execution.succeededCount,
    failedCount: execution.failedCount,
    retriedCount: execution.retriedCount,
  };
}

function poolView(name: string, count: number): Record<string, unknown> {
  return { name, scaling: { manualInstanceCount: count } };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
