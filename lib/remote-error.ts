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

/** Anything thrown, as a plain object: an Error keeps its name, message, stack, scalar fields and cause. */
export function toPlainError(thrown: unknown, depth = 0): PlainError {
  if (!(thrown instanceof Error)) return { name: 'Error', message: `a non-Error value was thrown: ${String(thrown)}`, fields: { thrown: isField(thrown) ? thrown : String(thrown) } };
  const fields: Record<string, Field> = {};
  for (const key of Object.keys(thrown)) {
    const v = (thrown as unknown as Record<string, unknown>)[key];
    if (key !== 'cause' && isField(v)) fields[key] = v;
  }
  const plain: PlainError = { name: thrown.name, message: thrown.message, stack: thrown.stack, fields };
  if (thrown.cause !== undefined && depth < 8) plain.cause = toPlainError(thrown.cause, depth + 1);
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
