import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';

/** `k8s\0` + runtime.Unknown → the object as JSON-shaped KubeObject. Placeholder: 415. */
export function decodeProtobufObject(_body: Buffer): KubeObject {
  throw new StatusError('UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
}
