import cliProgress from 'cli-progress';

export interface BatchProgress {
  succeeded: number;
  failed: number;
  canceled: number;
  total: number;
}

export interface ProgressReporter {
  update(progress: BatchProgress): void;
  stop(): void;
}

/**
 * Progress of a batch on stderr: a bar (cli-progress) with succeeded / failed / total and
 * an ETA on a terminal; elsewhere (a pipe, a CI log) one plain line each time the counts
 * change, since a bar's carriage returns make a log unreadable.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  batchId: string,
  now: () => number = Date.now,
): ProgressReporter {
  const eta = etaClock(now);
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${batchId} [{bar}] {value}/{total} | {succeeded} succeeded, {failed} failed | eta {etaText}`,
        hideCursor: true,
        // Our ETA: rows finished since this run started, not cli-progress's buffer of updates.
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(progress) {
        const finished = progress.succeeded + progress.failed + progress.canceled;
        const payload = {
          succeeded: progress.succeeded,
          failed: progress.failed + progress.canceled,
          etaText: eta(finished, progress.total),
        };
        if (!started) {
          bar.start(progress.total, finished, payload);
          started = true;
        } else {
          bar.update(finished, payload);
        }
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update(progress) {
      const finished = progress.succeeded + progress.failed + progress.canceled;
      const line =
        `${batchId}: ${finished}/${progress.total} finished (${progress.succeeded} succeeded, ` +
        `${progress.failed} failed, ${progress.canceled} canceled)`;
      if (line !== last) {
        last = line;
        stream.write(`${line}, eta ${eta(finished, progress.total)}\n`);
      }
    },
    stop() {},
  };
}

/**
 * The time left at the rate rows finished since the first update: a resumed batch counts
 * from where this run found it, not from zero.
 */
export function etaClock(now: () => number): (finished: number, total: number) => string {
  let first: { atMs: number; finished: number } | null = null;
  return (finished, total) => {
    const atMs = now();
    first ??= { atMs, finished };
    if (finished >= total) {
      return '0s';
    }
    const rate = (finished - first.finished) / ((atMs - first.atMs) / 1000);
    if (!(rate > 0)) {
      return '?';
    }
    return formatSeconds((total - finished) / rate);
  };
}

function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
