import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeExec } from '../util/exec.js';
import { IPVS_UNAVAILABLE, conntrackTuningFromFlags, createBackend, parseDuration, run, startProxy } from './proxy.js';
import { KUBE_PROXY_CONNTRACK } from '../proxy/conntrack-tuning.js';
import { FakeInformer, makeService, makeSlice } from '../proxy/testing.js';
import type { EndpointSlice, Service } from '../api/types.js';

test('skiff proxy: ipvs is refused with a clear message; durations parse', async () => {
  assert.throws(() => createBackend({ mode: 'ipvs', nodeName: 'n', nodeIPs: [] }), new RegExp(IPVS_UNAVAILABLE.slice(0, 30)));
  assert.match(IPVS_UNAVAILABLE, /Protocol not available/);
  assert.equal(await run(['--mode', 'ipvs']), 1);
  assert.equal(await run(['--mode', 'bogus', '--kubeconfig', 'x', '--node-name', 'n']), 2);
  assert.equal(await run(['--mode', 'nftables']), 2, 'kubeconfig and node name required');
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('2'), 2000);
  assert.throws(() => parseDuration('soon'));
});

test('startProxy: injected informers and exec, nftables in a named netns via nsenter, cleanup on stop', async () => {
  const fake = new FakeExec();
  const services = new FakeInformer<Service>();
  const slices = new FakeInformer<EndpointSlice>();
  const proxy = await startProxy({
    mode: 'nftables', nodeName: 'node-a', services, slices, exec: fake.exec, netns: 'skt-px-none',
    nodeIPs: ['198.19.128.1'], metricsListen: '127.0.0.1:0', healthCheckBindAddress: '127.0.0.1', cleanupOnStop: true, minSyncIntervalMs: 1,
  });
  services.set(makeService({ name: 'web', clusterIP: '198.19.0.10', ports: [{ port: 80 }] }));
  slices.set(makeSlice({ service: 'web', ports: [{ port: 8080 }], endpoints: [{ ip: '198.18.0.2' }] }));
  services.start();
  slices.start();
  const deadline = Date.now() + 5000;
  while (proxy.core.syncCount === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.ok(proxy.core.syncCount > 0);
  const nft = fake.calls.find((c) => c.args.includes('nft'))!;
  assert.deepEqual(nft.args.slice(0, 4), ['--net=/run/netns/skt-px-none', 'nft', '-f', '-']);
  assert.equal(nft.file, 'nsenter');
  assert.match(nft.input!, /198\.19\.0\.10 \. tcp \. 80 \. 0 : 198\.18\.0\.2 \. 8080/);
  const metrics = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text();
  assert.match(metrics, /skiff_proxy_rules\{mode="nftables"\} \d+/);
  await proxy.stop();
  assert.deepEqual(fake.calls.at(-1)!.args, ['--net=/run/netns/skt-px-none', 'nft', 'delete', 'table', 'ip', 'skiff']);
});

test('skiff proxy: --conntrack-* flags default to kube-proxy, parse durations, 0 disables; startProxy writes them in the netns', async () => {
  const defaults = { 'conntrack-max-per-core': '32768', 'conntrack-min': '131072', 'conntrack-tcp-timeout-established': '86400s', 'conntrack-tcp-timeout-close-wait': '3600s' };
  assert.deepEqual(conntrackTuningFromFlags(defaults), KUBE_PROXY_CONNTRACK);
  assert.deepEqual(conntrackTuningFromFlags({ ...defaults, 'conntrack-max-per-core': '0', 'conntrack-tcp-timeout-established': '24h', 'conntrack-tcp-timeout-close-wait': '0' }), { ...KUBE_PROXY_CONNTRACK, maxPerCore: 0, tcpTimeoutCloseWaitSeconds: 0 });
  assert.throws(() => conntrackTuningFromFlags({ ...defaults, 'conntrack-min': 'lots' }), /--conntrack-min wants a whole number/);

  let closeWait = 60;
  const fake = new FakeExec((_file, args) => {
    if (args[1] !== 'sysctl') return {};
    if (args[2] === '-w') closeWait = Number(args[3]!.split('=')[1]);
    return { stdout: `${closeWait}\n` };
  });
  const proxy = await startProxy({
    mode: 'nftables', nodeName: 'node-a', services: new FakeInformer<Service>(), slices: new FakeInformer<EndpointSlice>(), exec: fake.exec, netns: 'skt-px-none',
    nodeIPs: ['198.19.128.1'], conntrack: { maxPerCore: 0, min: 0, tcpTimeoutEstablishedSeconds: 0, tcpTimeoutCloseWaitSeconds: 3600 },
  });
  await proxy.stop();
  const sysctl = fake.calls.filter((c) => c.args[1] === 'sysctl').map((c) => [c.file, ...c.args].join(' '));
  assert.deepEqual(sysctl, ['nsenter --net=/run/netns/skt-px-none sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait', 'nsenter --net=/run/netns/skt-px-none sysctl -w net.netfilter.nf_conntrack_tcp_timeout_close_wait=3600', 'nsenter --net=/run/netns/skt-px-none sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait']);
  assert.equal(closeWait, 3600);
});
