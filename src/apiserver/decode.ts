/**
 * Request body decoding: JSON, YAML and kubectl's protobuf envelope; fieldValidation
 * (Strict → 400 on unknown fields, Warn → Warning headers).
 */
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../api/meta.js';
import type { ResourceInfo } from '../api/resources.js';
import { errors, StatusError } from '../api/status-error.js';
import type { ApiRequest } from './context.js';
import { mediaTypeOf, readBody } from './http-util.js';
import { strictDecodingError, unknownFields, unknownFieldWarnings } from './openapi/index.js';
import { decodeProtobufObject } from './protobuf/index.js';

export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw errors.badRequest(`json: cannot unmarshal request body: ${(err as Error).message}`);
  }
}

export function parseYamlBody(body: Buffer): unknown {
  try {
    return parseYaml(body.toString('utf8'));
  } catch (err) {
    throw errors.badRequest(`yaml: cannot unmarshal request body: ${(err as Error).message}`);
  }
}

export function asObject(v: unknown, info: ResourceInfo): KubeObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: the body is not a JSON object`);
  }
  const obj = v as KubeObject;
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    throw errors.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: metadata must be an object`);
  }
  obj.metadata ??= {};
  return obj;
}

/** Decodes an object body per Content-Type; applies fieldValidation to it. */
export async function decodeObjectBody(r: ApiRequest, info: ResourceInfo = r.info): Promise<KubeObject> {
  const body = await readBody(r.req);
  const type = mediaTypeOf(r.req.headers['content-type']);
  let obj: KubeObject;
  switch (type) {
    case '':
    case 'application/json':
      obj = asObject(parseJsonBody(body), info);
      break;
    case 'application/yaml':
      obj = asObject(parseYamlBody(body), info);
      break;
    case 'application/vnd.kubernetes.protobuf':
      obj = asObject(decodeProtobufObject(body), info);
      break;
    default:
      throw new StatusError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  }
  checkFieldValidation(r, info, obj);
  return obj;
}

export function checkFieldValidation(r: ApiRequest, info: ResourceInfo, obj: KubeObject): void {
  const mode = r.query.get('fieldValidation');
  if (mode !== 'Strict' && mode !== 'Warn') return;
  const unknown = unknownFields(info, obj);
  if (unknown.length === 0) return;
  if (mode === 'Strict') throw strictDecodingError(info, unknown);
  if (!r.res.headersSent) r.res.setHeader('Warning', unknownFieldWarnings(unknown).map((w) => `299 - ${JSON.stringify(w)}`));
}
