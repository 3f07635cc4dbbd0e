import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { controlFrame, FrameType, SPDY3_DICTIONARY, SpdySession, type SpdyStream } from './spdy.js';

test('the SPDY/3 dictionary is the protocol constant (adler32 0xe3c6a7c2, as Go clients announce it)', () => {
  // zlib's FDICT header carries adler32(dictionary); compute it over our bytes.
  let a = 1;
  let b = 0;
  for (const byte of SPDY3_DICTIONARY) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  assert.equal(((b << 16) | a) >>> 0, 0xe3c6a7c2);
});

test('decodes a header block compressed with the dictionary and answers SYN_REPLY; streams carry data both ways', async () => {
  const toClient: Buffer[] = [];
  const server = new SpdySession((b) => toClient.push(b));
  const opened: SpdyStream[] = [];
  const received: string[] = [];
  server.on('stream', (s: SpdyStream) => {
    opened.push(s);
    s.on('data', (d) => received.push(d.toString()));
    s.on('end', () => received.push('<fin>'));
  });
  // A client that compresses like Go does: one deflate stream with the dictionary, sync-flushed.
  const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const compress = (raw: Buffer): Promise<Buffer> =>
    new Promise((resolve) => {
      const out: Buffer[] = [];
      const on = (d: Buffer): void => {
        out.push(d);
      };
      deflate.on('data', on);
      deflate.write(raw);
      deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', on);
        resolve(Buffer.concat(out));
      });
    });
  const block = (h: Record<string, string>): Buffer => {
    const parts: Buffer[] = [];
    const u32 = (n: number): Buffer => {
      const x = Buffer.alloc(4);
      x.writeUInt32BE(n);
      return x;
    };
    parts.push(u32(Object.keys(h).length));
    for (const [k, v] of Object.entries(h)) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
    return Buffer.concat(parts);
  };
  const syn = async (id: number, h: Record<string, string>): Promise<Buffer> => {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    return controlFrame(FrameType.SYN_STREAM, 0, Buffer.concat([head, await compress(block(h))]));
  };
  const f1 = await syn(1, { streamtype: 'error', port: '80', requestid: '0' });
  const f3 = await syn(3, { streamtype: 'data', port: '80', requestid: '0' });
  const data = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 5]), Buffer.from('hello'), Buffer.from([0, 0, 0, 3, 1, 0, 0, 0])]);
  // Frames split at awkward places must reassemble.
  const all = Buffer.concat([f1, f3, data]);
  for (let i = 0; i < all.length; i += 7) server.receive(all.subarray(i, i + 7));
  await server.idle();
  assert.deepEqual(opened.map((s) => s.headers), [
    { streamtype: 'error', port: '80', requestid: '0' },
    { streamtype: 'data', port: '80', requestid: '0' },
  ]);
  assert.deepEqual(received, ['hello', '<fin>']);
  // Our replies decode with a standard inflater (they continue one zlib stream).
  const replies = toClient.filter((f) => f.readUInt16BE(2) === FrameType.SYN_REPLY);
  assert.equal(replies.length, 2);
  const inflate = zlib.createInflate();
  const outs: Buffer[] = [];
  inflate.on('data', (d: Buffer) => outs.push(d));
  for (const r of replies) inflate.write(r.subarray(12));
  await new Promise((r) => inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r(undefined)));
  assert.deepEqual(Buffer.concat(outs), Buffer.alloc(8)); // two blocks of "0 headers"
  // Sending data and FIN from the server.
  toClient.length = 0;
  server.send(3, Buffer.from('world'), true);
  assert.equal(toClient[0]!.readUInt32BE(0), 3);
  assert.equal(toClient[0]![4], 1, 'FIN flag');
  assert.equal(toClient[0]!.subarray(8).toString(), 'world');
  // PING is echoed.
  toClient.length = 0;
  server.receive(controlFrame(FrameType.PING, 0, Buffer.from([0, 0, 0, 7])));
  await server.idle();
  assert.deepEqual(toClient[0], controlFrame(FrameType.PING, 0, Buffer.from([0, 0, 0, 7])));
});

test('a corrupt header block closes the session instead of throwing', async () => {
  const server = new SpdySession(() => {});
  let closed = false;
  server.on('close', () => (closed = true));
  const head = Buffer.alloc(10);
  head.writeUInt32BE(1, 0);
  server.receive(controlFrame(FrameType.SYN_STREAM, 0, Buffer.concat([head, Buffer.from('not zlib at all')])));
  await server.idle();
  assert.equal(closed, true);
  assert.ok(server.lastError);
});
