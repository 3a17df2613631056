import { createHash } from 'node:crypto';
import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { type Env, readChoice, readInteger, readRaw } from './parse-env.ts';

export const authModes = ['open', 'required'] as const;
export type AuthMode = (typeof authModes)[number];

/**
 * API keys and submission limits (AUTH_MODE, API_KEYS, API_KEY_HASHES,
 * RATE_LIMIT_PER_MINUTE). Keys are kept only as SHA-256 digests: API_KEYS is hashed here,
 * at start-up, and API_KEY_HASHES supplies digests directly so the plain keys need not be in
 * the deployment at all.
 */
export interface AuthConfig {
  /**
   * required: every /v1 request needs `Authorization: Bearer <key>`. open: no keys (local
   * use). Default: required when keys are configured or PRODUCTION is on, else open.
   */
  readonly mode: AuthMode;
  /** Lower-case hex SHA-256 digests of the accepted keys. */
  readonly keyHashes: readonly string[];
  /** Submissions (POST /v1/generations, POST /v1/batches) per key per minute; 0 = no limit. */
  readonly rateLimitPerMinute: number;
}

/** Shorter keys are guessable; 32 random characters is what `openssl rand -hex 16` gives. */
export const minApiKeyChars = 20;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function readAuthConfig(env: Env, production: boolean): AuthConfig {
  const keyHashes = [...readKeys(env), ...readKeyHashes(env)];
  // Configured keys are meant to be used; without any, only a non-production process runs
  // open unless AUTH_MODE=open says so (configDefaults.authMode is null: derived here).
  const defaultMode =
    defaults.authMode ?? (keyHashes.length > 0 || production ? 'required' : 'open');
  const mode = readChoice(env, 'AUTH_MODE', authModes, defaultMode);
  if (mode === 'required' && keyHashes.length === 0) {
    throw new ConfigError(
      'API_KEYS',
      `API_KEYS or API_KEY_HASHES must be set when AUTH_MODE is required${
        production ? ' (the default with PRODUCTION=true)' : ''
      }; AUTH_MODE=open runs without keys`,
    );
  }
  if (mode === 'open' && keyHashes.length > 0) {
    throw new ConfigError(
      'AUTH_MODE',
      'AUTH_MODE=open conflicts with API_KEYS/API_KEY_HASHES; unset AUTH_MODE or the keys',
    );
  }
  return {
    mode,
    keyHashes: [...new Set(keyHashes)],
    rateLimitPerMinute: readInteger(
      env,
      'RATE_LIMIT_PER_MINUTE',
      { min: 0, max: 1_000_000 },
      defaults.rateLimitPerMinute,
    ),
  };
}

function readKeys(env: Env): string[] {
  const raw = readRaw(env, 'API_KEYS');
  if (raw === undefined) {
    return [];
  }
  return raw
    .split(/[\s,]+/)
    .filter((key) => key !== '')
    .map((key, index) => {
      if (key.length < minApiKeyChars || !/^[\x21-\x7E]+$/.test(key)) {
        throw new ConfigError(
          'API_KEYS',
          `API_KEYS entry ${index + 1} must be at least ${minApiKeyChars} visible ASCII characters`,
        );
      }
      return sha256Hex(key);
    });
}

function readKeyHashes(env: Env): string[] {
  const raw = readRaw(env, 'API_KEY_HASHES');
  if (raw === undefined) {
    return [];
  }
  return raw
    .split(/[\s,]+/)
    .filter((hash) => hash !== '')
    .map((hash, index) => {
      if (!/^[0-9a-fA-F]{64}$/.test(hash)) {
        throw new ConfigError(
          'API_KEY_HASHES',
          `API_KEY_HASHES entry ${index + 1} must be a SHA-256 digest in hex (64 characters), e.g. from: printf %s "$KEY" | sha256sum`,
        );
      }
      return hash.toLowerCase();
    });
}
