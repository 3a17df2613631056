import { resolve } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

/**
 * A model folder's tokenizer through transformers.js (tokenizer.json, tokenizer_config.json),
 * loaded once per process and folder: the worker's codec and the API's prompt count share
 * one instance where they share a process (`npm start`). Never reaches for a model hub: the
 * folder is all there is.
 */
const loaded = new Map<string, Promise<PreTrainedTokenizer>>();

export function folderTokenizer(dir: string): Promise<PreTrainedTokenizer> {
  const key = resolve(dir);
  let pending = loaded.get(key);
  if (pending === undefined) {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    pending = AutoTokenizer.from_pretrained(key, { local_files_only: true });
    // A failed load is not kept: a later call (after the folder is fixed) tries again.
    pending.catch(() => loaded.delete(key));
    loaded.set(key, pending);
  }
  return pending;
}

/** Token ids of a text as the model is fed them: no special tokens added around it. */
export function encodePlain(tokenizer: PreTrainedTokenizer, text: string): number[] {
  return tokenizer.encode(text, { add_special_tokens: false });
}
