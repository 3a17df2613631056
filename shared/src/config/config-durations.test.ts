import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './load-config.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const sourceFolders = ['api/src', 'shared/src', 'worker/src', 'standalone/src'];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .filter((entry) => !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('config durations', () => {
  it('are the configured seconds in milliseconds, once, in loadConfig', () => {
    const config = loadConfig({ LEASE_SECONDS: '12', SHUTDOWN_GRACE_SECONDS: '0' });
    assert.equal(config.durationsMs.leaseMs, 12_000);
    assert.equal(config.durationsMs.shutdownGraceMs, 0);
    assert.ok(Object.isFrozen(config.durationsMs));
  });

  it('are converted nowhere else: no `config.…Seconds * 1000` in the source', () => {
    // A setting's property times 1000 (config.leaseSeconds, scale.idleSeconds), not a local
    // figure rounded for a log line.
    const converting = /\.\w+Seconds\s*\*\s*1_?000\b/;
    const offenders = sourceFolders
      .flatMap((folder) => sourceFiles(join(repoRoot, folder)))
      .filter((file) => !file.endsWith('config-durations.ts'))
      .filter((file) => converting.test(readFileSync(file, 'utf8')))
      .map((file) => relative(repoRoot, file));
    assert.deepEqual(
      offenders,
      [],
      'use config.durationsMs (shared/src/config/config-durations.ts)',
    );
  });
});
