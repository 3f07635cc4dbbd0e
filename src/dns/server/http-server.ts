/** `/metrics` (Prometheus text), `/health` (process up) and `/ready` (informers synced) on a separate port. */
import { createServer, type Server } from 'node:http';
import type { DnsMetrics } from '../metrics/dns-metrics.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  metrics: DnsMetrics;
  isReady(): boolean;
}

export class MetricsHttpServer {
  private server: Server | undefined;

  constructor(private readonly o: HttpServerOptions) {}

  async listen(): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/health' || path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/ready' || path === '/readyz') {
        const ok = this.o.isReady();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'informers not synced\n');
      } else if (path === '/metrics') {
        this.o.metrics.text().then(
          (text) => res.writeHead(200, { 'content-type': this.o.metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500).end(String(err)),
        );
      } else {
        res.writeHead(404).end('not found\n');
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}
