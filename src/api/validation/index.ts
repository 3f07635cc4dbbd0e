/**
 * Validation entry point for the API server: `validateObject(info, obj, old?)` returns every
 * problem at once as StatusCauses (`{reason, field, message}`) in Kubernetes' wording;
 * `assertValid` throws the 422 StatusError kubectl prints
 * (`The Service "x" is invalid: spec.ports[0].port: Invalid value: 0: ...`).
 *
 * Contract: call after defaulting (applyDefaults) and after the API server's allocations
 * (ClusterIP, NodePorts), as Kubernetes does; `old` is the stored object on update.
 */
import type { KubeObject, StatusCause } from '../meta.js';
import type { ResourceInfo } from '../resources.js';
import { errors } from '../status-error.js';
import type {
  ConfigMap,
  Deployment,
  Endpoints,
  EndpointSlice,
  Event,
  HorizontalPodAutoscaler,
  Lease,
  Namespace,
  Node,
  Pod,
  ReplicaSet,
  ReplicationController,
  Scale,
  Secret,
  Service,
} from '../types.js';
import { arr, fieldErrors as fe, type FieldError } from './field-errors.js';
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, type NameValidator } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateEndpoints,
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateNodeUpdate,
  validateSecret,
  validateSecretUpdate,
} from './other.js';
import { validatePod, validatePodStatus, validatePodUpdate } from './pod.js';
import { validateService, validateServiceUpdate } from './service.js';
import { validateAppsSelectorUpdate, validateDeployment, validateHPA, validateReplicaSet, validateReplicationController, validateScale } from './workloads.js';

export type { FieldError } from './field-errors.js';
export { fieldErrors, formatFieldError, goRepr } from './field-errors.js';
export * as names from './names.js';

interface KindRules {
  name: NameValidator;
  /** Extra checks for status-subresource writes. */
  status?: (obj: KubeObject) => FieldError[];
  create?: (obj: KubeObject) => FieldError[];
  update?: (obj: KubeObject, old: KubeObject) => FieldError[];
}

const rules: Record<string, KindRules> = {
  Namespace: { name: nameIsDNSLabel, create: (o) => validateNamespace(o as Namespace) },
  Pod: {
    name: nameIsDNSSubdomain,
    create: (o) => validatePod(o as Pod),
    update: (o, old) => validatePodUpdate(o as Pod, old as Pod),
    status: (o) => validatePodStatus(o as Pod),
  },
  Service: { name: nameIsDNS1035Label, create: (o) => validateService(o as Service), update: (o, old) => validateServiceUpdate(o as Service, old as Service) },
  Endpoints: { name: nameIsDNSSubdomain, create: (o) => validateEndpoints(o as Endpoints) },
  EndpointSlice: {
    name: nameIsDNSSubdomain,
    create: (o) => validateEndpointSlice(o as EndpointSlice),
    update: (o, old) => validateEndpointSliceUpdate(o as EndpointSlice, old as EndpointSlice),
  },
  Node: { name: nameIsDNSSubdomain, create: (o) => validateNode(o as Node), update: (o, old) => validateNodeUpdate(o as Node, old as Node) },
  Event: { name: nameIsDNSSubdomain, create: (o) => validateEvent(o as Event) },
  ConfigMap: { name: nameIsDNSSubdomain, create: (o) => validateConfigMap(o as ConfigMap), update: (o, old) => validateConfigMapUpdate(o as ConfigMap, old as ConfigMap) },
  Secret: { name: nameIsDNSSubdomain, create: (o) => validateSecret(o as Secret), update: (o, old) => validateSecretUpdate(o as Secret, old as Secret) },
  ServiceAccount: { name: nameIsDNSSubdomain },
  ReplicationController: { name: nameIsDNSSubdomain, create: (o) => validateReplicationController(o as ReplicationController) },
  ReplicaSet: {
    name: nameIsDNSSubdomain,
    create: (o) => validateReplicaSet(o as ReplicaSet),
    update: (o, old) => validateAppsSelectorUpdate(o as ReplicaSet, old as ReplicaSet),
  },
  Deployment: {
    name: nameIsDNSSubdomain,
    create: (o) => validateDeployment(o as Deployment),
    update: (o, old) => validateAppsSelectorUpdate(o as Deployment, old as Deployment),
  },
  HorizontalPodAutoscaler: { name: nameIsDNSSubdomain, create: (o) => validateHPA(o as HorizontalPodAutoscaler) },
  Lease: { name: nameIsDNSSubdomain, create: (o) => validateLease(o as Lease) },
  Scale: { name: nameIsDNSSubdomain, create: (o) => validateScale(o as Scale) },
};

export interface ValidateOptions {
  /**
   * `status`: a status-subresource write; metadata immutability plus, for Pods, status IP and
   * condition syntax (the API server keeps the old spec). `scale`: a Scale object (spec.replicas ≥ 0).
   */
  subresource?: 'status' | 'scale';
}

/** Every problem with `obj` (and with the change from `old`, on update). Empty = valid. */
export function validateObject(info: Pick<ResourceInfo, 'kind' | 'namespaced'>, obj: KubeObject, old?: KubeObject, opts: ValidateOptions = {}): StatusCause[] {
  if (opts.subresource === 'scale') return validateScale(obj as Scale);
  const r = rules[info.kind];
  const out: FieldError[] = [];
  if (!obj || typeof obj !== 'object' || !obj.metadata || typeof obj.metadata !== 'object') return [fe.required('metadata', '')];
  out.push(...validateObjectMeta(obj.metadata, { namespaced: info.namespaced, nameFn: r?.name ?? nameIsDNSSubdomain }));
  if (old) {
    out.push(...validateObjectMetaUpdate(obj.metadata, old.metadata));
    if (old.metadata.deletionTimestamp) {
      const had = new Set(arr(old.metadata.finalizers));
      const added = (arr(obj.metadata.finalizers)).filter((f) => !had.has(f));
      if (added.length) {
        out.push(
          fe.forbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          ),
        );
      }
    }
  }
  if (opts.subresource === 'status') {
    if (r?.status) out.push(...r.status(obj));
    return out;
  }
  if (r?.create) out.push(...r.create(obj));
  if (old && r?.update) out.push(...r.update(obj, old));
  return out;
}

/** Throws errors.invalid (422) listing every cause, or returns if `obj` is valid. */
export function assertValid(info: Pick<ResourceInfo, 'kind' | 'group' | 'namespaced'>, obj: KubeObject, old?: KubeObject, opts: ValidateOptions = {}): void {
  const causes = validateObject(info, obj, old, opts);
  if (causes.length === 0) return;
  const name = obj?.metadata?.name ?? obj?.metadata?.generateName ?? '';
  throw errors.invalid(info.kind, info.group, name, causes);
}
