import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningApi, rawRequest, sendJson, startApi } from './api-test-harness.ts';
import { malformedRequests } from './fixtures/malformed-requests.ts';

describe('the API refuses malformed requests with a 4xx in the one error shape', () => {
  let api: RunningApi;
  before(async () => {
    api = await startApi();
  });
  after(async () => {
    await api.close();
  });

  it('has a table of at least 30 kinds of malformed request with unique names', () => {
    assert.ok(malformedRequests.length >= 30, `only ${malformedRequests.length} cases`);
    assert.equal(new Set(malformedRequests.map((c) => c.name)).size, malformedRequests.length);
  });

  for (const testCase of malformedRequests) {
    it(`${testCase.name} -> ${testCase.expectStatus}`, async () => {
      const response = await rawRequest(api.baseUrl, testCase);
      assert.equal(response.status, testCase.expectStatus, response.text);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      const body = JSON.parse(response.text);
      assert.deepEqual(Object.keys(body), ['error']);
      assert.equal(body.error.code, testCase.expectCode);
      assert.equal(typeof body.error.message, 'string');
      // Messages name the field; they never echo a large input back (an 8 KB id once did).
      assert.ok(body.error.message.length <= 400, `message of ${body.error.message.length} chars`);
      assert.ok(
        body.error.message.includes(testCase.expectInMessage),
        `message ${JSON.stringify(body.error.message)} lacks ${JSON.stringify(testCase.expectInMessage)}`,
      );
      const allowedKeys =
        body.error.details === undefined ? ['code', 'message'] : ['code', 'message', 'details'];
      assert.deepEqual(Object.keys(body.error), allowedKeys);
      for (const detail of body.error.details ?? []) {
        assert.deepEqual(Object.keys(detail), ['field', 'message']);
      }
    });
  }

  it('created no job and queued nothing for any of them', async () => {
    const counts = await api.store.countJobs();
    assert.deepEqual(Object.values(counts), [0, 0, 0, 0, 0]);
    assert.equal(await api.queue.depth(), 0);
  });

  it('still serves a good request afterwards', async () => {
    const response = await sendJson(api.baseUrl, 'POST', '/v1/generations', {
      prompt: 'Still here?',
    });
    assert.equal(response.status, 202);
    assert.equal(response.json.status, 'queued');
    assert.equal(await api.queue.depth(), 1);
  });

  it('answers a malformed request line in the error shape too', async () => {
    const { connect } = await import('node:net');
    const url = new URL(api.baseUrl);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('THIS IS NOT HTTP\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(text, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'bad_request');
  });
});
