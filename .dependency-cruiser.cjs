/**
 * Dependency direction (docs/architecture.md):
 *   cmd -> components -> client -> api -> util,  apiserver -> storage (interface)
 * Only cmd/ picks concrete backends; sibling backends never import each other.
 */
const components = ['controllers', 'scheduler', 'agent', 'dns', 'proxy', 'dashboard', 'network'];

module.exports = {
  forbidden: [
    { name: 'util-is-a-leaf', severity: 'error', from: { path: '^src/util/' }, to: { path: '^src/(?!util/)' } },
    { name: 'api-only-util', severity: 'error', from: { path: '^src/api/' }, to: { path: '^src/(?!api/|util/)' } },
    { name: 'storage-only-api-util', severity: 'error', from: { path: '^src/storage/' }, to: { path: '^src/(?!storage/|api/|util/)' } },
    {
      name: 'storage-backends-are-independent',
      severity: 'error',
      from: { path: '^src/storage/(memory|sqlite|etcd)/' },
      to: { path: '^src/storage/(memory|sqlite|etcd)/', pathNot: '^src/storage/$1/' },
    },
    {
      name: 'apiserver-uses-storage-interface-not-backends',
      severity: 'error',
      from: { path: '^src/apiserver/' },
      to: { path: '^src/(?!apiserver/|storage/storage|storage/[^/]+\\.ts$|api/|util/)' },
    },
    { name: 'client-only-api-util', severity: 'error', from: { path: '^src/client/' }, to: { path: '^src/(?!client/|api/|util/)' } },
    {
      name: 'components-never-import-each-other-or-servers',
      severity: 'error',
      from: { path: `^src/(${components.join('|')})/` },
      to: { path: '^src/(cmd|apiserver|storage)/' },
    },
    {
      name: 'network-only-util',
      severity: 'error',
      from: { path: '^src/network/' },
      to: { path: '^src/(?!network/|util/|api/)' },
    },
    {
      name: 'components-are-independent',
      severity: 'error',
      from: { path: '^src/(controllers|scheduler|dns|proxy|dashboard)/' },
      to: { path: '^src/(controllers|scheduler|agent|dns|proxy|dashboard)/', pathNot: '^src/$1/' },
    },
    {
      name: 'agent-may-use-network-only',
      severity: 'error',
      from: { path: '^src/agent/' },
      to: { path: '^src/(controllers|scheduler|dns|proxy|dashboard)/' },
    },
    {
      name: 'proxy-backends-are-independent',
      severity: 'error',
      from: { path: '^src/proxy/(userspace|nftables|iptables)/' },
      to: { path: '^src/proxy/(userspace|nftables|iptables)/', pathNot: '^src/proxy/$1/' },
    },
    {
      name: 'only-cmd-picks-backends',
      severity: 'error',
      from: { path: '^src/(?!cmd/|storage/)', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/storage/(memory|sqlite|etcd)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|\\.test-suite\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
