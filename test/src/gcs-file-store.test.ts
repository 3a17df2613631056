import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { GcsFileStore } from '@warmgen/shared/adapters/gcs/gcs-file-store.ts';
import { describeFileStoreContract } from '@warmgen/shared/contract/file-store-contract.ts';
import { type GcsTestServer, startGcsTestServer } from './gcs-test-server/gcs-test-server.ts';

/** The FileStore contract on Cloud Storage, through the real client and the GCS test server. */
let server: GcsTestServer;
before(async () => {
  server = await startGcsTestServer();
});
after(async () => {
  await server.close();
});

describeFileStoreContract('Cloud Storage', {
  // A folder of its own per test: the contract's lists expect an empty store.
  open: async () =>
    new GcsFileStore({
      bucket: 'warmgen-files',
      prefix: `contract-${randomBytes(6).toString('hex')}`,
      apiEndpoint: server.url,
      projectId: 'test-project',
    }),
  close: async () => {},
});
