/**
 * OpenAPI v2 (Swagger 2.0), for kubectl 1.27 and 1.28: they read `/openapi/v2` (protobuf only,
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) to decide whether the
 * server supports `fieldValidation` (a PATCH operation with the kind's
 * `x-kubernetes-group-version-kind` listing the query parameter), for `kubectl explain`, and for
 * the patch metadata of `kubectl apply`. Without it their `apply` fails ("the server could not
 * find the requested resource"). Same schema table as v3; built once and cached.
 *
 * The protobuf form is gnostic's `openapi.v2.Document` (google/gnostic openapiv2/OpenAPIv2.proto);
 * vendor extensions travel as YAML text in `Any.yaml`, as kube-apiserver sends them.
 */
import { createHash } from 'node:crypto';
import { stringify as toYaml } from 'yaml';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { ProtoWriter } from '../protobuf/writer.js';
import { AUTOSCALING, DEFINITIONS, META, definitionNameFor, kubernetesFieldExtensions, type Definition, type FieldSpec, type FieldType } from './schema-table.js';

type Json = Record<string, unknown>;

/** What kube-apiserver answers (the Accept kubectl sends spells it with `@v1.0`, which Go's mime parser rejects in a response). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const REF = '#/definitions/';
const SCALE = `${AUTOSCALING}Scale`;

function typeSchema(t: FieldType, description?: string): Json {
  const d = description ? { description } : {};
  switch (t.kind) {
    case 'scalar':
      switch (t.scalar) {
        case 'string':
          return { ...d, type: 'string' };
        case 'integer':
          return { ...d, type: 'integer', format: 'int32' };
        case 'integer64':
          return { ...d, type: 'integer', format: 'int64' };
        case 'number':
          return { ...d, type: 'number', format: 'double' };
        case 'boolean':
          return { ...d, type: 'boolean' };
        case 'byte':
          return { ...d, type: 'string', format: 'byte' };
      }
      return d;
    case 'ref':
      return { ...d, $ref: REF + t.ref };
    case 'array':
      return { ...d, type: 'array', items: typeSchema(t.items) };
    case 'map':
      return { ...d, type: 'object', additionalProperties: typeSchema(t.values) };
    case 'open':
      return { ...d, type: 'object' };
  }
}

function fieldSchema(f: FieldSpec): Json {
  return Object.assign(typeSchema(f.type, f.description), kubernetesFieldExtensions(f));
}

function definitionSchema(def: Definition): Json {
  if (def.primitive) {
    const p = def.primitive;
    if (p.format === 'int-or-string') return { description: def.description, type: 'string', format: 'int-or-string' };
    if (p.intOrString) return { description: def.description, type: 'string' };
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

const query = (name: string, description: string, type = 'string'): Json => ({ name, in: 'query', description, type, uniqueItems: true });
const pathParam = (name: string, description: string): Json => ({ name, in: 'path', description, required: true, type: 'string', uniqueItems: true });
const WRITE_PARAMS = [
  query('dryRun', 'When present, indicates that modifications should not be persisted.'),
  query('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  query('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn - Strict'),
];

function operations(info: ResourceInfo): Json {
  const ref = definitionNameFor(info.group, info.version, info.kind);
  if (!DEFINITIONS[ref]) return {};
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const collection = info.namespaced ? `${base}/namespaces/{namespace}/${info.resource}` : `${base}/${info.resource}`;
  const ns = info.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const tag = `${info.group === '' ? 'core' : info.group.split('.')[0]}_${info.version}`;
  const ok = (r: string) => ({ '200': { description: 'OK', schema: { $ref: REF + r } } });
  const body = (r: string) => ({ name: 'body', in: 'body', required: true, schema: { $ref: REF + r } });
  const item = (r: string, what: string): Json => {
    const gvk = DEFINITIONS[r]?.gvk;
    return {
      get: { tags: [tag], description: `read ${what}`, operationId: `read${info.kind}`, produces: ['application/json'], responses: ok(r), 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': gvk },
      put: { tags: [tag], description: `replace ${what}`, operationId: `replace${info.kind}`, parameters: [body(r), ...WRITE_PARAMS], responses: ok(r), 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': gvk },
      patch: {
        tags: [tag],
        description: `partially update ${what}`,
        operationId: `patch${info.kind}`,
        consumes: ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'],
        parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: `${REF}${META}Patch` } }, ...WRITE_PARAMS, query('force', 'Force is going to "force" Apply requests.', 'boolean')],
        responses: ok(r),
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
      },
      parameters: [pathParam('name', `name of the ${info.kind}`), ...ns],
    };
  };
  const paths: Json = {
    [collection]: {
      post: { tags: [tag], description: `create a ${info.kind}`, operationId: `create${info.kind}`, parameters: [body(ref), ...WRITE_PARAMS], responses: ok(ref), 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': DEFINITIONS[ref].gvk },
      parameters: ns,
    },
    [`${collection}/{name}`]: item(ref, `the specified ${info.kind}`),
  };
  if (info.subresources.includes('status')) paths[`${collection}/{name}/status`] = item(ref, `status of the specified ${info.kind}`);
  if (info.subresources.includes('scale')) paths[`${collection}/{name}/scale`] = item(SCALE, `scale of the specified ${info.kind}`);
  return paths;
}

let cached: { doc: Json; proto: Buffer; etag: string } | undefined;

function build(): { doc: Json; proto: Buffer; etag: string } {
  const definitions: Json = {};
  for (const name of Object.keys(DEFINITIONS).sort()) definitions[name] = definitionSchema(DEFINITIONS[name]);
  definitions[`${META}Patch`] = { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
  const paths: Json = {};
  for (const info of RESOURCES) Object.assign(paths, operations(info));
  const doc: Json = { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, definitions };
  const proto = encodeDocument(doc);
  return { doc, proto, etag: createHash('sha512').update(proto).digest('hex').slice(0, 32).toUpperCase() };
}

function built() {
  cached ??= build();
  return cached;
}

/** `GET /openapi/v2` as JSON (Swagger 2.0). */
export function openApiV2Document(): object {
  return built().doc;
}

