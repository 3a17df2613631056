import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach } from 'node:test';
import type { Firestore } from '@google-cloud/firestore';
import { createFirestoreClient } from '@warmgen/shared/adapters/firestore/firestore-client.ts';
import { ensureModel } from '@warmgen/worker/model-builder/ensure-model.ts';
import { freePort } from '../e2e/free-port.ts';
import { uniqueName, useGcpEmulators } from '../emulators/gcp-emulators.ts';
import { type GcsTestServer, startGcsTestServer } from '../gcs-test-server/gcs-test-server.ts';
import { pushModelFolder } from './push-model-folder.ts';
import {
  apiMain,
  namespacedResources,
  newStackSecrets,
  repoRoot,
  type StackEndpoints,
  type StackSecrets,
  stackEnv,
  workerMain,
} from './stack-env.ts';
import { type SupervisedProcess, startProcess, tail } from './supervised-process.ts';

/**
 * The local Google Cloud stack for an end-to-end test file: the emulators (harness in
 * ../emulators), the GCS test server in the test process (its faults stay at hand), the
 * tiny model pushed once with the real `model push`, and API and worker processes started
 * exactly as `npm run dev:gcp` starts them. Each test takes a namespace: topics,
 * subscriptions and collections of its own, and its own model cache folder.
 *
 * Call at the top level of a test file. Every process is killed in after(); when a test
 * fails, the last lines of each process it started are printed.
 */
export interface GcpStack {
  readonly endpoints: StackEndpoints;
  readonly secrets: StackSecrets;
  readonly gcs: GcsTestServer;
  /** The test's own Firestore client, to look at the documents behind the API. */
  readonly db: Firestore;
  namespace(): Promise<StackNamespace>;
}

export interface StackNamespace {
  readonly name: string;
  /** The jobs collection's name. */
  readonly jobsCollection: string;
  readonly modelCacheDir: string;
  env(extra?: Record<string, string>): Record<string, string>;
  /** The API on a free port, once it logged that it is ready. */
  startApi(
    extra?: Record<string, string>,
  ): Promise<{ process: SupervisedProcess; baseUrl: string }>;
  /** A worker process; not awaited (see workerReady). */
  spawnWorker(name: string, extra?: Record<string, string>): SupervisedProcess;
}

const readyTimeoutMs = 120_000;
const logTailLines = 60;

export function useGcpStack(): () => Promise<GcpStack> {
  const processes: SupervisedProcess[] = [];
  let startedInTest: SupervisedProcess[] = [];
  const dirs: string[] = [];
  let starting: Promise<GcpStack> | undefined;

  afterEach((t) => {
    if ((t as { passed?: boolean }).passed === false) {
      for (const member of startedInTest) {
        process.stderr.write(
          `\n--- last lines of ${member.name} (pid ${member.pid}) in "${t.name}" ---\n` +
            `${tail(member.lines(), logTailLines)}\n--- end of ${member.name} ---\n`,
        );
      }
    }
    startedInTest = [];
  });

  after(async () => {
    await Promise.all(processes.map((member) => member.kill()));
    const stack = await starting?.catch(() => undefined);
    await stack?.db.terminate();
    await stack?.gcs.close();

    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });
  // After the hook above: hooks run in order, and the Firestore client must close while
  // its emulator still answers (terminate() otherwise waits out its reconnection attempts).
  const emulators = useGcpEmulators();

  const track = (member: SupervisedProcess) => {
    processes.push(member);
    startedInTest.push(member);
    return member;
  };

  async function start(): Promise<GcpStack> {
    const [gcp, gcs, modelDir] = await Promise.all([
      emulators(),
      startGcsTestServer(),
      ensureModel('tiny'),
    ]);
    const endpoints: StackEndpoints = {
      projectId: gcp.projectId,
      pubsubHost: gcp.pubsubHost,
      firestoreHost: gcp.firestoreHost,
      storageUrl: gcs.url,
      modelUri: 'gs://warmgen-models/gpt2',
    };
    await pushModelFolder({
      dir: modelDir,
      uri: endpoints.modelUri,
      endpoint: gcs.url,
      projectId: gcp.projectId,
    });
    const secrets = newStackSecrets();
    const db = createFirestoreClient({
      projectId: gcp.projectId,
      databaseId: '(default)',
      emulatorHost: gcp.firestoreHost,
    });
    return { endpoints, secrets, gcs, db, namespace: () => newNamespace(endpoints, secrets) };
  }

  async function newNamespace(
    endpoints: StackEndpoints,
    secrets: StackSecrets,
  ): Promise<StackNamespace> {
    const name = uniqueName('e2e');
    const resources = namespacedResources(name);
    const modelCacheDir = await mkdtemp(join(tmpdir(), 'warmgen-e2e-gcp-'));
    dirs.push(modelCacheDir);
    const env = (extra: Record<string, string> = {}) =>
      stackEnv(endpoints, secrets, modelCacheDir, { ...resources, ...extra });
    const spawnNode = (processName: string, main: string, processEnv: Record<string, string>) =>
      track(
        startProcess({
          name: processName,
          command: process.execPath,
          args: [main],
          env: processEnv,
          cwd: repoRoot,
        }),
      );
    return {
      name,
      jobsCollection: `${resources.FIRESTORE_COLLECTION_PREFIX}jobs`,
      modelCacheDir,
      env,
      async startApi(extra = {}) {
        // The port can be taken between freePort() and the bind: then try another one.
        for (let attempt = 1; ; attempt += 1) {
          const port = await freePort();
          const api = spawnNode('api', apiMain, env({ PORT: String(port), ...extra }));
          try {
            await api.waitForLine(/warmgen API ready/, readyTimeoutMs);
            return { process: api, baseUrl: `http://127.0.0.1:${port}` };
          } catch (error) {
            await api.kill();
            if (attempt >= 3 || !api.lines().some((line) => line.includes('EADDRINUSE'))) {
              throw error;
            }
          }
        }
      },
      spawnWorker: (processName, extra = {}) => spawnNode(processName, workerMain, env(extra)),
    };
  }

  return () => {
    starting ??= start();
    return starting;
  };
}

/** Waits for the worker's ready line; returns its workerId (the store's lease owner). */
export async function workerReady(worker: SupervisedProcess): Promise<string> {
  await worker.waitForLine(/warmgen worker ready/, readyTimeoutMs);
  const started = await worker.waitForLine(/"run loop started"/, 1_000);
  const { workerId } = JSON.parse(started) as { workerId?: string };
  if (typeof workerId !== 'string') {
    throw new Error(`${worker.name}: no workerId in ${started}`);
  }
  return workerId;
}

/** The JSON log lines of a process (others, such as library warnings, left out). */
export function jsonLines(member: SupervisedProcess): Array<Record<string, unknown>> {
  return member.lines().flatMap((line) => {
    if (!line.startsWith('{')) {
      return [];
    }
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
