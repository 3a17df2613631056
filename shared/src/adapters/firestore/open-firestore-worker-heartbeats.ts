import type { GcpConfig } from '../../config/gcp-config.ts';
import { createFirestoreClient } from './firestore-client.ts';
import { FirestoreWorkerHeartbeats } from './firestore-worker-heartbeats.ts';

/** Worker heartbeats in the deployment's Firestore database, on a client of their own. */
export function openFirestoreWorkerHeartbeats(gcp: GcpConfig): FirestoreWorkerHeartbeats {
  const db = createFirestoreClient({
    projectId: gcp.projectId,
    databaseId: gcp.firestoreDatabase,
    emulatorHost: gcp.firestoreEmulatorHost,
  });
  return new FirestoreWorkerHeartbeats(db, gcp.firestoreCollectionPrefix, { ownsClient: true });
}
