import { ConfigError } from './config-error.ts';

/**
 * Small readers for environment variables. Each takes the whole env, a variable name and a
 * fallback; an unset or blank variable yields the fallback, a bad one throws ConfigError.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** The trimmed value, or undefined when the variable is unset or blank. */
export function readRaw(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function readString(env: Env, name: string, fallback: string): string {
  return readRaw(env, name) ?? fallback;
}

export interface IntegerRange {
  min: number;
  max: number;
}

/** A decimal integer within range; rejects "8.5", "1e3", "0x10" and "8 jobs". */
export function readInteger(env: Env, name: string, range: IntegerRange, fallback: number): number {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return fallback;
  }
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
    throw new ConfigError(
      name,
      `${name} must be an integer from ${range.min} to ${range.max}, got "${raw}"`,
    );
  }
  return value;
}

/** readInteger for a setting whose default is derived at run time: unset or blank is null. */
export function readOptionalInteger(env: Env, name: string, range: IntegerRange): number | null {
  return readRaw(env, name) === undefined ? null : readInteger(env, name, range, range.min);
}

/** One of a fixed set of words, compared case-insensitively. */
export function readChoice<const T extends string>(
  env: Env,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = readRaw(env, name);
  if (raw === undefined) {
    return fallback;
  }
  const match = choices.find((choice) => choice === raw.toLowerCase());
  if (match === undefined) {
    throw new ConfigError(name, `${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return match;
}

const trueWords = ['true', '1', 'yes', 'on'];
const falseWords = ['false', '0', 'no', 'off'];

/** true/false (also 1/0, yes/no, on/off), compared case-insensitively. */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readRaw(env, name)?.toLowerCase();
  if (raw === undefined) {
    return fallback;
  }
  if (trueWords.includes(raw)) {
    return true;
  }
  if (falseWords.includes(raw)) {
    return false;
  }
  throw new ConfigError(name, `${name} must be true or false, got "${raw}"`);
}
