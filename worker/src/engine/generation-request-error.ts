/**
 * A generate() call the engine refuses before any compute: too many rows, or a row whose
 * parameters cannot run on this model (prompt + max_new_tokens beyond n_positions, ...).
 * `rowErrors` maps the index of each bad row to its message.
 */
export class GenerationRequestError extends Error {
  override readonly name = 'GenerationRequestError';
  readonly rowErrors: ReadonlyMap<number, string>;

  constructor(message: string, rowErrors: ReadonlyMap<number, string> = new Map()) {
    super(message);
    this.rowErrors = rowErrors;
  }
}
