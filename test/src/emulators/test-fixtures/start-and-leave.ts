import { startEmulator } from '../emulator-process.ts';

/**
 * Starts a stand-in emulator and never stops it, for the tests that check the group does
 * not outlive this process. argv[2]: "exit" (exit at once, skipping after() hooks) or
 * "hang" (wait to be killed). Prints the process group id.
 */
const emulator = await startEmulator({
  name: 'stand-in',
  command: 'bash',
  args: ['-c', 'echo ready; sleep 600'],
  ready: /^ready$/,
  startTimeoutMs: 10_000,
});
process.stdout.write(`${emulator.processGroup}\n`);
if (process.argv[2] === 'exit') {
  process.exit(0);
}
setInterval(() => {}, 60_000);
