import { describeFileStoreContract } from '../../contract/file-store-contract.ts';
import { SqliteFileStore } from './sqlite-file-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

let db: ReturnType<typeof temporaryDatabasePath> | undefined;
let store: SqliteFileStore | undefined;

describeFileStoreContract('SQLite', {
  open: async () => {
    db = temporaryDatabasePath();
    store = SqliteFileStore.open(db.path);
    return store;
  },
  close: async () => {
    await store?.close();
    db?.remove();
  },
});
