import { isIP } from 'node:net';
import { ConfigError } from './config-error.ts';
import { type Env, readRaw } from './parse-env.ts';

/**
 * An API endpoint override (STORAGE_API_ENDPOINT, CLOUD_RUN_API_ENDPOINT): a private
 * endpoint, or a local test server (`npm run dev:gcp`, the end-to-end tests). Plain http is
 * accepted only on loopback, so nothing crosses a network unencrypted; https may name any
 * host. Returns the URL's origin, or null when unset (the real service). `pathHint` says
 * what the client appends, for the message refusing a path.
 */
export function readApiOrigin(env: Env, name: string, pathHint: string): URL | null {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return null;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(
      name,
      `${name} must be a URL such as https://api.example.com, got "${raw}"`,
      {
        cause: error,
      },
    );
  }
  const form = 'an https:// URL, or http:// on a loopback address (127.0.0.1, [::1], localhost)';
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      name,
      `${name} must be a bare origin without credentials, query or fragment, got "${raw}"`,
    );
  }
  if (url.pathname !== '/') {
    throw new ConfigError(
      name,
      `${name} must have no path (the client adds ${pathHint}), got "${raw}"`,
    );
  }
  const secure = url.protocol === 'https:';
  if (!secure && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConfigError(name, `${name} must be ${form}, got "${raw}"`);
  }
  return url;
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost') {
    return true;
  }
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) {
    return bare.startsWith('127.');
  }
  return isIP(bare) === 6 && bare === '::1';
}
