import { usageError } from './cli-error.ts';

export interface CliConfig {
  /** WARMGEN_URL: the API's origin. */
  baseUrl: string;
  /** WARMGEN_API_KEY: sent as a bearer token; unset for an open server (npm start). */
  apiKey: string | null;
}

/** `npm start`'s address: the CLI works against a local server with no setting at all. */
export const defaultUrl = 'http://localhost:8080';

/** The CLI's configuration from its environment; the one place that reads it. */
export function loadCliConfig(env: Record<string, string | undefined>): CliConfig {
  const raw = env.WARMGEN_URL?.trim() || defaultUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`WARMGEN_URL must be an http(s) URL such as ${defaultUrl}, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`WARMGEN_URL must be an http(s) URL such as ${defaultUrl}, got "${raw}"`);
  }
  return {
    baseUrl: url.origin + url.pathname.replace(/\/+$/, ''),
    apiKey: env.WARMGEN_API_KEY?.trim() || null,
  };
}
