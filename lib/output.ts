// Where `infogain score` writes its JSONL: checked and opened before any scoring starts (a path
// that cannot be written fails at once, not after the work), written to a temporary file in the
// target's directory and renamed over the target (all or nothing: an interrupt, a kill or a full
// disk never leaves a truncated line or half a group, and an existing file stays as it was until
// the new one is complete), and refused when it is the input. A device or a pipe (`/dev/stdout`,
// `/dev/full`) is written in place: it cannot be replaced, and writing it is what was asked.
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The output cannot be written (exit code 1); the message names the path. */
export class OutputError extends Error {
  readonly code = 'ERR_INFOGAIN_OUTPUT';
  constructor(readonly path: string, why: string) {
    super(`cannot write the output ${path}: ${why}`);
    this.name = 'OutputError';
  }
}

export interface Output {
  /** Writes the lines (each ending in a newline) and puts the file in place. Throws OutputError. */
  commit(lines: readonly string[]): Promise<void>;
  /** Gives up: removes the temporary file; the target is left as it was. Never throws. */
  discard(): void;
}

const why = (e: unknown) => (e as Error).message;

/** Whether two paths are one existing file: the same path once links are resolved, or the same inode (a hard link). */
export function sameFile(a: string, b: string): boolean {
  if (realPlace(a) === realPlace(b)) return true;
  try {
    const sa = statSync(a), sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Where a path leads, links followed, also for a file not yet there (two outputs may name one new file). */
function realPlace(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(resolve(path))), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

/** Writes every byte of `text` to fd (writeSync may write less than asked, e.g. to a pipe). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
}

/**
 * Opens `path` for writing, '-' for stdout. Throws OutputError when it cannot be written: a missing
 * directory, a directory, a path under a file, no permission, a read-only file system.
 */
export function openOutput(path: string): Output {
  if (path === '-') return stdoutOutput();
  const target = resolve(path);
  let existing;
  try {
    existing = statSync(target, { throwIfNoEntry: false });
  } catch (e) {
    throw new OutputError(path, why(e));  // e.g. ENOTDIR: a path under a file
  }
  if (existing?.isDirectory()) throw new OutputError(path, 'it is a directory');
  if (existing && !existing.isFile()) return deviceOutput(path, target);

  // the real place: a link to a file is followed, so the file is replaced, not the link
  let dir: string, file: string;
  try {
    const real = existing ? realpathSync(target) : join(realpathSync(dirname(target)), basename(target));
    (dir = dirname(real)), (file = real);
  } catch (e) {
    throw new OutputError(path, why(e));
  }
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o666);
    if (existing) fchmodSync(fd, existing.mode & 0o7777);  // the replacement keeps the file's permissions
  } catch (e) {
    throw new OutputError(path, why(e));
  }
  let open = true;
  const discard = () => {
    if (open) closeSync(fd), (open = false);
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  };
  return {
    async commit(lines) {
      try {
        for (let i = 0; i < lines.length; i += 1024) writeAll(fd, lines.slice(i, i + 1024).join(''));
        fsyncSync(fd);
        closeSync(fd);
        open = false;
        renameSync(temp, file);
      } catch (e) {
        discard();
        throw new OutputError(path, why(e));
      }
    },
    discard() {
      try {
        discard();
      } catch {
        // nothing more to do
      }
    },
  };
}

/** A character device, a FIFO or a socket: written in place when the work is done. */
function deviceOutput(path: string, target: string): Output {
  try {
    accessSync(target, constants.W_OK);
  } catch (e) {
    throw new OutputError(path, why(e));
  }
  return {
    async commit(lines) {
      let fd: number | undefined;
      try {
        fd = openSync(target, 'w');
        for (let i = 0; i < lines.length; i += 1024) writeAll(fd, lines.slice(i, i + 1024).join(''));
      } catch (e) {
        throw new OutputError(path, why(e));
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    discard() {},
  };
}

function stdoutOutput(): Output {
  // A failed write (EPIPE: the reader left) calls the write's callback and then emits 'error' on
  // stdout, after any listener a commit could remove there: without one for good, Node dies of it.
  let broken: unknown;
  process.stdout.on('error', (e) => (broken ??= e));
  const failed = (e: unknown) => new OutputError('-', `stdout: ${why(e)}`);
  return {
    commit(lines) {
      if (broken) return Promise.reject(failed(broken));
      return new Promise((resolveWrite, reject) => {
        for (let i = 0; i < lines.length; i += 1024) process.stdout.write(lines.slice(i, i + 1024).join(''));
        process.stdout.write('', (e) => {
          const error = e ?? broken;
          if (error) reject(failed(error));
          else resolveWrite();
        });
      });
    },
    discard() {},
  };
}
