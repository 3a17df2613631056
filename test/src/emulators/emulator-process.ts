import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One emulator as a process group that cannot outlive the test process. The emulator runs
 * under a small bash watchdog, started as the leader of a new process group (detached), so
 * the launcher script, the JVM and the watchdog can be signalled together. Three layers
 * make sure the group is stopped:
 * - stop(), called from the test file's after() hook (also when a test failed);
 * - process 'exit' and SIGINT/SIGTERM handlers, for a runner that is interrupted or exits
 *   without running hooks;
 * - the watchdog, which kills the group once the test process is gone (even SIGKILLed).
 */
export interface EmulatorSpec {
  name: string;
  command: string;
  args: string[];
  /** A line of the emulator's output that says it accepts requests. */
  ready: RegExp;
  startTimeoutMs: number;
  /** How long stop() waits after SIGTERM before SIGKILL. Default 5 s. */
  stopGraceMs?: number;
}

export interface RunningEmulator {
  readonly name: string;
  /** The process group id (the watchdog's pid). */
  readonly processGroup: number;
  /** The last lines the emulator printed, for error messages. */
  log(): string;
  /** Stops the whole process group; resolves once every process in it is gone. */
  stop(): Promise<void>;
}

// Runs the emulator in the background and looks once a second whether the test process
// is still there. When it is gone, TERM the group (the watchdog itself ignores it), give
// the emulator up to 3 s, then KILL the group, watchdog included. When the emulator ends
// by itself, exit with its status (a start-up failure shows its real exit code).
const watchdogScript = `
"$@" &
child=$!
while kill -0 "$WATCHED_PID" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
if kill -0 "$child" 2>/dev/null; then
  trap '' TERM
  kill -TERM 0 2>/dev/null
  for _ in $(seq 30); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL 0 2>/dev/null
fi
wait "$child"
exit $?
`;

const logLinesKept = 200;
const defaultStopGraceMs = 5_000;
/** Process group ids not yet stopped, for the exit and signal handlers. */
const liveGroups = new Set<number>();

export async function startEmulator(spec: EmulatorSpec): Promise<RunningEmulator> {
  installExitHandlers();
  const child = spawn('bash', ['-c', watchdogScript, 'watchdog', spec.command, ...spec.args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WATCHED_PID: String(process.pid) },
  });
  const pgid = child.pid;
  if (pgid === undefined) {
    throw new Error(`${spec.name} emulator: spawn failed`);
  }
  liveGroups.add(pgid);
  const lines: string[] = [];
  const running: RunningEmulator = {
    name: spec.name,
    processGroup: pgid,
    log: () => lines.join('\n'),
    stop: () => stopGroup(pgid, spec.stopGraceMs ?? defaultStopGraceMs),
  };
  try {
    await waitUntilReady(child, spec, lines);
    // A forgotten stop() must not keep the test process alive: the exit handler and the
    // watchdog stop the group when the process ends.
    child.unref();
    for (const stream of [child.stdout, child.stderr]) {
      (stream as (typeof stream & { unref?: () => void }) | null)?.unref?.();
    }
    return running;
  } catch (error) {
    await running.stop();
    throw error;
  }
}

function waitUntilReady(child: ChildProcess, spec: EmulatorSpec, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} emulator ${why}. Its output:\n${lines.join('\n')}`));
    };
    const timer = setTimeout(
      () => fail(`not ready after ${spec.startTimeoutMs} ms`),
      spec.startTimeoutMs,
    );
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') {
          continue;
        }
        lines.push(line);
        if (lines.length > logLinesKept) {
          lines.shift();
        }
        if (!ready && spec.ready.test(line)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      if (!ready) {
        fail(`exited before it was ready (code ${code}, signal ${signal})`);
      }
    });
    child.once('error', (error) => fail(`could not start: ${error.message}`));
  });
}

async function stopGroup(pgid: number, stopGraceMs: number): Promise<void> {
  if (!liveGroups.has(pgid)) {
    return;
  }
  signalGroup(pgid, 'SIGTERM');
  const deadline = performance.now() + stopGraceMs;
  while (groupAlive(pgid) && performance.now() < deadline) {
    await sleep(50);
  }
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    while (groupAlive(pgid)) {
      await sleep(20);
    }
  }
  liveGroups.delete(pgid);
}

/** True while any process of the group exists (zombies included until reaped). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  const killAll = () => {
    for (const pgid of liveGroups) {
      signalGroup(pgid, 'SIGKILL');
    }
    liveGroups.clear();
  };
  process.on('exit', killAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(code);
    });
  }
}
