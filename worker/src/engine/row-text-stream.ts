import type { TextCodec } from './text-codec.ts';

/** What a row sends while it generates: its caller's callback and how often to call it. */
export interface RowTextSink {
  onText: (piece: string) => void;
  /** Least time between two calls for this row (the final piece is sent at once). */
  intervalMs: number;
}

/**
 * A row's text as it grows, handed out in pieces whose concatenation is always a prefix of
 * the row's final text: never half a character (a token may end inside a multi-byte
 * character, which decodes to U+FFFD until the rest comes) and never the start of a stop
 * sequence that may still complete (that text is cut from the final output). Pieces are
 * coalesced to at most one per intervalMs, because each one crosses the engine thread and
 * then a backend: a batch of 32 rows must not write per token.
 *
 * The decode at a flush is of the whole completion (cheap next to a decode step, and only
 * once per interval), so the pieces come from the same decoder as the final text.
 */
export class RowTextStream {
  private readonly sink: RowTextSink;
  private readonly codec: TextCodec;
  private readonly stops: readonly string[];
  /** Characters already handed out. */
  private sent = '';
  private lastFlushMs: number;

  constructor(sink: RowTextSink, codec: TextCodec, stops: readonly string[], startedAtMs: number) {
    this.sink = sink;
    this.codec = codec;
    this.stops = stops.filter((stop) => stop.length > 0);
    // The first token goes out as soon as it comes: the latency a reader feels most.
    this.lastFlushMs = startedAtMs - sink.intervalMs;
  }

  /** After a token was accepted and the row goes on: sends what is safe if the interval passed. */
  grew(ids: readonly number[], nowMs: number): void {
    if (nowMs - this.lastFlushMs < this.sink.intervalMs || ids.length === 0) {
      return;
    }
    this.lastFlushMs = nowMs;
    this.send(this.safePrefix(this.codec.decode(ids)));
  }

  /** The row finished with this text: sends the rest of it. */
  finished(text: string): void {
    this.send(text);
  }

  private send(text: string): void {
    // The final text of a stop is cut before what was held back, so it still extends sent.
    if (text.length <= this.sent.length || !text.startsWith(this.sent)) {
      return;
    }
    const piece = text.slice(this.sent.length);
    this.sent = text;
    try {
      this.sink.onText(piece);
    } catch {
      // As onDone: the caller's forwarding must not break the neighbours' decode.
    }
  }

  /** The text without a trailing partial character and without a possible stop's start. */
  private safePrefix(decoded: string): string {
    let end = decoded.length;
    while (end > 0 && decoded.charCodeAt(end - 1) === 0xfffd) {
      end--;
    }
    const whole = decoded.slice(0, end);
    return whole.slice(0, whole.length - this.heldBack(whole));
  }

  /** Length of the longest end of text that is the start of a stop sequence. */
  private heldBack(text: string): number {
    let held = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > held; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          held = length;
          break;
        }
      }
    }
    return held;
  }
}
