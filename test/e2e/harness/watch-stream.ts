/** Opens a raw watch stream and collects its events (one JSON object per line). */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import { pollUntil } from './poll.js';

export interface WatchEventLine {
  type: string;
  object: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } };
}

export interface WatchStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  events: WatchEventLine[];
  ended: boolean;
  /** Waits until at least n events arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<WatchEventLine[]>;
  waitEnded(timeoutMs?: number): Promise<void>;
  close(): void;
}

export function openWatch(server: { url: string; caPem: string }, path: string, token: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(`${server.url}${path}`, { ca: server.caPem, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      let buf = '';
      const stream: WatchStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        ended: false,
        waitFor: (n, timeoutMs = 5000) => pollUntil(() => (stream.events.length >= n ? stream.events : undefined), { timeoutMs, what: `${n} watch events (have ${JSON.stringify(stream.events)})`, intervalMs: 10 }),
        waitEnded: async (timeoutMs = 5000) => {
          await pollUntil(() => stream.ended, { timeoutMs, what: 'the watch to end', intervalMs: 10 });
        },
        close: () => req?.destroy(),
      };
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (line) stream.events.push(JSON.parse(line) as WatchEventLine);
        }
      });
      res.on('end', () => (stream.ended = true));
      res.on('close', () => (stream.ended = true));
      res.on('error', () => (stream.ended = true));
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}
