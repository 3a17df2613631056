import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import type { GenerationEngine, GenerationOutput, GenerationRequest } from './generation-engine.ts';
import { GenerationRequestError } from './generation-request-error.ts';
import { loadEngine } from './load-engine.ts';
import { ModelFolderError } from './model-folder-error.ts';
import { greedyParams } from './test-support/greedy-params.ts';
import { loadThreadedEngine, type ThreadedEngine } from './threaded-engine.ts';

/**
 * The engine in its own thread (what the mains run) must behave exactly like the engine
 * in the caller's thread: same outputs, per-row onDone, aborts, validation and errors of
 * the same classes; and a dead thread must fail calls instead of hanging them.
 */
const params = (overrides: Partial<GenerationParams> = {}): GenerationParams =>
  greedyParams({ max_new_tokens: 16, ...overrides });

const mixed: GenerationRequest[] = [
  { prompt: 'Hello', params: params({ max_new_tokens: 6 }) },
  { prompt: 'The quick brown fox jumps over the lazy dog', params: params({ max_new_tokens: 20 }) },
  { prompt: '', params: params({ max_new_tokens: 8 }) },
  { prompt: 'Café au lait — 東京', params: params({ temperature: 0.9, seed: 7, top_k: 40 }) },
];

/** Comparable fields: timings differ run to run. */
const comparable = (output: GenerationOutput) => ({
  text: output.text,
  promptTokens: output.promptTokens,
  completionTokens: output.completionTokens,
  finishReason: output.finishReason,
});

describe('loadThreadedEngine on the tiny GPT-2', () => {
  let modelDir: string;
  let threaded: ThreadedEngine;
  let inThread: GenerationEngine;

  before(async () => {
    modelDir = await ensureModel('tiny');
    threaded = await loadThreadedEngine({ modelDir, device: 'cpu', maxBatchSize: 8 });
    inThread = await loadEngine({ modelDir, device: 'cpu', maxBatchSize: 8 });
  });
  after(async () => {
    await threaded.dispose();
    await inThread.dispose();
  });

  it('knows the model limits', () => {
    assert.equal(threaded.maxPositions, 1024);
    assert.equal(threaded.maxBatchSize, 8);
  });

  it('gives the same outputs as the engine in this thread, greedy and seeded', async () => {
    const ours = await threaded.generate(mixed);
    const reference = await inThread.generate(mixed);
    assert.deepEqual(ours.map(comparable), reference.map(comparable));
    assert.equal(new Set(ours.map((o) => o.text)).size, mixed.length, 'outputs vary');
  });

  it('calls each row onDone before generate() resolves, with the output it returns', async () => {
    const seen = new Map<number, GenerationOutput>();
    let resolved = false;
    const outputs = await threaded.generate(
      mixed.map((request, row) => ({
        ...request,
        onDone: (output) => {
          assert.equal(resolved, false, 'onDone after generate() resolved');
          seen.set(row, output);
        },
      })),
    );
    resolved = true;
    assert.equal(seen.size, mixed.length);
    for (const [row, output] of outputs.entries()) {
      assert.deepEqual(seen.get(row), output);
    }
  });

  it('an onDone that throws does not break its neighbours', async () => {
    const outputs = await threaded.generate([
      {
        ...mixed[0]!,
        onDone: () => {
          throw new Error('receiver bug');
        },
      },
      mixed[1]!,
    ]);
    assert.deepEqual(
      outputs.map((o) => o.finishReason),
      ['length', 'length'],
    );
  });

  it('an abort stops only its row; a signal aborted before the call cancels it at once', async () => {
    const running = new AbortController();
    const before = new AbortController();
    before.abort();
    const long = params({ max_new_tokens: 400 });
    const call = threaded.generate([
      {
        prompt: 'First',
        params: params({ max_new_tokens: 2 }),
        onDone: () => running.abort(),
      },
      { prompt: 'Second, aborted while it runs', params: long, signal: running.signal },
      { prompt: 'Third, aborted before', params: long, signal: before.signal },
      { prompt: 'Fourth', params: params({ max_new_tokens: 30 }) },
    ]);
    const [first, second, third, fourth] = await call;
    assert.equal(first!.finishReason, 'length');
    assert.equal(second!.finishReason, 'canceled');
    assert.ok(second!.completionTokens < 400, `${second!.completionTokens} tokens`);
    assert.equal(third!.finishReason, 'canceled');
    assert.equal(third!.completionTokens, 0);
    assert.equal(fourth!.finishReason, 'length');
    assert.equal(fourth!.completionTokens, 30);
  });

  it('validates without the thread, with the same messages as the engine', () => {
    const tooLong = { prompt: 'word '.repeat(1100), params: params() };
    const badParams = { prompt: 'x', params: params({ top_p: 0 }) };
    for (const request of [tooLong, badParams, mixed[0]!]) {
      assert.equal(threaded.validate(request), inThread.validate(request));
    }
    assert.match(threaded.validate(tooLong) ?? '', /positions/);
    assert.equal(threaded.validate(mixed[0]!), null);
  });

  it("the thread's refusals arrive as GenerationRequestError with each bad row", async () => {
    await assert.rejects(
      threaded.generate([mixed[0]!, { prompt: 'x', params: params({ max_new_tokens: 0 }) }]),
      (error: unknown) => {
        assert.ok(error instanceof GenerationRequestError, String(error));
        assert.deepEqual([...error.rowErrors.keys()], [1]);
        assert.match(error.rowErrors.get(1) ?? '', /max_new_tokens/);
        return true;
      },
    );
    await assert.rejects(
      threaded.generate(Array.from({ length: 9 }, () => mixed[0]!)),
      GenerationRequestError,
    );
    // Still serving after both.
    const [output] = await threaded.generate([mixed[0]!]);
    assert.equal(output!.finishReason, 'length');
  });
});

