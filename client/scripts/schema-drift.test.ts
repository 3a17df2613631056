import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { schemaFile, schemaSource } from './schema-source.ts';
import { documentApi, servedOpenApiDocument } from './served-document.ts';

/**
 * The typed client's types (client/src/schema.d.ts) are generated from the OpenAPI document
 * the API serves. When a route's schema changes and nobody regenerates, the client would
 * type calls the API no longer takes: this fails the test command instead.
 */
describe('the typed client schema', () => {
  it('equals a fresh generation from the served OpenAPI document', async () => {
    const fresh = await schemaSource(await servedOpenApiDocument());
    const committed = await readFile(schemaFile, 'utf8');
    assert.ok(
      committed === fresh,
      'client/src/schema.d.ts differs from the types of the OpenAPI document the API serves: ' +
        'run `npm run client:generate` and commit the result',
    );
  });

  it('is generated from what GET /openapi.json answers (the in-process document is the served one)', async () => {
    const app = documentApi();
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/openapi.json`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), JSON.parse(JSON.stringify(app.swagger())));
    } finally {
      await app.close();
    }
  });

  it('notices drift (the check is live): a changed route changes the generated types', async () => {
    const document = await servedOpenApiDocument();
    const committed = await readFile(schemaFile, 'utf8');
    const paths = document.paths as Record<string, Record<string, { operationId?: string }>>;
    const cancel = paths['/v1/batches/{id}/cancel'];
    assert.ok(cancel?.post, 'the document has POST /v1/batches/{id}/cancel');
    cancel.post.operationId = 'cancelBatchRenamed';
    const changed = await schemaSource(document);
    assert.notEqual(changed, committed);
    assert.match(changed, /cancelBatchRenamed/);
  });
});
