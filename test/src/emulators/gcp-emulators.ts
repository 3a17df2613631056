import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { type RunningEmulator, startEmulator } from './emulator-process.ts';
import { freePort } from './free-port.ts';
import { findEmulatorLaunchers } from './gcloud-sdk.ts';

/**
 * The Pub/Sub and Firestore emulators for one test file. Clients are pointed at them
 * through explicit options (the hosts below), never through process-wide variables, and
 * every client must be given `projectId` (see environment.md: otherwise the libraries look
 * for a metadata server). Tests use unique topic, subscription and collection names, so
 * the emulators can be shared by all tests of a file.
 */
export interface GcpEmulators {
  projectId: string;
  /** host:port for PUBSUB_EMULATOR_HOST-style options. */
  pubsubHost: string;
  /** host:port for FIRESTORE_EMULATOR_HOST-style options. */
  firestoreHost: string;
  /** Deletes every document of the (default) database (the emulator's reset endpoint). */
  resetFirestore(): Promise<void>;
  stop(): Promise<void>;
}

/** Emulators start in 1-10 s; a busy 2-core machine has been seen at 10 s for each. */
const startTimeoutMs = 60_000;
const startAttempts = 2;

export async function startGcpEmulators(): Promise<GcpEmulators> {
  const launchers = findEmulatorLaunchers(process.env.PATH);
  const projectId = `warmgen-test-${randomBytes(3).toString('hex')}`;
  const started = await Promise.allSettled([
    startOnFreePort((port) => ({
      name: 'pubsub',
      command: launchers.pubsub,
      args: ['--host=127.0.0.1', `--port=${port}`],
      ready: new RegExp(`Server started, listening on ${port}`),
      startTimeoutMs,
    })),
    startOnFreePort((port) => ({
      name: 'firestore',
      command: launchers.firestore,
      args: ['start', '--host=127.0.0.1', `--port=${port}`, '--database-mode=firestore-native'],
      ready: /Dev App Server is now running/,
      startTimeoutMs,
    })),
  ]);
  const running = started.flatMap((outcome) =>
    outcome.status === 'fulfilled' ? [outcome.value] : [],
  );
  const stop = async () => {
    await Promise.all(running.map(({ emulator }) => emulator.stop()));
  };
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) {
    await stop();
    throw failure.reason;
  }
  const [pubsub, firestore] = running;
  if (pubsub === undefined || firestore === undefined) {
    throw new Error('emulators missing after start');
  }
  const firestoreHost = `127.0.0.1:${firestore.port}`;
  return {
    projectId,
    pubsubHost: `127.0.0.1:${pubsub.port}`,
    firestoreHost,
    resetFirestore: async () => {
      const url = `http://${firestoreHost}/emulator/v1/projects/${projectId}/databases/(default)/documents`;
      const response = await fetch(url, { method: 'DELETE' });
      if (!response.ok) {
        throw new Error(`Firestore emulator reset: HTTP ${response.status}`);
      }
    },
    stop,
  };
}

/**
 * Starts the emulators for the calling test file and stops them in its after() hook,
 * whatever the tests did. Call at the top level of the file; await the returned promise
 * in before() or in the first test that needs it.
 */
export function useGcpEmulators(): () => Promise<GcpEmulators> {
  let starting: Promise<GcpEmulators> | undefined;
  after(async () => {
    const emulators = await starting?.catch(() => undefined);
    await emulators?.stop();
  });
  return () => {
    starting ??= startGcpEmulators();
    return starting;
  };
}

/** A name no other test uses (Pub/Sub ids need at least 3 characters; letters first). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

async function startOnFreePort(
  specFor: (port: number) => Parameters<typeof startEmulator>[0],
): Promise<{ emulator: RunningEmulator; port: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= startAttempts; attempt += 1) {
    const port = await freePort();
    try {
      return { emulator: await startEmulator(specFor(port)), port };
    } catch (error) {
      // Most likely another process took the port between freePort() and the bind.
      lastError = error;
    }
  }
  throw lastError;
}
