import assert from 'node:assert/strict';
import { it } from 'node:test';
import { resolveGenerationParams } from '@warmgen/shared/domain/generation-params.ts';
import { promptIdsOf } from './request-check.ts';

const model = {
  codec: { encode: (text: string) => [...text].map((c) => c.charCodeAt(0)), decode: () => '' },
  eosTokenId: 0,
  maxPositions: 64,
};

it('checks a row with the API schema: limits the engine once let through are refused with the same words', () => {
  const row = (change: object) => ({
    prompt: 'hi',
    params: { ...resolveGenerationParams({}), ...change },
  });
  assert.equal(
    promptIdsOf(row({ repetition_penalty: 0.5 }), model),
    'repetition_penalty must be >= 1',
  );
  assert.equal(promptIdsOf(row({ temperature: 6 }), model), 'temperature must be <= 5');
  assert.deepEqual(promptIdsOf(row({ max_new_tokens: 8 }), model), [104, 105]);
  assert.match(String(promptIdsOf(row({ max_new_tokens: 63 }), model)), /exceeds the model's 64/);
});
