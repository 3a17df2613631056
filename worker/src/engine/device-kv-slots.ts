import { Tensor } from 'onnxruntime-node';
import { bytesPerRowColumn, type KvLayout, type KvStore, type PassRow } from './kv-slots.ts';

/**
 * The KV cache of the device-resident decode graph (decode-graph.ts, KvPlacement 'device';
 * DEVICE=webgpu): the graph takes the whole cache and returns it with the step's columns
 * written in, and that output is the next step's input. On the GPU it stays in GPU memory
 * (onnxruntime-node's preferredOutputLocation 'gpu-buffer'); JavaScript never reads it.
 *
 * One tensor per layer and kind, [maxSlots, maxColumns + 1, heads, headDim], allocated at
 * full size once (rows index it by slot, so it cannot grow the way the host buffers do);
 * the last column takes a pass's padding writes and is never attended. The engine's slot
 * numbers are names for physical slots here: moving or swapping a row renames it, because
 * the binding has no way to copy part of a GPU tensor. A new row overwrites its columns as
 * it goes, and columns past a row's length are masked, so a freed slot needs no clearing.
 */
/** The device graph's cache inputs (kv_cache.*) and the outputs that replace them, in order. */
export function deviceCacheNames(layout: KvLayout): { inputs: string[]; outputs: string[] } {
  const inputs = layout.pastNames.map((name) => name.replace('past_key_values.', 'kv_cache.'));
  return { inputs, outputs: inputs.map((name) => name.replace('kv_cache.', 'kv_cache_next.')) };
}

export class DeviceKvSlots implements KvStore {
  readonly layout: KvLayout;
  private readonly maxSlots: number;
  private readonly maxColumns: number;
  /** cacheNames[i] is fed, nextNames[i] is the output that replaces it. */
  private readonly cacheNames: string[];
  private readonly nextNames: string[];
  private cache: Tensor[] = [];
  /** physical[s]: where the engine's slot s lies in the cache tensors (a permutation). */
  private physical: number[];
  private slotCount = 0;
  private columnStride = 0;

  constructor(layout: KvLayout, maxSlots: number, maxColumns: number) {
    this.layout = layout;
    this.maxSlots = maxSlots;
    this.maxColumns = maxColumns;
    const names = deviceCacheNames(layout);
    this.cacheNames = names.inputs;
    this.nextNames = names.outputs;
    this.physical = Array.from({ length: maxSlots }, (_, s) => s);
  }

  get slots(): number {
    return this.slotCount;
  }

  get stride(): number {
    return this.columnStride;
  }

  get bytes(): number {
    return this.cache.length === 0
      ? 0
      : this.maxSlots * (this.maxColumns + 1) * bytesPerRowColumn(this.layout);
  }

  /** Only the engine's view changes: the columns are where they were. */
  layOut(slots: number, stride: number): void {
    if (slots > this.maxSlots || stride > this.maxColumns) {
      throw new RangeError(
        `${slots} x ${stride} exceeds the ${this.maxSlots} x ${this.maxColumns} allocated`,
      );
    }
    if (this.cache.length === 0) {
      const { nHead, headDim } = this.layout;
      const dims = [this.maxSlots, this.maxColumns + 1, nHead, headDim];
      // Zeros, uploaded once: masked columns must hold finite numbers (NaN - 1e9 is NaN).
      const zeros = new Float32Array(this.maxSlots * (this.maxColumns + 1) * nHead * headDim);
      this.cache = this.cacheNames.map(() => new Tensor('float32', zeros, dims));
    }
    this.slotCount = slots;
    this.columnStride = stride;
  }

  /**
   * Kept between running periods: the GPU's memory is this worker's alone, and laying the
   * cache out again would upload all of it.
   */
  release(): void {
    this.slotCount = 0;
    this.columnStride = 0;
  }

  feeds(start: number, rows: readonly PassRow[], width: number): Record<string, Tensor> {
    const count = rows.length;
    if (start < 0 || count < 1 || start + count > this.slotCount) {
      throw new RangeError(`slots ${start}..${start + count - 1} outside 0..${this.slotCount - 1}`);
    }
    const slotIds = new BigInt64Array(count);
    const writeIndex = new BigInt64Array(count * width * 2);
    rows.forEach((row, b) => {
      const slot = BigInt(this.physical[start + b]!);
      slotIds[b] = slot;
      for (let t = 0; t < width; t++) {
        const at = (b * width + t) * 2;
        writeIndex[at] = slot;
        writeIndex[at + 1] = BigInt(t < row.added ? row.columns + t : this.maxColumns);
      }
    });
    const feeds: Record<string, Tensor> = {
      slot_ids: new Tensor('int64', slotIds, [count]),
      write_index: new Tensor('int64', writeIndex, [count, width, 2]),
    };
    this.cacheNames.forEach((name, i) => {
      feeds[name] = this.cache[i]!;
    });
    return feeds;
  }

  append(outputs: Record<string, Tensor>): void {
    const next = this.nextNames.map((name) => {
      const output = outputs[name];
      if (!output) {
        throw new Error(`decode graph output ${name} is missing`);
      }
      return output;
    });
    for (const old of this.cache) {
      // A GPU buffer is freed only when its tensor is disposed; the zeros are shared.
      if (old.location !== 'cpu') {
        old.dispose();
      }
    }
    this.cache = next;
  }

  move(from: number, to: number): void {
    this.swap(from, to);
  }

  swap(a: number, b: number): void {
    const physical = this.physical;
    [physical[a], physical[b]] = [physical[b]!, physical[a]!];
  }
}
