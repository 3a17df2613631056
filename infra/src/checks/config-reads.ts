import type { Env } from '@warmgen/shared/config/parse-env.ts';

/**
 * What the configuration schema is, learnt from loadConfig itself rather than a list kept
 * by hand: loadConfig runs over an environment wrapped in a Proxy that records every name
 * it looks up. A variable it never looks up is one it does not know; a variable whose
 * removal from a valid environment makes it throw is one it requires.
 */
export type LoadConfig<C> = (env: Env) => C;

export type ConfigOutcome<C> = { ok: true; config: C } | { ok: false; error: unknown };

export interface ConfigReads<C> {
  /** Every name loadConfig looked up, set or not. */
  readonly read: ReadonlySet<string>;
  readonly outcome: ConfigOutcome<C>;
}

export function recordConfigReads<C>(load: LoadConfig<C>, env: Env): ConfigReads<C> {
  const read = new Set<string>();
  const target: Record<string, string | undefined> = { ...env };
  const recorder = new Proxy(target, {
    get(object, name) {
      if (typeof name === 'string') {
        read.add(name);
      }
      return Reflect.get(object, name);
    },
    has(object, name) {
      if (typeof name === 'string') {
        read.add(name);
      }
      return Reflect.has(object, name);
    },
    ownKeys() {
      // Enumerating the environment would make every name look known.
      throw new Error('loadConfig enumerates the environment: its variables cannot be derived');
    },
  });
  try {
    return { read, outcome: { ok: true, config: load(recorder) } };
  } catch (error) {
    return { read, outcome: { ok: false, error } };
  }
}

/**
 * `env` completed until loadConfig accepts it: each time it stops at a variable (a
 * ConfigError naming it), that variable gets the next of the candidate values. So a run
 * reaches every read even when loadConfig requires variables `env` does not have.
 * Returns undefined when the candidates run out.
 */
export function completeEnvironment<C>(
  load: LoadConfig<C>,
  env: Env,
  candidates: readonly string[],
): Record<string, string | undefined> | undefined {
  const completed: Record<string, string | undefined> = { ...env };
  const tried = new Map<string, number>();
  for (;;) {
    const { outcome } = recordConfigReads(load, completed);
    if (outcome.ok) {
      return completed;
    }
    const variable = (outcome.error as { variable?: unknown }).variable;
    if (typeof variable !== 'string') {
      return undefined;
    }
    const next = (tried.get(variable) ?? -1) + 1;
    if ((variable in env && !tried.has(variable)) || next >= candidates.length) {
      // A value the caller gave is wrong, or no candidate fits: nothing more to learn.
      return undefined;
    }
    tried.set(variable, next);
    completed[variable] = candidates[next];
  }
}

/**
 * The union of the names loadConfig looks up over several environments, each first
 * completed with the candidate values (see completeEnvironment) so that a variable it
 * requires does not hide the ones read after it.
 */
export function knownVariables<C>(
  load: LoadConfig<C>,
  envs: readonly Env[],
  candidates: readonly string[] = [],
): Set<string> {
  const known = new Set<string>();
  for (const env of envs) {
    for (const probe of [env, completeEnvironment(load, env, candidates)]) {
      for (const name of probe === undefined ? [] : recordConfigReads(load, probe).read) {
        known.add(name);
      }
    }
  }
  return known;
}

/**
 * The variables of `validEnv` loadConfig cannot do without: removing one makes it throw.
 * Returns them sorted; an env loadConfig rejects as it is has no meaningful answer (throws).
 */
export function requiredVariables<C>(load: LoadConfig<C>, validEnv: Env): string[] {
  const whole = recordConfigReads(load, validEnv).outcome;
  if (!whole.ok) {
    throw new Error('requiredVariables needs an environment loadConfig accepts', {
      cause: whole.error,
    });
  }
  return Object.keys(validEnv)
    .filter((name) => {
      const { [name]: _removed, ...rest } = validEnv;
      return !recordConfigReads(load, rest).outcome.ok;
    })
    .sort();
}
