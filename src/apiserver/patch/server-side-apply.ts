import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';
import { StatusError } from '../../api/status-error.js';

export interface ServerSideApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The decoded apply body (see parseApplyBody). */
  applied: KubeObject;
  /** `fieldManager` query parameter (required for apply; the caller checks presence). */
  manager: string;
  /** `force=true`: take conflicting fields over instead of failing with 409. */
  force: boolean;
  info: ResourceInfo;
  /** RFC 3339 time stamped on the manager's managedFields entry. */
  now: string;
  /** Subresource the apply targets (`status`, `scale`), if any. */
  subresource?: string;
}

export interface UpdateManagedFieldsOptions {
  /** The object before the write; undefined for a create. */
  old: KubeObject | undefined;
  /** The object about to be stored. */
  new: KubeObject;
  manager: string;
  operation: 'Update';
  subresource?: string;
  info: ResourceInfo;
  now: string;
}

export function applyServerSideApply(_opts: ServerSideApplyOptions): KubeObject {
  throw new StatusError('UnsupportedMediaType', 'server-side apply is not supported yet');
}

export function recordUpdateManagedFields(opts: UpdateManagedFieldsOptions): KubeObject {
  return opts.new;
}

export function parseApplyBody(_body: Buffer | string): KubeObject {
  throw new StatusError('UnsupportedMediaType', 'server-side apply is not supported yet');
}
