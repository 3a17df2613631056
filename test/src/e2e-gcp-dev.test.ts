import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requestJson } from './e2e/service-client.ts';
import { freePort } from './emulators/free-port.ts';
import { inheritedEnv, repoRoot } from './gcp-stack/stack-env.ts';
import { startProcess, tail } from './gcp-stack/supervised-process.ts';

/**
 * `npm run dev:gcp` as a user runs it: the whole stack comes up, the curl line it prints
 * works, and Ctrl-C (SIGINT to the supervisor alone, as a terminal sends it: the children
 * run in process groups of their own) stops every process it started.
 */
describe('npm run dev:gcp', () => {
  const dev = startLater();
  after(async () => {
    // A supervisor stopped by SIGTERM stops its children; kill it only if that hangs.
    await dev.current?.stop(60_000);
  });

  it('serves a generation on the Google Cloud adapters and stops everything on Ctrl-C', async (t) => {
    const port = await freePort();
    const main = dev.start(port);
    try {
      await main.waitForLine(/Ctrl-C stops everything/, 240_000);
    } catch (error) {
      t.diagnostic(tail(main.lines(), 80));
      throw error;
    }
    const output = main.lines().join('\n');
    const key = /API key: (wg_local_[0-9a-f]+)/.exec(output)?.[1];
    assert.ok(key, 'the banner shows the API key it set');
    const baseUrl = `http://127.0.0.1:${port}`;
    assert.match(
      output,
      new RegExp(`curl -s ${baseUrl}/v1/generations -H 'Authorization: Bearer ${key}'`),
    );
    assert.match(
      output,
      /\[worker-1\] +INFO +model ready: 7 files/,
      'the worker hydrated from the GCS test server',
    );
    assert.match(
      output,
      /\[api\] +INFO +warmgen API ready/,
      'API logs are forwarded with a prefix',
    );

    const unauthorized = await requestJson(baseUrl, 'POST', '/v1/generations', { prompt: 'x' });
    assert.equal(unauthorized.status, 401, 'BACKEND=gcp requires the key');
    const reply = await requestJson<{ status: string; result: { text: string } | null }>(
      baseUrl,
      'POST',
      '/v1/generations',
      { prompt: 'Once upon a time', params: { max_new_tokens: 8 } },
      { authorization: `Bearer ${key}`, prefer: 'wait=60' },
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.status, 'succeeded');
    assert.ok((reply.body.result?.text.length ?? 0) > 0);

    const addresses = [
      `127.0.0.1:${port}`,
      /Pub\/Sub +emulator on (\S+)/.exec(output)?.[1],
      /Firestore +emulator on (\S+)/.exec(output)?.[1],
      /GCS test server http:\/\/(\S+)/.exec(output)?.[1],
    ];
    for (const address of addresses) {
      assert.ok(address && (await accepts(address)), `${address} is up`);
    }
    main.signal('SIGINT');
    const status = await main.exited;
    assert.deepEqual(status, { code: 0, signal: null }, tail(main.lines()));
    assert.match(main.lines().join('\n'), /dev:gcp: stopped/);
    for (const address of addresses as string[]) {
      assert.equal(await accepts(address), false, `${address} is down`);
    }
  });
});

function startLater() {
  const holder = {
    current: undefined as ReturnType<typeof startProcess> | undefined,
    start(port: number) {
      const started = startProcess({
        name: 'dev:gcp',
        command: process.execPath,
        args: [join(repoRoot, 'test', 'src', 'dev-gcp', 'main.ts'), '--port', String(port)],
        env: { ...inheritedEnv(), METADATA_SERVER_DETECTION: 'none' },
        cwd: repoRoot,
      });
      holder.current = started;
      return Object.assign(started, {
        // Only the supervisor, not its group: what a terminal's Ctrl-C reaches.
        signal: (name: NodeJS.Signals) => process.kill(started.pid, name),
      });
    },
  };
  return holder;
}

function accepts(address: string): Promise<boolean> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
