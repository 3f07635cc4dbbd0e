/**
 * Reads a kubeconfig file (the format kubectl writes) into the connection facts RestClient
 * needs. Only the current context is resolved; relative file paths are taken relative to the
 * kubeconfig's own directory, as kubectl does.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ConnectionConfig {
  /** `https://host:port` or `http://host:port`, optionally with a path prefix. */
  server: string;
  /** PEM CA bundle that signs the server certificate. */
  ca?: string;
  token?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
  insecure?: boolean;
  /** TLS server name override (`tls-server-name`). */
  serverName?: string;
  /** The context's default namespace (`default` when unset). */
  namespace?: string;
}

interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
}

interface RawUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
}

interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

interface RawKubeconfig {
  'current-context'?: string;
  clusters?: Array<{ name: string; cluster?: RawCluster }>;
  users?: Array<{ name: string; user?: RawUser }>;
  contexts?: Array<{ name: string; context?: RawContext }>;
}

function b64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

function named<E extends { name: string }>(entries: E[] | undefined, name: string | undefined): E | undefined {
  return name === undefined ? undefined : entries?.find((e) => e.name === name);
}

/** Parses kubeconfig text; `baseDir` resolves relative certificate/token paths. */
export async function parseKubeconfig(text: string, baseDir: string, contextName?: string): Promise<ConnectionConfig> {
  const raw = (parse(text) ?? {}) as RawKubeconfig;
  const ctxName = contextName ?? raw['current-context'] ?? raw.contexts?.[0]?.name;
  const ctx = named(raw.contexts, ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig: context ${JSON.stringify(ctxName)} not found`);
  const cluster = named(raw.clusters, ctx.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig: cluster ${JSON.stringify(ctx.cluster)} has no server`);
  const user: RawUser = named(raw.users, ctx.user)?.user ?? {};
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const out: ConnectionConfig = { server: cluster.server.replace(/\/+$/, '') };
  if (cluster['certificate-authority-data']) out.ca = b64(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) out.ca = await readFile(path(cluster['certificate-authority']), 'utf8');
  if (cluster['insecure-skip-tls-verify']) out.insecure = true;
  if (cluster['tls-server-name']) out.serverName = cluster['tls-server-name'];
  if (user.token) out.token = user.token;
  else if (user.tokenFile) out.token = (await readFile(path(user.tokenFile), 'utf8')).trim();
  if (user['client-certificate-data']) out.cert = b64(user['client-certificate-data']);
  else if (user['client-certificate']) out.cert = await readFile(path(user['client-certificate']), 'utf8');
  if (user['client-key-data']) out.key = b64(user['client-key-data']);
  else if (user['client-key']) out.key = await readFile(path(user['client-key']), 'utf8');
  if (ctx.namespace) out.namespace = ctx.namespace;
  return out;
}

export async function loadKubeconfig(file: string, contextName?: string): Promise<ConnectionConfig> {
  const text = await readFile(file, 'utf8');
  return parseKubeconfig(text, dirname(resolve(file)), contextName);
}
