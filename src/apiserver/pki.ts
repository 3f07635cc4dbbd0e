/**
 * The cluster's CA and the API server's serving certificate, made with the machine's `openssl`
 * (through the injected Exec) on first start and reused afterwards, like k3s does under its
 * data dir. ECDSA P-256 keeps generation fast (a few ms per key).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile, chmod, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exec } from '../util/exec.js';

export interface Pki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface PkiOptions {
  dir: string;
  exec: Exec;
  /** IP addresses and DNS names the serving certificate must cover. */
  ips: string[];
  dnsNames: string[];
}

const CA_DAYS = 3650;
const SERVING_DAYS = 825;

export async function ensurePki(options: PkiOptions): Promise<Pki> {
  const { dir, exec } = options;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caKey = join(dir, 'ca.key');
  const caCrt = join(dir, 'ca.crt');
  const key = join(dir, 'apiserver.key');
  const crt = join(dir, 'apiserver.crt');
  const sansFile = join(dir, 'apiserver.sans');
  const sans = subjectAltNames(options);

  if (!existsSync(caKey) || !existsSync(caCrt)) {
    await exec('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    await chmod(caKey, 0o600);
    await exec('openssl', ['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', String(CA_DAYS), '-subj', '/CN=skiff-ca', '-out', caCrt,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
    await rm(crt, { force: true });
  }
  // Re-issue the serving certificate when the names it must cover changed (new bind address).
  const previousSans = existsSync(sansFile) ? await readFile(sansFile, 'utf8') : '';
  if (!existsSync(key) || !existsSync(crt) || previousSans !== sans) {
    const csr = join(dir, 'apiserver.csr');
    const ext = join(dir, 'apiserver.ext');
    await exec('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    await chmod(key, 0o600);
    await exec('openssl', ['req', '-new', '-key', key, '-subj', '/CN=kube-apiserver', '-out', csr]);
    await writeFile(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
    await exec('openssl', ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-sha256', '-days', String(SERVING_DAYS),
      '-extfile', ext, '-out', crt]);
    await writeFile(sansFile, sans);
    await rm(csr, { force: true });
  }
  const [caPem, certPem, keyPem] = await Promise.all([readFile(caCrt, 'utf8'), readFile(crt, 'utf8'), readFile(key, 'utf8')]);
  return { caPem, certPem, keyPem };
}

function subjectAltNames(options: PkiOptions): string {
  const ips = [...new Set(options.ips.filter((ip) => ip && ip !== '0.0.0.0' && ip !== '::'))];
  const names = [...new Set(options.dnsNames)];
  return [...ips.map((ip) => `IP:${ip}`), ...names.map((n) => `DNS:${n}`)].join(',');
}
