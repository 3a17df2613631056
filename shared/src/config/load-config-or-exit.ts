import { ConfigError } from './config-error.ts';
import { type Config, loadConfig } from './load-config.ts';
import type { Env } from './parse-env.ts';

/**
 * For main files: a bad variable stops the process with one line naming it (exit 2),
 * not a stack trace.
 */
export function loadConfigOrExit(env: Env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`warmgen: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
