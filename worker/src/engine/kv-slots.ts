import { Tensor } from 'onnxruntime-node';

/**
 * The KV cache of every running row, in buffers the engine owns and appends to in place.
 *
 * Per layer two Float32Arrays, keys and values, each [slots, heads, stride, headDim]. Row
 * r's tokens fill columns 0..length-1 of slot r. A step feeds views of these buffers to the
 * graph, which returns only the step's new columns (decode-graph.ts); they are written
 * here, a few hundred KB a step. The cache itself is never copied by a step.
 *
 * Every row of a pass shares one column count (`stride`), so a step reads that many columns
 * of every row (masked beyond each row's length). The engine chooses the slot count and
 * the stride (continuous-batch.ts) and calls layOut() when they change: rarely, since it
 * rounds them up. Layouts change in place: each buffer is allocated once, at the first row,
 * for the most slots and columns there can ever be (maxSlots x maxColumns). That is
 * address space, not memory: an allocation that large is mapped fresh from the OS and a
 * page becomes resident only when a column in it is written, so resident memory follows
 * the rows' actual lengths (bounded by the engine's budget), while nothing is ever
 * reallocated (reallocating as slots and strides grew left freed cache-sized blocks in the
 * heap: +400 MB of RSS under mixed load). release() returns it all when no row runs.
 */
export interface KvLayout {
  /** Graph inputs past_key_values.{i}.key / .value, in a fixed order (key, value per layer). */
  pastNames: readonly string[];
  /** Graph outputs new_key.{i} / new_value.{i}, in the same order. */
  newNames: readonly string[];
  nHead: number;
  headDim: number;
}

/** Bytes of one row's cache per column (one token position, every layer, key and value). */
export function bytesPerRowColumn(layout: KvLayout): number {
  return layout.pastNames.length * layout.nHead * layout.headDim * 4;
}

/** Where a pass's rows are and how many new columns each one appends. */
export interface PassRow {
  /** Columns cached before the pass. */
  columns: number;
  /** Real new tokens of this row in the pass (the rest of `width` is padding). */
  added: number;
}

/**
 * What the engine (continuous-batch.ts) asks of a KV cache, wherever it lives: this file's
 * host buffers, or the device-resident cache of device-kv-slots.ts. Slots are the engine's
 * own numbering; a pass always covers adjacent slots.
 */
export interface KvStore {
  readonly layout: KvLayout;
  readonly slots: number;
  readonly stride: number;
  /** Bytes held for the cache now. */
  readonly bytes: number;
  layOut(slots: number, stride: number, used: readonly number[]): void;
  release(): void;
  /** The cache feeds of a pass over slots [start, start + rows.length). */
  feeds(start: number, rows: readonly PassRow[], width: number): Record<string, Tensor>;
  /** Takes the pass's outputs into the cache. */
  append(
    outputs: Record<string, Tensor>,
    start: number,
    rows: readonly PassRow[],
    width: number,
  ): void;
  move(from: number, to: number): void;
  swap(a: number, b: number): void;
}

export class KvSlots implements KvStore {
  readonly layout: KvLayout;
  private readonly maxSlots: number;
  private readonly maxColumns: number;
  private buffers: Float32Array[] = [];
  private slotCount = 0;
  private columnStride = 0;

  constructor(layout: KvLayout, maxSlots: number, maxColumns: number) {
    this.layout = layout;
    this.maxSlots = maxSlots;
    this.maxColumns = maxColumns;
    this.buffers = layout.pastNames.map(() => new Float32Array(0));
  }

  get slots(): number {
    return this.slotCount;
  }

  get stride(): number {
    return this.columnStride;
  }

  get bytes(): number {
    return this.slotCount * this.columnStride * bytesPerRowColumn(this.layout);
  }

  private get floatsPerSlot(): number {
    return this.layout.nHead * this.columnStride * this.layout.headDim;
  }

