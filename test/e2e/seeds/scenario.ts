/**
 * The seeds' scenario (issue: `skiff up`) as steps shared by both ways of running Skiff:
 * netns + nftables as root, and host + userspace without root. A `ModeAdapter` says how a pod
 * reaches a Service in that mode (glibc + our DNS in netns mode; the Service environment
 * variables and explicit DNS queries in host mode, where glibc cannot be pointed at our DNS).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/skiff-server.js';
import { pollUntil } from '../harness/poll.js';
import type { UpCluster } from '../harness/skiff-up.js';

export const SEEDS = join(REPO_ROOT, 'examples/seeds');

export interface ModeAdapter {
  /** What `skiff up` says about its choice of modes. */
  modeLine: RegExp;
  serviceCidrPattern: string;
  /** Shell snippet (run by `sh -c` in a pod) that prints the HTTP body of service `svc` at `path`. */
  curlService(svc: { name: string; namespace: string; envPrefix: string; port: number }, path: string, long?: boolean): string;
  /** `dig` arguments that query the cluster DNS for `name`. */
  dig(name: string): string[];
  /** Extra checks for nothing-left-behind. */
  checkCleanup(c: UpCluster, pods: PodView[]): Promise<void>;
}

export const PAY = { name: 'service-pay-v1', namespace: 'default', envPrefix: 'SERVICE_PAY_V1', port: 80 };

export interface PodView {
  name: string;
  uid: string;
  ip: string;
  ready: boolean;
  restarts: number;
  pid?: number;
  deleting: boolean;
}

export async function pods(c: UpCluster, selector: string, namespace = 'default'): Promise<PodView[]> {
  const r = await c.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as {
    items: Array<{
      metadata: { name: string; uid: string; deletionTimestamp?: string };
      status: { podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ restartCount: number; containerID?: string }> };
    }>;
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    ip: p.status.podIP ?? '',
    ready: p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    restarts: p.status.containerStatuses?.[0]?.restartCount ?? 0,
    pid: Number(/^skiff:\/\/(\d+)/.exec(p.status.containerStatuses?.[0]?.containerID ?? '')?.[1]) || undefined,
    deleting: p.metadata.deletionTimestamp !== undefined,
  }));
}

export async function readyPods(c: UpCluster, selector: string, count: number, namespace = 'default'): Promise<PodView[]> {
  return pollUntil(
    async () => {
      const list = (await pods(c, selector, namespace)).filter((p) => !p.deleting);
      return list.length === count && list.every((p) => p.ready) ? list : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 250, what: `${count} ready pods ${selector}` },
  );
}

