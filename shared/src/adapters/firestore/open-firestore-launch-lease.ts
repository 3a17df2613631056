import type { GcpConfig } from '../../config/gcp-config.ts';
import { createFirestoreClient } from './firestore-client.ts';
import { FirestoreLaunchLease } from './firestore-launch-lease.ts';

/** The launch lease in the deployment's Firestore database, for the API main. */
export function openFirestoreLaunchLease(gcp: GcpConfig): {
  lease: FirestoreLaunchLease;
  close: () => Promise<void>;
} {
  const db = createFirestoreClient({
    projectId: gcp.projectId,
    databaseId: gcp.firestoreDatabase,
    emulatorHost: gcp.firestoreEmulatorHost,
  });
  return {
    lease: new FirestoreLaunchLease(db, gcp.firestoreCollectionPrefix),
    close: () => db.terminate(),
  };
}
