/**
 * `skiff` entry point: dispatches to one module per subcommand (`src/cmd/<name>.ts`, each
 * exporting `run(args): Promise<number>`), loaded lazily so `skiff dns` never loads SQLite.
 */
import { readFileSync } from 'node:fs';

interface Subcommand {
  file: string;
  summary: string;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  up: { file: 'up', summary: 'start a whole single-node cluster (API server, controllers, scheduler, agent, DNS, proxy)' },
  server: { file: 'server', summary: 'run the API server (and controllers + scheduler unless --no-controllers)' },
  agent: { file: 'agent', summary: 'run the node agent: registers a Node and runs its pods as processes' },
  dns: { file: 'dns', summary: 'run the cluster DNS server' },
  proxy: { file: 'proxy', summary: 'run the service proxy (userspace | nftables | iptables)' },
  controllers: { file: 'controllers', summary: 'run the controller manager and scheduler against an API server' },
  dashboard: { file: 'dashboard', summary: 'serve the web dashboard' },
  'serve-hostname': { file: 'test-servers', summary: 'test server: answers HTTP with the pod hostname' },
  echo: { file: 'test-servers', summary: 'test server: answers HTTP with fixed text (--text pay --port 80)' },
  sleep: { file: 'test-servers', summary: 'test server: sleeps (optionally exits with --exit-code after --seconds)' },
  version: { file: 'version', summary: 'print the version' },
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length));
  const lines = Object.entries(SUBCOMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'skiff: Kubernetes-compatible service registration, discovery and load balancing for processes',
    '',
    'Usage: skiff <command> [flags]     (skiff <command> --help for its flags)',
    '',
    'Commands:',
    ...lines,
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`skiff v${packageVersion()} (node ${process.version})\n`);
    return 0;
  }
  const sub = SUBCOMMANDS[name];
  if (!sub) {
    process.stderr.write(`skiff: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  let mod: { run(args: string[], command: string): Promise<number> };
  try {
    mod = (await import(`./${sub.file}.js`)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`/cmd/${sub.file}.js`)) {
      process.stderr.write(`skiff: "${name}" is not available in this build yet\n`);
      return 2;
    }
    throw err;
  }
  return mod.run(rest, name);
}
