import type { LaunchLease } from '@warmgen/shared/ports/launch-lease.ts';
import { type Backlog, poolSize, tasksToLaunch } from './scale-decision.ts';
import type { ScaleTarget } from './scale-target.ts';

export interface LauncherDeps {
  /** The store's queued and running counts (the backlog's source: see docs/deploy.md). */
  backlog: () => Promise<Backlog>;
  target: ScaleTarget;
  lease: LaunchLease;
  /** This process's name on the lease. */
  holder: string;
  limits: { jobsPerWorker: number; minWorkers: number; maxWorkers: number; idleMs: number };
  /** The timer between decisions when nothing nudges. */
  intervalMs: number;
  log: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
  tuning?: Partial<LauncherTuning>;
  now?: () => number;
}

export interface LauncherTuning {
  /** Accepted work is gathered this long before one decision (a batch is one nudge). */
  debounceMs: number;
  /**
   * Nudges start a decision at most once per this long. A decision is a lease transaction,
   * the store's counts and an Admin API list; under a steady stream of submissions the
   * debounce alone made that 5 a second per API process, on the submit path's cores
   * (bench:submit-launcher: p99 1.38x with the launcher on). The first nudge after a quiet
   * spell still decides after debounceMs, so a cold start is not delayed.
   */
  minGapMs: number;
  /**
   * How long a decision holds the lease; after a launch it is kept this long, so another
   * API process deciding meanwhile does not miss an execution the Admin API lists late.
   */
  leaseMs: number;
  /** Back-off after a failed decision: first delay, doubled per failure up to max. */
  firstRetryMs: number;
  maxRetryMs: number;
}

const defaultTuning: LauncherTuning = {
  debounceMs: 200,
  minGapMs: 2_000,
  leaseMs: 15_000,
  firstRetryMs: 1_000,
  maxRetryMs: 60_000,
};

/** What the launcher is doing, for GET /v1/capacity and the metrics. */
export interface LauncherState {
  mode: ScaleTarget['kind'];
  /** A decision (and maybe a launch) is under way. */
  deciding: boolean;
  lastLaunch: { execution: string; tasks: number; atMs: number } | null;
  lastResize: { instances: number; atMs: number } | null;
  /**
   * What the Admin API said at the last decision that asked it: unfinished tasks of the
   * job's executions (job), or the pool's instance count (pool).
   */
  observed: { runningTasks: number | null; instances: number | null; atMs: number } | null;
  /** The last failure, until a decision succeeds again: why new work waits. */
  lastError: { message: string; atMs: number; failures: number; retryAtMs: number } | null;
  launches: number;
}

export interface Launcher {
  /** Accepted work: decide soon (debounced), off the caller's path. Never throws. */
  nudge(): void;
  start(): void;
  stop(): Promise<void>;
  state(): LauncherState;
}

/**
 * Starts workers as the backlog asks, through one target: a Cloud Run Job execution
 * sized `tasksToLaunch`, or a worker pool's instance count (`poolSize`). One decision at
 * a time in this process, and across processes only the lease holder decides. A failure
 * is logged and retried with back-off; nothing here ever fails a submission, and the jobs
 * stay queued (durable) until some worker takes them.
 */
