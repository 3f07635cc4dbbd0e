/**
 * Turns a request path into what it addresses, like kube-apiserver's RequestInfoFactory:
 * `/api/v1/namespaces/NS/pods/NAME/log` → {group '', version v1, namespace NS, resource pods,
 * name NAME, subresource log}. Non-resource paths (`/healthz`, `/apis`) come back as such.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'connect';

export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Legacy `/watch/` prefix seen. */
  watchPath: boolean;
  verb: Verb;
}

export interface NonResourceRequest {
  kind: 'nonresource';
  path: string;
  verb: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

/** Namespace subresources reached as `/api/v1/namespaces/NAME/<sub>`. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseRequestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const segments = pathname.split('/').filter((s) => s.length > 0).map(safeDecode);
  const nonResource: NonResourceRequest = { kind: 'nonresource', path: pathname, verb: method.toLowerCase() };
  let rest: string[];
  let group: string;
  let version: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return nonResource;
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return nonResource;
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  // A namespace object is addressed as /api/v1/namespaces/NAME: its own namespace is unset.
  const info: ResourceRequest = { kind: 'resource', group, version, namespace, resource, name, subresource, watchPath, verb: 'get' };
  info.verb = verbOf(method, info, query);
  return info;
}

function verbOf(method: string, info: ResourceRequest, query: URLSearchParams): Verb {
  const isWatch = info.watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (isWatch) return 'watch';
      return info.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return info.name ? 'delete' : 'deletecollection';
    default:
      return 'get';
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
