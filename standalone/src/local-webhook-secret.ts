import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * npm start without WEBHOOK_SECRETS: a signing secret made once and kept in DATA_DIR
 * (mode 0600), so local receivers can verify across restarts. Returns the secret and the
 * file it lives in; the secret itself is never logged.
 */
export function localWebhookSecret(dataDir: string): { secret: string; path: string } {
  const path = join(dataDir, 'webhook-secret');
  try {
    const secret = readFileSync(path, 'utf8').trim();
    if (!/^whsec_[A-Za-z0-9+/]{43}=$/.test(secret)) {
      throw new Error(`${path} does not hold a whsec_ secret; delete it to make a new one`);
    }
    return { secret, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  return { secret, path };
}
