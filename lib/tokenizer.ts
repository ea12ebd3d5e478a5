// Text <-> token ids for the scorer: UTF-8 bytes for the bundled model, or a Hugging Face
// tokenizer.json (through @huggingface/tokenizers, pure JS) for any other model.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { plainError } from './errors';

export interface TextTokenizer {
  /** How many ids it can produce (the model's logits must have at least this many). */
  readonly vocabSize: number;
  readonly kind: 'bytes' | 'tokenizer.json';
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

export function byteTokenizer(): TextTokenizer {
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  return {
    vocabSize: 256,
    kind: 'bytes',
    encode: (text) => Int32Array.from(encoder.encode(text)),
    decode: (ids) => decoder.decode(Uint8Array.from(ids as ArrayLike<number>)),
  };
}

/** Loads tokenizer.json (and tokenizer_config.json beside it, when present). */
export function loadTokenizer(path: string): TextTokenizer {
  let json: object, config: object = {};
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
    const configPath = join(dirname(path), 'tokenizer_config.json');
    if (existsSync(configPath)) config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw plainError('ERR_INFOGAIN_TOKENIZER', `tokenizer ${path} could not be read as JSON: ${(e as Error).message}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Tokenizer } = require('@huggingface/tokenizers') as typeof import('@huggingface/tokenizers');
  let tok: InstanceType<typeof Tokenizer>;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw plainError('ERR_INFOGAIN_TOKENIZER', `tokenizer ${path} is not a tokenizer.json: ${(e as Error).message}`);
  }
  const vocab = tok.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  return {
    vocabSize,
    kind: 'tokenizer.json',
    encode(text) {
      const { ids } = tok.encode(text, { add_special_tokens: false });
      const out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        if (typeof ids[i] !== 'number')
          throw plainError('ERR_INFOGAIN_TOKENIZER', `tokenizer ${path} has no id for a piece of ${JSON.stringify(text.slice(0, 40))} (no unknown token)`);
        out[i] = ids[i];
      }
      return out;
    },
    decode: (ids) => tok.decode(Array.from(ids as ArrayLike<number>)),
  };
}
