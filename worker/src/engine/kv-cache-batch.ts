import { Tensor } from 'onnxruntime-node';

/**
 * The key/value cache of a batch of rows and the attention mask that goes with it.
 *
 * Invariant: rows are left-padded. Each cache tensor is [rows, heads, length, headDim];
 * row r's real tokens fill the LAST realLengths[r] of the `length` columns, the columns
 * before them are padding (masked out, their values never read). So the attention mask is
 * implied by realLengths and never stored.
 */
export interface CacheLayout {
  /** Graph inputs past_key_values.{i}.key / .value, in a fixed order. */
  pastNames: readonly string[];
  /** The graph outputs present.{i}.key / .value, in the same order. */
  presentNames: readonly string[];
  nHead: number;
  headDim: number;
}

export class KvCacheBatch {
  readonly layout: CacheLayout;
  /** Cache tensors, aligned with layout.pastNames. */
  private tensors: Tensor[];
  private length: number;
  private realLengths: number[];

  private constructor(layout: CacheLayout, tensors: Tensor[], length: number, real: number[]) {
    this.layout = layout;
    this.tensors = tensors;
    this.length = length;
    this.realLengths = real;
  }

  /** A cache holding nothing yet, for the prefill of `rows` rows. */
  static empty(layout: CacheLayout, rows: number): KvCacheBatch {
    const shape = [rows, layout.nHead, 0, layout.headDim];
    const tensors = layout.pastNames.map(() => new Tensor('float32', new Float32Array(0), shape));
    return new KvCacheBatch(layout, tensors, 0, new Array<number>(rows).fill(0));
  }

  get rows(): number {
    return this.realLengths.length;
  }

  /** Columns in the cache (the longest row's real length plus everyone's padding). */
  get columns(): number {
    return this.length;
  }

  /**
   * Model inputs for a step that appends `width` columns, of which the last newReal[r] are
   * real tokens of row r (the rest padding): the cache, the attention mask over
   * cache + new columns, and GPT-2 position ids (0-based among a row's real tokens;
   * padding gets 1, as transformers.js does).
   */
  stepInputs(width: number, newReal: readonly number[]): Record<string, Tensor> {
    const rows = this.rows;
    const total = this.length + width;
    const mask = new BigInt64Array(rows * total);
    const positions = new BigInt64Array(rows * width);
    for (let r = 0; r < rows; r++) {
      const before = this.realLengths[r]!;
      const added = newReal[r]!;
      mask.fill(1n, r * total + total - before - added, (r + 1) * total);
      const firstReal = width - added;
      positions.fill(1n, r * width, r * width + firstReal);
      for (let c = firstReal; c < width; c++) {
        positions[r * width + c] = BigInt(before + c - firstReal);
      }
    }
    const feeds: Record<string, Tensor> = {
      attention_mask: new Tensor('int64', mask, [rows, total]),
      position_ids: new Tensor('int64', positions, [rows, width]),
    };
    this.layout.pastNames.forEach((name, i) => {
      feeds[name] = this.tensors[i]!;
    });
    return feeds;
  }

  /** Takes the step's present.* outputs as the new cache. */
  advance(outputs: Record<string, Tensor>, width: number, newReal: readonly number[]): void {
    this.tensors = this.layout.presentNames.map((name) => {
      const tensor = outputs[name];
      if (!tensor) {
        throw new Error(`model output ${name} is missing`);
      }
      return tensor;
    });
    this.length += width;
    this.realLengths = this.realLengths.map((real, r) => real + newReal[r]!);
  }

  /**
   * Keeps only the given rows (indices into the current rows, in the new order), and drops
   * leading columns that are padding for every kept row, so finished rows cost nothing
   * further and the cache never grows past the longest live row.
   */
  keepRows(keep: readonly number[]): void {
    const realLengths = keep.map((r) => this.realLengths[r]!);
    const newLength = Math.max(0, ...realLengths);
    const trim = this.length - newLength;
    const { nHead, headDim } = this.layout;
    this.tensors = this.tensors.map((tensor) => {
      const source = tensor.data as Float32Array;
      const target = new Float32Array(keep.length * nHead * newLength * headDim);
      keep.forEach((r, k) => {
        for (let h = 0; h < nHead; h++) {
          const from = ((r * nHead + h) * this.length + trim) * headDim;
          const to = (k * nHead + h) * newLength * headDim;
          target.set(source.subarray(from, from + newLength * headDim), to);
        }
      });
      return new Tensor('float32', target, [keep.length, nHead, newLength, headDim]);
    });
    this.length = newLength;
    this.realLengths = realLengths;
  }

  /**
   * Stacks caches of separately prefilled row groups into one batch (rows in argument
   * order), right-aligning each row's columns so the left-padding invariant holds.
   */
  static concat(parts: readonly KvCacheBatch[]): KvCacheBatch {
    const first = parts[0];
    if (!first) {
      throw new Error('KvCacheBatch.concat needs at least one part');
    }
    if (parts.length === 1) {
      return first;
    }
    const { layout } = first;
    const { nHead, headDim } = layout;
    const rows = parts.reduce((sum, part) => sum + part.rows, 0);
    const length = Math.max(...parts.map((part) => part.length));
    const tensors = layout.pastNames.map((_, i) => {
      const target = new Float32Array(rows * nHead * length * headDim);
      let row = 0;
      for (const part of parts) {
        const source = part.tensors[i]!.data as Float32Array;
        const shift = length - part.length;
        for (let r = 0; r < part.rows; r++, row++) {
          for (let h = 0; h < nHead; h++) {
            const from = (r * nHead + h) * part.length * headDim;
            const to = ((row * nHead + h) * length + shift) * headDim;
            target.set(source.subarray(from, from + part.length * headDim), to);
          }
        }
      }
      return new Tensor('float32', target, [rows, nHead, length, headDim]);
    });
    const realLengths = parts.flatMap((part) => part.realLengths);
    return new KvCacheBatch(layout, tensors, length, realLengths);
  }
}
