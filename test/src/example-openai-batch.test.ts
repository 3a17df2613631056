import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { useServices } from './e2e/service-fixture.ts';
import { repoRoot, type ServiceProcess } from './e2e/service-process.ts';

const run = promisify(execFile);
const examplePath = join(repoRoot, 'examples', 'openai-batch.ts');

/** The README's openai SDK example, run as a user would against npm start. */
describe('examples/openai-batch.ts', () => {
  const services = useServices();
  let service: ServiceProcess;

  before(async () => {
    service = await services.start();
  });

  it('runs a batch to completed and a completion, printing each custom_id', async () => {
    const { stdout } = await run(process.execPath, [examplePath], {
      env: { PATH: process.env.PATH, WARMGEN_URL: service.baseUrl },
      timeout: 120_000,
    });
    assert.match(stdout, /^batch batch_\S+: completed \{ total: 2, completed: 2, failed: 0 \}$/m);
    assert.match(stdout, /^prompt-0 ".*"$/m);
    assert.match(stdout, /^prompt-1 ".*"$/m);
    assert.match(stdout, /^completion ".*" \{/m);
  });

  it('is quoted in the README as it is', async () => {
    const [readme, example] = await Promise.all([
      readFile(join(repoRoot, 'README.md'), 'utf8'),
      readFile(examplePath, 'utf8'),
    ]);
    assert.ok(readme.includes(example.trimEnd()), 'README has examples/openai-batch.ts verbatim');
  });
});
