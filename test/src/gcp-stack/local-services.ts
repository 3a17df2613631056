import { freePort } from '../emulators/free-port.ts';
import { findEmulatorLaunchers } from '../emulators/gcloud-sdk.ts';
import { gcsTestServerMain, inheritedEnv, repoRoot } from './stack-env.ts';
import { type SupervisedProcess, startProcess } from './supervised-process.ts';

/**
 * The three services the Google Cloud adapters talk to, as supervised processes on free
 * loopback ports: the Pub/Sub and Firestore emulators (from the Google Cloud CLI) and the
 * GCS JSON-API test server. For `npm run dev:gcp`; tests use the emulator harness in
 * ../emulators, which also survives a SIGKILLed test runner.
 */
export interface LocalService {
  process: SupervisedProcess;
  /** host:port for the emulators, the origin URL for the GCS test server. */
  address: string;
}

/** Emulators start in 1-10 s here; a busy 2-core machine is slower. */
const startTimeoutMs = 90_000;

export async function startPubSubEmulator(onLine?: (line: string) => void): Promise<LocalService> {
  const { pubsub } = findEmulatorLaunchers(process.env.PATH);
  const port = await freePort();
  return startAndWait(
    {
      name: 'pubsub',
      command: pubsub,
      args: ['--host=127.0.0.1', `--port=${port}`],
      ...(onLine ? { onLine } : {}),
    },
    new RegExp(`Server started, listening on ${port}`),
    `127.0.0.1:${port}`,
  );
}

export async function startFirestoreEmulator(
  onLine?: (line: string) => void,
): Promise<LocalService> {
  const { firestore } = findEmulatorLaunchers(process.env.PATH);
  const port = await freePort();
  return startAndWait(
    {
      name: 'firestore',
      command: firestore,
      args: ['start', '--host=127.0.0.1', `--port=${port}`, '--database-mode=firestore-native'],
      ...(onLine ? { onLine } : {}),
    },
    /Dev App Server is now running/,
    `127.0.0.1:${port}`,
  );
}

/** The GCS test server in its own process; it stops by itself if the supervisor dies. */
export async function startGcsTestServerProcess(
  onLine?: (line: string) => void,
): Promise<LocalService> {
  const server = startProcess({
    name: 'gcs',
    command: process.execPath,
    args: [gcsTestServerMain, '--port', '0'],
    env: inheritedEnv(),
    cwd: repoRoot,
    stdinPipe: true,
    ...(onLine ? { onLine } : {}),
  });
  try {
    const line = await server.waitForLine(/^\{"url":/, startTimeoutMs);
    return { process: server, address: (JSON.parse(line) as { url: string }).url };
  } catch (error) {
    await server.kill();
    throw error;
  }
}

async function startAndWait(
  spec: { name: string; command: string; args: string[]; onLine?: (line: string) => void },
  ready: RegExp,
  address: string,
): Promise<LocalService> {
  // The launchers need the CLI's own environment (JAVA_HOME, CLOUDSDK_*), not a trimmed one.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const started = startProcess({ ...spec, env, keepLines: 500 });
  try {
    await started.waitForLine(ready, startTimeoutMs);
    return { process: started, address };
  } catch (error) {
    await started.kill();
    throw error;
  }
}
