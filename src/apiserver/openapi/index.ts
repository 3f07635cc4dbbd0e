/**
 * OpenAPI v3 served at /openapi/v3 (index) and /openapi/v3/<gv path> (documents), plus the
 * unknown-field check behind `fieldValidation=Strict|Warn`.
 */
import type { ResourceInfo } from '../../api/resources.js';

export interface OpenApiV3Index {
  paths: Record<string, { serverRelativeURL: string }>;
}

/** Placeholder until the documents land. */
export function openApiV3Index(): OpenApiV3Index {
  return { paths: {} };
}

/** `groupVersionPath` as in the index keys: `api/v1`, `apis/apps/v1`. undefined → 404. */
export function openApiV3Document(_groupVersionPath: string): object | undefined {
  return undefined;
}

/** Paths (`.spec.foo`) of fields the kind's schema does not know; [] when all are known. */
export function unknownFields(_info: ResourceInfo, _obj: unknown): string[] {
  return [];
}

/**
 * The 400 kube-apiserver answers for `fieldValidation=Strict` (fields as unknownFields returns
 * them, e.g. `spec.foo`): `Deployment in version "v1" cannot be handled as a Deployment:
 * strict decoding error: unknown field "spec.foo"`.
 */
export { strictDecodingError, unknownFieldWarnings } from './field-validation.js';