/** `GET /openapi/v2` as kubectl asks for it: gnostic protobuf (Content-Type OPENAPI_V2_PROTOBUF_CONTENT_TYPE). */
export function openApiV2Protobuf(): Buffer {
  return built().proto;
}

/** A content hash for ETag / caching of the v2 document. */
export function openApiV2Etag(): string {
  return built().etag;
}

// ---- gnostic openapi.v2 encoding ------------------------------------------------------------

function vendorExtensions(w: ProtoWriter, field: number, o: Json): void {
  for (const [k, v] of Object.entries(o)) {
    if (!k.startsWith('x-') || v === undefined) continue;
    w.message(field, (na) => na.string(1, k).message(2, (any) => any.string(2, toYaml(v))));
  }
}

function encodeSchema(w: ProtoWriter, s: Json): void {
  w.string(1, s.$ref as string | undefined);
  w.string(2, s.format as string | undefined);
  w.string(4, s.description as string | undefined);
  w.varintField(16, s.uniqueItems as boolean | undefined);
  w.strings(19, s.required as string[] | undefined);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    w.message(21, (ap) => ap.message(1, (sub) => encodeSchema(sub, s.additionalProperties as Json)));
  }
  if (typeof s.type === 'string') w.message(22, (t) => t.strings(1, [s.type as string]));
  if (s.items && typeof s.items === 'object') w.message(23, (it) => it.message(1, (sub) => encodeSchema(sub, s.items as Json)));
  if (s.properties && typeof s.properties === 'object') {
    w.message(25, (props) => {
      for (const [name, sub] of Object.entries(s.properties as Json)) props.message(1, (ns) => ns.string(1, name).message(2, (v) => encodeSchema(v, sub as Json)));
    });
  }
  vendorExtensions(w, 31, s);
}

function encodeParameter(w: ProtoWriter, p: Json): void {
  // ParametersItem{1: Parameter{1: BodyParameter | 2: NonBodyParameter{3: query | 4: path}}}
  w.message(1, (param) => {
    if (p.in === 'body') {
      param.message(1, (b) => {
        b.string(1, p.description as string | undefined).string(2, p.name as string).string(3, 'body').varintField(4, p.required as boolean | undefined);
        b.message(5, (s) => encodeSchema(s, p.schema as Json));
      });
      return;
    }
    param.message(2, (nb) => {
      if (p.in === 'path') {
        nb.message(4, (q) => q.varintField(1, true).string(2, 'path').string(3, p.description as string).string(4, p.name as string).string(5, p.type as string).varintField(19, true));
      } else {
        nb.message(3, (q) => q.string(2, 'query').string(3, p.description as string).string(4, p.name as string).string(6, p.type as string).varintField(20, true));
      }
    });
  });
}

function encodeOperation(w: ProtoWriter, op: Json): void {
  w.strings(1, op.tags as string[] | undefined);
  w.string(3, op.description as string | undefined);
  w.string(5, op.operationId as string | undefined);
  w.strings(6, op.produces as string[] | undefined);
  w.strings(7, op.consumes as string[] | undefined);
  for (const p of (op.parameters as Json[] | undefined) ?? []) w.message(8, (pi) => encodeParameter(pi, p));
  w.message(9, (responses) => {
    for (const [code, r] of Object.entries((op.responses as Json | undefined) ?? {})) {
      responses.message(1, (nrv) =>
        nrv.string(1, code).message(2, (rv) =>
          rv.message(1, (resp) => {
            resp.string(1, (r as Json).description as string);
            const schema = (r as Json).schema as Json | undefined;
            if (schema) resp.message(2, (si) => si.message(1, (s) => encodeSchema(s, schema)));
          }),
        ),
      );
    }
  });
  vendorExtensions(w, 13, op);
}

const OPERATION_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function encodeDocument(doc: Json): Buffer {
  const w = new ProtoWriter();
  w.string(1, doc.swagger as string);
  w.message(2, (info) => info.string(1, (doc.info as Json).title as string).string(2, (doc.info as Json).version as string));
  w.message(8, (paths) => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      paths.message(2, (npi) =>
        npi.string(1, path).message(2, (pi) => {
          for (const [verb, field] of Object.entries(OPERATION_FIELDS)) {
            const op = (item as Json)[verb] as Json | undefined;
            if (op) pi.message(field, (o) => encodeOperation(o, op));
          }
          for (const p of ((item as Json).parameters as Json[] | undefined) ?? []) pi.message(9, (x) => encodeParameter(x, p));
        }),
      );
    }
  });
  w.message(9, (defs) => {
    for (const [name, schema] of Object.entries(doc.definitions as Json)) defs.message(1, (ns) => ns.string(1, name).message(2, (s) => encodeSchema(s, schema as Json)));
  });
  return w.finish();
}
