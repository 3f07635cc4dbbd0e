/**
 * Built-in test servers (Kubernetes uses the "agnhost" image for the same job):
 *   skiff echo --text pay --port 80 [--host ADDR]   every HTTP request → "pay\n"; /healthz → "ok\n"
 *   skiff serve-hostname [--port 9376] [--host ADDR] every request → os.hostname() + "\n"
 *   skiff sleep [--seconds N] [--exit-code C]        sleeps (forever without --seconds), exits C
 * Servers listen on 0.0.0.0 unless --host is given (`--host '$POD_IP'` is expanded from the
 * environment); in host-mode pods (env SKIFF_NETWORK_MODE=host, set by the agent) they bind
 * $POD_IP by default, since all host-mode pods share one network namespace.
 * SIGTERM/SIGINT close the listener and exit 0. Kept tiny: they sit behind the proxy in
 * benchmarks, so each answer is a pre-encoded buffer.
 */
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';

const HELP: Record<string, string> = {
  echo: 'Usage: skiff echo [--text TEXT] [--port N] [--host ADDR] [--status CODE]\n  answers every HTTP request with TEXT and a newline; /healthz answers "ok", /hostname the hostname, /ip the pod IP\n',
  'serve-hostname': 'Usage: skiff serve-hostname [--port N] [--host ADDR]\n  answers every HTTP request with the hostname and a newline\n',
  sleep: 'Usage: skiff sleep [--seconds N] [--exit-code C]\n  sleeps N seconds (forever without --seconds), then exits with C (default 0)\n',
};

function expandHost(value: string | undefined): string | undefined {
  // Host-mode pods share the machine's network: bind the pod's loopback IP, not 0.0.0.0.
  if (!value) return process.env.SKIFF_NETWORK_MODE === 'host' && process.env.POD_IP ? process.env.POD_IP : undefined;
  return value.replace(/^\$\{?(\w+)\}?$/, (_m, name: string) => process.env[name] ?? '');
}

function serve(body: Buffer, port: number, host: string | undefined, status = 200): Promise<number> {
  const health = Buffer.from('ok\n');
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) };
  const healthHeaders = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(health.length) };
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, healthHeaders);
      res.end(health);
      return;
    }
    if (req.url === '/ip') {
      // The address this connection reached: the pod IP, in netns and host mode alike.
      const ip = Buffer.from(`${(req.socket.localAddress ?? '').replace(/^::ffff:/, '')}\n`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(ip.length) });
      res.end(ip);
      return;
    }
    if (req.url === '/hostname') {
      // Like agnhost's netexec: which pod answered (its hostname is the pod name).
      const name = Buffer.from(`${hostname()}\n`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(name.length) });
      res.end(name);
      return;
    }
    res.writeHead(status, headers);
    res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve) => {
    const stop = (): void => {
      server.close(() => resolve(0));
      server.closeAllConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    server.on('error', (err) => {
      process.stderr.write(`listen failed: ${err.message}\n`);
      resolve(1);
    });
    server.listen(port, host ?? '0.0.0.0', () => {
      const a = server.address();
      process.stdout.write(`listening on ${typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a)}\n`);
    });
  });
}

export async function run(args: string[], command: string): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      text: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      status: { type: 'string' },
      seconds: { type: 'string' },
      'exit-code': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(HELP[command] ?? '');
    return 0;
  }
  switch (command) {
    case 'echo':
      return serve(Buffer.from(`${values.text ?? 'echo'}\n`), Number(values.port ?? 8080), expandHost(values.host), Number(values.status ?? 200));
    case 'serve-hostname':
      return serve(Buffer.from(`${hostname()}\n`), Number(values.port ?? 9376), expandHost(values.host));
    case 'sleep': {
      const code = Number(values['exit-code'] ?? 0);
      const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
      return new Promise((resolve) => {
        const timer = seconds === undefined ? setInterval(() => {}, 1 << 30) : setTimeout(() => resolve(code), seconds * 1000);
        const stop = (): void => {
          clearTimeout(timer);
          clearInterval(timer);
          resolve(0);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    }
    default:
      process.stderr.write(`unknown test server "${command}"\n`);
      return 2;
  }
}
