// Helper processes run inside test network namespaces (`ip netns exec NS node netns-tools.mjs ...`).
// Plain JS so they start fast. Every mode is bounded in time.
import { createServer, request } from 'node:http';
import { createSocket } from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);
setTimeout(() => process.exit(3), 90_000).unref(); // hard bound for any helper

if (mode === 'serve') {
  // serve NAME: HTTP :8080 (`/` → NAME, `/ip` → client address) and UDP :5353 (→ NAME)
  const name = args[0];
  const http = createServer((req, res) => res.end(req.url === '/ip' ? req.socket.remoteAddress : name));
  http.keepAliveTimeout = 100;
  const udp = createSocket('udp4');
  udp.on('message', (_m, r) => udp.send(name, r.port, r.address));
  let ready = 0;
  const up = () => { if (++ready === 2) process.stdout.write('ready\n'); };
  http.listen(8080, '0.0.0.0', up);
  udp.bind(5353, '0.0.0.0', up);
  setTimeout(() => process.exit(0), 85_000).unref();
  process.on('SIGTERM', () => process.exit(0));
} else if (mode === 'http') {
  // http HOST PORT PATH COUNT [PAUSE_MS]: sequential GETs on fresh connections; prints a JSON array
  const [host, port, path, count, pause] = args;
  const out = [];
  const one = () => new Promise((resolve) => {
    const req = request({ host, port: Number(port), path, agent: false, timeout: 1500 }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e) => resolve(`ERR:${e.code ?? e.message}`));
    req.end();
  });
  for (let i = 0; i < Number(count); i++) {
    const t0 = Date.now();
    out.push(await one());
    if (pause) await new Promise((r) => setTimeout(r, Number(pause)));
    if (Date.now() - t0 > 5000) break;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
} else if (mode === 'udp-loop') {
  // udp-loop HOST PORT: one socket (fixed source port), a query every 50 ms; prints "reply NAME" / "err CODE"
  const [host, port] = args;
  const s = createSocket('udp4');
  s.on('message', (m) => process.stdout.write(`reply ${m.toString()}\n`));
  s.on('error', (e) => process.stdout.write(`err ${e.code}\n`));
  s.bind(0, () => {
    const t = setInterval(() => s.send('q', Number(port), host), 50);
    setTimeout(() => { clearInterval(t); process.exit(0); }, 60_000).unref();
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
