import { Tensor } from 'onnxruntime-node';
import type { ForwardPass } from '../batched-decode.ts';
import type { TextCodec } from '../text-codec.ts';

/**
 * A stand-in for the GPT-2 graph with exact, checkable arithmetic, for testing the decode
 * loop's bookkeeping (padding, masks, positions, cache slicing) without float noise.
 * Vocabulary: ids 0..9, written as the digits '0'..'9'; 9 is <|endoftext|>.
 * The cache holds, per column, the token id fed there. The next token is a hash of the
 * row's visible history (cached columns whose mask is 1, then the new tokens), so any
 * mix-up of rows, padding or positions changes the output.
 */
export const FAKE_VOCAB = 10;
export const FAKE_EOS = 9;

export interface FakeCall {
  rows: number;
  newTokens: number;
  /** Columns of the attention mask (cache + new). */
  totalColumns: number;
}

export function createFakeForwardPass(): ForwardPass & { calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const layout = { pastNames: ['past.0'], presentNames: ['present.0'], nHead: 1, headDim: 1 };
  return {
    layout,
    calls,
    run: async (feeds) => {
      const ids = feeds.input_ids!;
      const [rows = 0, width = 0] = ids.dims;
      const mask = feeds.attention_mask!.data as BigInt64Array;
      const positions = feeds.position_ids!.data as BigInt64Array;
      const past = feeds['past.0']!;
      const pastLength = past.dims[2]!;
      const total = pastLength + width;
      if (feeds.attention_mask!.dims[1] !== total || past.dims[0] !== rows) {
        throw new Error(`shape mismatch: mask ${feeds.attention_mask!.dims}, past ${past.dims}`);
      }
      calls.push({ rows, newTokens: width, totalColumns: total });
      const pastData = past.data as Float32Array;
      const present = new Float32Array(rows * total);
      const logits = new Float32Array(rows * width * FAKE_VOCAB);
      for (let r = 0; r < rows; r++) {
        const history: number[] = [];
        for (let c = 0; c < total; c++) {
          const token =
            c < pastLength
              ? pastData[r * pastLength + c]!
              : Number((ids.data as BigInt64Array)[r * width + c - pastLength]!);
          present[r * total + c] = token;
          if (mask[r * total + c] === 1n) {
            if (
              c >= pastLength &&
              positions[r * width + c - pastLength] !== BigInt(history.length)
            ) {
              throw new Error(`row ${r}: wrong position id at column ${c}`);
            }
            history.push(token);
          }
        }
        const next =
          history.reduce((h, token, i) => (h * 7 + token * (i + 3)) % 97, 1) % FAKE_VOCAB;
        logits[(r * width + width - 1) * FAKE_VOCAB + next] = 10;
      }
      return {
        logits: new Tensor('float32', logits, [rows, width, FAKE_VOCAB]),
        'present.0': new Tensor('float32', present, [rows, 1, total, 1]),
      };
    },
  };
}

/** Digits in, digits out. */
export const fakeCodec: TextCodec = {
  encode: (text) => [...text].map(Number),
  decode: (ids) => ids.join(''),
};
