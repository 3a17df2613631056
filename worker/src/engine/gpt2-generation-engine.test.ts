import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultGenerationParams,
  type GenerationParams,
} from '@warmgen/shared/domain/generation-params.ts';
import type { GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { Gpt2GenerationEngine } from './gpt2-generation-engine.ts';
import {
  createFakeForwardPass,
  FAKE_EOS,
  FAKE_VOCAB,
  fakeCodec,
} from './test-support/fake-forward-pass.ts';

/** Decode-loop bookkeeping on an exact fake graph (see fake-forward-pass.ts). */
function fakeEngine(
  options: { ignoreEos?: boolean; prefillLogitsBytes?: number; kvBytesPerPass?: number } = {},
) {
  const forward = createFakeForwardPass();
  const engine = new Gpt2GenerationEngine({
    forward,
    codec: fakeCodec,
    maxBatchSize: 8,
    maxPositions: 40,
    vocabSize: FAKE_VOCAB,
    eosTokenId: FAKE_EOS,
    ignoreEos: options.ignoreEos ?? false,
    prefillLogitsBytes: options.prefillLogitsBytes ?? 1 << 20,
    kvBytesPerPass: options.kvBytesPerPass ?? 1 << 20,
    release: async () => {},
  });
  return { engine, forward };
}

const greedy = (overrides: Partial<GenerationParams> = {}): GenerationParams => ({
  ...defaultGenerationParams,
  temperature: 0,
  ...overrides,
});

const prompts: GenerationRequest[] = [
  { prompt: '3', params: greedy({ max_new_tokens: 12 }) },
  { prompt: '1234567', params: greedy({ max_new_tokens: 5 }) },
  { prompt: '', params: greedy({ max_new_tokens: 9 }) },
  { prompt: '88', params: greedy({ max_new_tokens: 20 }) },
];

describe('Gpt2GenerationEngine decode loop (fake graph)', () => {
  it('gives every row the same output batched as alone, with mixed lengths', async () => {
    const { engine } = fakeEngine({ ignoreEos: true });
    const batched = await engine.generate(prompts);
    for (const [i, request] of prompts.entries()) {
      const [alone] = await engine.generate([request]);
      assert.equal(batched[i]!.text, alone!.text, `row ${i}`);
      assert.equal(batched[i]!.completionTokens, request.params.max_new_tokens);
      assert.equal(batched[i]!.finishReason, 'length');
    }
    assert.equal(new Set(batched.map((o) => o.text)).size, prompts.length);
  });

  it('slices finished rows out of the batch and trims padding nobody needs', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    await engine.generate(prompts);
    // Prefill: 4 rows of width 7 (the longest prompt).
    assert.deepEqual(forward.calls[0], { rows: 4, newTokens: 7, totalColumns: 7 });
    const rowsPerStep = forward.calls.slice(1).map((call) => call.rows);
    // Rows finish after 5, 9, 12 and 20 tokens: a step runs only the rows still going.
    const expected = Array.from({ length: 19 }, (_, step) => {
      const generated = step + 1;
      return [5, 9, 12, 20].filter((max) => generated < max).length;
    });
    assert.deepEqual(rowsPerStep, expected);
    // Once only the '88' row is left the cache holds its own columns, no padding: its last
    // step feeds token 19 after 2 prompt tokens and 18 cached ones.
    const last = forward.calls.at(-1)!;
    assert.equal(last.totalColumns, 2 + 19);
  });

  it('hands each row its output as soon as it finishes, before the slowest row ends', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const passesAtDone: number[] = [];
    const received: GenerationOutput[] = [];
    const requests = prompts.map((request, index) => ({
      ...request,
      onDone: (output: GenerationOutput) => {
        passesAtDone[index] = forward.calls.length;
        received[index] = output;
      },
    }));
    const outputs = await engine.generate(requests);
    // Forward passes so far when each row finished: prefill plus one step per further token.
    assert.deepEqual(passesAtDone, [12, 5, 9, 20]);
    assert.equal(forward.calls.length, 20);
    // The same objects generate() returns, each with its own elapsed time.
    for (const [index, output] of outputs.entries()) {
      assert.equal(received[index], output);
    }
    assert.ok(outputs[1]!.timings.generateMs <= outputs[3]!.timings.generateMs);
  });

  it('hands an aborted row its partial output at once, while its neighbour goes on', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const controller = new AbortController();
    let passesAtDone = 0;
    const received: GenerationOutput[] = [];
    const long: GenerationRequest = {
      prompt: '3',
      params: greedy({ max_new_tokens: 30 }),
      signal: controller.signal,
      onDone: (output) => {
        received.push(output);
        passesAtDone = forward.calls.length;
      },
    };
    const neighbour: GenerationRequest = { prompt: '88', params: greedy({ max_new_tokens: 20 }) };
    // The abort lands while the third pass computes: that pass's token is not taken.
    const run = forward.run;
    forward.run = async (feeds) => {
      const result = await run(feeds);
      if (forward.calls.length === 3) {
        controller.abort();
      }
      return result;
    };
    const [canceled, finished] = await engine.generate([long, neighbour]);
    assert.equal(received.length, 1);
    assert.equal(received[0], canceled);
    assert.equal(canceled!.finishReason, 'canceled');
    assert.equal(canceled!.completionTokens, 2);
    assert.equal(canceled!.text.length, 2);
    assert.equal(passesAtDone, 3);
    assert.equal(finished!.completionTokens, 20);
    assert.equal(forward.calls.length, 20);
  });

  it('ends a row at EOS without the EOS in its text; ignoreEos keeps going', async () => {
    const request = { prompt: '1234567', params: greedy({ max_new_tokens: 30 }) };
    const [withEos] = await fakeEngine().engine.generate([request]);
    const [ignoring] = await fakeEngine({ ignoreEos: true }).engine.generate([request]);
    const eosAt = ignoring!.text.indexOf(String(FAKE_EOS));
    assert.ok(eosAt >= 0, 'the fake emits EOS within 30 tokens for this prompt');
    assert.equal(withEos!.finishReason, 'eos');
    assert.equal(withEos!.text, ignoring!.text.slice(0, eosAt));
    assert.equal(withEos!.completionTokens, eosAt + 1);
    assert.equal(ignoring!.completionTokens, 30);
  });

  it('prefills in row groups when the logits would exceed the budget, same result', async () => {
    const whole = await fakeEngine({ ignoreEos: true }).engine.generate(prompts);
    // Room for 7 positions x 10 vocab x 4 bytes: the 7-token prompt needs a pass of its
    // own, the two short prompts after it share one.
    const split = fakeEngine({ ignoreEos: true, prefillLogitsBytes: 7 * FAKE_VOCAB * 4 });
    const grouped = await split.engine.generate(prompts);
    assert.deepEqual(
      grouped.map((o) => o.text),
      whole.map((o) => o.text),
    );
    assert.deepEqual(
      split.forward.calls.slice(0, 4).map((call) => [call.rows, call.newTokens]),
      [
        [1, 1],
        [1, 7],
        [2, 2],
        [4, 1],
      ],
    );
  });

  it('splits rows over passes to bound the KV cache, merging them as rows finish', async () => {
    const whole = await fakeEngine({ ignoreEos: true }).engine.generate(prompts);
    // The fake cache costs 4 bytes per row and column. Rows need at most 10 ('' + 9),
    // 12, 13 and 22 ('88' + 20) columns: 104 bytes lets two short rows share a pass.
    const budget = 104;
    const split = fakeEngine({ ignoreEos: true, kvBytesPerPass: budget });
    const outputs = await split.engine.generate(prompts);
    assert.deepEqual(
      outputs.map((o) => o.text),
      whole.map((o) => o.text),
    );
    for (const call of split.forward.calls) {
      assert.ok(call.rows * call.totalColumns * 4 <= budget, JSON.stringify(call));
    }
    // Prefill: ['' and '1234567'], ['3'], ['88'] in three passes.
    assert.deepEqual(
      split.forward.calls.slice(0, 3).map((call) => call.rows),
      [2, 1, 1],
    );
    // Decode passes per step: 3 while '1234567' runs (steps 1-4); then '' and '3' fit one
    // pass (2 x 13 x 4 = 104), so 2 until '' ends (step 8) and '3' ends (step 11); then 1
    // until '88' ends (step 19). Without merging, steps 5-8 would take 3 passes each.
    assert.equal(split.forward.calls.length - 3, 4 * 3 + 7 * 2 + 8 * 1);
  });

  it('stops at a stop sequence and cuts the text before it', async () => {
    const { engine } = fakeEngine({ ignoreEos: true });
    const [full] = await engine.generate([
      { prompt: '88', params: greedy({ max_new_tokens: 20 }) },
    ]);
    const stop = full!.text.slice(6, 8);
    const at = full!.text.indexOf(stop);
    const [cut] = await engine.generate([
      { prompt: '88', params: greedy({ max_new_tokens: 20, stop: ['zz', stop] }) },
    ]);
    assert.equal(cut!.finishReason, 'stop');
    assert.equal(cut!.text, full!.text.slice(0, at));
    assert.equal(cut!.completionTokens, at + stop.length);
  });

  it('refuses the whole call before any compute when a row does not fit', async () => {
    const { engine, forward } = fakeEngine();
    const tooLong = { prompt: '1'.repeat(30), params: greedy({ max_new_tokens: 11 }) };
    assert.match(engine.validate(tooLong) ?? '', /30 tokens.*11.*40 positions/);
    assert.equal(engine.validate({ ...tooLong, params: greedy({ max_new_tokens: 10 }) }), null);
    await assert.rejects(engine.generate([prompts[0]!, tooLong]), (error: unknown) => {
      assert.ok(error instanceof GenerationRequestError);
      assert.deepEqual([...error.rowErrors.keys()], [1]);
      return true;
    });
    const tooMany = Array.from({ length: 9 }, () => prompts[0]!);
    await assert.rejects(engine.generate(tooMany), GenerationRequestError);
    assert.equal(forward.calls.length, 0);
  });

  it('returns an aborted row as canceled with its text so far; the others go on', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const [full] = await engine.generate([{ prompt: '3', params: greedy({ max_new_tokens: 12 }) }]);
    const controller = new AbortController();
    let steps = 0;
    const forwardRun = forward.run;
    forward.run = async (feeds) => {
      if (++steps === 4) {
        controller.abort();
      }
      return forwardRun(feeds);
    };
    const outputs = await engine.generate([
      { prompt: '3', params: greedy({ max_new_tokens: 12 }), signal: controller.signal },
      { prompt: '88', params: greedy({ max_new_tokens: 12 }) },
    ]);
    assert.equal(outputs[0]!.finishReason, 'canceled');
    assert.equal(outputs[0]!.completionTokens, 3);
    assert.equal(outputs[0]!.text, full!.text.slice(0, 3));
    assert.equal(outputs[1]!.finishReason, 'length');
    assert.equal(outputs[1]!.completionTokens, 12);
    // 12 calls for the '88' row: the 4th still ran both rows, the 8 after it only one.
    const callsAfterAbort = forward.calls.slice(-8);
    assert.ok(callsAfterAbort.every((call) => call.rows === 1));
  });

  it('does not compute for rows aborted before the call', async () => {
    const { engine, forward } = fakeEngine();
    const outputs = await engine.generate([
      { prompt: '3', params: greedy({ max_new_tokens: 5 }), signal: AbortSignal.abort() },
    ]);
    assert.deepEqual(
      { text: outputs[0]!.text, tokens: outputs[0]!.completionTokens },
      { text: '', tokens: 0 },
    );
    assert.equal(outputs[0]!.finishReason, 'canceled');
    assert.equal(forward.calls.length, 0);
  });

  it('feeds <|endoftext|> for an empty prompt and counts it as the prompt', async () => {
    const { engine, forward } = fakeEngine({ ignoreEos: true });
    const [empty] = await engine.generate([{ prompt: '', params: greedy({ max_new_tokens: 4 }) }]);
    const [bos] = await engine.generate([
      { prompt: String(FAKE_EOS), params: greedy({ max_new_tokens: 4 }) },
    ]);
    assert.equal(empty!.promptTokens, 1);
    assert.equal(empty!.text, bos!.text);
    assert.equal(forward.calls[0]!.newTokens, 1);
  });
});
