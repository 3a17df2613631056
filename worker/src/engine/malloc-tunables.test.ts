import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineProcessEnv, mallocTunables, mallocTunablesWarning } from './malloc-tunables.ts';

describe('mallocTunablesWarning', () => {
  it('warns on Linux when the process started without the malloc tunables', () => {
    assert.match(
      mallocTunablesWarning({}, 'linux') ?? '',
      /GLIBC_TUNABLES=glibc\.malloc\.arena_max=1:/,
    );
    assert.notEqual(
      mallocTunablesWarning({ GLIBC_TUNABLES: 'glibc.pthread.rseq=0' }, 'linux'),
      null,
    );
  });
  it('is quiet when the variable is set, or off glibc', () => {
    assert.equal(mallocTunablesWarning({ ...engineProcessEnv }, 'linux'), null);
    assert.equal(mallocTunablesWarning({}, 'darwin'), null);
  });
  it('npm start and the worker image set the same value', async () => {
    const { readFile } = await import('node:fs/promises');
    const root = new URL('../../../', import.meta.url);
    const scripts = JSON.parse(await readFile(new URL('package.json', root), 'utf8')).scripts;
    for (const name of ['start', 'start:worker']) {
      assert.ok(scripts[name].startsWith(`GLIBC_TUNABLES=${mallocTunables} node `), name);
    }
    const dockerfile = await readFile(new URL('infra/docker/worker.Dockerfile', root), 'utf8');
    assert.ok(dockerfile.includes(`GLIBC_TUNABLES=${mallocTunables}`));
    assert.equal(engineProcessEnv.GLIBC_TUNABLES, mallocTunables);
  });
});