export function createLauncher(deps: LauncherDeps): Launcher {
  const tuning = { ...defaultTuning, ...deps.tuning };
  const now = deps.now ?? Date.now;
  const state: LauncherState = {
    mode: deps.target.kind,
    deciding: false,
    lastLaunch: null,
    lastResize: null,
    observed: null,
    lastError: null,
    launches: 0,
  };
  let timer: NodeJS.Timeout | null = null;
  let scheduledAtMs = Number.POSITIVE_INFINITY;
  let interval: NodeJS.Timeout | null = null;
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let lowSinceMs: number | null = null;
  let lastDecisionAtMs = Number.NEGATIVE_INFINITY;

  function schedule(delayMs: number): void {
    if (stopped) {
      return;
    }
    // In back-off, nothing runs before the retry time.
    const notBefore = state.lastError?.retryAtMs ?? 0;
    const at = Math.max(now() + delayMs, notBefore);
    if (timer !== null && scheduledAtMs <= at) {
      return;
    }
    if (timer !== null) {
      clearTimeout(timer);
    }
    scheduledAtMs = at;
    timer = setTimeout(run, Math.max(0, at - now()));
    timer.unref();
  }

  function run(): void {
    timer = null;
    scheduledAtMs = Number.POSITIVE_INFINITY;
    if (current !== null) {
      again = true;
      return;
    }
    state.deciding = true;
    lastDecisionAtMs = now();
    current = decide().finally(() => {
      state.deciding = false;
      current = null;
      if (again) {
        again = false;
        schedule(0);
      }
    });
  }

  async function decide(): Promise<void> {
    let keepLease = false;
    let held = false;
    try {
      held = await deps.lease.tryAcquire(deps.holder, tuning.leaseMs, now());
      if (!held) {
        return;
      }
      const backlog = await deps.backlog();
      keepLease =
        deps.target.kind === 'job' ? await launchIfWanted(backlog) : await resize(backlog);
      state.lastError = null;
    } catch (error) {
      const failures = (state.lastError?.failures ?? 0) + 1;
      const delay = Math.min(tuning.maxRetryMs, tuning.firstRetryMs * 2 ** (failures - 1));
      state.lastError = {
        message: (error as Error).message,
        atMs: now(),
        failures,
        retryAtMs: now() + delay,
      };
      deps.log.warn(
        { err: error, failures, retryInMs: delay },
        'launcher: scaling failed; the jobs stay queued and it is retried',
      );
      schedule(delay);
    } finally {
      if (held && !keepLease) {
        await deps.lease.release(deps.holder).catch(() => undefined);
      }
    }
  }

  /** True when it launched (the lease is then kept for its length). */
  async function launchIfWanted(backlog: Backlog): Promise<boolean> {
    if (deps.target.kind !== 'job' || backlog.queued === 0) {
      return false;
    }
    const running = await deps.target.runningTasks();
    state.observed = { runningTasks: running, instances: null, atMs: now() };
    const tasks = tasksToLaunch(backlog, running, deps.limits);
    if (tasks === 0) {
      return false;
    }
    const execution = await deps.target.launch(tasks);
    state.lastLaunch = { execution, tasks, atMs: now() };
    state.launches += 1;
    deps.log.info(
      { execution, tasks, ...backlog, runningTasks: running },
      'launcher: execution started',
    );
    return true;
  }

  async function resize(backlog: Backlog): Promise<boolean> {
    if (deps.target.kind !== 'pool') {
      return false;
    }
    const instances = await deps.target.instanceCount();
    state.observed = { runningTasks: null, instances, atMs: now() };
    const size = poolSize(
      backlog,
      instances,
      { ...deps.limits, idleMs: deps.limits.idleMs },
      lowSinceMs,
      now(),
    );
    const wantedBelow = poolSize(backlog, instances, { ...deps.limits, idleMs: 0 }, now(), now());
    lowSinceMs = wantedBelow !== null && wantedBelow < instances ? (lowSinceMs ?? now()) : null;
    if (size === null) {
      return false;
    }
    await deps.target.setInstanceCount(size);
    lowSinceMs = null;
    state.lastResize = { instances: size, atMs: now() };
    deps.log.info({ from: instances, to: size, ...backlog }, 'launcher: worker pool resized');
    return false;
  }

  return {
    nudge: () => schedule(Math.max(tuning.debounceMs, lastDecisionAtMs + tuning.minGapMs - now())),
    start() {
      interval = setInterval(() => schedule(0), deps.intervalMs);
      interval.unref();
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
      if (interval !== null) {
        clearInterval(interval);
      }
      await current;
    },
    state: () => structuredClone(state),
  };
}
