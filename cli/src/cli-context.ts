import type { WarmgenClient } from '@warmgen/client/client.ts';

/** What every command gets from main: the client, where to write, and Ctrl-C. */
export interface CliContext {
  client: WarmgenClient;
  /** Results and answers: what a script reads. */
  stdout: NodeJS.WritableStream;
  /** Progress, summaries and errors: what a person reads. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on the first Ctrl-C: commands stop waiting and say how to resume. */
  interrupted: AbortSignal;
}
