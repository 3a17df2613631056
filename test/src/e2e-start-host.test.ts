import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useServices } from './e2e/service-fixture.ts';

/** `npm start` with no API keys: the open API must not listen on every interface. */
describe('npm start with the API open', () => {
  const services = useServices();

  it('listens on 127.0.0.1 unless HOST is set, and says so when it starts', async () => {
    // HOST blank is HOST unset (the harness sets it otherwise).
    // The logs are read after the process exited: /readyz can answer before the ready
    // line has come through the pipe on a loaded machine.
    const open = await services.start({ env: { HOST: '' } });
    assert.deepEqual(await open.stop(), { code: 0, signal: null });
    const lines = open.logs();
    assert.match(lines, /"message":"LISTENING ON 127\.0\.0\.1 ONLY: the API is open/);
    assert.match(
      lines,
      /"host":"127\.0\.0\.1".*"message":"warmgen ready on .*\(listening on 127\.0\.0\.1\)"/,
    );

    const chosen = await services.start({ env: { HOST: '0.0.0.0' } });
    assert.deepEqual(await chosen.stop(), { code: 0, signal: null });
    assert.match(chosen.logs(), /"host":"0\.0\.0\.0".*"message":"warmgen ready on /);
    assert.doesNotMatch(chosen.logs(), /LISTENING ON/);
  });
});
