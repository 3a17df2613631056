import { Firestore } from '@google-cloud/firestore';

export interface FirestoreConnection {
  projectId: string;
  /** FIRESTORE_DATABASE: "(default)" or a named database. */
  databaseId: string;
  /** host:port of the Firestore emulator, or null for the real service. */
  emulatorHost: string | null;
}

/**
 * A Firestore client with an explicit project (so the library never asks a metadata server
 * for one). For the emulator, `ssl: false` makes the library use an insecure channel and
 * the emulator's owner token instead of looking for credentials. The endpoint is an
 * option, not FIRESTORE_EMULATOR_HOST read here: configuration is read once, by loadConfig.
 */
export function createFirestoreClient(connection: FirestoreConnection): Firestore {
  return new Firestore({
    projectId: connection.projectId,
    databaseId: connection.databaseId,
    // Optional fields a caller left undefined are dropped instead of failing the write.
    ignoreUndefinedProperties: true,
    ...(connection.emulatorHost === null ? {} : { host: connection.emulatorHost, ssl: false }),
  });
}
