import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PromptTokens, promptFitProblem } from '@warmgen/shared/domain/prompt-length.ts';
import {
  loadPromptTokens,
  promptTokenFiles,
} from '@warmgen/shared/tokenizer/load-prompt-tokens.ts';
import { ensureModel } from '../model-builder/ensure-model.ts';
import { greedyParams } from './test-support/greedy-params.ts';
import { loadThreadedEngine, type ThreadedEngine } from './threaded-engine.ts';

/**
 * The API refuses prompt + max_new_tokens past the model's positions at submit, counting
 * with its own copy of the folder's config.json and tokenizer files (what it hydrates on
 * Google Cloud); the worker counts in its engine. Both must agree token for token, or the
 * API would refuse what runs or accept what the worker then fails.
 */
const prompts = [
  '',
  'Hello',
  'hello '.repeat(600),
  'Café au lait — 東京, naïve résumé; 🙂🙃 emoji and <|endoftext|> inside',
  '    leading spaces, tabs\t\tand\nnewlines\n\n  ',
  // 4,000 characters that tokenize densely (digits and punctuation split into many tokens).
  Array.from({ length: 800 }, (_, i) => `${(i * 7919) % 1000}:${'.,;'[i % 3]}x`)
    .join(' ')
    .slice(0, 4000),
];

describe('prompt token counts: the API copy of the tokenizer and the worker engine', () => {
  let apiDir: string;
  let tokens: PromptTokens;
  let engine: ThreadedEngine;

  before(async () => {
    const modelDir = await ensureModel('tiny');
    apiDir = await mkdtemp(join(tmpdir(), 'warmgen-api-tokenizer-'));
    for (const file of promptTokenFiles) {
      await copyFile(join(modelDir, file), join(apiDir, file));
    }
    tokens = await loadPromptTokens(apiDir);
    engine = await loadThreadedEngine({ modelDir, device: 'cpu', maxBatchSize: 8 });
  });
  after(async () => {
    await engine.dispose();
    await rm(apiDir, { recursive: true, force: true });
  });

  it('reads the positions from config.json', () => {
    assert.equal(tokens.maxPositions, engine.maxPositions);
    assert.equal(tokens.maxPositions, 1024);
  });

  it('counts every prompt the way the engine thread feeds it', async () => {
    const fitting = prompts.filter((prompt) => tokens.count(prompt) < tokens.maxPositions);
    assert.ok(fitting.length >= 4);
    const outputs = await engine.generate(
      fitting.map((prompt) => ({ prompt, params: greedyParams({ max_new_tokens: 1 }) })),
    );
    assert.deepEqual(
      outputs.map((output) => output.promptTokens),
      fitting.map((prompt) => tokens.count(prompt)),
    );
    assert.equal(tokens.count(''), 1, 'an empty prompt is one <|endoftext|>');
  });

  it('accepts and refuses at the same max_new_tokens as the worker, with its message', () => {
    assert.ok(prompts.some((prompt) => tokens.count(prompt) >= tokens.maxPositions));
    for (const prompt of prompts) {
      const count = tokens.count(prompt);
      if (count >= tokens.maxPositions) {
        assert.ok(count > 1024, 'the dense 4,000 characters pass the positions on their own');
        const request = { prompt, params: greedyParams({ max_new_tokens: 1 }) };
        assert.equal(promptFitProblem(tokens, prompt, 1), engine.validate(request));
        assert.match(engine.validate(request) ?? '', /must be at most 1023 tokens/);
        continue;
      }
      const last = tokens.maxPositions - count;
      for (const maxNewTokens of [last, last + 1]) {
        const request = { prompt, params: greedyParams({ max_new_tokens: maxNewTokens }) };
        assert.equal(promptFitProblem(tokens, prompt, maxNewTokens), engine.validate(request));
      }
      assert.equal(promptFitProblem(tokens, prompt, last), null);
      assert.notEqual(promptFitProblem(tokens, prompt, last + 1), null);
    }
  });
});
