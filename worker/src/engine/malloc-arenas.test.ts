import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arenaWarning, engineProcessEnv } from './malloc-arenas.ts';

describe('arenaWarning', () => {
  it('warns on Linux when the process started without MALLOC_ARENA_MAX', () => {
    assert.match(arenaWarning({}, 'linux') ?? '', /MALLOC_ARENA_MAX=1/);
  });
  it('is quiet when the variable is set, or off glibc', () => {
    assert.equal(arenaWarning({ ...engineProcessEnv }, 'linux'), null);
    assert.equal(arenaWarning({}, 'darwin'), null);
  });
  it('npm start and the worker image set the same value', async () => {
    const { readFile } = await import('node:fs/promises');
    const root = new URL('../../../', import.meta.url);
    const scripts = JSON.parse(await readFile(new URL('package.json', root), 'utf8')).scripts;
    for (const name of ['start', 'start:worker']) {
      assert.match(scripts[name], /^MALLOC_ARENA_MAX=1 node /, name);
    }
    const dockerfile = await readFile(new URL('infra/docker/worker.Dockerfile', root), 'utf8');
    assert.match(dockerfile, /MALLOC_ARENA_MAX=1/);
    assert.equal(engineProcessEnv.MALLOC_ARENA_MAX, '1');
  });
});
