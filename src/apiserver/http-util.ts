/**
 * Small HTTP helpers shared by every handler: reading a bounded body, writing JSON and Status
 * answers, and the headers every answer carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../api/status-error.js';

/** kube-apiserver refuses request bodies over 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new StatusError('RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new StatusError('RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(new StatusError('BadRequest', `error reading request body: ${err.message}`));
      failed = true;
    });
  });
}

export function baseHeaders(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-cache, private');
}

export function sendRaw(res: ServerResponse, code: number, contentType: string, body: string | Buffer): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = code;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, contentType, JSON.stringify(body));
}

export function sendStatusError(res: ServerResponse, err: StatusError): void {
  sendJson(res, err.code, err.toStatus());
}

/** A `Success` Status (what some deletes and bindings answer). */
export function successStatus(code: number, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code, ...(details ? { details } : {}) };
}

/** One media type of an Accept or Content-Type header, parameters lower-cased by name. */
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  const out: MediaType[] = [];
  for (const part of header.split(',')) {
    const [type, ...rest] = part.split(';');
    const t = (type ?? '').trim().toLowerCase();
    if (!t) continue;
    const params: Record<string, string> = {};
    for (const p of rest) {
      const i = p.indexOf('=');
      if (i < 0) continue;
      params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    out.push({ type: t, params });
  }
  return out;
}

export function mediaTypeOf(header: string | undefined): string {
  return parseMediaTypes(header)[0]?.type ?? '';
}
