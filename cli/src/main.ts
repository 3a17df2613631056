#!/usr/bin/env node
import { exitCodes } from './exit-codes.ts';
import { runCli } from './program.ts';

// The `warmgen` command: wires the process to the CLI. The first Ctrl-C asks the running
// command to stop waiting (it says how to resume; the server keeps the work); a second
// one exits at once.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(exitCodes.interrupted));
});
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  interrupted: interrupt.signal,
});
