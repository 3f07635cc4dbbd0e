/**
 * Node agent end to end (root): an in-process API server, a node inside its own network
 * namespace (`skt-ag-…`, so the machine's namespace is never touched) and the agent running
 * the pods as real processes. Checks the list: unique reachable pod IPs, localhost
 * between containers, hostname, resolv.conf, service env vars, probes, back-off timing,
 * OOMKilled, graceful termination order, kubectl logs/exec/port-forward, adoption after an
 * agent restart, bad commands, and that nothing is left behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { findResource } from '../../../src/api/resources.js';
import type { Container, Event, Pod, PodSpec, Service } from '../../../src/api/types.js';
import { RestClient } from '../../../src/client/rest-client.js';
import { startAgent, type RunningAgent } from '../../../src/cmd/agent.js';
import { podNetnsName } from '../../../src/network/names.js';
import { kubectl, kubectlPath } from '../harness/kubectl.js';
import { pollUntil } from '../harness/poll.js';
import { startInProcessServer, type TestServer } from '../harness/skiff-server.js';
import { tempDir } from '../harness/tmp.js';

const PODS = findResource('', 'pods')!;
const SERVICES = findResource('', 'services')!;
const EVENTS = findResource('', 'events')!;
const isRoot = process.getuid?.() === 0;
const NODE = `skt-ag-node-${process.pid}`;
const NODE_NS = `skt-ag-${process.pid}`;
const NODE_IP = '198.19.128.21';
const NODE_JS = process.execPath;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** An HTTP server in one line of JS (what the e2e pods run; the dist build is not needed). */
function httpServer(text: string, port: number, host = '0.0.0.0'): string[] {
  return [NODE_JS, '-e', `require('http').createServer((q,s)=>s.end(${JSON.stringify(text + '\n')})).listen(${port}, ${JSON.stringify(host)})`];
}

