/**
 * Authentication (bearer tokens) and the authorization seam.
 *
 * Tokens live in DIR/tokens.csv (mode 0600), one `token,user,uid,groups` line each like
 * kube-apiserver's static token file; they are made once and kept across restarts. Each
 * component gets its own identity so RBAC (a later issue) can tell them apart.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile, chmod } from 'node:fs/promises';

export interface UserInfo {
  name: string;
  uid: string;
  groups: string[];
}

/** The identities `skiff server` provisions: admin for kubectl, one per component. */
export const COMPONENT_USERS = {
  admin: { name: 'skiff:admin', groups: ['system:masters', 'system:authenticated'] },
  agent: { name: 'system:node:skiff-agent', groups: ['system:nodes', 'system:authenticated'] },
  dns: { name: 'system:skiff:dns', groups: ['system:authenticated'] },
  proxy: { name: 'system:kube-proxy', groups: ['system:authenticated'] },
  controllers: { name: 'system:kube-controller-manager', groups: ['system:authenticated'] },
} as const;

export type ComponentName = keyof typeof COMPONENT_USERS;

export interface TokenFile {
  tokens: Map<string, UserInfo>;
  byComponent: Record<ComponentName, string>;
}

export async function ensureTokens(path: string): Promise<TokenFile> {
  const byComponent = {} as Record<ComponentName, string>;
  const tokens = new Map<string, UserInfo>();
  const existing = existsSync(path) ? await readFile(path, 'utf8') : '';
  for (const line of existing.split('\n')) {
    const [token, name, uid, groups] = line.split(',');
    if (!token || !name || !uid) continue;
    tokens.set(token, { name, uid, groups: groups ? groups.split(';').filter(Boolean) : [] });
    const comp = (Object.keys(COMPONENT_USERS) as ComponentName[]).find((c) => uid === `skiff-${c}`);
    if (comp) byComponent[comp] = token;
  }
  let changed = false;
  for (const comp of Object.keys(COMPONENT_USERS) as ComponentName[]) {
    if (byComponent[comp]) continue;
    const token = randomBytes(24).toString('base64url');
    const u = COMPONENT_USERS[comp];
    tokens.set(token, { name: u.name, uid: `skiff-${comp}`, groups: [...u.groups] });
    byComponent[comp] = token;
    changed = true;
  }
  if (changed) {
    const lines = [...tokens].map(([t, u]) => `${t},${u.name},${u.uid},${u.groups.join(';')}`);
    await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  await chmod(path, 0o600);
  return { tokens, byComponent };
}

/** Returns the user of a request's `Authorization: Bearer` header, or undefined (anonymous). */
export function authenticate(tokens: Map<string, UserInfo>, header: string | undefined): UserInfo | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  return tokens.get(m[1]!);
}

/** What a request wants to do, for authorization. */
export interface AuthorizationAttributes {
  verb: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** For non-resource requests: the path. */
  path?: string;
}

/** The RBAC seam: return false to answer 403. */
export type Authorizer = (user: UserInfo, attrs: AuthorizationAttributes) => boolean | Promise<boolean>;

export const allowAll: Authorizer = () => true;
