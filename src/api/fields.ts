/**
 * Field selectors, as `k8s.io/apimachinery/pkg/fields` plus the per-kind field label
 * conversions of the core registry: `metadata.name=x,status.phase!=Running`.
 *
 * Only `=`, `==` and `!=`, comma = AND; `\,` `\=` `\\` escape inside values. Each kind
 * supports a fixed set of fields (like Kubernetes); anything else is BadRequest
 * `field label not supported: <field>`. A field absent from an object reads as "".
 */
import type { KubeObject } from './meta.js';
import { StatusError } from './status-error.js';

export type FieldOperator = '=' | '==' | '!=';

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  readonly value: string;
}

type Getter = (obj: KubeObject) => string;

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const metaGetters: Record<string, Getter> = {
  'metadata.name': (o) => str(o.metadata?.name),
  'metadata.namespace': (o) => str(o.metadata?.namespace),
};

/** Selectable fields per kind, with how to read each (registry `GetAttrs`/`ToSelectableFields`). */
const kindGetters: Record<string, Record<string, Getter>> = {
  Pod: {
    'spec.nodeName': (o: Any) => str(o.spec?.nodeName),
    'spec.restartPolicy': (o: Any) => str(o.spec?.restartPolicy),
    'spec.schedulerName': (o: Any) => str(o.spec?.schedulerName),
    'spec.serviceAccountName': (o: Any) => str(o.spec?.serviceAccountName),
    'spec.hostNetwork': (o: Any) => String(o.spec?.hostNetwork === true),
    'status.phase': (o: Any) => str(o.status?.phase),
    'status.podIP': (o: Any) => str(o.status?.podIPs?.[0]?.ip ?? o.status?.podIP),
    'status.podIPs': (o: Any) => str(o.status?.podIPs?.[0]?.ip ?? o.status?.podIP),
    'status.nominatedNodeName': (o: Any) => str(o.status?.nominatedNodeName),
  },
  Node: {
    'spec.unschedulable': (o: Any) => String(o.spec?.unschedulable === true),
  },
  Event: {
    'involvedObject.kind': (o: Any) => str(o.involvedObject?.kind),
    'involvedObject.namespace': (o: Any) => str(o.involvedObject?.namespace),
    'involvedObject.name': (o: Any) => str(o.involvedObject?.name),
    'involvedObject.uid': (o: Any) => str(o.involvedObject?.uid),
    'involvedObject.apiVersion': (o: Any) => str(o.involvedObject?.apiVersion),
    'involvedObject.resourceVersion': (o: Any) => str(o.involvedObject?.resourceVersion),
    'involvedObject.fieldPath': (o: Any) => str(o.involvedObject?.fieldPath),
    reason: (o: Any) => str(o.reason),
    reportingComponent: (o: Any) => str(o.reportingComponent),
    source: (o: Any) => str(o.source?.component),
    type: (o: Any) => str(o.type),
  },
  Namespace: {
    'status.phase': (o: Any) => str(o.status?.phase),
  },
  Secret: {
    type: (o: Any) => str(o.type),
  },
  // Kubernetes 1.31+ (lets kube-proxy-like watchers skip headless Services: spec.clusterIP!=None).
  Service: {
    'spec.clusterIP': (o: Any) => str(o.spec?.clusterIP),
    'spec.type': (o: Any) => str(o.spec?.type),
  },
  ReplicationController: {
    'status.replicas': (o: Any) => String(o.status?.replicas ?? 0),
  },
  ReplicaSet: {
    'status.replicas': (o: Any) => String(o.status?.replicas ?? 0),
  },
};

/** Old names clients still send, converted like Kubernetes' field label conversion funcs. */
const aliases: Record<string, Record<string, string>> = {
  Pod: { 'spec.host': 'spec.nodeName' },
  Namespace: { name: 'metadata.name' },
  Node: { name: 'metadata.name' },
};

/** The field labels a kind supports in `fieldSelector`. */
export function supportedFields(kind: string): string[] {
  return [...Object.keys(metaGetters), ...Object.keys(kindGetters[kind] ?? {})];
}

function getterFor(kind: string | undefined, field: string): Getter {
  const g = metaGetters[field] ?? (kind ? kindGetters[kind]?.[field] : undefined);
  if (g) return g;
  // Without a kind (or for generic use): walk the dotted path.
  const parts = field.split('.');
  return (o) => {
    let cur: unknown = o;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return '';
      cur = (cur as Record<string, unknown>)[p];
    }
    return typeof cur === 'object' ? '' : str(cur);
  };
}

/** The selectable field set of an object (for indexes and debugging). */
export function selectableFields(kind: string, obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of supportedFields(kind)) out[f] = getterFor(kind, f)(obj);
  return out;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

export class FieldSelector {
  private readonly matcher: (obj: KubeObject) => boolean;

  constructor(
    readonly requirements: readonly FieldRequirement[],
    readonly kind?: string,
  ) {
    const checks = requirements.map((r) => {
      const get = getterFor(kind, r.field);
      const want = r.value;
      return r.operator === '!=' ? (o: KubeObject) => get(o) !== want : (o: KubeObject) => get(o) === want;
    });
    this.matcher =
      checks.length === 0
        ? () => true
        : checks.length === 1
          ? checks[0]
          : (o) => {
              for (let i = 0; i < checks.length; i++) if (!checks[i](o)) return false;
              return true;
            };
  }

  static everything(): FieldSelector {
    return new FieldSelector([]);
  }

  matches(obj: KubeObject): boolean {
    return this.matcher(obj);
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  /** The value `field` must equal (`=`/`==`), if the selector pins it: e.g. spec.nodeName for the agent's watch. */
  requiresExactMatch(field: string): string | undefined {
    for (const r of this.requirements) if (r.field === field && r.operator !== '!=') return r.value;
    return undefined;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeValue(r.value)}`).join(',');
  }
}

/** Splits on unescaped commas. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const out: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    if (escaped) escaped = false;
    else if (s[i] === '\\') escaped = true;
    else if (s[i] === ',') {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  let escaped = false;
  for (let i = 0; i < term.length; i++) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (term[i] === '\\') {
      escaped = true;
      continue;
    }
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescape(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (ch === '\\') {
      const nx = v[i + 1];
      if (nx === '\\' || nx === ',' || nx === '=') {
        out += nx;
        i++;
        continue;
      }
      throw new StatusError('BadRequest', `invalid field selector: invalid escape sequence: \\${nx ?? ''}`);
    }
    if (ch === ',' || ch === '=') throw new StatusError('BadRequest', `invalid field selector: unescaped character '${ch}'`);
    out += ch;
  }
  return out;
}

/**
 * Parses a field selector. With `kind`, fields are checked against what that kind supports
 * (and old aliases such as `spec.host` converted); without, any dotted path is accepted.
 * Throws StatusError BadRequest.
 */
export function parseFieldSelector(text: string, kind?: string): FieldSelector {
  const parts = splitTerms(text).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw new StatusError('BadRequest', `invalid selector: '${text}'; can't understand '${part}'`);
    let [field] = t;
    const [, operator, rhs] = t;
    const value = unescape(rhs);
    if (kind !== undefined) {
      field = aliases[kind]?.[field] ?? field;
      if (!(field in metaGetters) && !(kindGetters[kind] && field in kindGetters[kind])) {
        throw new StatusError('BadRequest', `field label not supported: ${field}`);
      }
    }
    reqs.push({ field, operator, value });
  }
  return new FieldSelector(reqs, kind);
}
