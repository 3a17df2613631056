import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { decode as referenceDecode, encode as referenceEncode } from 'gpt-3-encoder';
import { buildModelFolder } from '../model-builder/build-model.ts';
import { END_OF_TEXT_ID } from '../model-builder/model-sizes.ts';
import { createSeededRandom } from '../model-builder/seeded-random.ts';

/**
 * The tokenizer.json the builder writes, loaded by transformers.js, must tokenize exactly
 * like gpt-3-encoder (the reference GPT-2 BPE in JavaScript) and decode back to the text.
 * One known difference, by design: Hugging Face treats "<|endoftext|>" in the text as the
 * special token 50256; gpt-3-encoder spells it out as ordinary characters. That string is
 * kept out of the shared corpus and checked on its own below.
 */
let work: string;
let tokenizer: PreTrainedTokenizer;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'warmgen-tokenizer-'));
  const dir = join(work, 'tiny');
  await buildModelFolder({ size: 'tiny', outDir: dir, seed: 1 });
  env.allowRemoteModels = false;
  tokenizer = await AutoTokenizer.from_pretrained(dir);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const corpus: Record<string, string> = {
  ascii: 'The quick brown fox jumps over the lazy dog.',
  contractions: "I'm sure they'll say we've done what you'd've done; it's Bob's.",
  accents: 'Café naïve façade — résumé, Ångström, Straße, Dvořák, São Paulo.',
  combiningMarks: 'e\u0301 versus é; n\u0303 and a\u030a',
  cjk: '你好，世界。東京は日本の首都です。한국어 문장도 있습니다.',
  rtl: 'שלום עולם — مرحبا بالعالم (١٢٣) mixed with English.',
  emoji: 'Nice 👍🏽 party 🎉🎉 flag 🇯🇵',
  zwjSequences: 'Family 👨‍👩‍👧‍👦, rainbow flag 🏳️‍🌈, technologist 🧑🏿‍💻.',
  whitespaceRuns: 'a    b  c\u00a0\u00a0d\u3000e      ',
  tabs: '\tindented\t\ttext\t',
  crlf: 'line one\r\nline two\r\n\r\nline four\r\n',
  newlinesOnly: '\n\n\n',
  leadingSpaces: '   starts with spaces',
  numbers: '3.14159, 1,000,000 and 2024-11-25T12:00:00Z; 0x1F600',
  code: 'function add(a, b) {\n  return a + b; // sum\n}\n\nconst x = add(1, 2);\n',
  punctuation: '!!!??? ... --- *** ((())) [[]] {{}} <<>> ,,, ;;; :::',
  endsWithSpace: 'trailing ',
  singleSpace: ' ',
};

function hfEncode(text: string): number[] {
  return tokenizer.encode(text);
}

for (const [name, text] of Object.entries(corpus)) {
  test(`same ids as gpt-3-encoder and a lossless round trip: ${name}`, () => {
    const ids = hfEncode(text);
    assert.deepEqual(ids, referenceEncode(text));
    assert.equal(tokenizer.decode(ids), text);
    assert.equal(referenceDecode(ids), text);
  });
}

test('whole source files (real code) tokenize identically and round-trip', async () => {
  const files = ['./gpt2-reference-forward.ts', '../model-builder/gpt2-graph.ts'];
  const source = (
    await Promise.all(files.map((f) => readFile(new URL(f, import.meta.url), 'utf8')))
  ).join('\n');
  assert.ok(!source.includes('<|endoftext|>'), 'the corpus must not contain the special token');
  const ids = hfEncode(source);
  assert.ok(ids.length > 500);
  assert.deepEqual(ids, referenceEncode(source));
  assert.equal(tokenizer.decode(ids), source);
});

test('seeded random multilingual strings tokenize identically and round-trip', () => {
  // Code point ranges: ASCII, Latin-1, Greek, Cyrillic, Hebrew, Arabic, Devanagari, CJK,
  // Hangul, emoji; plus whitespace characters, so pieces split and merge in odd places.
  const ranges: [number, number][] = [
    [0x20, 0x7e],
    [0xa1, 0xff],
    [0x391, 0x3c9],
    [0x410, 0x44f],
    [0x5d0, 0x5ea],
    [0x621, 0x64a],
    [0x905, 0x939],
    [0x4e00, 0x4fff],
    [0xac00, 0xacff],
    [0x1f300, 0x1f64f],
  ];
  const spaces = [' ', ' ', '  ', '\t', '\n', '\r\n', '\u00a0'];
  const random = createSeededRandom(2024);
  const pick = (n: number): number => random.nextUint32() % n;
  for (let sample = 0; sample < 500; sample++) {
    let text = '';
    const length = 1 + pick(40);
    for (let i = 0; i < length; i++) {
      if (pick(5) === 0) {
        text += spaces[pick(spaces.length)];
      } else {
        const [low, high] = ranges[pick(ranges.length)]!;
        text += String.fromCodePoint(low + pick(high - low + 1));
      }
    }
    const ids = hfEncode(text);
    assert.deepEqual(ids, referenceEncode(text), `sample ${sample}: ${JSON.stringify(text)}`);
    assert.equal(tokenizer.decode(ids), text, `sample ${sample}`);
  }
});

test('the empty string encodes to no tokens; transformers.js cannot decode an empty list', () => {
  assert.deepEqual(hfEncode(''), []);
  assert.deepEqual(referenceEncode(''), []);
  assert.equal(referenceDecode([]), '');
  // Known transformers.js behaviour: callers must map "no tokens" to "" themselves.
  assert.throws(() => tokenizer.decode([]));
});

test('<|endoftext|> is the single special id 50256 in the built tokenizer (gpt-3-encoder differs)', () => {
  assert.deepEqual(hfEncode('<|endoftext|>'), [END_OF_TEXT_ID]);
  assert.deepEqual(hfEncode('a<|endoftext|>b'), [
    ...referenceEncode('a'),
    END_OF_TEXT_ID,
    ...referenceEncode('b'),
  ]);
  assert.equal(tokenizer.decode([END_OF_TEXT_ID]), '<|endoftext|>');
  assert.equal(tokenizer.decode([END_OF_TEXT_ID], { skip_special_tokens: true }), '');
  assert.equal(tokenizer.eos_token_id, END_OF_TEXT_ID);
  assert.equal(tokenizer.pad_token_id, END_OF_TEXT_ID);
  // gpt-3-encoder has no special tokens: it spells the marker out as ordinary text.
  assert.ok(referenceEncode('<|endoftext|>').length > 1);
});
