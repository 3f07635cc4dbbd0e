/** Storage failures become Kubernetes Status errors here, once, at the edge (house rule 2). */
import type { ResourceInfo } from '../api/resources.js';
import { errors, StatusError } from '../api/status-error.js';
import { isStorageError } from '../storage/storage.js';

export function translateStorageError(err: unknown, info: ResourceInfo, name: string): unknown {
  if (!isStorageError(err)) return err;
  const gr = { group: info.group, resource: info.resource };
  switch (err.code) {
    case 'KeyExists':
      return errors.alreadyExists(gr, name);
    case 'Conflict':
      return errors.conflict(gr, name);
    case 'NotFound':
      return errors.notFound(gr, name);
    case 'Compacted':
      return errors.gone(`The resourceVersion for the provided list is too old.`);
    case 'Unavailable':
      return new StatusError('ServiceUnavailable', `storage is unavailable: ${err.message}`);
  }
}
