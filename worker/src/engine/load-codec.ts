import { join } from 'node:path';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { encodePlain, folderTokenizer } from '@warmgen/shared/tokenizer/folder-tokenizer.ts';
import type { ModelFolder } from './model-folder.ts';
import { registerModelFolder } from './model-folder-cache.ts';
import { ModelFolderError } from './model-folder-error.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * The folder's GPT-2 tokenizer through transformers.js, as a TextCodec: the process's one
 * instance (shared/src/tokenizer/folder-tokenizer.ts), which the API's prompt count uses
 * too. A tokenizer the library cannot load is one ModelFolderError naming tokenizer.json,
 * with the library's error as `cause`.
 */
export async function loadCodec(folder: ModelFolder): Promise<TextCodec> {
  registerModelFolder(folder.dir);
  const tokenizer = await folderTokenizer(folder.dir).catch((error: unknown) => {
    throw new ModelFolderError(
      join(folder.dir, 'tokenizer.json'),
      `the tokenizer could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  });
  return codecOf(tokenizer);
}

function codecOf(tokenizer: PreTrainedTokenizer): TextCodec {
  return {
    encode: (text) => encodePlain(tokenizer, text),
    decode: (ids) =>
      tokenizer.decode([...ids], {
        skip_special_tokens: false,
        clean_up_tokenization_spaces: false,
      }),
  };
}
