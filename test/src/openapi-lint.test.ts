import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startApi } from './api-test-harness.ts';
import { repoRoot } from './e2e/service-process.ts';

const run = promisify(execFile);
const redoclyCli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const key = 'wg_test_key_alpha_0123456789';
const keyHash = createHash('sha256').update(key).digest('hex');

/** The document as GET /openapi.json serves it, in either auth mode. */
async function servedDocument(mode: 'open' | 'required') {
  const api = await startApi({ auth: { mode, keyHashes: [keyHash], rateLimitPerMinute: 0 } });
  try {
    const response = await fetch(`${api.baseUrl}/openapi.json`);
    assert.equal(response.status, 200);
    return await response.json();
  } finally {
    await api.close();
  }
}

/** `redocly lint` (recommended rules, redocly.yaml) on a document; its problems. */
async function lint(document: unknown) {
  const dir = await mkdtemp(join(tmpdir(), 'warmgen-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const { stdout } = await run(
      process.execPath,
      [redoclyCli, 'lint', file, '--format=json', `--config=${join(repoRoot, 'redocly.yaml')}`],
      {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as {
      problems: { ruleId: string; severity: string; message: string }[];
    };
    return report.problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the served OpenAPI document', () => {
  for (const mode of ['required', 'open'] as const) {
    it(`passes redocly lint with no error and no warning (auth ${mode})`, async () => {
      assert.deepEqual(await lint(await servedDocument(mode)), []);
    });
  }

  it('lint catches a broken document (the check is live)', async () => {
    const document = await servedDocument('required');
    delete document.servers;
    delete document.paths['/v1/generations'].post.operationId;
    const problems = await lint(document);
    assert.ok(
      problems.some((p) => p.startsWith('error no-empty-servers')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.includes('operation-operationId')),
      problems.join('\n'),
    );
  });

  it('declares bearer security on every keyed operation and none on the probes', async () => {
    const document = await servedDocument('required');
    assert.deepEqual(document.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key: `Authorization: Bearer <key>`, exactly one such header.',
    });
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, never>)) {
        const op = operation as { operationId: string; description: string; security: unknown };
        assert.ok(op.operationId, `${method} ${path} has an operationId`);
        assert.ok(!ids.has(op.operationId), `${op.operationId} is unique`);
        ids.add(op.operationId);
        assert.ok(op.description, `${method} ${path} has a description`);
        const open = ['/healthz', '/readyz', '/openapi.json'].includes(path);
        assert.deepEqual(op.security, open ? [] : [{ bearerAuth: [] }], `${method} ${path}`);
      }
    }
    assert.equal(ids.size, 16, '15 and POST /v1/batches/{id}/retry');
    assert.deepEqual(
      document.servers.map((s: { url: string }) => s.url),
      ['/'],
    );
    // An open server checks no key, so its document claims none.
    const open = await servedDocument('open');
    assert.equal(open.components.securitySchemes, undefined);
    assert.deepEqual(open.paths['/v1/generations'].post.security, []);
  });

  it('types JSONL bodies as strings of lines with the item schema, JSON as the envelope', async () => {
    const document = await servedDocument('required');
    const content = document.paths['/v1/batches'].post.requestBody.content;
    assert.equal(content['application/json'].schema.required[0], 'items');
    for (const type of ['application/jsonl', 'application/x-ndjson']) {
      assert.equal(content[type].schema.type, 'string', type);
      assert.deepEqual(content[type]['x-item-schema'].required, ['custom_id', 'prompt']);
    }
    const results = document.paths['/v1/batches/{id}/results'].get.responses['200'].content;
    assert.deepEqual(Object.keys(results), ['application/jsonl']);
    assert.equal(results['application/jsonl'].schema.type, 'string');
    assert.equal(results['application/jsonl']['x-item-schema'].title, 'BatchResultLine');
  });
});
