import type {
  WorkerHeartbeat,
  WorkerHeartbeats,
  WorkerState,
} from '@warmgen/shared/ports/worker-heartbeats.ts';
import type { RunLoopMetrics } from '../run-loop/run-loop-ports.ts';
import { ThroughputWindow } from './throughput-window.ts';

export interface HeartbeatTuning {
  /** Between two timer beats. One small write per worker per interval, whatever the load. */
  intervalMs: number;
  /** A record is live this long after its beat: three missed beats and the worker is gone. */
  ttlMs: number;
  /** The window recent tokens/s and jobs/s are measured over. */
  windowMs: number;
}

export const heartbeatDefaults: HeartbeatTuning = {
  intervalMs: 5_000,
  ttlMs: 20_000,
  windowMs: 60_000,
};

export interface HeartbeatDeps {
  heartbeats: Pick<WorkerHeartbeats, 'beat' | 'remove'>;
  workerId: string;
  device: string;
  /** CLOUD_RUN_EXECUTION/CLOUD_RUN_TASK_INDEX of a Job task, or null. */
  task: string | null;
  log: { warn(fields: object, message: string): void; info(fields: object, message: string): void };
  tuning?: Partial<HeartbeatTuning>;
  now?: () => number;
}

export interface HeartbeatWriter {
  /** Hydration progress (hydrateModel's onProgress): state hydrating. */
  hydrating(progress: { bytes: number; totalBytes: number }): void;
  /** The folder is local; the engine is loading. */
  loading(): void;
  /** The engine is warm: idle until rows run. */
  warm(model: { modelSha256: string | null; maxRows: number }): void;
  /**
   * The run loop's events this writer follows (createWorker's `observer`): each only
   * updates a few numbers in memory, so nothing here is ever on the decode path.
   */
  readonly observer: Pick<RunLoopMetrics, 'inFlight' | 'rowGenerated' | 'jobCompleted'>;
  /** Stops the timer and deletes the record (a worker that stops cleanly is gone at once). */
  stop(): Promise<void>;
}

/**
 * A worker's heartbeat: its record (ports/worker-heartbeats.ts) written on a timer, and at
 * once when its lifecycle state changes (starting, hydrating, loading, warm), so a reader
 * sees a new worker within one write. Busy/idle follow the running rows and are written
 * by the timer only: they change with every row, and a write per row would put store
 * traffic in step with the decode. One write in flight at a time; a failed write is logged
 * (once until one succeeds again) and never stops the worker: the record just expires.
 */
export function startHeartbeat(deps: HeartbeatDeps): HeartbeatWriter {
  const tuning = { ...heartbeatDefaults, ...deps.tuning };
  const now = deps.now ?? Date.now;
  const startedAtMs = now();
  const window = new ThroughputWindow(tuning.windowMs);
  let state: WorkerState = 'starting';
  let sinceMs = startedAtMs;
  let warmSinceMs = startedAtMs;
  let hydration: WorkerHeartbeat['hydration'] = null;
  let runningRows = 0;
  let maxRows = 0;
  let modelSha256: string | null = null;
  let writing: Promise<void> | null = null;
  let again = false;
  let failing = false;
  let stopped = false;

  function enter(next: WorkerState): void {
    if (state !== next) {
      state = next;
      sinceMs = now();
    }
  }

  function record(): WorkerHeartbeat {
    const beatAtMs = now();
    return {
      workerId: deps.workerId,
      state,
      sinceMs,
      startedAtMs,
      beatAtMs,
      expiresAtMs: beatAtMs + tuning.ttlMs,
      hydration: state === 'hydrating' ? hydration : null,
      runningRows,
      maxRows,
      modelSha256,
      device: deps.device,
      ...window.rates(beatAtMs, warmSinceMs),
      task: deps.task,
    };
  }

  function beat(): void {
    if (stopped) {
      return;
    }
    if (writing !== null) {
      again = true;
      return;
    }
    writing = deps.heartbeats
      .beat(record())
      .then(
        () => {
          if (failing) {
            failing = false;
            deps.log.info({}, 'heartbeat: writes work again');
          }
        },
        (error: unknown) => {
          if (!failing) {
            failing = true;
            deps.log.warn(
              { err: error },
              'heartbeat: writing the worker record failed; it is retried on the next beat',
            );
          }
        },
      )
      .finally(() => {
        writing = null;
        if (again) {
          again = false;
          beat();
        }
      });
  }

  const timer = setInterval(() => {
    // Busy and idle are decided here, from the rows running at the tick.
    if (state === 'idle' || state === 'busy') {
      enter(runningRows > 0 ? 'busy' : 'idle');
    }
    beat();
  }, tuning.intervalMs);
  timer.unref();
  beat();

  return {
    hydrating(progress) {
      const first = state !== 'hydrating';
      enter('hydrating');
      hydration = { bytesDone: progress.bytes, bytesTotal: progress.totalBytes };
      if (first) {
        beat();
      }
    },
    loading() {
      enter('loading');
      beat();
    },
    warm(model) {
      modelSha256 = model.modelSha256;
      maxRows = model.maxRows;
      warmSinceMs = now();
      enter(runningRows > 0 ? 'busy' : 'idle');
      beat();
    },
    observer: {
      inFlight(rows) {
        runningRows = rows;
      },
      rowGenerated(generateMs) {
        window.generated(now(), generateMs / 1000);
      },
      jobCompleted(completionTokens) {
        window.completed(now(), completionTokens);
      },
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await writing;
      await deps.heartbeats.remove({ workerId: deps.workerId }).catch((error: unknown) => {
        deps.log.warn({ err: error }, 'heartbeat: removing the worker record failed; it expires');
      });
    },
  };
}
