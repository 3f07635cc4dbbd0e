/**
 * Probes as Kubernetes defines them: a worker per (container, kind) runs the handler every
 * periodSeconds after initialDelaySeconds, each attempt bounded by timeoutSeconds; the result
 * flips only after successThreshold consecutive successes / failureThreshold consecutive
 * failures. Readiness starts "failure", liveness and startup start unknown (treated as
 * passing for liveness). The handlers (httpGet, tcpSocket, exec) are given by the agent.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Container, HTTPGetAction, IntOrString, Probe } from '../api/types.js';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed, as kubelet words it in the Unhealthy event. */
  message?: string;
  /** A fast start-up retry (see ProbeWorker): not worth an Unhealthy event. */
  quiet?: boolean;
}

export interface ProbeTarget {
  podIP: string;
  container: Container;
  dial(host: string, port: number, timeoutMs: number): Promise<Duplex>;
  /** Runs argv inside the container; resolves with the exit code and combined output. */
  exec(argv: string[], timeoutMs: number): Promise<{ code: number; output: string }>;
}

export function resolvePort(port: IntOrString, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = container.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`port "${port}" not found in container ${container.name}`);
  return p.containerPort;
}

export async function httpGet(action: HTTPGetAction, target: ProbeTarget, timeoutMs: number, userAgent = 'kube-probe/1.32'): Promise<ProbeOutcome> {
  const port = resolvePort(action.port, target.container);
  const host = action.host || target.podIP;
  const scheme = (action.scheme ?? 'HTTP').toUpperCase();
  const path = action.path ?? '/';
  const headers: Record<string, string> = { 'User-Agent': userAgent, Accept: '*/*', Connection: 'close' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  let socket: Duplex;
  try {
    socket = await target.dial(host, port, timeoutMs);
    // Like kubelet, HTTPS probes do not verify the certificate.
    if (scheme === 'HTTPS') socket = tls.connect({ socket, rejectUnauthorized: false, servername: /^[\d.]+$/.test(host) ? undefined : host });
  } catch (e) {
    return { ok: false, message: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": dial tcp ${host}:${port}: ${(e as Error).message}` };
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => finish({ ok: false, message: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      timeoutMs,
    );
    const lib = scheme === 'HTTPS' ? https : http;
    const req = lib.request(
      {
        host,
        port,
        path,
        method: 'GET',
        headers,
        rejectUnauthorized: false,
        createConnection: () => socket as never,
      } as https.RequestOptions,
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        if (code >= 200 && code < 400) finish({ ok: true });
        else finish({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      },
    );
    req.on('error', (e) => finish({ ok: false, message: `Get "${scheme.toLowerCase()}://${host}:${port}${path}": ${e.message}` }));
    req.end();
  });
}

export async function tcpSocket(port: IntOrString, host: string | undefined, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const p = resolvePort(port, target.container);
  const h = host || target.podIP;
  try {
    const s = await target.dial(h, p, timeoutMs);
    s.destroy();
    return { ok: true };
  } catch (e) {
    return { ok: false, message: `dial tcp ${h}:${p}: ${(e as Error).message}` };
  }
}

export async function runHandler(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await httpGet(probe.httpGet, target, timeoutMs);
    if (probe.tcpSocket) return await tcpSocket(probe.tcpSocket.port, probe.tcpSocket.host, target, timeoutMs);
    if (probe.exec?.command?.length) {
      const r = await target.exec(probe.exec.command, timeoutMs);
      if (r.code === 0) return { ok: true };
      if (r.code === -1) return { ok: false, message: `command ${JSON.stringify(probe.exec.command.join(' '))} timed out` };
      return { ok: false, message: r.output.trim() || `command exited ${r.code}` };
    }
    if (probe.grpc) return { ok: false, message: 'grpc probes are not supported by skiff' };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  return { ok: false, message: 'probe has no handler' };
}

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  target: ProbeTarget;
  /** Called after each attempt with the attempt's outcome and the (thresholded) result. */
  onResult(kind: ProbeKind, result: boolean, attempt: ProbeOutcome, changed: boolean): void;
  setTimer?: (fn: () => void, ms: number) => () => void;
  now?: () => number;
}

/**
 * One probe of one container. Skiff's one departure from kubelet's timing: until a readiness
 * probe (successThreshold 1) has first succeeded, a failed attempt is retried after a quarter
 * of the time since the first attempt (at least 10 ms, at most periodSeconds): 10, 10, 10, 10,
 * 13, 16, 20 ... ms. A pod so becomes Ready at most ~25% (or 10 ms) after its server starts
 * answering, instead of up to a whole period later, for ~20 attempts in the first second.
 * Failures in the first period are reported `quiet` (no Unhealthy event), later ones at most
 * once per period, as kubelet would. Liveness and startup probes keep the exact period: their
 * failures count towards failureThreshold.
 */
export class ProbeWorker {
  result: boolean;
  private successes = 0;
  private failures = 0;
  private everSucceeded = false;
  private firstAttemptAt?: number;
  private lastReportedFailureAt?: number;
  private cancel?: () => void;
  private stopped = false;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;

  constructor(private readonly opts: ProbeWorkerOptions) {
    this.result = opts.kind === 'liveness';
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      });
  }

  start(): void {
    this.schedule((this.opts.probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.cancel = this.setTimer(() => {
      this.tick().catch(() => this.schedule((this.opts.probe.periodSeconds ?? 10) * 1000));
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const p = this.opts.probe;
    const periodMs = (p.periodSeconds ?? 10) * 1000;
    const clock = this.opts.now ?? Date.now;
    const now = clock();
    this.firstAttemptAt ??= now;
    const outcome = await runHandler(p, this.opts.target);
    if (this.stopped) return;
    const fastPhase = this.opts.kind === 'readiness' && !this.everSucceeded && (p.successThreshold ?? 1) === 1;
    if (outcome.ok) this.everSucceeded = true;
    else if (fastPhase) {
      const inFirstPeriod = now - this.firstAttemptAt < periodMs;
      const reportedRecently = this.lastReportedFailureAt !== undefined && now - this.lastReportedFailureAt < periodMs;
      if (inFirstPeriod || reportedRecently) outcome.quiet = true;
      else this.lastReportedFailureAt = now;
    }
    const before = this.result;
    if (outcome.ok) {
      this.failures = 0;
      this.successes++;
      if (this.successes >= (this.opts.kind === 'readiness' ? (p.successThreshold ?? 1) : 1)) this.result = true;
    } else {
      this.successes = 0;
      this.failures++;
      if (this.failures >= (p.failureThreshold ?? 3)) this.result = false;
    }
    const changed = before !== this.result;
    try {
      this.opts.onResult(this.opts.kind, this.result, outcome, changed);
    } catch {
      /* a failing listener must not stop the probe loop */
    }
    // A startup probe stops once it has succeeded.
    if (this.opts.kind === 'startup' && this.result) return;
    if (fastPhase && !outcome.ok) {
      const elapsed = clock() - this.firstAttemptAt;
      this.schedule(Math.min(periodMs, Math.max(10, Math.round(elapsed / 4))));
      return;
    }
    this.schedule(periodMs);
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }
}
