/**
 * `skiff controllers --kubeconfig FILE`: the controller manager and the scheduler against an
 * API server, until SIGINT/SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { CONTROLLER_NAMES } from '../controllers/manager.js';
import { ControllerMetrics } from '../controllers/shared/controller-metrics.js';
import { createLogger } from '../util/logger.js';
import { startControlPlane } from './control-plane.js';

const HELP = `Usage: skiff controllers --kubeconfig FILE [flags]

Runs the controller manager (${CONTROLLER_NAMES.join(', ')})
and the scheduler against an API server.

Flags:
  --kubeconfig FILE                 kubeconfig to reach the API server (required)
  --controllers a,b,...             controllers to run (default: all)
  --no-scheduler                    do not run the scheduler
  --no-controllers                  do not run the controller manager
  --leader-elect                    compete for the kube-system/skiff-controller-manager Lease
                                    (and the scheduler for kube-system/skiff-scheduler)
  --leader-elect-identity ID        identity in the Lease (default: hostname_pid)
  --lease-duration SECONDS          leader lease duration (default 15)
  --node-monitor-grace-period SEC   node lease age before NotReady (default 40)
  --pod-eviction-timeout SEC        wait before evicting pods of an unreachable node (default 300)
  --workers N                       workers per controller (default 4)
  --metrics-port PORT               serve Prometheus metrics on /metrics (default: off)
  --metrics-address ADDR            address for --metrics-port (default 127.0.0.1)
  -h, --help                        this help
`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      kubeconfig: { type: 'string' },
      controllers: { type: 'string' },
      'no-scheduler': { type: 'boolean' },
      'no-controllers': { type: 'boolean' },
      'leader-elect': { type: 'boolean' },
      'leader-elect-identity': { type: 'string' },
      'lease-duration': { type: 'string' },
      'node-monitor-grace-period': { type: 'string' },
      'pod-eviction-timeout': { type: 'string' },
      workers: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-address': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.kubeconfig) {
    process.stderr.write(`skiff controllers: --kubeconfig is required\n\n${HELP}`);
    return 2;
  }
  const log = createLogger('controllers');
  const seconds = (v: string | undefined) => (v === undefined ? undefined : Number(v) * 1000);
  const stoppers: Array<() => Promise<void>> = [];
  const metrics = new ControllerMetrics();
  if (values['metrics-port'] !== undefined) {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        res.end(text);
      });
    });
    await new Promise<void>((r) => server.listen(Number(values['metrics-port']), values['metrics-address'] ?? '127.0.0.1', r));
    const addr = server.address() as AddressInfo;
    log.info({ port: addr.port }, 'metrics listening');
    process.stdout.write(`skiff controllers: metrics on http://${addr.address}:${addr.port}/metrics\n`);
    stoppers.push(() => new Promise((r) => server.close(() => r())));
  }
  const controlPlane = await startControlPlane({
    kubeconfig: values.kubeconfig,
    logger: log,
    controllerManager: !values['no-controllers'],
    scheduler: !values['no-scheduler'],
    controllers: values.controllers?.split(',').map((s) => s.trim()).filter(Boolean),
    leaderElection: values['leader-elect'] === true,
    identity: values['leader-elect-identity'],
    leaseDurationMs: seconds(values['lease-duration']),
    nodeMonitorGracePeriodMs: seconds(values['node-monitor-grace-period']),
    podEvictionTimeoutMs: seconds(values['pod-eviction-timeout']),
    workers: values.workers ? Number(values.workers) : undefined,
    metrics,
  });
  stoppers.push(() => controlPlane.stop());
  log.info('controllers running');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const s of stoppers.reverse()) await s();
  return 0;
}
