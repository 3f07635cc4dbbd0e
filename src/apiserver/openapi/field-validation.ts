import type { ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';

export function strictDecodingError(info: ResourceInfo, fields: string[]): StatusError {
  const list = fields.map((f) => `unknown field "${f}"`).join(', ');
  return new StatusError('BadRequest', `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${list}`);
}

/** One warning text per field for `fieldValidation=Warn` (send as `Warning: 299 - "<text>"`). */
export function unknownFieldWarnings(fields: string[]): string[] {
  return fields.map((f) => `unknown field "${f}"`);
}
