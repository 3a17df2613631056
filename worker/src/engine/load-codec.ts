import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { ModelFolder } from './model-folder.ts';
import { registerModelFolder } from './model-folder-cache.ts';
import { ModelFolderError } from './model-folder-error.ts';
import type { TextCodec } from './text-codec.ts';

/**
 * The folder's GPT-2 tokenizer through transformers.js, as a TextCodec. Never reaches for
 * a model hub: the checked folder is all there is. A tokenizer the library cannot load is
 * one ModelFolderError naming tokenizer.json, with the library's error as `cause`.
 */
export async function loadCodec(folder: ModelFolder): Promise<TextCodec> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  registerModelFolder(folder.dir);
  const tokenizer = await AutoTokenizer.from_pretrained(folder.dir, {
    local_files_only: true,
  }).catch((error: unknown) => {
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
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    decode: (ids) =>
      tokenizer.decode([...ids], {
        skip_special_tokens: false,
        clean_up_tokenization_spaces: false,
      }),
  };
}
