/**
 * A configuration value the process cannot start with. The message names the variable and
 * the form it expects, so the operator can fix the deployment without reading code.
 */
export class ConfigError extends Error {
  /** The environment variable at fault (or the first of a conflicting pair). */
  readonly variable: string;

  constructor(variable: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}
