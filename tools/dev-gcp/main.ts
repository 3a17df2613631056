import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import {
  type CloudRunTestServer,
  startCloudRunTestServer,
} from '../../test/src/cloud-run-test-server/cloud-run-test-server.ts';
import { freePort } from '../../test/src/emulators/free-port.ts';
import { drainTaskRunner } from '../../test/src/gcp-stack/drain-task-runner.ts';
import {
  type LocalService,
  startFirestoreEmulator,
  startGcsTestServerProcess,
  startPubSubEmulator,
} from '../../test/src/gcp-stack/local-services.ts';
import { pushModelFolder } from '../../test/src/gcp-stack/push-model-folder.ts';
import {
  apiMain,
  newStackSecrets,
  repoRoot,
  type StackEndpoints,
  stackEnv,
  workerMain,
} from '../../test/src/gcp-stack/stack-env.ts';
import {
  type SupervisedProcess,
  startProcess,
  tail,
} from '../../test/src/gcp-stack/supervised-process.ts';
import { type DevGcpArgs, parseDevGcpArgs, usage } from './dev-gcp-args.ts';
import { formatLogLine } from './format-log-line.ts';
import { type KeptProcess, keepRestarting } from './keep-restarting.ts';

/**
 * `npm run dev:gcp`: the production wiring, locally. Starts the Pub/Sub and Firestore
 * emulators and the GCS test server, pushes the model with the real `model push`, then runs
 * the API and the worker(s) as separate processes on the Google Cloud adapters, forwarding
 * their logs. SIGINT/SIGTERM stop everything, workers first (they release their jobs while
 * the emulators still answer), then the API, then the services.
 *
 * A worker that fails (non-zero exit, a signal such as kill -9) is restarted with back-off,
 * as Cloud Run restarts a failed worker-pool instance, and the stack keeps serving: the
 * jobs it held come back when their leases expire (LEASE_SECONDS, passed through from this
 * process's environment). Any other process that exits by itself (the API, an emulator)
 * stops the rest and makes this exit 1.
 */
const projectId = 'warmgen-local';
const modelUri = 'gs://warmgen-models/gpt2';
const modelCacheDir = join(repoRoot, '.cache', 'dev-gcp', 'models');
const readyTimeoutMs = 10 * 60_000;
const nameWidth = 9;

const say = (text: string) => process.stdout.write(`${text}\n`);
const forward = (name: string) => (line: string) =>
  process.stdout.write(`${formatLogLine(name, line, nameWidth)}\n`);