describe('loadThreadedEngine failures', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'warmgen-threaded-engine-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('a graph that fails to load in the thread is a ModelFolderError naming the file', async () => {
    const dir = join(scratch, 'corrupt');
    await cp(await ensureModel('tiny'), dir, { recursive: true });
    await writeFile(join(dir, 'onnx', 'model.onnx'), 'this is not a protobuf');
    await rm(join(dir, 'onnx', 'warmgen-decode.json'));
    await assert.rejects(
      loadThreadedEngine({ modelDir: dir, device: 'cpu', maxBatchSize: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof ModelFolderError, String(error));
        assert.equal(error.path, join(dir, 'onnx', 'model.onnx'));
        assert.match(error.message, /could not be loaded/);
        return true;
      },
    );
  });

  it('a thread that dies fails the call in flight and every later one, and says so', async () => {
    const exits: Error[] = [];
    const engine = await loadThreadedEngine(
      { modelDir: await ensureModel('tiny'), device: 'cpu', maxBatchSize: 2 },
      { onExit: (error) => exits.push(error) },
    );
    const inFlight = engine.generate([{ prompt: 'Long', params: params({ max_new_tokens: 900 }) }]);
    await engine.terminate();
    for (const call of [inFlight, engine.generate([mixed[0]!])]) {
      await assert.rejects(call, { name: 'EngineThreadExited' });
    }
    assert.equal(exits.length, 1);
    assert.equal(exits[0]!.name, 'EngineThreadExited');
  });

  it('after dispose() calls reject and onExit is not called', async () => {
    const exits: Error[] = [];
    const engine = await loadThreadedEngine(
      { modelDir: await ensureModel('tiny'), device: 'cpu', maxBatchSize: 2 },
      { onExit: (error) => exits.push(error) },
    );
    await engine.dispose();
    await assert.rejects(engine.generate([mixed[0]!]), /disposed/);
    assert.deepEqual(exits, []);
  });
});
