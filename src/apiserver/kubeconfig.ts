/** Writes the kubeconfig files clients use: admin for kubectl, one per component. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ComponentName } from './auth.js';

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  token: string;
  user: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'skiff', cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caPem).toString('base64') } }],
    users: [{ name: o.user, user: { token: o.token } }],
    contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: o.user, namespace: 'default' } }],
    'current-context': 'skiff',
    preferences: {},
  });
}

/** DIR/kubeconfig (admin) and DIR/components/<name>.kubeconfig, all mode 0600. */
export async function writeKubeconfigs(dataDir: string, server: string, caPem: string, tokens: Record<ComponentName, string>): Promise<void> {
  await mkdir(join(dataDir, 'components'), { recursive: true, mode: 0o700 });
  await writeFile(join(dataDir, 'kubeconfig'), renderKubeconfig({ server, caPem, token: tokens.admin, user: 'admin' }), { mode: 0o600 });
  for (const comp of ['agent', 'dns', 'proxy', 'controllers'] as const) {
    await writeFile(join(dataDir, 'components', `${comp}.kubeconfig`), renderKubeconfig({ server, caPem, token: tokens[comp], user: comp }), {
      mode: 0o600,
    });
  }
}
