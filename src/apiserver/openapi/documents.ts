/**
 * OpenAPI v3 documents generated from the schema table (schema-table.ts) and the resource
 * table (src/api/resources.ts): one document per group-version, shaped like kube-apiserver's
 * `/openapi/v3/apis/<group>/<version>` so kubectl's explain, its fieldValidation probe
 * (a PATCH operation carrying `x-kubernetes-group-version-kind` and a `fieldValidation` query
 * parameter) and client libraries read them. Built once, on first use, then cached.
 */
import { createHash } from 'node:crypto';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { AUTOSCALING, DEFINITIONS, META, definitionNameFor, kubernetesFieldExtensions, type Definition, type FieldSpec, type FieldType } from './schema-table.js';

type Json = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';
const SCALE = `${AUTOSCALING}Scale`;

/** The index and documents are pure functions of the tables; the version is what /version says. */
const KUBERNETES_VERSION = 'v1.32.0';

function scalarSchema(t: Extract<FieldType, { kind: 'scalar' }>): Json {
  switch (t.scalar) {
    case 'string':
      return { type: 'string', ...(t.enum ? { enum: t.enum } : {}) };
    case 'integer':
      return { type: 'integer', format: 'int32' };
    case 'integer64':
      return { type: 'integer', format: 'int64' };
    case 'number':
      return { type: 'number', format: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'byte':
      return { type: 'string', format: 'byte' };
  }
}

function typeSchema(t: FieldType, description?: string): Json {
  const withDesc = (s: Json): Json => (description ? { description, ...s } : s);
  switch (t.kind) {
    case 'scalar':
      return withDesc(scalarSchema(t));
    case 'ref': {
      const target = DEFINITIONS[t.ref];
      const isObject = !target?.primitive;
      return { allOf: [{ $ref: REF_PREFIX + t.ref }], ...(isObject ? { default: {} } : {}), ...(description ? { description } : {}) };
    }
    case 'array':
      return withDesc({ type: 'array', items: typeSchema(t.items) });
    case 'map':
      return withDesc({ type: 'object', additionalProperties: typeSchema(t.values) });
    case 'open':
      return withDesc({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  }
}

function fieldSchema(f: FieldSpec): Json {
  return Object.assign(typeSchema(f.type, f.description), kubernetesFieldExtensions(f));
}

function definitionSchema(def: Definition): Json {
  if (def.primitive) {
    const p = def.primitive;
    if (p.intOrString && p.format === 'int-or-string') return { description: def.description, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
    if (p.intOrString) return { description: def.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
    return { description: def.description, type: p.type, ...(p.format ? { format: p.format } : {}) };
  }
  const out: Json = { description: def.description, type: 'object' };
  if (def.properties) {
    const props: Json = {};
    for (const name of Object.keys(def.properties).sort()) props[name] = fieldSchema(def.properties[name]);
    out.properties = props;
  }
  if (def.required) out.required = def.required;
  if (def.gvk) out['x-kubernetes-group-version-kind'] = [def.gvk];
  return out;
}

/** Every definition reachable from `roots` (refs followed through fields, items, map values). */
function closure(roots: string[]): string[] {
  const seen = new Set<string>();
  const visitType = (t: FieldType) => {
    if (t.kind === 'ref') visit(t.ref);
    else if (t.kind === 'array') visitType(t.items);
    else if (t.kind === 'map') visitType(t.values);
  };
  const visit = (name: string) => {
    if (seen.has(name) || !DEFINITIONS[name]) return;
    seen.add(name);
    for (const f of Object.values(DEFINITIONS[name].properties ?? {})) visitType(f.type);
  };
  roots.forEach(visit);
  return [...seen].sort();
}

const queryParam = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): Json => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const P = {
  pretty: queryParam('pretty', "If 'true', then the output is pretty printed."),
  dryRun: queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict',
  ),
  force: queryParam('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people.', 'boolean'),
  labelSelector: queryParam('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  fieldSelector: queryParam('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  limit: queryParam('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: queryParam('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: queryParam('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  watch: queryParam('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  timeoutSeconds: queryParam('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  propagationPolicy: queryParam('propagationPolicy', "Whether and how garbage collection will be performed: 'Orphan', 'Background', 'Foreground'."),
  gracePeriodSeconds: queryParam('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
};
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

const jsonContent = (ref: string): Json => ({
  'application/json': { schema: { $ref: REF_PREFIX + ref } },
  'application/yaml': { schema: { $ref: REF_PREFIX + ref } },
  'application/vnd.kubernetes.protobuf': { schema: { $ref: REF_PREFIX + ref } },
});
const ok = (ref: string, codes: string[] = ['200']): Json => Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', content: jsonContent(ref) }]));

function opId(verb: string, info: ResourceInfo, suffix = '', namespaced = info.namespaced): string {
  const groupName = info.group === '' ? 'Core' : info.group.split('.')[0].replace(/^./, (c) => c.toUpperCase());
  const version = info.version.replace(/^./, (c) => c.toUpperCase());
  return `${verb}${groupName}${version}${namespaced ? 'Namespaced' : ''}${info.kind}${suffix}`;
}

function tagOf(info: ResourceInfo): string {
  return `${info.group === '' ? 'core' : info.group.split('.')[0]}_${info.version}`;
}

function gvkOf(ref: string): Json | undefined {
  return DEFINITIONS[ref]?.gvk as Json | undefined;
}

function writeOps(info: ResourceInfo, ref: string, what: string, suffix: string): Json {
  const gvk = gvkOf(ref);
  const common = { tags: [tagOf(info)], 'x-kubernetes-group-version-kind': gvk };
  return {
    put: {
      ...common,
      description: `replace ${what}`,
      operationId: opId('replace', info, suffix),
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
      requestBody: { content: { '*/*': { schema: { $ref: REF_PREFIX + ref } } }, required: true },
      responses: ok(ref, ['200', '201']),
      'x-kubernetes-action': 'put',
    },
    patch: {
      ...common,
      description: `partially update ${what}`,
      operationId: opId('patch', info, suffix),
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation, P.force],
      requestBody: {
        content: Object.fromEntries(
          ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((t) => [
            t,
            { schema: { $ref: `${REF_PREFIX}${META}Patch` } },
          ]),
        ),
        required: true,
      },
      responses: ok(ref, ['200', '201']),
      'x-kubernetes-action': 'patch',
    },
    get: { ...common, description: `read ${what}`, operationId: opId('read', info, suffix), responses: ok(ref), 'x-kubernetes-action': 'get' },
  };
}

function resourcePaths(info: ResourceInfo): Json {
  const ref = definitionNameFor(info.group, info.version, info.kind);
  if (!DEFINITIONS[ref]) return {};
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const collection = info.namespaced ? `${base}/namespaces/{namespace}/${info.resource}` : `${base}/${info.resource}`;
  const nsParam = info.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParam = pathParam('name', `name of the ${info.kind}`);
  const gvk = gvkOf(ref);
  const listRef = `${ref}List`;
  const paths: Json = {};
  paths[collection] = {
    get: {
      tags: [tagOf(info)],
      description: `list or watch objects of kind ${info.kind}`,
      operationId: opId('list', info),
      parameters: [P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.timeoutSeconds, P.watch],
      responses: ok(listRef),
      'x-kubernetes-action': 'list',
      'x-kubernetes-group-version-kind': gvk,
    },
    post: {
      tags: [tagOf(info)],
      description: `create ${article(info.kind)} ${info.kind}`,
      operationId: opId('create', info),
      parameters: [P.dryRun, P.fieldManager, P.fieldValidation],
      requestBody: { content: { '*/*': { schema: { $ref: REF_PREFIX + ref } } }, required: true },
      responses: ok(ref, ['200', '201', '202']),
      'x-kubernetes-action': 'post',
      'x-kubernetes-group-version-kind': gvk,
    },
    delete: {
      tags: [tagOf(info)],
      description: `delete collection of ${info.kind}`,
      operationId: opId('deletecollection', info),
      parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy, P.labelSelector, P.fieldSelector],
      responses: ok(`${META}Status`),
      'x-kubernetes-action': 'deletecollection',
      'x-kubernetes-group-version-kind': gvk,
    },
    parameters: [...nsParam, P.pretty],
  };
  paths[`${collection}/{name}`] = {
    ...writeOps(info, ref, `the specified ${info.kind}`, ''),
    delete: {
      tags: [tagOf(info)],
      description: `delete ${article(info.kind)} ${info.kind}`,
      operationId: opId('delete', info),
      parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
      responses: ok(`${META}Status`, ['200', '202']),
      'x-kubernetes-action': 'delete',
      'x-kubernetes-group-version-kind': gvk,
    },
    parameters: [nameParam, ...nsParam, P.pretty],
  };
  if (info.subresources.includes('status')) {
    paths[`${collection}/{name}/status`] = { ...writeOps(info, ref, `status of the specified ${info.kind}`, 'Status'), parameters: [nameParam, ...nsParam, P.pretty] };
  }
  if (info.subresources.includes('scale')) {
    paths[`${collection}/{name}/scale`] = { ...writeOps(info, SCALE, `scale of the specified ${info.kind}`, 'Scale'), parameters: [nameParam, ...nsParam, P.pretty] };
  }
  if (info.namespaced) {
    paths[`${base}/${info.resource}`] = {
      get: {
        tags: [tagOf(info)],
        description: `list or watch objects of kind ${info.kind}`,
        operationId: opId('list', info, 'ForAllNamespaces', false),
        responses: ok(listRef),
        'x-kubernetes-action': 'list',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: [P.continue, P.fieldSelector, P.labelSelector, P.limit, P.pretty, P.resourceVersion, P.timeoutSeconds, P.watch],
    };
  }
  return paths;
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? 'an' : 'a';
}

function listDefinition(info: ResourceInfo, ref: string): Json {
  return {
    description: `${info.listKind} is a list of ${info.kind} objects.`,
    type: 'object',
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
      items: { type: 'array', description: `List of ${info.resource}.`, items: { allOf: [{ $ref: REF_PREFIX + ref }], default: {} } },
      kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: { allOf: [{ $ref: `${REF_PREFIX}${META}ListMeta` }], default: {}, description: 'Standard list metadata.' },
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ group: info.group, kind: info.listKind, version: info.version }],
  };
}

/** Index key of a group-version: `api/v1`, `apis/apps/v1`. */
export function groupVersionPath(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group === '' ? `api/${info.version}` : `apis/${info.group}/${info.version}`;
}

interface Built {
  doc: Json;
  hash: string;
}

let cache: Map<string, Built> | undefined;

function build(): Map<string, Built> {
  const byGv = new Map<string, ResourceInfo[]>();
  for (const info of RESOURCES) {
    const key = groupVersionPath(info);
    byGv.set(key, [...(byGv.get(key) ?? []), info]);
  }
  const out = new Map<string, Built>();
  for (const [gvPath, infos] of byGv) {
    const roots = infos.map((i) => definitionNameFor(i.group, i.version, i.kind)).filter((r) => DEFINITIONS[r]);
    roots.push(`${META}Status`, `${META}DeleteOptions`);
    if (infos.some((i) => i.subresources.includes('scale'))) roots.push(SCALE);
    const schemas: Json = {};
    for (const name of closure(roots)) schemas[name] = definitionSchema(DEFINITIONS[name]);
    for (const info of infos) {
      const ref = definitionNameFor(info.group, info.version, info.kind);
      if (DEFINITIONS[ref]) schemas[`${ref}List`] = listDefinition(info, ref);
    }
    schemas[`${META}Patch`] = { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
    const paths: Json = {};
    for (const info of infos) Object.assign(paths, resourcePaths(info));
    const doc: Json = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: KUBERNETES_VERSION },
      paths,
      components: {
        schemas,
        securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
      },
    };
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    out.set(gvPath, { doc, hash });
  }
  return out;
}

function built(): Map<string, Built> {
  cache ??= build();
  return cache;
}

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** `GET /openapi/v3`: one entry per served group-version; the hash changes with the document. */
export function openApiV3Index(): OpenApiV3Index {
  const paths: OpenApiV3Index['paths'] = {};
  for (const [gv, b] of built()) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${b.hash}` };
  return { paths };
}

/** `GET /openapi/v3/<groupVersionPath>` (with or without the leading `/`); undefined → 404. */
export function openApiV3Document(groupVersionPath: string): object | undefined {
  return built().get(groupVersionPath.replace(/^\/+/, '').replace(/^openapi\/v3\//, ''))?.doc;
}

/** The content hash of one document (what the index's `?hash=` carries), for ETag headers. */
export function openApiV3Hash(groupVersionPath: string): string | undefined {
  return built().get(groupVersionPath.replace(/^\/+/, ''))?.hash;
}
