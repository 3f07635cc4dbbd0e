/**
 * pods/{log,exec,portforward,attach}: forwarded verbatim (same method, path and query) to the
 * agent of the pod's node, found in the Node's `skiff.dev/agent-endpoint` annotation, with the
 * agent's own token. Upgrades (websocket, SPDY) are spliced as raw sockets after the agent's
 * 101, so every protocol kubectl speaks passes through untouched.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { findResource } from '../../api/resources.js';
import { errors, StatusError } from '../../api/status-error.js';
import type { ServerDeps } from '../context.js';
import type { ApiRequest } from '../context.js';

export const AGENT_ENDPOINT_ANNOTATION = 'skiff.dev/agent-endpoint';
export const AGENT_TOKEN_ANNOTATION = 'skiff.dev/agent-token';

interface AgentTarget {
  url: URL;
  token: string | undefined;
}

export async function agentFor(deps: ServerDeps, namespace: string, podName: string): Promise<AgentTarget> {
  const pods = findResource('', 'pods')!;
  const nodes = findResource('', 'nodes')!;
  const pod = await deps.registry.get(pods, podName, namespace);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${podName} does not have a host assigned`);
  const node = await deps.registry.find(nodes, nodeName);
  const endpoint = node?.metadata.annotations?.[AGENT_ENDPOINT_ANNOTATION];
  if (!endpoint) throw new StatusError('ServiceUnavailable', `node "${nodeName}" publishes no agent endpoint`);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StatusError('ServiceUnavailable', `node "${nodeName}" publishes an invalid agent endpoint`);
  }
  if (url.protocol !== 'http:') throw new StatusError('ServiceUnavailable', `agent endpoint of node "${nodeName}" must be http://`);
  return { url, token: node.metadata.annotations?.[AGENT_TOKEN_ANNOTATION] };
}

function forwardedHeaders(req: IncomingMessage, target: AgentTarget): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'authorization' || k === 'host') continue;
    out[k] = v;
  }
  out.host = target.url.host;
  if (target.token) out.authorization = `Bearer ${target.token}`;
  return out;
}

/** Plain (non-upgrade) requests: logs, including `follow=true` streams. */
export async function handleProxy(deps: ServerDeps, r: ApiRequest): Promise<void> {
  const target = await agentFor(deps, r.ri.namespace!, r.ri.name!);
  await new Promise<void>((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.url.hostname,
        port: target.url.port || 80,
        method: r.req.method,
        path: r.req.url,
        headers: forwardedHeaders(r.req, target),
      },
      (up) => {
        r.res.writeHead(up.statusCode ?? 502, up.headers);
        r.res.flushHeaders();
        up.pipe(r.res);
        up.on('end', resolve);
        up.on('error', () => resolve());
      },
    );
    upstream.on('error', (err) => reject(new StatusError('ServiceUnavailable', `error dialing the agent: ${err.message}`)));
    r.res.on('close', () => upstream.destroy());
    r.req.pipe(upstream);
  });
}

/** Upgrade requests (exec, attach, portforward): raw bytes both ways after the request head. */
export async function proxyUpgrade(deps: ServerDeps, req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): Promise<void> {
  const target = await agentFor(deps, namespace, pod);
  const upstream: Socket = connect({ host: target.url.hostname, port: Number(target.url.port || 80) });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    upstream.once('connect', () => resolve());
    upstream.once('error', (err) => reject(new StatusError('ServiceUnavailable', `error dialing the agent: ${err.message}`)));
  });
  const headers = forwardedHeaders(req, target);
  let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    for (const one of Array.isArray(v) ? v : [v]) text += `${k}: ${one}\r\n`;
  }
  upstream.write(`${text}\r\n`);
  if (head.length) upstream.write(head);
  socket.pipe(upstream);
  upstream.pipe(socket);
}
