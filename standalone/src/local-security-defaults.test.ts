import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadConfig } from '@warmgen/shared/config/load-config.ts';
import { localSecurityDefaults } from './local-security-defaults.ts';

function defaultsFor(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'warmgen-local-'));
  try {
    return localSecurityDefaults(loadConfig({ DATA_DIR: dataDir, ...env }));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

it('npm start with the API open listens on loopback only, and says so', () => {
  const open = defaultsFor({});
  assert.equal(open.host, '127.0.0.1');
  assert.ok(open.notices.some((notice) => notice.startsWith('LISTENING ON 127.0.0.1 ONLY')));
});

it('HOST wins, even with the API open; with keys the default is every interface', () => {
  const chosen = defaultsFor({ HOST: '0.0.0.0' });
  assert.equal(chosen.host, '0.0.0.0');
  assert.ok(chosen.notices.some((notice) => notice.startsWith('API IS OPEN')));
  assert.ok(!chosen.notices.some((notice) => notice.startsWith('LISTENING ON')));

  const keyed = defaultsFor({ API_KEYS: 'k_0123456789abcdef0123456789abcdef' });
  assert.equal(keyed.host, '0.0.0.0');
  assert.ok(!keyed.notices.some((notice) => notice.startsWith('LISTENING ON')));
});
