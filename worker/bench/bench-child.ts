import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ConfigurationName, TrialResult } from './bench-configurations.ts';

/**
 * The parent's handle on one configuration's child process. Protocol, one line each:
 * parent -> child `trial <index>` | `close`; child -> parent `BENCH <json>` with
 * {type: 'ready', loadSeconds} | {type: 'trial', result} | {type: 'closed', peakRssMb}.
 * Anything else the child prints (library logs) is passed through to stderr.
 */
export interface BenchChild {
  loadSeconds: number;
  trial(index: number): Promise<TrialResult>;
  /** Ends the child; resolves with its peak RSS in MiB. */
  close(): Promise<number>;
  kill(): void;
}

type Message =
  | { type: 'ready'; loadSeconds: number }
  | { type: 'trial'; result: TrialResult }
  | { type: 'closed'; peakRssMb: number };

export async function startChild(
  script: string,
  name: ConfigurationName,
  modelDir: string,
): Promise<BenchChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    [script, '--child', name, '--model', modelDir],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const waiting: Array<{ resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure = error;
    for (const waiter of waiting.splice(0)) {
      waiter.reject(error);
    }
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('BENCH ')) {
      waiting.shift()?.resolve(JSON.parse(line.slice('BENCH '.length)) as Message);
    } else {
      process.stderr.write(`[${name}] ${line}\n`);
    }
  });
  child.on('error', fail);
  child.on('exit', (code) => {
    if (code !== 0) {
      fail(new Error(`${name} child exited with code ${code}`));
    }
  });
  const next = (): Promise<Message> =>
    failure
      ? Promise.reject(failure)
      : new Promise((resolve, reject) => waiting.push({ resolve, reject }));

  const ready = await next();
  if (ready.type !== 'ready') {
    throw new Error(`${name}: expected ready, got ${ready.type}`);
  }
  return {
    loadSeconds: ready.loadSeconds,
    trial: async (index) => {
      const reply = next();
      child.stdin!.write(`trial ${index}\n`);
      const message = await reply;
      if (message.type !== 'trial') {
        throw new Error(`${name}: expected a trial result, got ${message.type}`);
      }
      return message.result;
    },
    close: async () => {
      const reply = next();
      child.stdin!.write('close\n');
      const message = await reply;
      if (message.type !== 'closed') {
        throw new Error(`${name}: expected closed, got ${message.type}`);
      }
      child.stdin!.end();
      return message.peakRssMb;
    },
    kill: () => {
      if (child.exitCode === null) {
        child.kill();
      }
    },
  };
}
