/** Presentation strings for records and messages, so table-driven tests compare readable text. */
import { rcodeName, RRType, typeName } from '../wire/constants.js';
import type { Message, MxData, ResourceRecord, SoaData, SrvData } from '../wire/message.js';

export function formatRecord(rr: ResourceRecord, withTtl = false): string {
  let data: string;
  switch (rr.type) {
    case RRType.SOA: {
      const s = rr.data as SoaData;
      data = `${s.mname}. ${s.rname}. ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
      break;
    }
    case RRType.SRV: {
      const s = rr.data as SrvData;
      data = `${s.priority} ${s.weight} ${s.port} ${s.target}.`;
      break;
    }
    case RRType.MX: {
      const m = rr.data as MxData;
      data = `${m.preference} ${m.exchange}.`;
      break;
    }
    case RRType.TXT:
      data = (rr.data as string[]).map((s) => JSON.stringify(s)).join(' ');
      break;
    case RRType.CNAME:
    case RRType.PTR:
    case RRType.NS:
      data = `${rr.data as string}.`;
      break;
    default:
      data = Buffer.isBuffer(rr.data) ? rr.data.toString('hex') : String(rr.data);
  }
  return `${rr.name}.${withTtl ? ` ${rr.ttl}` : ''} ${typeName(rr.type)} ${data}`;
}

export interface FormattedMessage {
  rcode: string;
  answers: string[];
  authority: string[];
  additional: string[];
}

export function formatMessage(m: Message, withTtl = false): FormattedMessage {
  const f = (l: ResourceRecord[]): string[] => l.map((r) => formatRecord(r, withTtl)).sort();
  return { rcode: rcodeName(m.rcode), answers: f(m.answers), authority: f(m.authority), additional: f(m.additional) };
}
