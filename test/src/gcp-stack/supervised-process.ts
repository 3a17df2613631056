import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupAlive } from '../emulators/emulator-process.ts';

/**
 * One process of the local Google Cloud stack (an emulator, the GCS test server, the API, a
 * worker) as the leader of its own process group. Its own group means that a Ctrl-C in the
 * terminal reaches only the supervisor, which then stops the stack in order (workers
 * first, so they can release their jobs while the emulators still answer), and that
 * stopping a process also stops what it started (the emulators' launcher script starts a
 * JVM). Every line it prints is kept, and optionally forwarded.
 *
 * A running child keeps the supervisor alive (stop every one: tests do it in after hooks).
 * Groups still alive when the supervisor exits are SIGKILLed by an 'exit' hook; a
 * supervisor that is itself SIGKILLed leaves them behind (nothing runs then).
 */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisedProcess {
  readonly name: string;
  /** The process id, which is also its process group id. */
  readonly pid: number;
  /** Every line written to stdout and stderr so far (the last `keepLines`). */
  lines(): readonly string[];
  /**
   * Resolves with the first line matching, among those seen so far (unless `onlyNew`) and
   * those to come; rejects if the process exits first or after `timeoutMs`.
   */
  waitForLine(pattern: RegExp, timeoutMs: number, options?: { onlyNew?: boolean }): Promise<string>;
  /** Resolves when the leader has exited and its output has been read. */
  readonly exited: Promise<ExitStatus>;
  readonly hasExited: boolean;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the whole group is gone. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** SIGKILL to the group (a crash, as far as the process can tell). */
  kill(): Promise<ExitStatus>;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  /** The whole environment of the child (nothing is inherited implicitly). */
  env: Record<string, string>;
  cwd?: string;
  /** Called with each line of output as it arrives (log forwarding). */
  onLine?: (line: string) => void;
  /** Lines kept in memory; default 100,000 (an end-to-end worker writes a few per job). */
  keepLines?: number;
  /** Give the child a stdin pipe, closed when the supervisor dies (the GCS test server stops then). */
  stdinPipe?: boolean;
}

const defaultStopGraceMs = 15_000;
const liveGroups = new Set<number>();
let exitHookInstalled = false;

export function startProcess(spec: ProcessSpec): SupervisedProcess {
  installExitHook();
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: [spec.stdinPipe ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`${spec.name}: spawn of ${spec.command} failed`);
  }
  liveGroups.add(pid);
  const keep = spec.keepLines ?? 100_000;
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > keep) {
      lines.shift();
    }
    spec.onLine?.(line);
    for (const waiter of waiters) {
      if (waiter.pattern.test(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  const streamsClosed = [child.stdout, child.stderr].map((stream) => {
    const reader = createInterface({ input: stream as NodeJS.ReadableStream, crlfDelay: Infinity });
    reader.on('line', onLine);
    return new Promise<void>((resolve) => reader.once('close', resolve));
  });
  let hasExited = false;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      void Promise.all(streamsClosed).then(() => resolve({ code, signal }));
    });
  });

  const waitForLine = (
    pattern: RegExp,
    timeoutMs: number,
    options: { onlyNew?: boolean } = {},
  ): Promise<string> => {
    const seen = options.onlyNew ? undefined : lines.find((line) => pattern.test(line));
    if (seen !== undefined) {
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const fail = (why: string) => {
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(
          new Error(`${spec.name} ${why} before printing ${pattern}; last lines:\n${tail(lines)}`),
        );
      };
      const timer = setTimeout(() => fail(`waited ${timeoutMs} ms`), timeoutMs);
      waiters.add(waiter);
      void exited.then((status) => {
        if (waiters.has(waiter)) {
          fail(`exited (code ${status.code}, signal ${status.signal})`);
        }
      });
    });
  };

  return {
    name: spec.name,
    pid,
    lines: () => lines,
    waitForLine,
    exited,
    get hasExited() {
      return hasExited;
    },
    stop: (graceMs = defaultStopGraceMs) => stopGroup(pid, exited, graceMs),
    kill: () => stopGroup(pid, exited, 0),
  };
}

/** The last lines of some output, for error messages. */
export function tail(lines: readonly string[], count = 40): string {
  return lines.slice(-count).join('\n');
}

async function stopGroup(
  pgid: number,
  exited: Promise<ExitStatus>,
  graceMs: number,
): Promise<ExitStatus> {
  signalGroup(pgid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const deadline = performance.now() + graceMs;
  while (groupAlive(pgid) && performance.now() < deadline) {
    await sleep(50);
  }
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
  }
  const status = await exited;
  // Members other than the leader (a JVM under a launcher script) may take a moment more.
  while (groupAlive(pgid)) {
    await sleep(20);
  }
  liveGroups.delete(pgid);
  return status;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      signalGroup(pgid, 'SIGKILL');
    }
  });
}
