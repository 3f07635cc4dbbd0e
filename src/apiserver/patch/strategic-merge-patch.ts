import type { KubeObject } from '../../api/meta.js';
import { StatusError } from '../../api/status-error.js';

/** Placeholder until the strategic merge implementation lands (same signature). */
export function applyStrategicMergePatch<T extends KubeObject = KubeObject>(_obj: T, _patch: unknown, kind: string): T {
  throw new StatusError('UnsupportedMediaType', `strategic merge patch is not supported yet for ${kind}`);
}
