// Runs the Skiff userspace backend with a fixed snapshot, for the throughput benchmark:
//   npx tsx bench/proxy/userspace-server.ts LISTEN_HOST LISTEN_PORT BACKEND_HOST BACKEND_PORT [WORKERS] [libuv|net]
// With WORKERS > 1, node:cluster workers share the listening socket and the kernel spreads
// accepted connections (SCHED_NONE), the only multi-core option without SO_REUSEPORT on Node 20.
import cluster from 'node:cluster';
import { UserspaceBackend } from '../../src/proxy/userspace/userspace-backend.js';
import type { ServicePortState } from '../../src/proxy/types.js';

const [host, port, bHost, bPort, workersArg, engineArg] = process.argv.slice(2);
const workers = Number(workersArg ?? 1);
const tcpEngine = engineArg === 'net' ? 'net' : 'libuv';

async function serve(): Promise<void> {
  const ep = { ip: bHost!, port: Number(bPort), ready: true, serving: true, terminating: false, isLocal: true };
  const s: ServicePortState = {
    id: 'bench/nginx:/TCP', namespace: 'bench', name: 'nginx', portName: '', protocol: 'TCP', port: Number(port),
    clusterIPs: [host!], nodePort: 0, loadBalancerIPs: [], externalIPs: [], affinityTimeoutSeconds: 0,
    externalPolicyLocal: false, internalPolicyLocal: false, healthCheckNodePort: 0,
    endpoints: [ep], clusterEndpoints: [ep], externalEndpoints: [ep], localEndpointCount: 1,
  };
  const backend = new UserspaceBackend({ addressMode: 'loopback', nodeIPs: [], tcpEngine });
  await backend.sync({ nodeName: 'n', ports: new Map([[s.id, s]]) }, [], true);
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void backend.stop().then(() => process.exit(0)));
}

if (workers > 1 && cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork();
    w.on('message', (m) => {
      if (m === 'ready' && ++ready === workers) process.stdout.write('ready\n');
    });
  }
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  });
} else if (workers > 1) {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (chunk === 'ready\n' ? (process.send!('ready'), true) : write(chunk))) as typeof process.stdout.write;
  await serve();
} else {
  await serve();
}
