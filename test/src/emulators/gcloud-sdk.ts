import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/**
 * Finds the emulator launchers of the Google Cloud CLI on this machine. The tests start
 * the launchers directly rather than `gcloud beta emulators ... start`: the gcloud wrapper
 * adds a Python start-up (2-4 s here) and one more process to stop, and does nothing else
 * the tests need. A machine without gcloud or an emulator component fails loudly: the GCP
 * adapters must be tested wherever `npm test` runs, so a silent skip would hide breakage.
 */
export interface EmulatorLaunchers {
  pubsub: string;
  firestore: string;
}

const installHint =
  'The GCP adapter tests need the Google Cloud CLI with the Pub/Sub and Firestore emulators ' +
  'and Java 17+ (Debian: apt-get install google-cloud-cli google-cloud-cli-pubsub-emulator ' +
  'google-cloud-cli-firestore-emulator openjdk-17-jre-headless).';

export function findEmulatorLaunchers(path: string | undefined): EmulatorLaunchers {
  const gcloud = findOnPath('gcloud', path);
  if (gcloud === null) {
    throw new Error(`gcloud is not on PATH. ${installHint}`);
  }
  if (findOnPath('java', path) === null) {
    throw new Error(`java is not on PATH. ${installHint}`);
  }
  // <sdk>/bin/gcloud, usually reached through a symlink such as /usr/bin/gcloud.
  const sdkRoot = dirname(dirname(realpathSync(gcloud)));
  const launchers = {
    pubsub: join(sdkRoot, 'platform/pubsub-emulator/bin/cloud-pubsub-emulator'),
    firestore: join(sdkRoot, 'platform/cloud-firestore-emulator/cloud_firestore_emulator'),
  };
  for (const [name, launcher] of Object.entries(launchers)) {
    if (!isExecutable(launcher)) {
      throw new Error(`the ${name} emulator is not installed (no ${launcher}). ${installHint}`);
    }
  }
  return launchers;
}

function findOnPath(command: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir !== '' && isExecutable(candidate)) {
      return candidate;
    }
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
