/**
 * OpenAPI v3 served at /openapi/v3 (index) and /openapi/v3/<gv path> (documents), plus the
 * unknown-field check behind `fieldValidation=Strict|Warn`. All derived from schema-table.ts.
 *
 * Request path (apiserver):
 *   GET /openapi/v3            → 200 openApiV3Index()
 *   GET /openapi/v3/apis/apps/v1?hash=H → 200 openApiV3Document('apis/apps/v1') (404 when undefined);
 *       kube-apiserver answers with `Cache-Control: public, immutable` when the hash matches.
 *   POST/PUT/PATCH with fieldValidation=Strict: fields = unknownFields(info, body);
 *       fields.length → throw strictDecodingError(info, fields);
 *   fieldValidation=Warn (kubectl's default is Strict): unknownFieldWarnings(fields) as Warning headers.
 */
export { openApiV3Index, openApiV3Document, openApiV3Hash, groupVersionPath, type OpenApiV3Index } from './documents.js';
export { unknownFields, unknownFieldsOfKind, strictDecodingError, unknownFieldWarnings } from './field-validation.js';
export { DEFINITIONS, definitionNameFor, fieldOf, type Definition, type FieldSpec, type FieldType } from './schema-table.js';
export { openApiV2Document, openApiV2Protobuf, openApiV2Etag, OPENAPI_V2_PROTOBUF_CONTENT_TYPE } from './v2.js';
