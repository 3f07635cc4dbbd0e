/** A tiny DNS client for tests: one query over UDP or TCP to 127.0.0.1, decoded answer. */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { RRClass } from '../wire/constants.js';
import { decodeMessage } from '../wire/decoder.js';
import { encodeMessage } from '../wire/encoder.js';
import { emptyMessage, type Message } from '../wire/message.js';

export interface QueryOptions {
  tcp?: boolean;
  /** EDNS UDP payload size; omitted = no OPT. */
  edns?: number;
  dnssecOk?: boolean;
  id?: number;
  host?: string;
  timeoutMs?: number;
}

export function buildQuery(name: string, type: number, o: QueryOptions = {}): Buffer {
  return encodeMessage(
    emptyMessage({
      id: o.id ?? 0x1234,
      rd: true,
      questions: [{ name, type, class: RRClass.IN }],
      ...(o.edns !== undefined ? { edns: { udpSize: o.edns, extendedRcode: 0, version: 0, dnssecOk: o.dnssecOk ?? false, options: [] } } : {}),
    }),
  );
}

export function sendRaw(port: number, packet: Buffer, o: QueryOptions = {}): Promise<Buffer | undefined> {
  const host = o.host ?? '127.0.0.1';
  const timeoutMs = o.timeoutMs ?? 2000;
  if (o.tcp) {
    return new Promise((resolve) => {
      const sock = connect({ host, port });
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(undefined);
      }, timeoutMs);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(packet.length);
        sock.write(Buffer.concat([len, packet]));
      });
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
      sock.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  }
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (msg) => {
      clearTimeout(timer);
      s.close();
      resolve(msg);
    });
    s.send(packet, port, host);
  });
}

export async function query(port: number, name: string, type: number, o: QueryOptions = {}): Promise<Message> {
  const raw = await sendRaw(port, buildQuery(name, type, o), o);
  if (!raw) throw new Error(`no answer for ${name} ${type}`);
  return decodeMessage(raw);
}
