import { configDefaults as defaults } from './config-defaults.ts';
import { ConfigError } from './config-error.ts';
import { type Env, readBoolean, readRaw } from './parse-env.ts';

/** The variables that point a process at an emulator instead of Google Cloud. */
const emulatorVariables = ['PUBSUB_EMULATOR_HOST', 'FIRESTORE_EMULATOR_HOST'] as const;

/**
 * PRODUCTION: whether this process is a deployment, which requires API keys (unless
 * AUTH_MODE=open says otherwise) and webhook signing secrets. It is its own setting, not
 * implied by the backend: SQLite can serve a deployment and the Google Cloud adapters run
 * against emulators in development. Terraform sets it on every process.
 *
 * Two combinations stop the start-up instead of guessing:
 * - PRODUCTION=true with an emulator host: a deployment never talks to an emulator.
 * - BACKEND=gcp against Google Cloud itself (no emulator host) with PRODUCTION unset: until
 *   it was a setting, that combination meant production, so a deployment made before it
 *   would otherwise start without its keys being required. It must say which it is.
 */
export function readProduction(env: Env, backend: 'embedded' | 'gcp'): boolean {
  const production = readBoolean(env, 'PRODUCTION', defaults.production);
  const emulator = emulatorVariables.find((name) => readRaw(env, name) !== undefined);
  if (production && emulator !== undefined) {
    throw new ConfigError(
      'PRODUCTION',
      `PRODUCTION=true contradicts ${emulator}: a deployment never uses an emulator; unset one of them`,
    );
  }
  if (backend === 'gcp' && emulator === undefined && readRaw(env, 'PRODUCTION') === undefined) {
    throw new ConfigError(
      'PRODUCTION',
      'PRODUCTION must be set when BACKEND=gcp runs against Google Cloud: true for a deployment (API keys and webhook secrets required; infra/terraform sets it), false to run without them',
    );
  }
  return production;
}