/** `kubectl exec POD -- CMD...` stdout, asserting success. */
export async function exec(c: UpCluster, pod: string, cmd: string[], namespace = 'default'): Promise<string> {
  const r = await c.kubectl(['exec', '-n', namespace, pod, '--', ...cmd], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `exec ${cmd.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function endpointIPs(c: UpCluster, service: string): Promise<string[]> {
  const r = await c.kubectl(['get', 'endpoints', service, '-o', 'json']);
  if (r.code !== 0) return [];
  const ep = JSON.parse(r.stdout) as { subsets?: Array<{ addresses?: Array<{ ip: string }> }> };
  return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

/** `kubectl exec POD -- sh -c SCRIPT`, not asserting success. */
export function sh(c: UpCluster, pod: string, script: string, namespace = 'default', timeoutMs = 60_000) {
  return c.kubectl(['exec', '-n', namespace, pod, '--', 'sh', '-c', script], { timeoutMs });
}

function alivePids(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

export async function runSeedsScenario(t: TestContext, c: UpCluster, mode: ModeAdapter): Promise<void> {
  assert.match(c.output(), mode.modeLine);
  assert.match(c.output(), new RegExp(`export KUBECONFIG=${c.kubeconfig.replace(/[.]/g, '\\.')}`));

  await t.test('1. the node is Ready', async () => {
    const r = await c.kubectl(['get', 'nodes']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    assert.match(r.stdout, /\nnode-\S+\s+Ready\s/);
  });

  let userPod = '';
  await t.test('2. the manifests apply and print the columns the seeds show', async () => {
    // Services first, so the pods' environment carries their variables (built at container start).
    const services = await c.kubectl(['apply', '-f', join(SEEDS, 'pay-service-v1.yaml'), '-f', join(SEEDS, 'user-service-v1.yaml')]);
    assert.equal(services.code, 0, services.stderr);
    const apply = await c.kubectl(['apply', '-f', SEEDS]);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /deployment\.apps\/pay-v1 created/);
    assert.match(apply.stdout, /service\/service-pay-v1 unchanged/);
    assert.match(apply.stdout, /replicationcontroller\/frontend created/);
    assert.match(apply.stdout, /horizontalpodautoscaler\.autoscaling\/php-apache created/);
    userPod = (await readyPods(c, 'app=user-v1', 1))[0]!.name;
    await readyPods(c, 'app=pay-v1', 1);
    await readyPods(c, 'app=nginx', 2);

    const getPods = await c.kubectl(['get', 'pods']);
    assert.match(getPods.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    assert.match(getPods.stdout, /\npay-v1-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s\n/);

    const svc = await c.kubectl(['get', 'svc']);
    const ip = mode.serviceCidrPattern;
    assert.match(svc.stdout, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    assert.match(svc.stdout, new RegExp(`\\nkubernetes\\s+ClusterIP\\s+${ip}\\.1\\s+<none>\\s+443/TCP\\s`));
    assert.match(svc.stdout, new RegExp(`\\nservice-pay-v1\\s+NodePort\\s+${ip}\\.\\d+\\s+<none>\\s+80:30114/TCP\\s`));
    assert.match(svc.stdout, /\ntomcat-service\s+NodePort\s+\S+\s+<none>\s+8080:31002\/TCP\s/);
    assert.match(svc.stdout, /\nnginx-svc\s+ClusterIP\s+None\s+<none>\s+80\/TCP\s/);
    assert.match(svc.stdout, /\nmy-service\s+ExternalName\s+<none>\s+www\.baidu\.com\s/);

    const all = await c.kubectl(['get', 'all', '-l', 'app=pay-v1']);
    assert.match(all.stdout, /pod\/pay-v1-/);
    assert.match(all.stdout, /replicaset\.apps\/pay-v1-/);

    const payIP = (await pods(c, 'app=pay-v1'))[0]!.ip;
    const describe = await c.kubectl(['describe', 'service', 'service-pay-v1']);
    assert.equal(describe.code, 0, describe.stderr);
    for (const line of [
      /Selector:\s+app=pay-v1/,
      /Type:\s+NodePort/,
      new RegExp(`IP:\\s+${ip}\\.`),
      /Port:\s+<unset>\s+80\/TCP/,
      /TargetPort:\s+80\/TCP/,
      /NodePort:\s+<unset>\s+30114\/TCP/,
      new RegExp(`Endpoints:\\s+${payIP.replace(/\./g, '\\.')}:80`),
    ])
      assert.match(describe.stdout, line);

    const hpa = await c.kubectl(['get', 'hpa']);
    assert.match(hpa.stdout, /php-apache\s+Deployment\/php-apache/);
  });

  await t.test('3. a pod reaches service-pay-v1 by name (and by its long name from another namespace)', async () => {
    for (const long of [false, true]) {
      const r = await sh(c, userPod, mode.curlService(PAY, '/', long));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'pay');
    }
    assert.equal((await c.kubectl(['create', 'namespace', 'other'])).code, 0);
    const run = await c.kubectl(['run', 'client', '-n', 'other', '--image=busybox', '--command', '--', 'skiff', 'sleep']);
    assert.equal(run.code, 0, run.stderr);
    await readyPods(c, 'run=client', 1, 'other');
    const short = await sh(c, 'client', mode.curlService(PAY, '/', false), 'other');
    assert.notEqual(short.code, 0, `the short name must not resolve from another namespace: ${short.stdout}`);
    const long = await sh(c, 'client', mode.curlService(PAY, '/', true), 'other');
    assert.equal(long.code, 0, long.stderr);
    assert.equal(long.stdout.trim(), 'pay');
  });

  await t.test('4. the NodePort answers on the node address; the node reaches the ClusterIP too', async () => {
    const r = await c.inNetns(['curl', '-s', '-m', '5', `http://${c.nodeIP}:30114/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'pay');
    const clusterIP = (await c.kubectl(['get', 'svc', 'service-pay-v1', '-o', 'jsonpath={.spec.clusterIP}'])).stdout.trim();
    const viaClusterIP = await c.inNetns(['curl', '-s', '-m', '5', `http://${clusterIP}/`]);
    assert.equal(viaClusterIP.stdout.trim(), 'pay', viaClusterIP.stderr);
  });

  await t.test('5. the headless Service resolves to its pods; the ExternalName to a CNAME', async () => {
    const nginxIPs = (await pods(c, 'app=nginx')).map((p) => p.ip).sort();
    const a = (await exec(c, userPod, mode.dig('nginx-svc.default.svc.cluster.local'))).trim().split('\n').sort();
    assert.deepEqual(a, nginxIPs);
    const cname = await exec(c, userPod, [...mode.dig('my-service.default.svc.cluster.local').filter((x) => x !== '+short'), '+noall', '+answer']);
    assert.match(cname, /my-service\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+CNAME\s+www\.baidu\.com\./);
  });

  await t.test('6. scaled to 3, every pay pod receives traffic through the ClusterIP', async () => {
    const scale = await c.kubectl(['scale', 'deployment/pay-v1', '--replicas=3']);
    assert.equal(scale.code, 0, scale.stderr);
    const three = await readyPods(c, 'app=pay-v1', 3);
    await pollUntil(async () => (await endpointIPs(c, 'service-pay-v1')).length === 3, { timeoutMs: 10_000, what: '3 endpoints' });
    // `skiff echo` answers /ip with the address the connection reached: the pod's IP.
    const out = await sh(c, userPod, `for i in $(seq 1 60); do ${mode.curlService(PAY, '/ip')}; done`);
    assert.equal(out.code, 0, out.stderr);
    const seen = new Set(out.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
    assert.deepEqual([...seen].sort(), three.map((p) => p.ip).sort(), `answers came from ${[...seen].join(', ')}`);
  });

  await t.test('7. a rolling update to pay-v2 under non-stop traffic loses no request', async () => {
    const loop =
      'ok=0; end=$(($(date +%s)+90)); while [ $(date +%s) -lt $end ]; do ' +
      `r=$(${mode.curlService(PAY, '/')}) || r="FAIL:$?"; echo "$r"; ` +
      'if [ "$r" = pay-v2 ]; then ok=$((ok+1)); else ok=0; fi; if [ $ok -ge 30 ]; then break; fi; done';
    const client = sh(c, userPod, loop, 'default', 120_000);
    // The client must have seen v1 answer before the update starts.
    await new Promise((r) => setTimeout(r, 1000));
    const patch = await c.kubectl([
      'patch', 'deployment', 'pay-v1', '--type=json',
      '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["skiff","echo","--text","pay-v2","--port","80"]}]',
    ]);
    assert.equal(patch.code, 0, patch.stderr);
    const status = await c.kubectl(['rollout', 'status', 'deployment/pay-v1', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
    const r = await client;
    assert.equal(r.code, 0, r.stderr);
    const answers = r.stdout.split('\n').filter(Boolean);
    const failed = answers.filter((a) => a !== 'pay' && a !== 'pay-v2');
    assert.ok(answers.length > 30, `only ${answers.length} requests were made`);
    assert.ok(answers.includes('pay'), 'the client saw v1 before the update');
    assert.deepEqual(failed, [], `${failed.length} of ${answers.length} requests failed`);
    assert.deepEqual(answers.slice(-30), Array(30).fill('pay-v2'));
  });

  await t.test('8. a killed process is restarted; a deleted pod is replaced and endpoints follow', async () => {
    const before = await readyPods(c, 'app=pay-v1', 3);
    const victim = before[0]!;
    assert.ok(victim.pid, "containerID carries the pid of the container's process group leader");
    // The leader is Skiff's small wrapper; the server it runs is its child: kill that, as a crash would.
    const children = spawnSync('pgrep', ['-P', String(victim.pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    assert.equal(children.length, 1, `one server process under the wrapper ${victim.pid}`);
    process.kill(Number(children[0]), 'SIGKILL');
    await pollUntil(async () => (await pods(c, 'app=pay-v1')).find((p) => p.name === victim.name && p.restarts >= 1 && p.ready), {
      timeoutMs: 30_000,
      what: 'the killed container to be restarted and ready',
    });

    const doomed = before[1]!;
    const del = await c.kubectl(['delete', 'pod', doomed.name, '--wait=true'], { timeoutMs: 60_000 });
    assert.equal(del.code, 0, del.stderr);
    const after = await readyPods(c, 'app=pay-v1', 3);
    assert.ok(!after.some((p) => p.name === doomed.name));
    await pollUntil(
      async () => {
        const ips = await endpointIPs(c, 'service-pay-v1');
        return ips.join() === after.map((p) => p.ip).sort().join() ? ips : undefined;
      },
      { timeoutMs: 10_000, what: 'endpoints to follow the new pod' },
    );
  });

  await t.test('9. Ctrl-C leaves nothing behind', async () => {
    const all = [...(await pods(c, 'app')), ...(await pods(c, 'run', 'other'))];
    const pids = all.map((p) => p.pid).filter((p): p is number => p !== undefined);
    assert.ok(pids.length >= 8, `pids of the running pods: ${pids.join(',')}`);
    const code = await c.stop();
    assert.equal(code, 0, c.output());
    assert.match(c.output(), /stopped/);
    assert.deepEqual(alivePids(pids), [], 'pod processes stopped');
    await mode.checkCleanup(c, all);
  });
}

/** Netns mode: pod namespaces, their /etc/netns files, links, addresses and nft rules are gone. */
export async function checkNetnsCleanup(c: UpCluster, all: PodView[]): Promise<void> {
  const podNetns = all.map((p) => `skiff-${p.uid.slice(0, 8)}`);
  const netnsNow = readdirSync('/run/netns');
  assert.deepEqual(podNetns.filter((n) => netnsNow.includes(n)), [], 'pod namespaces removed');
  assert.deepEqual(podNetns.filter((n) => existsSync(`/etc/netns/${n}`)), [], 'pod resolv.conf dirs removed');
  const links = await c.inNetns(['ip', '-o', 'link']);
  assert.deepEqual(links.stdout.split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim()), ['lo']);
  const addrs = await c.inNetns(['ip', '-4', '-o', 'addr']);
  assert.doesNotMatch(addrs.stdout, /198\.19\.255\.254/);
  const rules = await c.inNetns(['nft', 'list', 'ruleset']);
  assert.doesNotMatch(rules.stdout, /skiff/);
}
