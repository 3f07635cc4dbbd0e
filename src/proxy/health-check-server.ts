import { createServer, type Server } from 'node:http';
import type { ProxySnapshot } from './types.js';

interface Entry {
  namespace: string;
  name: string;
  localEndpoints: number;
}

interface Listener {
  server: Server;
  entry: Entry;
}

/**
 * The `healthCheckNodePort` servers of Services with `externalTrafficPolicy: Local`: a load
 * balancer polls them to learn which nodes have local endpoints. Answers like kube-proxy:
 * 200 with local endpoints, 503 without, and the JSON body
 * `{"service":{"namespace":..,"name":..},"localEndpoints":N,"serviceProxyHealthy":true}`.
 * The counts are updated in place after each sync; servers open and close as Services come and go.
 */
export class HealthCheckServers {
  private readonly listeners = new Map<number, Listener>();

  constructor(private readonly bindAddress: string) {}

  async update(snapshot: ProxySnapshot): Promise<void> {
    const want = new Map<number, Entry>();
    for (const s of snapshot.ports.values()) {
      if (!s.healthCheckNodePort) continue;
      const e = want.get(s.healthCheckNodePort);
      // Several ports of one Service share its health check port; report the best-served one.
      if (!e || s.localEndpointCount > e.localEndpoints)
        want.set(s.healthCheckNodePort, { namespace: s.namespace, name: s.name, localEndpoints: s.localEndpointCount });
    }
    for (const [port, l] of this.listeners) {
      if (!want.has(port)) {
        this.listeners.delete(port);
        await new Promise<void>((r) => l.server.close(() => r()));
      }
    }
    for (const [port, entry] of want) {
      const have = this.listeners.get(port);
      if (have) {
        have.entry.namespace = entry.namespace;
        have.entry.name = entry.name;
        have.entry.localEndpoints = entry.localEndpoints;
        continue;
      }
      const listener: Listener = { entry, server: createServer((_req, res) => {
        const e = listener.entry;
        const body = JSON.stringify({ service: { namespace: e.namespace, name: e.name }, localEndpoints: e.localEndpoints, serviceProxyHealthy: true });
        res.writeHead(e.localEndpoints > 0 ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
        res.end(body);
      }) };
      this.listeners.set(port, listener);
      await new Promise<void>((resolve) => {
        listener.server.once('error', () => resolve()); // port taken: reported as missing, retried next update
        listener.server.listen(port, this.bindAddress, () => resolve());
      });
      if (!listener.server.listening) this.listeners.delete(port);
    }
  }

  ports(): number[] {
    return [...this.listeners.keys()];
  }

  async close(): Promise<void> {
    for (const l of this.listeners.values()) await new Promise<void>((r) => l.server.close(() => r()));
    this.listeners.clear();
  }
}
