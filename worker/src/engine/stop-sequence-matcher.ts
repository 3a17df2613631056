import type { TextCodec } from './text-codec.ts';

/**
 * Finds a row's stop sequences in its decoded completion. Checked after every new token, on
 * a tail window of tokens only, so the cost per step does not grow with the text: a stop of
 * n characters spans at most 4n bytes, and every byte-level BPE token holds at least one
 * byte, so 4n + 3 tokens (3 for a character split at the window's start) always cover it.
 */
export class StopSequenceMatcher {
  private readonly stops: readonly string[];
  private readonly windowTokens: number;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
    const longest = Math.max(0, ...this.stops.map((stop) => stop.length));
    this.windowTokens = 4 * longest + 3;
  }

  get active(): boolean {
    return this.stops.length > 0;
  }

  /**
   * Call after each appended token with the row's completion ids. Returns the completion
   * text cut before the earliest stop sequence, or null while none has appeared.
   */
  check(ids: readonly number[], codec: TextCodec): string | null {
    if (!this.active || ids.length === 0) {
      return null;
    }
    const tail = codec.decode(ids.slice(-this.windowTokens));
    if (!this.stops.some((stop) => tail.includes(stop))) {
      return null;
    }
    const full = ids.length <= this.windowTokens ? tail : codec.decode(ids);
    let cut = -1;
    for (const stop of this.stops) {
      const at = full.indexOf(stop);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    return cut < 0 ? null : full.slice(0, cut);
  }
}
