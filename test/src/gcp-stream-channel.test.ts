import type { PubSub } from '@google-cloud/pubsub';
import { createPubSubClient } from '@warmgen/shared/adapters/pubsub/pubsub-client.ts';
import { PubSubStreamChannel } from '@warmgen/shared/adapters/pubsub/pubsub-stream-channel.ts';
import { describeStreamChannelContract } from '@warmgen/shared/contract/stream-channel-contract.ts';
import type { StreamChannel } from '@warmgen/shared/ports/stream-channel.ts';
import { uniqueName, useGcpEmulators } from './emulators/gcp-emulators.ts';

/**
 * The stream channel on the Pub/Sub emulator: the worker's side and the API's side each on
 * a client of its own, as two processes would be.
 */
const emulators = useGcpEmulators();
let clients: PubSub[] = [];
let channels: StreamChannel[] = [];

describeStreamChannelContract('PubSubStreamChannel (emulator)', {
  async open() {
    const { projectId, pubsubHost } = await emulators();
    clients = [0, 1].map(() => createPubSubClient({ projectId, emulatorHost: pubsubHost }));
    const [workerClient, apiClient] = clients as [PubSub, PubSub];
    const names = { topic: uniqueName('stream'), subscriptionPrefix: uniqueName('stream-api') };
    await PubSubStreamChannel.ensureTopic(workerClient, names);
    const worker = await PubSubStreamChannel.open(workerClient, names, { listen: false });
    const api = await PubSubStreamChannel.open(apiClient, names, { listen: true });
    channels = [worker, api];
    return { worker, api };
  },
  async close() {
    await Promise.all(channels.map((channel) => channel.close()));
    await Promise.all(clients.map((client) => client.close()));
    channels = [];
    clients = [];
  },
});
