/**
 * Response content negotiation and rendering: JSON (default), YAML, server-side Table
 * (`as=Table;g=meta.k8s.io`) and PartialObjectMetadata, for single objects, lists and watch
 * events. Lists are assembled from each object's cached JSON text, not re-serialised.
 */
import type { ServerResponse } from 'node:http';
import { stringify as toYaml } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { StatusError } from '../api/status-error.js';
import { parseMediaTypes } from './http-util.js';
import { printTable } from './model.js';
import type { IncludeObject } from '../api/tables/index.js';

export type { IncludeObject };

export type OutputFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1'; includeObject: IncludeObject }
  | { kind: 'metadata'; version: 'v1' | 'v1beta1' };

/** Picks the first acceptable media type of Accept; 406 when none is. */
export function negotiateOutput(accept: string | undefined, query: URLSearchParams): OutputFormat {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { kind: 'json' };
  for (const t of types) {
    const as = t.params.as;
    if (t.type === 'application/json' || t.type === '*/*' || t.type === 'application/*') {
      if (!as) return { kind: 'json' };
      if (t.params.g !== 'meta.k8s.io') continue;
      const version = t.params.v === 'v1beta1' ? 'v1beta1' : 'v1';
      if (as === 'Table') {
        const inc = query.get('includeObject');
        const includeObject: IncludeObject = inc === 'None' || inc === 'Object' ? inc : 'Metadata';
        return { kind: 'table', version, includeObject };
      }
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata', version };
      continue;
    }
    if (t.type === 'application/yaml' && !as) return { kind: 'yaml' };
  }
  throw new StatusError('NotAcceptable', `only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`);
}

export function contentTypeOf(f: OutputFormat): string {
  return f.kind === 'yaml' ? 'application/yaml' : 'application/json';
}

function partialMetadata(obj: KubeObject, version: string): unknown {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export interface ListMetaOut {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A Table of objects (one row each), as kube-apiserver answers `kubectl get`. */
export function renderTable(info: ResourceInfo, objs: readonly KubeObject[], f: Extract<OutputFormat, { kind: 'table' }>, meta: Partial<ListMetaOut>, nowMs: number): string {
  const t = printTable(info, objs, nowMs, f.includeObject);
  return JSON.stringify({ kind: 'Table', apiVersion: `meta.k8s.io/${f.version}`, metadata: meta, columnDefinitions: t.columnDefinitions, rows: t.rows });
}

/** One object in the negotiated format. */
export function renderObject(info: ResourceInfo, obj: KubeObject, f: OutputFormat, nowMs: number, json?: string): string {
  switch (f.kind) {
    case 'json':
      return json ?? JSON.stringify(obj);
    case 'yaml':
      return toYaml(obj);
    case 'table':
      return renderTable(info, [obj], f, { resourceVersion: obj.metadata.resourceVersion }, nowMs);
    case 'metadata':
      return JSON.stringify(partialMetadata(obj, f.version));
  }
}

/** Something a list can be rendered from: its JSON text, and the object on demand. */
export interface ListItem {
  readonly json: string;
  obj(): KubeObject;
}

/**
 * A JSON list written in slices as it is assembled (no single giant string or Buffer):
 * the head, then items joined a few hundred at a time.
 */
export function writeJsonList(res: ServerResponse, info: ResourceInfo, list: readonly ListItem[], meta: ListMetaOut): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json');
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  let buf = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(meta)},"items":[`;
  for (let i = 0; i < list.length; i++) {
    buf += i === 0 ? list[i]!.json : `,${list[i]!.json}`;
    if (buf.length >= 1 << 20) {
      res.write(buf);
      buf = '';
    }
  }
  res.end(`${buf}]}`);
}

/** A list: JSON is assembled from each item's text; other formats parse the items. */
export function renderList(info: ResourceInfo, list: readonly ListItem[], f: OutputFormat, meta: ListMetaOut, nowMs: number): string {
  const items = f.kind === 'json' ? [] : list.map((c) => c.obj());
  switch (f.kind) {
    case 'json': {
      const parts: string[] = new Array(list.length);
      for (let i = 0; i < list.length; i++) parts[i] = list[i]!.json;
      const head = `{"kind":${JSON.stringify(info.listKind)},"apiVersion":${JSON.stringify(info.group ? `${info.group}/${info.version}` : info.version)},"metadata":${JSON.stringify(meta)},"items":[`;
      return `${head}${parts.join(',')}]}`;
    }
    case 'yaml':
      return toYaml({ kind: info.listKind, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, metadata: meta, items });
    case 'table':
      return renderTable(info, items, f, meta, nowMs);
    case 'metadata':
      return JSON.stringify({
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${f.version}`,
        metadata: meta,
        items: items.map((o) => partialMetadata(o, f.version)),
      });
  }
}
