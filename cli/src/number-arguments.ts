import { InvalidArgumentError } from 'commander';

/** A flag's value as an integer within [min, max]; commander names the flag in the error. */
export function integerArgument(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) {
      throw new InvalidArgumentError(`must be an integer, got "${value}".`);
    }
    const n = Number(value);
    if (n < min || n > max) {
      throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}.`);
    }
    return n;
  };
}

/** A flag's value as a finite number; the server checks its range (one place decides). */
export function numberArgument(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`must be a number, got "${value}".`);
  }
  return n;
}
