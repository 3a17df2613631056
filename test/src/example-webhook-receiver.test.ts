import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { testSecret } from '@warmgen/worker/webhooks/test-support/webhook-receiver.ts';
import { createWebhookSigner } from '@warmgen/worker/webhooks/webhook-signer.ts';
import { repoRoot } from './e2e/service-process.ts';

/** The README's receiver example, run as a user would, fed signed and forged requests. */
describe('examples/webhook-receiver.ts', () => {
  it('accepts a signed event once, then a retry as a duplicate, and rejects a forged one', async () => {
    const secret = testSecret(21);
    const child = spawn(process.execPath, [join(repoRoot, 'examples', 'webhook-receiver.ts')], {
      env: { PATH: process.env.PATH, WEBHOOK_SECRET: secret, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const match = /listening on (\S+)/.exec(output);
          if (match?.[1]) {
            resolve(match[1]);
          }
        });
        child.once('exit', (code) => reject(new Error(`example exited with ${code}`)));
      });
      const body = JSON.stringify({
        type: 'generation.completed',
        timestamp: new Date().toISOString(),
        data: { id: 'job_example', status: 'succeeded' },
      });
      const send = (headers: Record<string, string>) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
      const headers = { ...createWebhookSigner([secret])('evt_example', new Date(), body) };
      assert.equal((await send(headers)).status, 204);
      assert.equal((await send(headers)).status, 204);
      const forged = { ...createWebhookSigner([testSecret(22)])('evt_forged', new Date(), body) };
      assert.equal((await send(forged)).status, 400);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(
        output,
        /verified generation\.completed evt_example for job_example \(succeeded\)/,
      );
      assert.match(output, /duplicate evt_example/);
      assert.match(output, /rejected: No matching signature found/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
