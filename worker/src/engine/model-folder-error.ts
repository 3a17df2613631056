/**
 * A model folder the engine cannot use: a missing folder or file, a malformed config, a
 * graph that does not follow the GPT-2 contract. The message names the file and what is
 * wrong; a library error that caused it is kept as `cause`. Permanent: retrying the same
 * folder fails the same way.
 */
export class ModelFolderError extends Error {
  override readonly name = 'ModelFolderError';
  /** The file (or folder) at fault, relative to nothing: an absolute path. */
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}`, options);
    this.path = path;
  }
}
