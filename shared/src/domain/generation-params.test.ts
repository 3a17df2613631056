import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultGenerationParams,
  GenerationParamsSchema,
  generationParamsProblem,
  resolveGenerationParams,
  storedGenerationParams,
} from './generation-params.ts';

describe('generation params: one schema decides defaults, limits and messages', () => {
  it('takes every default from the schema', () => {
    const fromSchema = Object.fromEntries(
      Object.entries(GenerationParamsSchema.properties).map(([name, field]) => [
        name,
        (field as { default?: unknown }).default,
      ]),
    );
    assert.deepEqual(defaultGenerationParams, fromSchema);
    assert.deepEqual(resolveGenerationParams({ top_k: 5 }), { ...fromSchema, top_k: 5 });
  });

  it('resolves without touching the input or sharing the default list', () => {
    const input = { seed: 3 };
    const resolved = resolveGenerationParams(input);
    assert.deepEqual(input, { seed: 3 });
    resolved.stop.push('x');
    assert.deepEqual(resolveGenerationParams({}).stop, []);
    assert.deepEqual(defaultGenerationParams.stop, []);
  });

  it('reads a job stored before a parameter existed with its default, and drops one removed since', () => {
    const { seed: _seed, stop: _stop, ...older } = resolveGenerationParams({ max_new_tokens: 7 });
    const stored = storedGenerationParams({ ...older, retired_option: true });
    assert.deepEqual(stored, resolveGenerationParams({ max_new_tokens: 7 }));
    assert.equal(generationParamsProblem(stored), null);
  });

  it('keeps stored values as written, so the engine can name what is wrong', () => {
    const stored = storedGenerationParams({ ...defaultGenerationParams, temperature: 9 });
    assert.equal(stored.temperature, 9);
    assert.equal(generationParamsProblem(stored), 'temperature must be <= 5');
  });

  it('a stored value that is not an object reads as all defaults', () => {
    assert.deepEqual(storedGenerationParams(null), defaultGenerationParams);
    assert.deepEqual(storedGenerationParams([1]), defaultGenerationParams);
  });

  it('names the field in the words the API uses', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      // The engine used to accept a penalty in (0, 1) and any temperature.
      [{ repetition_penalty: 0.5 }, 'repetition_penalty must be >= 1'],
      [{ temperature: 6 }, 'temperature must be <= 5'],
      [{ max_new_tokens: 1025 }, 'max_new_tokens must be <= 1024'],
      [{ seed: -1 }, 'seed must be >= 0'],
      [{ seed: 1.5 }, 'seed must be integer'],
      [{ stop: [''] }, 'stop/0 must not have fewer than 1 characters'],
      [{ zz: 1 }, 'params must not have additional properties'],
    ];
    for (const [change, message] of cases) {
      assert.equal(generationParamsProblem({ ...defaultGenerationParams, ...change }), message);
    }
    assert.match(generationParamsProblem({}) ?? '', /^params must have required properties/);
  });
});