describe('node agent (root, netns mode)', { skip: isRoot ? false : 'needs root (network namespaces, cgroups)' }, () => {
  let server: TestServer;
  let client: RestClient;
  let agent: RunningAgent;
  let dataDir: string;
  let cacheDir: string;
  const ctx = { after: (fn: () => unknown) => cleanups.push(fn) };
  const cleanups: Array<() => unknown> = [];

  const startNodeAgent = async (): Promise<RunningAgent> =>
    startAgent({
      client,
      nodeName: NODE,
      network: 'netns',
      nodeNetns: NODE_NS,
      nodeIP: NODE_IP,
      dataDir,
      clusterDns: ['198.19.0.10'],
      port: 0,
      backoffBaseMs: 400,
      backoffMaxMs: 1600,
      leaseIntervalMs: 1000,
    });

  before(async () => {
    try {
      sh('ip', ['netns', 'del', NODE_NS]);
    } catch {
      /* not there */
    }
    sh('ip', ['netns', 'add', NODE_NS]);
    sh('ip', ['-n', NODE_NS, 'link', 'set', 'lo', 'up']);
    sh('ip', ['-n', NODE_NS, 'addr', 'add', `${NODE_IP}/32`, 'dev', 'lo']);
    server = await startInProcessServer(ctx);
    client = await RestClient.fromKubeconfig(server.kubeconfig);
    dataDir = tempDir(ctx, 'skt-ag-data-');
    cacheDir = tempDir(ctx, 'skt-ag-kube-');
    agent = await startNodeAgent();
  });

  after(async () => {
    await agent?.stop().catch(() => {});
    client?.close();
    try {
      sh('ip', ['netns', 'del', NODE_NS]);
    } catch {
      /* gone */
    }
    for (const fn of cleanups.reverse()) await fn();
  });

  async function createPod(name: string, spec: Partial<PodSpec> & { containers: Container[] }, labels?: Record<string, string>): Promise<Pod> {
    return client.create<Pod>(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, ...spec } });
  }

  const getPod = (name: string): Promise<Pod> => client.get<Pod>(PODS, name, 'default');

  async function waitPod(name: string, cond: (p: Pod) => boolean, what: string, timeoutMs = 15_000): Promise<Pod> {
    let last: Pod | undefined;
    try {
      return await pollUntil(
        async () => {
          last = await getPod(name);
          return cond(last) ? last : undefined;
        },
        { timeoutMs, what: `${name}: ${what}` },
      );
    } catch (err) {
      const events = (await eventsFor(name).catch(() => [])).map((e) => `${e.reason}: ${e.message}`);
      throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status)}\nevents: ${events.join('\n')}`);
    }
  }

  const isReady = (p: Pod): boolean => p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const cstatus = (p: Pod, c: string) => p.status?.containerStatuses?.find((s) => s.name === c);

  async function logsOf(name: string, container: string): Promise<string> {
    const r = await kubectl(['logs', name, '-c', container], { kubeconfig: server.kubeconfig, cacheDir });
    return r.stdout;
  }

  async function deletePodAndWait(name: string): Promise<void> {
    await client.delete(PODS, name, 'default');
    await pollUntil(
      async () => {
        try {
          await getPod(name);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 15_000, what: `${name} to be gone` },
    );
  }

  async function eventsFor(name: string): Promise<Event[]> {
    const list = await client.list<Event>(EVENTS, { namespace: 'default' });
    return list.items.filter((e) => e.involvedObject.name === name);
  }

  test('registers the Node with capacity, addresses, podCIDR, endpoint annotation and a Lease', async () => {
    const node = await client.get<import('../../../src/api/types.js').Node>(findResource('', 'nodes')!, NODE);
    assert.ok(node.spec?.podCIDR?.startsWith('198.18.'), `podCIDR ${node.spec?.podCIDR}`);
    assert.ok(Number(node.status?.capacity?.cpu) >= 1);
    assert.equal(node.status?.capacity?.pods, '110');
    assert.deepEqual(node.status?.addresses?.[0], { type: 'InternalIP', address: NODE_IP });
    assert.match(node.metadata.annotations?.['skiff.dev/agent-endpoint'] ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    await pollUntil(() => client.get(findResource('coordination.k8s.io', 'leases')!, NODE, 'kube-node-lease'), { what: 'node lease' });
    // The bridge is in the node's namespace, with the first address of the podCIDR.
    const first = node.spec!.podCIDR!.replace(/\.0\/24$/, '.1');
    assert.match(sh('ip', ['-n', NODE_NS, '-o', 'addr', 'show', 'dev', 'skiff0']), new RegExp(` ${first.replace(/\./g, '\\.')}/24`));
  });

  test('pods get unique IPs reachable from the node, their own hostname and resolver, containers share localhost', async () => {
    await client.create<Service>(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'service-pay-v1', namespace: 'default' }, spec: { selector: { app: 'pay' }, ports: [{ name: 'http', port: 80 }] } });
    await Promise.all([
      createPod('pay-a', {
        containers: [
          { name: 'web', image: 'skiff/echo', command: httpServer('pay-a', 80), readinessProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 1 } },
          { name: 'local', image: 'skiff/echo', command: httpServer('from-localhost', 8080, '127.0.0.1') },
          {
            name: 'probe',
            image: 'busybox',
            command: ['sh', '-c', 'hostname; cat /etc/resolv.conf; grep pay-a /etc/hosts; env | grep -E "^(SERVICE_PAY_V1|KUBERNETES)_" | sort; echo MYNS=$MYNS; until curl -s localhost:8080; do sleep 0.1; done; sleep 1000'],
            env: [{ name: 'MYNS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
          },
        ],
      }),
      createPod('pay-b', { containers: [{ name: 'web', image: 'skiff/echo', command: httpServer('pay-b', 80) }] }),
    ]);
    const a = await waitPod('pay-a', isReady, 'Ready');
    const b = await waitPod('pay-b', isReady, 'Ready');
    assert.notEqual(a.status?.podIP, b.status?.podIP);
    assert.equal(a.status?.hostIP, NODE_IP);
    for (const [pod, text] of [[a, 'pay-a'], [b, 'pay-b']] as const) {
      const out = await pollUntil(() => sh('ip', ['netns', 'exec', NODE_NS, 'curl', '-s', '-m', '2', `http://${pod.status!.podIP}/`]) || undefined, { what: `curl ${text}` });
      assert.equal(out, `${text}\n`);
    }
    const svc = await client.get<Service>(SERVICES, 'service-pay-v1', 'default');
    const logs = await pollUntil(async () => {
      const l = await logsOf('pay-a', 'probe');
      return l.includes('from-localhost') ? l : undefined;
    }, { what: 'probe container output', timeoutMs: 10_000 });
    const lines = logs.split('\n');
    assert.equal(lines[0], 'pay-a', 'hostname is the pod name');
    assert.ok(logs.includes('search default.svc.cluster.local svc.cluster.local cluster.local'));
    assert.ok(logs.includes('nameserver 198.19.0.10'));
    assert.ok(logs.includes('options ndots:5'));
    assert.ok(logs.includes(`${a.status!.podIP}\tpay-a`), 'managed /etc/hosts');
    assert.ok(logs.includes(`SERVICE_PAY_V1_SERVICE_HOST=${svc.spec!.clusterIP}`));
    assert.ok(logs.includes('SERVICE_PAY_V1_SERVICE_PORT=80'));
    assert.ok(logs.includes('SERVICE_PAY_V1_SERVICE_PORT_HTTP=80'));
    assert.ok(logs.includes(`SERVICE_PAY_V1_PORT_80_TCP=tcp://${svc.spec!.clusterIP}:80`));
    assert.ok(logs.includes('KUBERNETES_SERVICE_HOST='), 'kubernetes service vars');
    assert.ok(logs.includes('MYNS=default'));
    // Status details
    const web = cstatus(a, 'web')!;
    assert.match(web.containerID ?? '', /^skiff:\/\/\d+$/);
    assert.equal(web.image, 'skiff/echo');
    assert.equal(a.status?.phase, 'Running');
    const reasons = (await eventsFor('pay-a')).map((e) => e.reason);
    for (const r of ['Pulled', 'Created', 'Started']) assert.ok(reasons.includes(r), `event ${r} in ${reasons}`);
  });

  test('kubectl logs / exec / port-forward through the API server', { skip: kubectlPath() ? false : 'kubectl not installed' }, async () => {
    const pod = await waitPod('pay-a', isReady, 'Ready');
    const k = (args: string[], input?: string) => kubectl(args, { kubeconfig: server.kubeconfig, cacheDir, input, timeoutMs: 20_000 });
    const tail = await k(['logs', 'pay-a', '-c', 'probe', '--tail', '1']);
    assert.equal(tail.stdout, 'from-localhost\n');
    const ts = await k(['logs', 'pay-a', '-c', 'probe', '--tail', '1', '--timestamps']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z from-localhost\n$/);
    const ex = await k(['exec', 'pay-a', '-c', 'probe', '--', 'sh', '-c', 'hostname; echo $MYNS; exit 3']);
    assert.equal(ex.stdout, 'pay-a\ndefault\n');
    assert.equal(ex.code, 3);
    const stdin = await k(['exec', '-i', 'pay-a', '-c', 'probe', '--', 'cat'], 'through stdin\n');
    assert.equal(stdin.stdout, 'through stdin\n');
    assert.equal(stdin.code, 0);
    if (kubectlPath('1.29')) {
      // kubectl 1.29 execs over a SPDY/3.1 upgrade instead of a WebSocket.
      const old = await kubectl(['exec', '-i', 'pay-a', '-c', 'probe', '--', 'sh', '-c', 'cat; exit 4'], { kubeconfig: server.kubeconfig, cacheDir, version: '1.29', input: 'old kubectl\n' });
      assert.equal(old.stdout, 'old kubectl\n');
      assert.equal(old.code, 4);
    }
    // -it: a pseudo-terminal inside the pod, started at the client's terminal size. `script`
    // gives kubectl a terminal of 111x33 here.
    for (const version of [undefined, '1.29']) {
      const bin = kubectlPath(version);
      if (!bin) continue;
      const inner = `stty cols 111 rows 33; ${bin} --cache-dir=${cacheDir} exec -it pay-a -c probe -- sh -c 'tty; stty size; exit 6'`;
      // Asynchronously: the API server runs in this process and must keep answering.
      const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
        // stdin stays open: util-linux script turns the end of its stdin into a byte on the terminal.
        const c = spawn('script', ['-qec', inner, '/dev/null'], { env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: cacheDir }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        const killer = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.on('close', (status) => {
          clearTimeout(killer);
          resolve({ status, stdout });
        });
      });
      const out = r.stdout.replace(/\r/g, '');
      assert.match(out, /\/dev\/pts\/\d+\n33 111\n/, `kubectl ${version ?? 'default'} -it: ${out}`);
      assert.equal(r.status, 6, 'exit code through the terminal session');
    }
    // -f follows until the container ends: a short-lived pod's whole output, then exit 0.
    await createPod('follow', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'] }] });
    await waitPod('follow', (p) => !!cstatus(p, 'c')?.state?.running || !!cstatus(p, 'c')?.state?.terminated, 'started');
    const f = await k(['logs', '-f', 'follow']);
    assert.equal(f.stdout, 'line 1\nline 2\nline 3\n');
    assert.equal(f.code, 0);
    const done = await waitPod('follow', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
    assert.equal(cstatus(done, 'c')?.state?.terminated?.reason, 'Completed');
    // port-forward: kubectl 1.32 tunnels SPDY through a WebSocket; 1.29 speaks SPDY directly.
    for (const version of [undefined, '1.29']) {
      if (version && !kubectlPath(version)) continue;
      const port = await freePort();
      const pf = spawn(kubectlPath(version)!, [`--cache-dir=${cacheDir}`, 'port-forward', `pod/${pod.metadata.name}`, `${port}:80`], {
        env: { ...process.env, KUBECONFIG: server.kubeconfig, HOME: cacheDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const body = await pollUntil(async () => {
          const r = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
          return r ? await r.text() : undefined;
        }, { what: `port-forward (kubectl ${version ?? 'default'})` });
        assert.equal(body, 'pay-a\n');
        assert.equal(await (await fetch(`http://127.0.0.1:${port}/again`)).text(), 'pay-a\n');
      } finally {
        pf.kill('SIGKILL');
      }
    }
  });

  test('hostNetwork pods run in the node namespace with the node IP and hostname', async () => {
    await createPod('hostnet', { hostNetwork: true, containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'ip -o addr show dev lo | grep -c 198.19.128.21; hostname; sleep 1000'] }] });
    const p = await waitPod('hostnet', (x) => !!cstatus(x, 'c')?.state?.running, 'running');
    assert.equal(p.status?.podIP, NODE_IP);
    const out = await pollUntil(async () => {
      const l = await logsOf('hostnet', 'c');
      return l.split('\n').length >= 3 ? l : undefined;
    }, { what: 'hostnet output' });
    assert.equal(out, `1\n${sh('hostname', []).trim()}\n`);
    await client.delete(PODS, 'hostnet', 'default', { gracePeriodSeconds: 0 });
  });

  test('probes: httpGet/tcpSocket/exec passing and failing; liveness failure restarts', async () => {
    await createPod('probes', {
      containers: [
        {
          name: 'ok',
          image: 'x',
          command: httpServer('ok', 8081),
          startupProbe: { tcpSocket: { port: 8081 }, periodSeconds: 1, failureThreshold: 30 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
          livenessProbe: { httpGet: { port: 8081 }, periodSeconds: 1 },
        },
        { name: 'notready', image: 'x', command: ['sleep', '1000'], readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1 } },
        { name: 'badhttp', image: 'x', command: ['sleep', '1000'], readinessProbe: { httpGet: { port: 9998, path: '/' }, periodSeconds: 1, timeoutSeconds: 1 } },
        { name: 'dies', image: 'x', command: ['sleep', '1000'], livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1, failureThreshold: 2 } },
      ],
    });
    const p = await waitPod('probes', (x) => (cstatus(x, 'dies')?.restartCount ?? 0) >= 1 && !!cstatus(x, 'ok')?.ready, 'liveness restart and ok ready', 20_000);
    assert.equal(cstatus(p, 'ok')?.started, true);
    assert.equal(cstatus(p, 'notready')?.ready, false);
    assert.equal(cstatus(p, 'badhttp')?.ready, false);
    assert.equal(isReady(p), false);
    assert.equal(cstatus(p, 'dies')?.lastState?.terminated?.exitCode, 143, 'killed with SIGTERM');
    const ev = await pollUntil(async () => {
      const e = await eventsFor('probes');
      return e.some((x) => x.reason === 'Killing') && e.some((x) => /Readiness probe failed: dial tcp/.test(x.message ?? '')) ? e : undefined;
    }, { what: 'Unhealthy + Killing events' });
    assert.ok(ev.some((x) => /Liveness probe failed/.test(x.message ?? '')));
    assert.ok(ev.some((x) => x.reason === 'Killing' && /failed liveness probe, will be restarted/.test(x.message ?? '')));
    await client.delete(PODS, 'probes', 'default', { gracePeriodSeconds: 1 });
  });

  test('restart back-off: immediate, then doubling; CrashLoopBackOff with lastState', async () => {
    await createPod('crash', { containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'echo run; exit 2'] }] });
    const seen: { count: number; at: number }[] = [];
    let sawBackoff = false;
    await pollUntil(async () => {
      const p = await getPod('crash');
      const s = cstatus(p, 'c');
      if (s?.state?.waiting?.reason === 'CrashLoopBackOff') sawBackoff = true;
      const n = s?.restartCount ?? 0;
      if (!seen.length || seen[seen.length - 1]!.count !== n) seen.push({ count: n, at: Date.now() });
      return n >= 4 ? p : undefined;
    }, { timeoutMs: 15_000, intervalMs: 20, what: 'four restarts' });
    assert.ok(sawBackoff, 'CrashLoopBackOff seen');
    const at = (n: number) => seen.find((s) => s.count === n)!.at;
    // base 400 ms doubling, capped at 1.6 s: restart 1 at once, then +400, +800, +1600.
    assert.ok(at(2) - at(1) >= 300, `2nd restart after ${at(2) - at(1)} ms`);
    assert.ok(at(3) - at(2) >= 700, `3rd restart after ${at(3) - at(2)} ms`);
    assert.ok(at(4) - at(3) >= 1400, `4th restart after ${at(4) - at(3)} ms`);
    assert.ok(at(3) - at(2) > at(2) - at(1), 'back-off grows');
    const p = await getPod('crash');
    assert.equal(cstatus(p, 'c')?.lastState?.terminated?.exitCode, 2);
    assert.equal(cstatus(p, 'c')?.lastState?.terminated?.reason, 'Error');
    const prev = await kubectl(['logs', 'crash', '--previous'], { kubeconfig: server.kubeconfig, cacheDir });
    assert.equal(prev.stdout, 'run\n');
    await client.delete(PODS, 'crash', 'default', { gracePeriodSeconds: 0 });
  });

  test('a container over its memory limit is OOMKilled (cgroups v1)', async () => {
    await createPod('oom', {
      restartPolicy: 'Never',
      containers: [{ name: 'hog', image: 'x', command: [NODE_JS, '-e', 'const a=[]; for(;;) a.push(Buffer.alloc(1<<20, 1))'], resources: { limits: { memory: '64Mi' } } }],
    });
    const p = await waitPod('oom', (x) => !!cstatus(x, 'hog')?.state?.terminated, 'terminated', 20_000);
    assert.equal(cstatus(p, 'hog')?.state?.terminated?.reason, 'OOMKilled');
    assert.equal(cstatus(p, 'hog')?.state?.terminated?.exitCode, 137);
    await waitPod('oom', (x) => x.status?.phase === 'Failed', 'phase Failed');
    await deletePodAndWait('oom');
  });

  test('a command that does not exist: RunContainerError/ContainerCannotRun and a Failed event, agent unharmed', async () => {
    await createPod('badcmd', { containers: [{ name: 'c', image: 'x', command: ['/no/such/binary'] }] });
    const p = await waitPod('badcmd', (x) => !!cstatus(x, 'c')?.lastState?.terminated || !!cstatus(x, 'c')?.state?.waiting?.reason?.match(/RunContainerError|CrashLoopBackOff/), 'start failure');
    const s = cstatus(p, 'c')!;
    assert.match(JSON.stringify(s), /ContainerCannotRun|RunContainerError/);
    assert.match(JSON.stringify(s), /no such file or directory/);
    const ev = await pollUntil(async () => (await eventsFor('badcmd')).find((e) => e.reason === 'Failed'), { what: 'Failed event' });
    assert.equal(ev.type, 'Warning');
    await deletePodAndWait('badcmd');
  });

  test('graceful termination: preStop, then SIGTERM to the group, SIGKILL after the grace period; then the pod is removed', async () => {
    const marks = tempDir(ctx, 'skt-ag-term-');
    await createPod('graceful', {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'c',
          image: 'x',
          command: ['sh', '-c', `trap 'echo term >> ${marks}/order; exit 0' TERM; echo started >> ${marks}/order; while :; do sleep 0.1; done`],
          lifecycle: {
            postStart: { exec: { command: ['sh', '-c', `echo poststart >> ${marks}/order`] } },
            preStop: { exec: { command: ['sh', '-c', `echo prestop >> ${marks}/order`] } },
          },
        },
      ],
    });
    await createPod('stubborn', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'x', command: ['sh', '-c', `trap '' TERM; echo up > ${marks}/stubborn; while :; do sleep 0.1; done`] }] });
    await waitPod('graceful', (x) => !!cstatus(x, 'c')?.state?.running, 'running');
    await waitPod('stubborn', (x) => !!cstatus(x, 'c')?.state?.running, 'running');
    await pollUntil(() => existsSync(`${marks}/order`) && readFileSync(`${marks}/order`, 'utf8').includes('poststart') && existsSync(`${marks}/stubborn`), { what: 'containers up' });
    const uid = (await getPod('stubborn')).metadata.uid!;
    const t0 = Date.now();
    await Promise.all([deletePodAndWait('graceful'), deletePodAndWait('stubborn')]);
    const order = readFileSync(`${marks}/order`, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(order.filter((l) => l !== 'poststart'), ['started', 'prestop', 'term']);
    assert.ok(order.indexOf('poststart') < order.indexOf('prestop'), 'postStart ran before preStop');
    assert.ok(Date.now() - t0 >= 900, 'the stubborn pod waited its grace period before SIGKILL');
    assert.equal(existsSync(`/sys/fs/cgroup/memory/skiff/${NODE}/${uid}`), false, 'cgroup removed');
    assert.equal(sh('ip', ['netns', 'list']).includes(podNetnsName(uid)), false, 'netns removed');
  });

  test('an agent restart adopts running pods without restarting them', async () => {
    const before = await waitPod('pay-b', isReady, 'Ready');
    const id = cstatus(before, 'web')!.containerID;
    await agent.stop({ keepPods: true });
    agent = await startNodeAgent();
    // Still served, still the same process, never restarted, still Ready.
    const out = sh('ip', ['netns', 'exec', NODE_NS, 'curl', '-s', '-m', '2', `http://${before.status!.podIP}/`]);
    assert.equal(out, 'pay-b\n');
    await new Promise((r) => setTimeout(r, 1500));
    const after = await getPod('pay-b');
    assert.equal(cstatus(after, 'web')!.containerID, id);
    assert.equal(cstatus(after, 'web')!.restartCount, 0);
    assert.ok(isReady(after));
    // Logs keep flowing into the same file after adoption.
    const r = await kubectl(['exec', 'pay-b', '--', 'sh', '-c', 'echo still-here'], { kubeconfig: server.kubeconfig, cacheDir });
    assert.equal(r.stdout, 'still-here\n');
  });

  test('nothing is left behind once the pods and the agent are gone', async () => {
    const pods = (await client.list<Pod>(PODS, { namespace: 'default' })).items;
    const uids = pods.map((p) => p.metadata.uid!);
    const pids = pods.flatMap((p) => (p.status?.containerStatuses ?? []).map((s) => Number(s.containerID?.replace('skiff://', '') ?? 0))).filter(Boolean);
    await Promise.all(pods.map((p) => deletePodAndWait(p.metadata.name!)));
    await agent.stop();
    const netns = sh('ip', ['netns', 'list']);
    for (const uid of uids) {
      assert.equal(netns.includes(podNetnsName(uid)), false, `netns of ${uid}`);
      assert.equal(existsSync(`/etc/netns/${podNetnsName(uid)}`), false);
    }
    assert.equal(/veth/.test(sh('ip', ['-n', NODE_NS, 'link'])), false, 'no veth left in the node namespace');
    assert.equal(existsSync(`/sys/fs/cgroup/memory/skiff/${NODE}`), false, 'no cgroups left');
    assert.equal(existsSync(`/sys/fs/cgroup/cpu/skiff/${NODE}`), false, 'no cpu cgroups left');
    for (const pid of pids) assert.equal(existsSync(`/proc/${pid}`), false, `process ${pid} gone`);
    assert.deepEqual(readdirSync(`${dataDir}/pods`), []);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}
