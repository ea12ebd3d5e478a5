// Text <-> token ids for the scorer: UTF-8 bytes for the bundled model, or a Hugging Face
// tokenizer.json (through @huggingface/tokenizers, pure JS) for any other model.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { codes, describe, plainError, rangeError, typeError, typedArrayKind } from './errors';
import { isDetached } from './validate';

export interface TextTokenizer {
  /** How many ids it can produce (the model's logits must have at least this many). */
  readonly vocabSize: number;
  readonly kind: 'bytes' | 'tokenizer.json';
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw typeError('text', `text must be a string, got ${describe(value)}`);
  return value;
}

/** Token ids to decode: an array or a typed array of integers in [0, vocabSize). */
function ids(value: unknown, vocabSize: number): number[] {
  const kind = typedArrayKind(value);
  if (!(Array.isArray(value) || (kind !== undefined && !kind.startsWith('Big') && !kind.startsWith('Float'))))
    throw typeError('ids', `ids must be an array or an integer typed array of token ids, got ${describe(value)}`);
  if (kind && isDetached(value as ArrayBufferView)) throw typeError('ids', 'ids is backed by a detached ArrayBuffer');
  const list = Array.from(value as ArrayLike<unknown>);
  list.forEach((id, i) => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= vocabSize)
      throw rangeError(codes.outOfRange, 'ids', `ids[${i}] = ${describe(id)} is not a token id in [0, ${vocabSize})`, i);
  });
  return list as number[];
}

export function byteTokenizer(): TextTokenizer {
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  return {
    vocabSize: 256,
    kind: 'bytes',
    encode: (t) => Int32Array.from(encoder.encode(text(t))),
    decode: (list) => decoder.decode(Uint8Array.from(ids(list, 256))),
  };
}

/** Loads tokenizer.json (and tokenizer_config.json beside it, when present). */
export function loadTokenizer(path: string): TextTokenizer {
  if (typeof path !== 'string' || path === '') throw typeError('path', `path must be the path of a tokenizer.json, got ${describe(path)}`);
  let json: object, config: object = {};
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
    const configPath = join(dirname(path), 'tokenizer_config.json');
    if (existsSync(configPath)) config = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (e) {
    throw plainError(codes.tokenizer, `tokenizer ${path} could not be read as JSON: ${(e as Error).message}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { Tokenizer } = require('@huggingface/tokenizers') as typeof import('@huggingface/tokenizers');
  let tok: InstanceType<typeof Tokenizer>;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw plainError(codes.tokenizer, `tokenizer ${path} is not a tokenizer.json: ${(e as Error).message}`);
  }
  const vocab = tok.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  return {
    vocabSize,
    kind: 'tokenizer.json',
    encode(value) {
      const t = text(value);
      const { ids } = tok.encode(t, { add_special_tokens: false });
      const out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        if (typeof ids[i] !== 'number')
          throw plainError(codes.tokenizer, `tokenizer ${path} has no id for a piece of ${JSON.stringify(t.slice(0, 40))} (no unknown token)`);
        out[i] = ids[i];
      }
      return out;
    },
    decode: (list) => tok.decode(ids(list, vocabSize)),
  };
}
