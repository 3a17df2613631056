import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fedTokens, type PromptTokens } from '../domain/prompt-length.ts';
import { encodePlain, folderTokenizer } from './folder-tokenizer.ts';

/** What the API needs of a model folder to count prompts: no ONNX graph, no weights. */
export const promptTokenFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * The prompt counter of a model folder: its tokenizer and config.json's n_positions. The
 * worker checks the full folder (worker/src/engine/model-folder.ts); this reads only what
 * counting needs, so it also works on the API's partial copy of a gs:// folder.
 */
export async function loadPromptTokens(dir: string): Promise<PromptTokens> {
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { n_positions?: unknown };
  const maxPositions = config.n_positions;
  if (typeof maxPositions !== 'number' || !Number.isInteger(maxPositions) || maxPositions <= 0) {
    throw new Error(
      `${configPath}: "n_positions" must be a positive integer, got ${JSON.stringify(maxPositions)}`,
    );
  }
  const tokenizer = await folderTokenizer(dir);
  return {
    maxPositions,
    count: (prompt) => fedTokens(encodePlain(tokenizer, prompt).length),
  };
}
