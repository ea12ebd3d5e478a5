// Errors crossing a worker boundary. Structured clone keeps an Error's class, message and stack
// but drops `code`, `argument`, `index` and every other field, so errors travel as plain objects
// and are rebuilt in the caller's thread with the same class and fields.

type Field = string | number | boolean | null;

export interface PlainError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, Field>;
  cause?: PlainError;
}

const classes: Record<string, ErrorConstructor> = {
  Error,
  TypeError: TypeError as ErrorConstructor,
  RangeError: RangeError as ErrorConstructor,
  SyntaxError: SyntaxError as ErrorConstructor,
  ReferenceError: ReferenceError as ErrorConstructor,
  EvalError: EvalError as ErrorConstructor,
  URIError: URIError as ErrorConstructor,
};

function isField(v: unknown): v is Field {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** f(), or `fallback` when it throws: reading a thrown value may run its getters and Proxy traps. */
export function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/**
 * Anything thrown, as a plain object: an Error keeps its name, message, stack, scalar fields and
 * cause. Never throws: a getter or Proxy trap that throws leaves that part out.
 */
export function toPlainError(thrown: unknown, depth = 0): PlainError {
  if (!safely(() => thrown instanceof Error, false)) {
    const text = safely(() => String(thrown), `a value of type ${typeof thrown}`);
    return { name: 'Error', message: `a non-Error value was thrown: ${text}`, fields: { thrown: isField(thrown) ? thrown : text } };
  }
  const e = thrown as Error & Record<string, unknown>;
  const fields: Record<string, Field> = {};
  for (const key of safely(() => Object.keys(e), [] as string[])) {
    const v = safely(() => e[key], undefined);
    if (key !== 'cause' && isField(v)) fields[key] = v;
  }
  const text = (read: () => unknown, fallback: string) => safely(() => String(read()), fallback);
  const plain: PlainError = { name: text(() => e.name, 'Error'), message: text(() => e.message, '(its message could not be read)'), fields };
  const stack = safely(() => e.stack, undefined);
  if (stack !== undefined) plain.stack = text(() => stack, '');
  const cause = safely(() => e.cause, undefined);
  if (cause !== undefined && depth < 8) plain.cause = toPlainError(cause, depth + 1);
  return plain;
}

/** The error again: the standard class of the same name (else Error with that name), fields, stack, cause. */
export function fromPlainError(plain: PlainError): Error {
  const Class = classes[plain.name] ?? Error;
  const e = plain.cause ? new Class(plain.message, { cause: fromPlainError(plain.cause) }) : new Class(plain.message);
  if (e.name !== plain.name) Object.defineProperty(e, 'name', { value: plain.name, configurable: true, writable: true });
  Object.assign(e, plain.fields);
  if (plain.stack !== undefined) e.stack = plain.stack;
  return e;
}
