import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { loadCodec } from './load-codec.ts';
import { checkModelFolder } from './model-folder.ts';
import { RowTextStream } from './row-text-stream.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * A row's live text on the real GPT-2 tokenizer, token by token: the pieces are always a
 * prefix of the final text, whatever the token boundaries (a character split across
 * tokens, a stop sequence arriving a token at a time), and coalesced to the interval.
 */
describe('RowTextStream', () => {
  let codec: TextCodec;

  before(async () => {
    codec = await loadCodec(await checkModelFolder(await ensureModel('tiny')));
  });

  /** Feeds the ids one token at a time, `stepMs` apart; returns the pieces. */
  const feed = (
    ids: readonly number[],
    options: { stops?: string[]; intervalMs?: number; stepMs?: number; final: string },
  ): string[] => {
    const pieces: string[] = [];
    const stream = new RowTextStream(
      { onText: (piece) => pieces.push(piece), intervalMs: options.intervalMs ?? 0 },
      codec,
      options.stops ?? [],
      0,
    );
    for (let i = 1; i <= ids.length; i++) {
      stream.grew(ids.slice(0, i), i * (options.stepMs ?? 1));
      assert.ok(options.final.startsWith(pieces.join('')), `after token ${i}: ${pieces.join('')}`);
    }
    stream.finished(options.final);
    return pieces;
  };

  it('never hands out half a character when one is split across tokens', () => {
    const text = 'Café 東京 costs 5€ 🙂 ok';
    const ids = codec.encode(text);
    // The case exists: some prefix of the tokens ends inside a character.
    assert.ok(ids.some((_, i) => codec.decode(ids.slice(0, i + 1)).endsWith('\ufffd')));
    const pieces = feed(ids, { final: text });
    assert.equal(pieces.join(''), text);
    assert.ok(pieces.every((piece) => !piece.includes('\ufffd')));
  });

  it('holds back the start of a stop sequence and drops it when the row stops', () => {
    const text = 'Hello world. The END of it';
    const cut = 'Hello world. The';
    const ids = codec.encode(text);
    const stopAt = ids.findIndex((_, i) => codec.decode(ids.slice(0, i + 1)).includes(' END'));
    const pieces = feed(ids.slice(0, stopAt), { stops: [' END', 'zzz'], final: cut });
    assert.equal(pieces.join(''), cut);
    assert.ok(pieces.every((piece) => !piece.includes(' E')));
  });

  it('hands out text that only looked like a stop once it cannot be one', () => {
    const text = 'an ENDless ENtry, the END';
    const ids = codec.encode(text);
    const seen: string[] = [];
    const stream = new RowTextStream(
      { onText: (piece) => seen.push(piece), intervalMs: 0 },
      codec,
      [' END.'],
      0,
    );
    for (let i = 1; i <= ids.length; i++) {
      stream.grew(ids.slice(0, i), i);
    }
    // ' END' may still become ' END.': held; everything before it was sent.
    assert.equal(seen.join(''), 'an ENDless ENtry, the');
    stream.finished(text);
    assert.equal(seen.join(''), text);
  });

  it('sends at most one piece per interval, the first token at once', () => {
    const text = 'one two three four five six seven eight nine ten eleven twelve';
    const ids = codec.encode(text);
    assert.ok(ids.length >= 12);
    const pieces = feed(ids, { intervalMs: 100, stepMs: 30, final: text });
    // Tokens at 30, 60, ... ms: flushes at 30, 150, 270, ... then the rest at the end.
    const flushes = Math.floor((ids.length * 30 - 30) / 120) + 1;
    assert.equal(pieces.length, flushes + 1);
    assert.equal(pieces.join(''), text);
  });
});
