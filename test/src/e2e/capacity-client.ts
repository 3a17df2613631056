import assert from 'node:assert/strict';
import type { CapacityView } from '@warmgen/api/capacity/capacity-view.ts';
import { requestJson } from './service-client.ts';

/** GET /v1/capacity with a key, for the end-to-end tests; polls until `done` holds. */
export function capacityClient(baseUrl: string, apiKey: string) {
  const headers = { authorization: `Bearer ${apiKey}` };
  async function read(): Promise<CapacityView> {
    const reply = await requestJson<CapacityView>(
      baseUrl,
      'GET',
      '/v1/capacity',
      undefined,
      headers,
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body;
  }
  async function until(
    done: (view: CapacityView) => boolean,
    timeoutMs = 60_000,
  ): Promise<CapacityView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await read();
      if (done(view)) {
        return view;
      }
      if (Date.now() > deadline) {
        throw new Error(`capacity never matched in ${timeoutMs} ms: ${JSON.stringify(view)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  async function metrics(): Promise<string> {
    const response = await fetch(`${baseUrl}/metrics`, { headers });
    assert.equal(response.status, 200);
    return response.text();
  }
  return { read, until, metrics, headers };
}
