// The optional bearer token (--token-file): every route but /healthz needs `Authorization: Bearer
// <token>`. Compared in constant time (timingSafeEqual of SHA-256 digests: equal lengths whatever
// was sent), so the answer's timing says nothing about how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { UsageError } from '../scoreFlags';

/** The token in `path` (surrounding whitespace dropped); a UsageError when it cannot be read or is empty. */
export function readToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new UsageError(`--token-file ${path}: ${(e as Error).message}`);
  }
  if (!token) throw new UsageError(`--token-file ${path} is empty`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A check of an Authorization header against `token`. */
export function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  return (header) => {
    const m = /^Bearer +(.+)$/i.exec(header ?? '');
    return timingSafeEqual(digest(m ? m[1].trim() : ''), expected) && m !== null;
  };
}
