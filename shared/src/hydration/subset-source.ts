import type { ModelSource } from '../ports/model-source.ts';

/**
 * A model source narrowed to some of its files: the API hydrates config.json and the
 * tokenizer files of the folder the workers load, not its graph and weights. A listed
 * name the source lacks is an error (the hydrated folder would be unusable).
 */
export function subsetSource(source: ModelSource, paths: readonly string[]): ModelSource {
  return {
    description: `${source.description} (${paths.join(', ')})`,
    async list() {
      const files = (await source.list()).filter((file) => paths.includes(file.path));
      const missing = paths.filter((path) => !files.some((file) => file.path === path));
      if (missing.length > 0) {
        throw new Error(`${source.description} has no ${missing.join(', ')}`);
      }
      return files;
    },
    open: (file, range) => source.open(file, range),
  };
}
