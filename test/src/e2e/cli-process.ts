import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './service-process.ts';

/** The CLI's entry point, as `npx warmgen` runs it (package.json bin). */
export const cliMain = join(repoRoot, 'cli', 'src', 'main.ts');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first stderr text matching `pattern` (all of stderr so far). */
  stderrMatching(pattern: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<CliRun>;
}

/**
 * `warmgen ARGS` as a real child process with exactly `env` (plus PATH), from `cwd`: what
 * a user's shell runs. No TTY: the CLI prints plain progress lines, which tests read.
 */
export function spawnWarmgen(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [cliMain, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of waiters.splice(0)) {
      wake();
    }
  });
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  // A test that fails half-way must not leave the CLI running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void done.then(() => process.off('exit', killOnExit));
  return {
    child,
    done,
    async stderrMatching(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(stderr)) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`stderr never matched ${pattern}:\n${stderr}`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return stderr;
    },
  };
}

/** Runs `warmgen ARGS` to its end. */
export function runWarmgen(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  return spawnWarmgen(args, options).done;
}
