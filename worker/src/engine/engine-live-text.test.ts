import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import type { GenerationEngine, GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { loadEngine } from './load-engine.ts';
import { greedyParams } from './test-support/greedy-params.ts';
import { loadThreadedEngine } from './threaded-engine.ts';

/**
 * The engine's live text (GenerationRequest.onText), in the caller's thread and across the
 * engine thread: for every row the pieces joined are its final text, all of them before its
 * onDone, for greedy and seeded sampling, a row cut at a stop sequence, and rows beside
 * rows that do not ask for pieces.
 */
const params = (overrides: Partial<GenerationParams> = {}): GenerationParams =>
  greedyParams({ max_new_tokens: 24, ...overrides });

interface Watched {
  pieces: string[];
  /** The pieces joined when onDone fired. */
  atDone: string | null;
}

const watched = (
  requests: Array<Omit<GenerationRequest, 'onText' | 'onDone'>>,
  textIntervalMs: number | undefined,
): { requests: GenerationRequest[]; rows: Watched[] } => {
  const rows = requests.map(() => ({ pieces: [] as string[], atDone: null as string | null }));
  return {
    rows,
    requests: requests.map((request, i) => ({
      ...request,
      onText: (piece: string) => rows[i]!.pieces.push(piece),
      onDone: () => {
        rows[i]!.atDone = rows[i]!.pieces.join('');
      },
      ...(textIntervalMs === undefined ? {} : { textIntervalMs }),
    })),
  };
};

const engines: Array<[string, (modelDir: string) => Promise<GenerationEngine>]> = [
  ['in the caller thread', (modelDir) => loadEngine({ modelDir, device: 'cpu', maxBatchSize: 8 })],
  [
    'across the engine thread',
    (modelDir) => loadThreadedEngine({ modelDir, device: 'cpu', maxBatchSize: 8 }),
  ],
];

for (const [where, load] of engines) {
  describe(`GenerationRequest.onText ${where}`, () => {
    let engine: GenerationEngine;
    let full: GenerationOutput | undefined;

    before(async () => {
      engine = await load(await ensureModel('tiny'));
      [full] = await engine.generate([{ prompt: 'Café 東京', params: params() }]);
    });
    after(async () => {
      await engine.dispose();
    });

    for (const intervalMs of [0, undefined]) {
      it(`joins to each row's text (interval ${intervalMs ?? 'default'})`, async () => {
        const stop = full!.text.slice(8, 11);
        const { requests, rows } = watched(
          [
            { prompt: 'Café 東京', params: params() },
            { prompt: 'Hello', params: params({ temperature: 0.9, seed: 7, top_k: 40 }) },
            { prompt: '', params: params({ temperature: 1.2, seed: 3, max_new_tokens: 40 }) },
            { prompt: 'Café 東京', params: params({ stop: ['zzq', stop] }) },
          ],
          intervalMs,
        );
        const outputs = await engine.generate(requests);
        assert.equal(outputs[0]!.text, full!.text);
        assert.equal(outputs[3]!.finishReason, 'stop');
        assert.equal(outputs[3]!.text, full!.text.slice(0, full!.text.indexOf(stop)));
        outputs.forEach((output, i) => {
          assert.equal(rows[i]!.pieces.join(''), output.text, `row ${i}`);
          assert.equal(rows[i]!.atDone, output.text, `row ${i} before onDone`);
          // The random tiny model emits invalid bytes too (U+FFFD in the final text), but a
          // piece sent while the row ran never ends where a character may still continue.
          const running = rows[i]!.pieces.slice(0, -1);
          assert.ok(running.every((piece) => piece.length > 0 && !piece.endsWith('\ufffd')));
        });
        if (intervalMs === 0) {
          // Not coalesced: the 40-token row came in many pieces.
          assert.ok(rows[2]!.pieces.length > 10, `${rows[2]!.pieces.length} pieces`);
        }
      });
    }

    it('leaves a row without onText as it was, beside rows with it', async () => {
      const { requests, rows } = watched([{ prompt: 'Café 東京', params: params() }], 0);
      const [withText, without] = await engine.generate([
        requests[0]!,
        { prompt: 'Café 東京', params: params() },
      ]);
      assert.equal(without!.text, full!.text);
      assert.equal(rows[0]!.pieces.join(''), withText!.text);
    });
  });
}
