/**
 * What a worker generated lately, for its heartbeat: tokens and finished jobs over the last
 * `windowMs`, kept as one entry per finished job (a worker finishes at most a few hundred
 * jobs a minute, so the list stays short). Rates are over the window, or over the time
 * since the worker became warm when that is shorter, so a worker warm for 5 s is not
 * averaged over a minute it did not exist for. Idle time inside the window lowers the
 * rates: they say what the worker did, not what it could do.
 */
export class ThroughputWindow {
  readonly #windowMs: number;
  #tokens: { atMs: number; tokens: number }[] = [];
  #jobSeconds: { atMs: number; seconds: number }[] = [];
  #total = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** A job finished generating after `seconds` in the engine. */
  generated(atMs: number, seconds: number): void {
    this.#jobSeconds.push({ atMs, seconds });
  }

  /** A job succeeded with `tokens` new tokens. */
  completed(atMs: number, tokens: number): void {
    this.#tokens.push({ atMs, tokens });
    this.#total += tokens;
  }

  /** Rates at nowMs, over the window or since warmSinceMs, whichever is shorter. */
  rates(
    nowMs: number,
    warmSinceMs: number,
  ): {
    tokensPerSecond: number;
    jobsPerSecond: number;
    meanJobSeconds: number | null;
    tokensTotal: number;
  } {
    const from = nowMs - this.#windowMs;
    this.#tokens = this.#tokens.filter((entry) => entry.atMs > from);
    this.#jobSeconds = this.#jobSeconds.filter((entry) => entry.atMs > from);
    const spanSeconds = Math.max(1, Math.min(this.#windowMs, nowMs - warmSinceMs)) / 1000;
    const tokens = this.#tokens.reduce((sum, entry) => sum + entry.tokens, 0);
    const seconds = this.#jobSeconds.reduce((sum, entry) => sum + entry.seconds, 0);
    return {
      tokensPerSecond: round2(tokens / spanSeconds),
      jobsPerSecond: round2(this.#tokens.length / spanSeconds),
      meanJobSeconds:
        this.#jobSeconds.length === 0 ? null : round2(seconds / this.#jobSeconds.length),
      tokensTotal: this.#total,
    };
  }
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
