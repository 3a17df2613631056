import type { Logger } from '../logging/logger.ts';

/** What hydration logs with: the info and warn levels of the one Logger. */
export type HydrationLogger = Pick<Logger, 'info' | 'warn'>;

export interface HydrationProgress {
  /** Bytes of this hydration's downloads received so far (retried bytes not counted twice). */
  bytes: number;
  totalBytes: number;
  percent: number;
  /** Average since the downloads started, in MB (10^6 bytes) per second. */
  mbPerSecond: number;
  seconds: number;
  filesDone: number;
  files: number;
}

/** JSON lines on stderr in Cloud Logging's shape; the default when no logger is given. */
export const stderrLogger: HydrationLogger = {
  info: (fields, message) => writeLine('INFO', fields, message),
  warn: (fields, message) => writeLine('WARNING', fields, message),
};

function writeLine(severity: string, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(`${JSON.stringify({ severity, message, ...fields })}\n`);
}

export const MB = 1e6;

/**
 * Counts bytes and finished files, and reports a snapshot every `intervalMs` (timer
 * unref'd, so it never keeps a process alive) until stopped.
 */
export class ProgressMeter {
  readonly #started = performance.now();
  readonly #totalBytes: number;
  readonly #files: number;
  readonly #timer: NodeJS.Timeout;
  #bytes = 0;
  #filesDone = 0;

  constructor(
    totals: { bytes: number; files: number },
    intervalMs: number,
    report: (progress: HydrationProgress) => void,
  ) {
    this.#totalBytes = totals.bytes;
    this.#files = totals.files;
    this.#timer = setInterval(() => report(this.snapshot()), intervalMs);
    this.#timer.unref();
  }

  add(bytes: number): void {
    this.#bytes += bytes;
  }

  fileDone(): void {
    this.#filesDone += 1;
  }

  snapshot(): HydrationProgress {
    const seconds = (performance.now() - this.#started) / 1000;
    return {
      bytes: this.#bytes,
      totalBytes: this.#totalBytes,
      percent:
        this.#totalBytes === 0 ? 100 : Math.round((1000 * this.#bytes) / this.#totalBytes) / 10,
      mbPerSecond: seconds > 0 ? Math.round((100 * this.#bytes) / MB / seconds) / 100 : 0,
      seconds: Math.round(seconds * 1000) / 1000,
      filesDone: this.#filesDone,
      files: this.#files,
    };
  }

  stop(): HydrationProgress {
    clearInterval(this.#timer);
    return this.snapshot();
  }
}
