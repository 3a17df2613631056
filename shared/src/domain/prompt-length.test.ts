import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fedTokens,
  type PromptTokens,
  promptFitProblem,
  promptLengthProblem,
} from './prompt-length.ts';

describe('prompt + max_new_tokens against the model positions', () => {
  it('fits up to exactly the positions, and says which field to lower past them', () => {
    assert.equal(promptLengthProblem(24, 1000, 1024), null);
    assert.equal(
      promptLengthProblem(25, 1000, 1024),
      "prompt (25 tokens) + max_new_tokens (1000) exceeds the model's 1024 positions: lower max_new_tokens to at most 999 or shorten the prompt",
    );
    assert.equal(
      promptLengthProblem(1024, 1, 1024),
      'prompt is 1024 tokens; the model has 1024 positions, so it must be at most 1023 tokens',
    );
    assert.match(
      promptLengthProblem(30, 1000, 1024, {
        prompt: 'body.prompt',
        maxNewTokens: 'body.max_tokens',
      }) ?? '',
      /^body\.prompt \(30 tokens\) \+ body\.max_tokens \(1000\) .* lower body\.max_tokens to at most 994/,
    );
  });

  it('an empty prompt is fed as one token', () => {
    assert.equal(fedTokens(0), 1);
    assert.equal(fedTokens(7), 7);
  });

  it('tokenizes only a prompt whose UTF-8 bytes could pass the positions', () => {
    const counted: string[] = [];
    // One token per character: what a worst-case tokenizer could make of these prompts.
    const tokens: PromptTokens = {
      maxPositions: 10,
      count: (prompt) => {
        counted.push(prompt);
        return fedTokens(prompt.length);
      },
    };
    assert.equal(promptFitProblem(tokens, 'abcd', 6), null);
    assert.equal(promptFitProblem(tokens, '', 9), null);
    assert.deepEqual(counted, [], 'bytes that fit need no tokenizer');
    assert.equal(promptFitProblem(tokens, 'ééé', 5), null, '6 bytes but 3 tokens');
    assert.match(
      promptFitProblem(tokens, 'abcde', 6) ?? '',
      /prompt \(5 tokens\) \+ max_new_tokens \(6\)/,
    );
    assert.deepEqual(counted, ['ééé', 'abcde']);
  });
});
