/** Raw HTTPS calls to a test API server (method, path, body, headers), for protocol-level checks. */
import { request } from 'node:https';

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ApiCallOptions {
  method?: string;
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** Bearer token; omit for an anonymous call. */
  token?: string;
  timeoutMs?: number;
}

export function apiCall(server: { url: string; caPem: string }, path: string, o: ApiCallOptions = {}): Promise<ApiAnswer> {
  const body = o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: o.method ?? 'GET', ca: server.caPem, headers, timeout: o.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
