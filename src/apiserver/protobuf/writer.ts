/**
 * A minimal protobuf writer: fields are appended in call order and `message()` nests a
 * sub-writer as a length-delimited field. Used to serve documents kubectl only reads as
 * protobuf (OpenAPI v2); pure, allocation-light, no schema of its own.
 */
export class ProtoWriter {
  private parts: Buffer[] = [];

  private static varint(value: bigint | number): Buffer {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    return Buffer.from(out);
  }

  private tag(field: number, wireType: number): void {
    this.parts.push(ProtoWriter.varint((field << 3) | wireType));
  }

  /** A string field; empty strings are skipped (proto3 default). */
  string(field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.bytes(field, Buffer.from(v, 'utf8'));
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, 2);
    this.parts.push(ProtoWriter.varint(value.length), value);
    return this;
  }

  /** A varint field (int32/int64/bool); zero/false is skipped (proto3 default). */
  varintField(field: number, value: number | boolean | undefined): this {
    if (value === undefined || value === 0 || value === false) return this;
    this.tag(field, 0);
    this.parts.push(ProtoWriter.varint(typeof value === 'boolean' ? 1 : value));
    return this;
  }

  /** A nested message written by `fill`; written even when empty (presence matters for oneofs). */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.bytes(field, w.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
