import { describeWebhookEventStoreContract } from '../../contract/webhook-event-store-contract.ts';
import { openDatabase } from './open-database.ts';
import { SqliteJobStore } from './sqlite-job-store.ts';
import { SqliteWebhookEventStore } from './sqlite-webhook-event-store.ts';
import { temporaryDatabasePath } from './test-database.ts';

let cleanup: (() => Promise<void>) | null = null;

describeWebhookEventStoreContract('SqliteWebhookEventStore', {
  async open() {
    const tmp = temporaryDatabasePath();
    const jobs = new SqliteJobStore(openDatabase(tmp.path));
    const events = new SqliteWebhookEventStore(openDatabase(tmp.path));
    cleanup = async () => {
      await jobs.close();
      await events.close();
      tmp.remove();
    };
    return { jobs, events };
  },
  async close() {
    await cleanup?.();
    cleanup = null;
  },
});
