import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { requestJson } from './e2e/service-client.ts';
import { useServices } from './e2e/service-fixture.ts';
import { repoRoot, type ServiceProcess } from './e2e/service-process.ts';

const run = promisify(execFile);
const examplePath = join(repoRoot, 'examples', 'openai-stream.ts');

/** The README's openai SDK streaming example, run as a user would against npm start. */
describe('examples/openai-stream.ts', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start();
  });

  it('prints the streamed text, equal to the same completion unstreamed, then its usage', async () => {
    const { stdout } = await run(process.execPath, [examplePath], {
      env: { PATH: process.env.PATH, WARMGEN_URL: service.baseUrl },
      timeout: 120_000,
    });
    const whole = await requestJson<{
      choices: { text: string }[];
      usage: { completion_tokens: number };
    }>(service.baseUrl, 'POST', '/openai/v1/completions', {
      model: 'gpt2',
      prompt: 'The worker kept the model warm, and',
      max_tokens: 48,
      seed: 3,
    });
    assert.equal(whole.status, 200);
    const [choice] = whole.body.choices;
    assert.equal(stdout, `${choice!.text}\n[${whole.body.usage.completion_tokens} tokens]\n`);
  });

  it('is quoted in the README as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(join(repoRoot, 'README.md'), 'utf8'),
      readFile(examplePath, 'utf8'),
    ]);
    assert.ok(readme.includes(example.trimEnd()), 'README has examples/openai-stream.ts verbatim');
  });
});
