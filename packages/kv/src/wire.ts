/**
 * Low-level writer and reader for the hand-written binary encodings: unsigned LEB128 varints
 * (safe integers only) and length-prefixed byte strings. The reader never throws; it records
 * the first problem and returns zeros after it.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Bytes {@link ByteWriter.varint} takes for `v` (a non-negative safe integer). */
export function varintSize(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) return 1; // the writer's varint() rejects it
  let n = 1;
  let x = v;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

/** Appends bytes to a growing buffer. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  /**
   * A writer whose first buffer holds `capacity` bytes (default 64). When the exact size is
   * known, giving it spares the buffer growth and the copy in {@link finish}.
   */
  constructor(capacity = 64) {
    this.buf = new Uint8Array(Math.max(1, capacity));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** One byte 0..255. */
  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  /** A non-negative safe integer as an unsigned LEB128 varint. */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new Error(`assertion failed: varint out of range: ${v}`);
    let x = v;
    while (x >= 0x80) {
      this.u8((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    return this.u8(x);
  }

  /** A length-prefixed byte string. */
  bytes(b: Uint8Array): this {
    this.varint(b.length);
    return this.raw(b);
  }

  /** Bytes without a length prefix. */
  raw(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /**
   * What was written: the buffer itself when it is exactly full (the writer lets go of it and
   * starts empty), else a copy of the written part.
   */
  finish(): Uint8Array {
    if (this.len !== this.buf.length) return this.buf.slice(0, this.len);
    const out = this.buf;
    this.buf = new Uint8Array(64);
    this.len = 0;
    return out;
  }
}

/** Reads what {@link ByteWriter} wrote; records the first error instead of throwing. */
export class ByteReader {
  private pos = 0;
  /** The first problem met, if any. */
  error: string | undefined = undefined;

  private readonly buf: Uint8Array;

  constructor(buf: Uint8Array) {
    this.buf = buf;
  }

  /** Records a problem (the first one wins). */
  fail(message: string): void {
    this.error ??= `${message} at byte ${this.pos}`;
  }

  /** Bytes not yet read. */
  remaining(): number {
    return this.buf.length - this.pos;
  }

  /** One byte. */
  u8(): number {
    if (this.error !== undefined) return 0;
    if (this.pos >= this.buf.length) {
      this.fail('truncated input');
      return 0;
    }
    return this.buf[this.pos++] ?? 0;
  }

  /** A boolean byte (0 or 1). */
  bool(): boolean {
    const b = this.u8();
    if (b > 1) this.fail(`bad boolean ${b}`);
    return b === 1;
  }

  /** An unsigned varint that must be a safe integer. */
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      if (this.error !== undefined) return 0;
      result += (b & 0x7f) * scale;
      if (result > MAX_SAFE) {
        this.fail('varint exceeds the safe integer range');
        return 0;
      }
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) this.fail('non-canonical varint');
        return result;
      }
      scale *= 0x80;
    }
    this.fail('varint too long');
    return 0;
  }

  /** A length-prefixed byte string (a copy). */
  bytes(): Uint8Array {
    const n = this.varint();
    return this.take(n);
  }

  /** The next `n` bytes (a copy). */
  take(n: number): Uint8Array {
    if (this.error !== undefined) return new Uint8Array(0);
    if (n > this.remaining()) {
      this.fail(`length ${n} exceeds the ${this.remaining()} bytes left`);
      return new Uint8Array(0);
    }
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed byte string, as a view of the input (no copy). */
  bytesView(): Uint8Array {
    const n = this.varint();
    return this.view(n);
  }

  /** The next `n` bytes as a view of the input (no copy). */
  view(n: number): Uint8Array {
    if (this.error !== undefined) return new Uint8Array(0);
    if (n > this.remaining()) {
      this.fail(`length ${n} exceeds the ${this.remaining()} bytes left`);
      return new Uint8Array(0);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The read position (bytes consumed so far). */
  get position(): number {
    return this.pos;
  }

  /** Everything left (a copy). */
  rest(): Uint8Array {
    return this.take(this.remaining());
  }

  /** Fails unless the input is exhausted. */
  end(): void {
    if (this.error === undefined && this.remaining() !== 0)
      this.fail(`${this.remaining()} trailing bytes`);
  }
}
