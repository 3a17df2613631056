import type { GcpConfig } from '../../config/gcp-config.ts';
import { createFirestoreClient } from './firestore-client.ts';
import { FirestoreProbe } from './firestore-probe.ts';

/** The readiness probe on the deployment's Firestore database, on a client of its own. */
export function openFirestoreProbe(gcp: GcpConfig): FirestoreProbe {
  const db = createFirestoreClient({
    projectId: gcp.projectId,
    databaseId: gcp.firestoreDatabase,
    emulatorHost: gcp.firestoreEmulatorHost,
  });
  return new FirestoreProbe(db, gcp.firestoreCollectionPrefix);
}