  /**
   * Lays the buffers out again, in place, at `slots` slots of `stride` columns, keeping the
   * first used[s] columns of slot s (which must fit).
   */
  layOut(slots: number, stride: number, used: readonly number[]): void {
    if (slots > this.maxSlots || stride > this.maxColumns) {
      throw new RangeError(
        `${slots} x ${stride} exceeds the ${this.maxSlots} x ${this.maxColumns} allocated`,
      );
    }
    const { nHead, headDim } = this.layout;
    const keep = Math.min(this.slotCount, slots);
    for (let s = 0; s < keep; s++) {
      if ((used[s] ?? 0) > stride) {
        throw new RangeError(`slot ${s} holds ${used[s]} columns; the new stride is ${stride}`);
      }
    }
    if (this.buffers[0]?.length === 0) {
      this.buffers = this.buffers.map(
        () => new Float32Array(this.maxSlots * nHead * this.maxColumns * headDim),
      );
    }
    const oldStride = this.columnStride;
    if (stride !== oldStride) {
      // Block (slot, head) b moves from b * oldStride to b * stride columns: when the
      // stride grows blocks move up, so the last goes first; when it shrinks, the first.
      const blocks = keep * nHead;
      for (let k = 0; k < blocks; k++) {
        const block = stride > oldStride ? blocks - 1 - k : k;
        const cols = used[Math.floor(block / nHead)] ?? 0;
        if (cols === 0) {
          continue;
        }
        const from = block * oldStride * headDim;
        const to = block * stride * headDim;
        for (const buffer of this.buffers) {
          buffer.copyWithin(to, from, from + cols * headDim);
        }
      }
    }
    this.slotCount = slots;
    this.columnStride = stride;
  }

  /** Drops every buffer (no row running): memory goes back until the next admission. */
  release(): void {
    this.buffers = this.buffers.map(() => new Float32Array(0));
    this.slotCount = 0;
    this.columnStride = 0;
  }

  /** The past_* feeds over slots [start, start + count): views, not copies. */
  feeds(start: number, rows: readonly PassRow[]): Record<string, Tensor> {
    const count = rows.length;
    if (start < 0 || count < 1 || start + count > this.slotCount) {
      throw new RangeError(`slots ${start}..${start + count - 1} outside 0..${this.slotCount - 1}`);
    }
    const { nHead, headDim, pastNames } = this.layout;
    const per = this.floatsPerSlot;
    const feeds: Record<string, Tensor> = {};
    const dims = [count, nHead, this.columnStride, headDim];
    this.buffers.forEach((buffer, i) => {
      feeds[pastNames[i]!] = new Tensor(
        'float32',
        buffer.subarray(start * per, (start + count) * per),
        dims,
      );
    });
    return feeds;
  }

  /** Appends each pass row's new columns (new_key/new_value [count, heads, width, headDim]). */
  append(
    outputs: Record<string, Tensor>,
    start: number,
    rows: readonly PassRow[],
    width: number,
  ): void {
    const { nHead, headDim, newNames } = this.layout;
    const stride = this.columnStride;
    this.buffers.forEach((buffer, i) => {
      const name = newNames[i]!;
      const output = outputs[name];
      if (!output) {
        throw new Error(`decode graph output ${name} is missing`);
      }
      const data = output.data as Float32Array;
      rows.forEach((row, b) => {
        for (let h = 0; h < nHead; h++) {
          // The row's real new tokens are its first `added` positions: one contiguous run.
          const from = (b * nHead + h) * width * headDim;
          const to = (((start + b) * nHead + h) * stride + row.columns) * headDim;
          buffer.set(data.subarray(from, from + row.added * headDim), to);
        }
      });
    });
  }

  /** Copies slot `from` into slot `to`. */
  move(from: number, to: number): void {
    if (from === to) {
      return;
    }
    const per = this.floatsPerSlot;
    for (const buffer of this.buffers) {
      buffer.copyWithin(to * per, from * per, (from + 1) * per);
    }
  }

  /** Exchanges two slots. */
  swap(a: number, b: number): void {
    if (a === b) {
      return;
    }
    const per = this.floatsPerSlot;
    const scratch = new Float32Array(per);
    for (const buffer of this.buffers) {
      scratch.set(buffer.subarray(a * per, (a + 1) * per));
      buffer.copyWithin(a * per, b * per, (b + 1) * per);
      buffer.set(scratch, b * per);
    }
  }
}
