import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedDatabasePath } from '@warmgen/shared/adapters/sqlite/open-database.ts';
import { engineProcessEnv } from '@warmgen/worker/engine/malloc-tunables.ts';
import { freePort } from './free-port.ts';

/**
 * The real `npm start` process (node standalone/src/main.ts) as a child of the test: its
 * own port and DATA_DIR, loopback only, no metadata-server probe, every log line kept.
 * Every child is SIGKILLed when the test process exits, whatever the tests did.
 */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainPaths = {
  standalone: join(repoRoot, 'standalone', 'src', 'main.ts'),
  api: join(repoRoot, 'api', 'src', 'main.ts'),
  worker: join(repoRoot, 'worker', 'src', 'main.ts'),
};

/** Only these pass through from the test's environment: config must come from the test. */
const inheritedVariables = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databasePath: string;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves when the process has exited and its output is read. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL if it is still alive after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<ExitStatus>;
  /** kill -9. */
  kill(): Promise<ExitStatus>;
}

export interface ServiceOptions {
  /** Defaults to a fresh temp folder. Reuse one to restart on the same database. */
  dataDir?: string;
  /** Configuration variables (MAX_BATCH, LEASE_SECONDS, ...). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Which main to run: `npm start`'s combined process (default) or the API alone. */
  main?: 'standalone' | 'api';
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLiveChildren(): void {
  for (const child of liveChildren) {
    child.kill('SIGKILL');
  }
}

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', killLiveChildren);
  // A signal ends the test process without 'exit': kill the children, then die the same way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killLiveChildren();
      // Alone, our listener replaced the default exit: restore it. Otherwise (the test
      // runner's own handler) let that one decide.
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    });
  }
}

export async function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'warmgen-e2e-'));
}

/** The child's whole environment: a few basics plus the test's configuration. */
export function serviceEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) {
      env[name] = value;
    }
  }
  return {
    ...env,
    METADATA_SERVER_DETECTION: 'none',
    HOST: '127.0.0.1',
    MODEL_CACHE_DIR: join(repoRoot, '.cache', 'models'),
    ...extra,
  };
}

/** Spawns the process with exactly `env` (see serviceEnv); does not wait for readiness. */
export function spawnService(
  env: Record<string, string>,
  main: keyof typeof mainPaths = 'standalone',
): {
  child: ChildProcess;
  logs: () => string;
  /** Resolves when the process has exited; holds the test process open meanwhile. */
  waitForExit: () => Promise<ExitStatus>;
} {
  installExitHook();
  const child = spawn(process.execPath, [mainPaths[main]], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  const chunks: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
  // A service nobody stopped must not keep the test process alive forever: unreferenced,
  // the test process can end, and its exit hook then kills the child.
  const handles = [child, child.stdout, child.stderr] as Array<{
    ref?: () => void;
    unref?: () => void;
  } | null>;
  for (const handle of handles) {
    handle?.unref?.();
  }
  const waitForExit = () => {
    for (const handle of handles) {
      handle?.ref?.();
    }
    return exited;
  };
  return { child, logs: () => chunks.join(''), waitForExit };
}

export async function startService(options: ServiceOptions = {}): Promise<ServiceProcess> {
  const dataDir = options.dataDir ?? (await newDataDir());
  // The port can be taken between freePort() and the child's listen: try another then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const env = serviceEnv({
      // The combined process runs the engine: its malloc settings, as npm start sets them
      // (see worker/src/engine/malloc-tunables.ts). The API alone does not need them.
      ...(options.main === 'api' ? {} : engineProcessEnv),
      ...options.env,
      PORT: String(port),
      DATA_DIR: dataDir,
    });
    const { child, logs, waitForExit } = spawnService(env, options.main);
    const baseUrl = `http://127.0.0.1:${port}`;
    const service: ServiceProcess = {
      baseUrl,
      port,
      dataDir,
      databasePath: embeddedDatabasePath(dataDir),
      pid: child.pid ?? -1,
      logs,
      get exited() {
        return waitForExit();
      },
      stop: (killAfterMs = 30_000) => signalAndWait(child, waitForExit, 'SIGTERM', killAfterMs),
      kill: () => signalAndWait(child, waitForExit, 'SIGKILL', 0),
    };
    const outcome = await waitUntilReady(baseUrl, child, options.readyTimeoutMs ?? 60_000);
    if (outcome === 'ready') {
      return service;
    }
    if (outcome === 'exited' && attempt < 3 && logs().includes('EADDRINUSE')) {
      continue;
    }
    await service.kill();
    throw new Error(
      `the service did not become ready (${outcome}); its output:\n${logs() || '(none)'}`,
    );
  }
}

async function waitUntilReady(
  baseUrl: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  let hasExited = false;
  child.once('exit', () => {
    hasExited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) {
      return 'exited';
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) {
        return 'ready';
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return hasExited ? 'exited' : 'timeout';
}

async function signalAndWait(
  child: ChildProcess,
  waitForExit: () => Promise<ExitStatus>,
  signal: NodeJS.Signals,
  killAfterMs: number,
): Promise<ExitStatus> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
  }
  if (signal === 'SIGKILL') {
    return waitForExit();
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  try {
    return await waitForExit();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the process to its end (for start-up failures); SIGKILLs it after `timeoutMs`.
 * It gets a free port of its own unless `env` names one.
 */
export async function runServiceToExit(
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ExitStatus & { output: string }> {
  const port = env.PORT ?? String(await freePort());
  const { child, logs, waitForExit } = spawnService(
    serviceEnv({ ...engineProcessEnv, ...env, PORT: port }),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const status = await waitForExit();
    return { ...status, output: logs() };
  } finally {
    clearTimeout(timer);
  }
}

/** For tests that wait on a child with their own deadline. */
export async function exitWithin(
  exited: Promise<ExitStatus>,
  ms: number,
): Promise<ExitStatus | 'timeout'> {
  const timeout = new Promise<'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    void exited.then(() => clearTimeout(timer));
  });
  return Promise.race([exited, timeout]);
}
