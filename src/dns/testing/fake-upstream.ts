/**
 * A minimal upstream resolver for forwarding tests (the network rule: tests forward only to a
 * server they started on 127.0.0.x). Answers A records from a table, NXDOMAIN with an SOA
 * otherwise; names in `big` get 100 A records (truncated over UDP, full over TCP).
 */
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { Rcode, RRType } from '../wire/constants.js';
import { decodeMessage } from '../wire/decoder.js';
import { encodeMessage } from '../wire/encoder.js';
import { emptyMessage, type Message } from '../wire/message.js';

export class FakeUpstream {
  readonly records = new Map<string, string>();
  readonly big = new Set<string>();
  readonly seen: string[] = [];
  tcpQueries = 0;
  /** When set, queries are not answered (timeouts). */
  silent = false;
  /** UDP answers wait this long (queries stay in flight in the server meanwhile). */
  delayMs = 0;
  private udp: Socket | undefined;
  private tcp: Server | undefined;
  port = 0;

  constructor(readonly host = '127.0.0.1') {}

  private answer(q: Message, tcp: boolean): Buffer {
    const question = q.questions[0]!;
    const lower = question.name.toLowerCase();
    this.seen.push(lower);
    const m = emptyMessage({ id: q.id, qr: true, rd: q.rd, ra: true, questions: q.questions, ...(q.edns ? { edns: { ...q.edns, dnssecOk: false, options: [] } } : {}) });
    if (this.big.has(lower) && question.type === RRType.A) {
      for (let i = 0; i < 100; i++) m.answers.push({ name: question.name, type: RRType.A, class: 1, ttl: 60, data: `192.0.2.${i + 1}` });
    } else if (this.records.has(lower) && question.type === RRType.A) {
      m.answers.push({ name: question.name, type: RRType.A, class: 1, ttl: 60, data: this.records.get(lower)! });
    } else if (!this.records.has(lower) && !this.big.has(lower)) {
      m.rcode = Rcode.NXDOMAIN;
      m.authority.push({ name: '', type: RRType.SOA, class: 1, ttl: 30, data: { mname: 'a.root', rname: 'n.root', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 20 } });
    }
    const out = encodeMessage(m);
    if (!tcp && out.length > (q.edns?.udpSize ?? 512)) {
      return encodeMessage({ ...m, tc: true, answers: [], authority: [] });
    }
    return out;
  }

  /** UDP and TCP on the same port (port 0 picks it from UDP; retried when TCP finds it taken). */
  async start(): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (err) {
        this.udp?.close();
        if (attempt >= 5) throw err;
      }
    }
  }

  private async startOnce(): Promise<number> {
    const udp = createSocket('udp4');
    this.udp = udp;
    await new Promise<void>((r) => udp.bind(0, this.host, () => r()));
    this.port = udp.address().port;
    // A server forwarding a batch of queries sends them in one burst: a default-sized buffer
    // (~200 datagrams) would drop some and turn them into timeouts.
    udp.setRecvBufferSize(4 * 1024 * 1024);
    udp.on('message', (msg, rinfo) => {
      if (this.silent) return;
      let out: Buffer;
      try {
        out = this.answer(decodeMessage(msg), false);
      } catch {
        return; // ignore garbage
      }
      if (this.delayMs > 0) setTimeout(() => this.udp === udp && udp.send(out, rinfo.port, rinfo.address), this.delayMs);
      else udp.send(out, rinfo.port, rinfo.address);
    });
    const tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => sock.destroy());
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const n = buf.readUInt16BE(0);
          this.tcpQueries++;
          const out = this.answer(decodeMessage(buf.subarray(2, 2 + n)), true);
          buf = buf.subarray(2 + n);
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        }
      });
    });
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.port, this.host, () => resolve());
    });
    return this.port;
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }
}