let args: DevGcpArgs | 'help';
try {
  args = parseDevGcpArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`dev:gcp: ${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (args === 'help') {
  process.stdout.write(usage);
  process.exit(0);
}

const services: SupervisedProcess[] = [];
const apps: SupervisedProcess[] = [];
const workers: KeptProcess[] = [];
// Job tasks started by the Cloud Run test server (--scale job); they exit by themselves.
const tasks = new Set<SupervisedProcess>();
let cloudRun: CloudRunTestServer | null = null;
let stopping = false;

async function shutdown(code: number, why: string): Promise<never> {
  stopping = true;
  say(`dev:gcp: stopping (${why})`);
  await Promise.all([
    ...workers.map((worker) => worker.stop()),
    ...[...tasks].map((task) => task.stop()),
  ]);
  await cloudRun?.close();
  for (const group of [apps, services]) {
    await Promise.all(group.map((member) => member.stop()));
  }
  say('dev:gcp: stopped');
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      // A second Ctrl-C: no more waiting.
      for (const member of [...workers.map((w) => w.current()), ...tasks, ...apps, ...services]) {
        void member.kill();
      }
      return;
    }
    void shutdown(0, signal);
  });
}

/** A supervised process whose exit, unless we are stopping, brings the stack down. */
function watch(member: SupervisedProcess, into: SupervisedProcess[]): SupervisedProcess {
  into.push(member);
  void member.exited.then((status) => {
    if (!stopping) {
      say(
        `dev:gcp: ${member.name} exited (code ${status.code}, signal ${status.signal}); last lines:`,
      );
      say(tail([...member.lines()], 20));
      void shutdown(1, `${member.name} exited`);
    }
  });
  return member;
}

async function modelFolder(model: DevGcpArgs['model']): Promise<string> {
  if (model.kind === 'folder') {
    const path = resolve(model.path);
    if (!(await stat(path).catch(() => null))?.isDirectory()) {
      throw new Error(`--model ${model.path}: not a folder`);
    }
    return path;
  }
  say(
    `dev:gcp: building the ${model.size} stand-in model (random weights; cached after the first time)`,
  );
  return ensureModel(model.size);
}

async function start(options: DevGcpArgs): Promise<void> {
  say('dev:gcp: starting the Pub/Sub and Firestore emulators and the GCS test server');
  const started = await Promise.allSettled([
    startPubSubEmulator(),
    startFirestoreEmulator(),
    startGcsTestServerProcess(forward('gcs')),
  ]);
  for (const outcome of started) {
    if (outcome.status === 'fulfilled') {
      watch(outcome.value.process, services);
    }
  }
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    throw failed.reason;
  }
  const [pubsub, firestore, gcs] = started.map(
    (outcome) => (outcome as PromiseFulfilledResult<LocalService>).value,
  ) as [LocalService, LocalService, LocalService];

  const dir = await modelFolder(options.model);
  say(`dev:gcp: pushing ${dir} to ${modelUri} with model push`);
  await pushModelFolder({
    dir,
    uri: modelUri,
    endpoint: gcs.address,
    projectId,
    onLine: forward('push'),
  });

  const endpoints: StackEndpoints = {
    projectId,
    pubsubHost: pubsub.address,
    firestoreHost: firestore.address,
    storageUrl: gcs.address,
    modelUri,
  };
  const secrets = newStackSecrets();
  const port = options.port === 0 ? await freePort() : options.port;
  // Webhooks to a receiver on this machine, as npm start allows (deployments stay strict).
  const env = stackEnv(endpoints, secrets, modelCacheDir, { WEBHOOK_ALLOW_HOSTS: 'loopback' });
  const node = (name: string, main: string, extra: Record<string, string>) => {
    const started = startProcess({
      name,
      command: process.execPath,
      args: [main],
      env: { ...env, ...extra },
      cwd: repoRoot,
      onLine: forward(name),
      keepLines: 1_000,
    });
    say(`dev:gcp: ${name} started (pid ${started.pid})`);
    return started;
  };
  const workerEnv = passThrough(['LEASE_SECONDS']);
  const scaleEnv: Record<string, string> = {};
  if (options.scale === 'job') {
    cloudRun = await startCloudRunTestServer({
      runTask: drainTaskRunner({
        spawn: (name, taskEnv) => {
          const task = node(name, workerMain, { ...workerEnv, ...taskEnv });
          tasks.add(task);
          void task.exited.then(() => tasks.delete(task));
          return task;
        },
        idleExitSeconds: Number(process.env.IDLE_EXIT_SECONDS ?? 10),
      }),
    });
    Object.assign(scaleEnv, {
      SCALE_MODE: 'job',
      SCALE_JOB: `projects/${projectId}/locations/local/jobs/warmgen-worker`,
      CLOUD_RUN_API_ENDPOINT: cloudRun.url,
      ...passThrough(['SCALE_MAX_WORKERS', 'SCALE_JOBS_PER_WORKER', 'SCALE_INTERVAL_SECONDS']),
    });
    say(
      `dev:gcp: Cloud Run Admin API test server on ${cloudRun.url} (job tasks: drain-mode workers)`,
    );
  }
  const api = watch(node('api', apiMain, { PORT: String(port), ...scaleEnv }), apps);
  for (let index = 1; index <= options.workers; index++) {
    const name = `worker-${index}`;
    workers.push(keepRestarting({ name, start: () => node(name, workerMain, workerEnv), say }));
  }
  // A worker that cannot even start once (a bad model, a wrong setting) is a start-up
  // failure, not something a restart fixes.
  await Promise.all([
    api.waitForLine(/warmgen API ready/, readyTimeoutMs),
    ...workers.map((worker) =>
      worker.current().waitForLine(/warmgen worker ready/, readyTimeoutMs),
    ),
  ]);

  const url = `http://127.0.0.1:${port}`;
  const auth = `-H 'Authorization: Bearer ${secrets.apiKey}'`;
  say(`
warmgen is running on its Google Cloud adapters (BACKEND=gcp), locally:
  API          ${url}   (API key: ${secrets.apiKey})
  workers      ${options.workers}, hydrated from ${modelUri} on the GCS test server ${gcs.address}
  scaling      ${options.scale === 'job' ? `SCALE_MODE=job: executions of ${scaleEnv.SCALE_JOB} start from the backlog (Cloud Run test server ${cloudRun?.url})` : 'off'}
  Pub/Sub      emulator on ${pubsub.address}    Firestore  emulator on ${firestore.address}
  project      ${projectId}
  webhooks     signed with ${secrets.webhookSecret} (loopback receivers allowed)

Try it:
  curl -s ${url}/v1/generations ${auth} -H 'Content-Type: application/json' \\
    -H 'Prefer: wait=30' -d '{"prompt": "Once upon a time", "params": {"max_new_tokens": 24}}'
  curl -s '${url}/v1/generations/JOB_ID?wait=10' ${auth}

A worker that crashes is restarted (with back-off); Ctrl-C stops everything.
`);
}

/** The named variables of this process's environment that are set, for the workers. */
function passThrough(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])),
  );
}

try {
  await start(args);
} catch (error) {
  if (!stopping) {
    process.stderr.write(`dev:gcp: ${(error as Error).message}\n`);
    await shutdown(1, 'start-up failed');
  }
}
