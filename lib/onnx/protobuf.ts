// A small schema-driven protobuf codec: enough of the wire format to read, edit and write ONNX
// ModelProto without a dependency. Messages decode to plain objects keyed by field name; fields
// the schema does not name are kept as raw bytes and written back unchanged. Byte fields are views
// into the input (no copy), so a multi-gigabyte model is parsed without duplicating its weights.

export type ScalarType = 'int64' | 'int32' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';

export interface FieldSpec {
  name: string;
  type: ScalarType | MessageSchema;
  repeated?: boolean;
  /** Written packed (the decoder accepts both forms). */
  packed?: boolean;
}

export interface MessageSchema {
  name: string;
  fields: Record<number, FieldSpec>;
}

/** A decoded message: named fields plus the raw bytes of the fields the schema does not know. */
export type Message = { [name: string]: unknown; unknownFields?: Uint8Array[] };

const VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

function wireOf(type: FieldSpec['type']): number {
  if (typeof type !== 'string') return LEN;
  switch (type) {
    case 'float': return FIXED32;
    case 'double': return FIXED64;
    case 'string': case 'bytes': return LEN;
    default: return VARINT;
  }
}

export class ProtobufError extends Error {}

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
  }
  /** A varint as a number (int64 values beyond 2^53 lose precision; none occur in ONNX metadata). */
  varint(): number {
    const start = this.pos;
    let result = 0, scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    // past 49 bits (negative int64s are 10 bytes of two's complement): exact, through BigInt
    this.pos = start;
    let big = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++];
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) return Number(BigInt.asIntN(64, big));
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }
  bytes(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.end) throw new ProtobufError('length-delimited field runs past its message');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.bytes(8);
    else if (wire === FIXED32) this.bytes(4);
    else if (wire === LEN) this.bytes(this.varint());
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const utf8Decoder = new TextDecoder(), utf8Encoder = new TextEncoder();

function scalar(r: Reader, type: ScalarType, wire: number): unknown {
  switch (type) {
    case 'float': return view(r.bytes(4)).getFloat32(0, true);
    case 'double': return view(r.bytes(8)).getFloat64(0, true);
    case 'string': return utf8Decoder.decode(r.bytes(r.varint()));
    case 'bytes': return r.bytes(r.varint());
    default:
      if (wire !== VARINT) throw new ProtobufError(`field of type ${type} has wire type ${wire}`);
      return r.varint();
  }
}

export function decode(schema: MessageSchema, buf: Uint8Array, start = 0, end = buf.length): Message {
  const r = new Reader(buf, start, end);
  const msg: Message = {};
  while (r.pos < end) {
    const tagStart = r.pos;
    const tag = r.varint();
    const number = Math.floor(tag / 8), wire = tag & 7;
    const spec = schema.fields[number];
    if (!spec) {
      r.skip(wire);
      (msg.unknownFields ??= []).push(buf.subarray(tagStart, r.pos));
      continue;
    }
    let value: unknown;
    if (typeof spec.type !== 'string') {
      if (wire !== LEN) throw new ProtobufError(`${schema.name}.${spec.name} is a message but has wire type ${wire}`);
      const n = r.varint();
      const at = r.pos;
      r.bytes(n);
      value = decode(spec.type, buf, at, at + n);
    } else if (spec.repeated && wire === LEN && wireOf(spec.type) !== LEN) {
      // packed repeated scalars
      const n = r.varint(), stop = r.pos + n;
      if (stop > end) throw new ProtobufError(`${schema.name}.${spec.name} runs past its message`);
      const list = (msg[spec.name] ??= []) as unknown[];
      const inner = new Reader(buf, r.pos, stop);
      while (inner.pos < stop) list.push(scalar(inner, spec.type, wireOf(spec.type)));
      r.pos = stop;
      continue;
    } else {
      if (wire !== wireOf(spec.type)) throw new ProtobufError(`${schema.name}.${spec.name} has wire type ${wire}`);
      value = scalar(r, spec.type, wire);
    }
    if (spec.repeated) ((msg[spec.name] ??= []) as unknown[]).push(value);
    else msg[spec.name] = value;
  }
  return msg;
}

/** Bytes written as a list of pieces, concatenated once at the end. */
class Writer {
  parts: Uint8Array[] = [];
  length = 0;
  private scratch: number[] = [];
  push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  varint(v: number): void {
    const out = this.scratch;
    out.length = 0;
    if (v < 0) {
      // two's complement over 64 bits
      let big = BigInt.asUintN(64, BigInt(v));
      while (big >= 0x80n) {
        out.push(Number(big & 0x7fn) | 0x80);
        big >>= 7n;
      }
      out.push(Number(big));
    } else {
      while (v >= 0x80) {
        out.push((v % 128) | 0x80);
        v = Math.floor(v / 128);
      }
      out.push(v);
    }
    this.push(Uint8Array.from(out));
  }
  fixed(type: 'float' | 'double', v: number): void {
    const b = new Uint8Array(type === 'float' ? 4 : 8);
    if (type === 'float') view(b).setFloat32(0, v, true);
    else view(b).setFloat64(0, v, true);
    this.push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function writeScalar(w: Writer, type: ScalarType, v: unknown): void {
  switch (type) {
    case 'float': case 'double': return w.fixed(type, v as number);
    case 'string': {
      const b = utf8Encoder.encode(v as string);
      w.varint(b.length);
      return w.push(b);
    }
    case 'bytes': {
      const b = v as Uint8Array;
      w.varint(b.length);
      return w.push(b);
    }
    default: return w.varint(v as number);
  }
}

function encodeInto(w: Writer, schema: MessageSchema, msg: Message): void {
  for (const [key, spec] of Object.entries(schema.fields)) {
    const value = msg[spec.name];
    if (value === undefined) continue;
    const number = Number(key);
    const values = spec.repeated ? (value as ArrayLike<unknown>) : [value];
    if (spec.repeated && spec.packed && typeof spec.type === 'string') {
      if (!values.length) continue;
      const inner = new Writer();
      for (let i = 0; i < values.length; i++) writeScalar(inner, spec.type, values[i]);
      w.varint(number * 8 + LEN);
      w.varint(inner.length);
      for (const p of inner.parts) w.push(p);
      continue;
    }
    for (let i = 0; i < values.length; i++) {
      w.varint(number * 8 + wireOf(spec.type));
      if (typeof spec.type === 'string') writeScalar(w, spec.type, values[i]);
      else {
        const inner = new Writer();
        encodeInto(inner, spec.type, values[i] as Message);
        w.varint(inner.length);
        for (const p of inner.parts) w.push(p);
      }
    }
  }
  for (const raw of msg.unknownFields ?? []) w.push(raw);
}

export function encode(schema: MessageSchema, msg: Message): Uint8Array {
  const w = new Writer();
  encodeInto(w, schema, msg);
  return w.finish();
}
