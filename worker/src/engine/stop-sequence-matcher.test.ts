import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StopSequenceMatcher } from './stop-sequence-matcher.ts';
import type { TextCodec } from './text-codec.ts';

/** Token i decodes to pieces[i]; counts decode calls and the ids they covered. */
function codecOf(pieces: string[]) {
  const decoded: number[] = [];
  const codec: TextCodec = {
    encode: () => [],
    decode: (ids) => {
      decoded.push(ids.length);
      return ids.map((id) => pieces[id]).join('');
    },
  };
  return { codec, decoded };
}

/** Feeds ids one at a time, as the decode loop does; returns the cut text and when. */
function run(matcher: StopSequenceMatcher, ids: number[], codec: TextCodec) {
  for (let n = 1; n <= ids.length; n++) {
    const cut = matcher.check(ids.slice(0, n), codec);
    if (cut !== null) {
      return { cut, tokens: n };
    }
  }
  return null;
}

describe('StopSequenceMatcher', () => {
  const pieces = ['Hello', ' wor', 'ld', '\n', '\n\n', 'END', ' x'];

  it('finds a stop that spans tokens and cuts before it', () => {
    const { codec } = codecOf(pieces);
    const found = run(new StopSequenceMatcher(['world']), [0, 1, 2, 3, 6], codec);
    assert.deepEqual(found, { cut: 'Hello ', tokens: 3 });
  });

  it('cuts at the earliest of several stops', () => {
    const { codec } = codecOf(pieces);
    const found = run(new StopSequenceMatcher(['END', '\n\n']), [0, 3, 3, 5, 4], codec);
    assert.deepEqual(found, { cut: 'Hello', tokens: 3 });
  });

  it('never fires without a match, nor with no stops', () => {
    const { codec, decoded } = codecOf(pieces);
    assert.equal(run(new StopSequenceMatcher(['nope']), [0, 1, 2, 6], codec), null);
    assert.equal(run(new StopSequenceMatcher([]), [0, 1, 2, 6], codec), null);
    assert.equal(new StopSequenceMatcher([]).active, false);
    assert.equal(decoded.length, 4, 'no decoding at all without stops');
  });

  it('decodes only a bounded tail window per token', () => {
    const { codec, decoded } = codecOf(['a', 'b']);
    const ids = Array.from({ length: 500 }, (_, i) => i % 2);
    assert.equal(run(new StopSequenceMatcher(['zz']), ids, codec), null);
    // 'zz' is 2 characters: 4 * 2 + 3 = 11 tokens cover it whatever the byte split.
    assert.equal(Math.max(...decoded), 11);
  });

  it('finds a match that only appears once a later token completes it', () => {
    // A character split over two byte tokens decodes to a replacement char until complete.
    const codec: TextCodec = {
      encode: () => [],
      decode: (ids) => {
        const bytes = ids.flatMap((id) => (id === 1 ? [0xc3] : id === 2 ? [0xa9] : [0x41]));
        return new TextDecoder().decode(Uint8Array.from(bytes));
      },
    };
    const found = run(new StopSequenceMatcher(['é']), [0, 0, 1, 2, 0], codec);
    assert.deepEqual(found, { cut: 'AA', tokens: 4 });
  });
});
