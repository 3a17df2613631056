/**
 * The tokenizer as the decode loop sees it: text to GPT-2 token ids and back. The engine
 * wraps the transformers.js tokenizer in this; decode() is never called with no ids (the
 * library throws on an empty list).
 */
export interface TextCodec {
  encode(text: string): number[];
  /** Decodes exactly: special tokens kept, no clean-up of spaces before punctuation. */
  decode(ids: readonly number[]): string;
}
