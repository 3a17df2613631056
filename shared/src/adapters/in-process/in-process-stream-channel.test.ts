import { describeStreamChannelContract } from '../../contract/stream-channel-contract.ts';
import { InProcessStreamChannel } from './in-process-stream-channel.ts';

/** The embedded backend's channel: worker and API share the one in-process channel. */
let channel: InProcessStreamChannel | undefined;

describeStreamChannelContract('InProcessStreamChannel', {
  async open() {
    channel = new InProcessStreamChannel();
    return { worker: channel, api: channel };
  },
  async close() {
    await channel?.close();
  },
});
