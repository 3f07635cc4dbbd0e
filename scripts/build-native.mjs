#!/usr/bin/env node
// Builds the Node-API addons (today: the DNS server's batched UDP I/O) with the system C
// compiler, straight from Node's own headers: no node-gyp, so no download of headers.
// Output: build/native/<name>.node (git-ignored). Not Linux, no compiler or no headers → one
// line and exit 0: the servers then use their plain Node fallback. A compile error on Linux
// fails the build (it is a bug, not a missing tool).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ADDONS = [{ name: 'udp-batch', source: 'src/dns/server/native/udp-batch.c' }];
const cc = process.env.CC ?? 'cc';
const includeDir = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) => existsSync(join(d, 'node_api.h')));

// recvmmsg / sendmmsg are Linux system calls.
const missing =
  process.platform !== 'linux' ? `not Linux (${process.platform})` : !includeDir ? 'no node_api.h' : spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0 ? `no C compiler "${cc}"` : undefined;
if (missing) {
  console.log(`build-native: skipped (${missing}); the DNS server uses its dgram fallback`);
  process.exit(0);
}
mkdirSync(join(root, 'build', 'native'), { recursive: true });
for (const a of ADDONS) {
  const out = join(root, 'build', 'native', `${a.name}.node`);
  // Node-API symbols are resolved from the node binary at load time: allow them undefined.
  const args = ['-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-fvisibility=hidden', `-I${includeDir}`, '-o', out, join(root, a.source), '-Wl,--unresolved-symbols=ignore-all'];
  const r = spawnSync(cc, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-native: ${a.name} failed to compile`);
    process.exit(1);
  }
  console.log(`build-native: ${out}`);
}
