import { Tensor } from 'onnxruntime-node';
import type { DecodeForward } from '../continuous-batch.ts';
import type { TextCodec } from '../text-codec.ts';

/**
 * A stand-in for the decode graph (decode-graph.ts) with exact, checkable arithmetic, for
 * testing the engine's bookkeeping (slots, masks, positions, chunked prefill, admission)
 * without float noise. Vocabulary: ids 0..9, written as the digits '0'..'9'; 9 is
 * <|endoftext|>. The cache holds, per column, the token id fed there (one layer, one head
 * of size 1). The next token is a hash of the row's visible history (cached columns and new
 * tokens the attention bias lets the query see), so any mix-up of rows, slots, masks or
 * positions changes the output.
 */
export const FAKE_VOCAB = 10;
export const FAKE_EOS = 9;

export interface FakeCall {
  rows: number;
  /** Width of the pass: 1 for a decode step, the padded chunk for a prefill. */
  newTokens: number;
  /** Cached columns fed per row (the buffers' stride). */
  pastColumns: number;
}

export type FakeForward = DecodeForward & { calls: FakeCall[] };

export function createFakeForwardPass(): FakeForward {
  const calls: FakeCall[] = [];
  const layout = {
    pastNames: ['past_key_values.0.key', 'past_key_values.0.value'],
    newNames: ['new_key.0', 'new_value.0'],
    nHead: 1,
    headDim: 1,
  };
  return {
    layout,
    calls,
    run: async (feeds) => {
      const ids = feeds.input_ids!;
      const [rows = 0, width = 0] = ids.dims;
      const idData = ids.data as BigInt64Array;
      const positions = feeds.position_ids!.data as BigInt64Array;
      const past = feeds['past_key_values.0.key']!;
      const stride = past.dims[2]!;
      const bias = feeds.attention_bias!;
      const total = stride + width;
      if (bias.dims.join() !== [rows, 1, width, total].join() || past.dims[0] !== rows) {
        throw new Error(`shape mismatch: bias ${bias.dims}, past ${past.dims}`);
      }
      calls.push({ rows, newTokens: width, pastColumns: stride });
      const pastData = past.data as Float32Array;
      const biasData = bias.data as Float32Array;
      const index = feeds.logits_index!.data as BigInt64Array;
      const logits = new Float32Array(rows * FAKE_VOCAB);
      for (let r = 0; r < rows; r++) {
        const flat = Number(index[r]!);
        const t = flat - r * width;
        if (t < 0 || t >= width) {
          throw new Error(`row ${r}: logits_index ${flat} is outside the row`);
        }
        const history: number[] = [];
        let cached = 0;
        for (let c = 0; c < total; c++) {
          if (biasData[(r * width + t) * total + c] !== 0) {
            continue;
          }
          if (c < stride) {
            cached++;
            history.push(pastData[r * stride + c]!);
          } else {
            history.push(Number(idData[r * width + c - stride]!));
          }
        }
        if (positions[r * width + t] !== BigInt(cached + t)) {
          throw new Error(
            `row ${r}: position ${positions[r * width + t]} for query ${t} after ${cached} cached`,
          );
        }
        const next =
          history.reduce((h, token, i) => (h * 7 + token * (i + 3)) % 97, 1) % FAKE_VOCAB;
        logits[r * FAKE_VOCAB + next] = 10;
      }
      const fed = Float32Array.from(idData, Number);
      return {
        logits: new Tensor('float32', logits, [rows, FAKE_VOCAB]),
        'new_key.0': new Tensor('float32', fed, [rows, 1, width, 1]),
        'new_value.0': new Tensor('float32', fed.slice(), [rows, 1, width, 1]),
      };
    },
  };
}

/** Digits in, digits out. */
export const fakeCodec: TextCodec = {
  encode: (text) => [...text].map(Number),
  decode: (ids) => ids.join(''),
};
