/**
 * The one hand-written schema table of every kind Skiff serves: field names, types, short
 * descriptions, and the list semantics Kubernetes declares in its Go types
 * (`patchMergeKey`/`patchStrategy` for strategic merge patch, `listType`/`listMapKey` for
 * server-side apply). OpenAPI v3 documents, strict field validation, the strategic-merge key
 * table and server-side apply's field sets are all derived from it.
 *
 * Field names and semantics follow Kubernetes' API types (k8s.io/api); sub-objects Skiff does
 * not model in detail (affinity, security contexts, exotic volume sources) are `open()`:
 * objects whose members are not checked, so real manifests are never rejected for them.
 */

export const CORE = 'io.k8s.api.core.v1.';
export const APPS = 'io.k8s.api.apps.v1.';
export const DISCOVERY = 'io.k8s.api.discovery.v1.';
export const AUTOSCALING = 'io.k8s.api.autoscaling.v1.';
export const COORDINATION = 'io.k8s.api.coordination.v1.';
export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = `${META}Time`;
export const MICRO_TIME = `${META}MicroTime`;
export const FIELDS_V1 = `${META}FieldsV1`;

export type Scalar = 'string' | 'integer' | 'integer64' | 'number' | 'boolean' | 'byte';

/** A field's type: a scalar, a reference to a definition, a list, a map, or an open object. */
export type FieldType =
  | { kind: 'scalar'; scalar: Scalar; enum?: string[] }
  | { kind: 'ref'; ref: string }
  | { kind: 'array'; items: FieldType }
  | { kind: 'map'; values: FieldType }
  | { kind: 'open' };

export interface FieldSpec {
  type: FieldType;
  description?: string;
  /** Strategic merge: key identifying list elements (`name`, `containerPort`, ...). */
  mergeKey?: string;
  /** Strategic merge: `merge` (keyed or set merge), `retainKeys`, or both; absent = replace. */
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys';
  /** Server-side apply list semantics; absent for a list = atomic. */
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** `x-kubernetes-map-type: atomic`: the map is owned and replaced as a whole. */
  mapType?: 'atomic' | 'granular';
}

export interface Definition {
  description: string;
  /** Only on top-level kinds. */
  gvk?: { group: string; version: string; kind: string };
  properties?: Record<string, FieldSpec>;
  required?: string[];
  /** A non-object definition (Quantity, Time, IntOrString, FieldsV1). */
  primitive?: { type?: string; format?: string; intOrString?: boolean; open?: boolean };
}

// ---- tiny DSL ------------------------------------------------------------------------------

const str = (description?: string, enumValues?: string[]): FieldSpec => ({ type: { kind: 'scalar', scalar: 'string', ...(enumValues ? { enum: enumValues } : {}) }, description });
const int = (description?: string): FieldSpec => ({ type: { kind: 'scalar', scalar: 'integer' }, description });
const int64 = (description?: string): FieldSpec => ({ type: { kind: 'scalar', scalar: 'integer64' }, description });
const bool = (description?: string): FieldSpec => ({ type: { kind: 'scalar', scalar: 'boolean' }, description });
const ref = (name: string, description?: string): FieldSpec => ({ type: { kind: 'ref', ref: name }, description });
const open = (description?: string): FieldSpec => ({ type: { kind: 'open' }, description });
const time = (description?: string): FieldSpec => ref(TIME, description);
const quantityMap = (description?: string): FieldSpec => ({ type: { kind: 'map', values: { kind: 'ref', ref: QUANTITY } }, description });
const strMap = (description?: string): FieldSpec => ({ type: { kind: 'map', values: { kind: 'scalar', scalar: 'string' } }, description });
const strList = (description?: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ type: { kind: 'array', items: { kind: 'scalar', scalar: 'string' } }, description, listType: 'atomic', ...extra });
const list = (item: string, description?: string, extra: Partial<FieldSpec> = {}): FieldSpec => ({ type: { kind: 'array', items: { kind: 'ref', ref: item } }, description, ...extra });
/** A list merged by key in strategic merge patch and a map-list in server-side apply. */
const keyed = (item: string, mergeKey: string, description?: string, listMapKeys: string[] = [mergeKey], patchStrategy: FieldSpec['patchStrategy'] = 'merge'): FieldSpec =>
  list(item, description, { mergeKey, patchStrategy, listType: 'map', listMapKeys });
const atomicList = (item: string, description?: string): FieldSpec => list(item, description, { listType: 'atomic' });
const intOrString = (description?: string): FieldSpec => ref(INT_OR_STRING, description);

const METADATA = ref(`${META}ObjectMeta`, "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
const LIST_METADATA = ref(`${META}ListMeta`, "Standard list metadata.");
const API_VERSION = str('APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.');
const KIND = str('Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase.');
const conditions = (item: string, description = 'Current service state of the object.'): FieldSpec => keyed(item, 'type', description);

function kind(group: string, version: string, kindName: string, description: string, props: Record<string, FieldSpec>, required?: string[]): Definition {
  return {
    description,
    gvk: { group, version, kind: kindName },
    properties: { apiVersion: API_VERSION, kind: KIND, metadata: METADATA, ...props },
    ...(required ? { required } : {}),
  };
}
const obj = (description: string, properties: Record<string, FieldSpec>, required?: string[]): Definition => ({ description, properties, ...(required ? { required } : {}) });

// ---- the table -----------------------------------------------------------------------------

const d: Record<string, Definition> = {};

// meta.k8s.io/v1 and friends
d[QUANTITY] = { description: 'Quantity is a fixed-point representation of a number, e.g. "100m", "64Mi".', primitive: { intOrString: true } };
d[INT_OR_STRING] = { description: 'IntOrString is a type that can hold an int32 or a string.', primitive: { type: 'string', format: 'int-or-string', intOrString: true } };
d[TIME] = { description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON (RFC 3339).', primitive: { type: 'string', format: 'date-time' } };
d[MICRO_TIME] = { description: 'MicroTime is version of Time with microsecond level precision.', primitive: { type: 'string', format: 'date-time' } };
d[FIELDS_V1] = { description: 'FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.', primitive: { type: 'object', open: true } };
d[`${META}ObjectMeta`] = obj('ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.', {
  name: str('Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Cannot be updated.'),
  generateName: str('GenerateName is an optional prefix, used by the server, to generate a unique name ONLY IF the Name field has not been provided.'),
  namespace: str('Namespace defines the space within which each name must be unique. An empty namespace is equivalent to the "default" namespace.'),
  selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
  uid: str('UID is the unique in time and space value for this object. It is typically generated by the server on successful creation of a resource and is not allowed to change on PUT operations.'),
  resourceVersion: str('An opaque value that represents the internal version of this object that can be used by clients to determine when objects have changed.'),
  generation: int64('A sequence number representing a specific generation of the desired state. Populated by the system. Read-only.'),
  creationTimestamp: time('CreationTimestamp is a timestamp representing the server time when this object was created.'),
  deletionTimestamp: time('DeletionTimestamp is RFC 3339 date and time at which this resource will be deleted.'),
  deletionGracePeriodSeconds: int64('Number of seconds allowed for this object to gracefully terminate before it will be removed from the system.'),
  labels: strMap('Map of string keys and values that can be used to organize and categorize (scope and select) objects.'),
  annotations: strMap('Annotations is an unstructured key value map stored with a resource that may be set by external tools to store and retrieve arbitrary metadata.'),
  ownerReferences: keyed(`${META}OwnerReference`, 'uid', 'List of objects depended by this object. If ALL objects in the list have been deleted, this object will be garbage collected.'),
  finalizers: strList('Must be empty before the object is deleted from the registry. Each entry is an identifier for the responsible component that will remove the entry from the list.', { patchStrategy: 'merge', listType: 'set' }),
  managedFields: atomicList(`${META}ManagedFieldsEntry`, 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.'),
});
d[`${META}OwnerReference`] = obj('OwnerReference contains enough information to let you identify an owning object.', {
  apiVersion: str('API version of the referent.'),
  kind: str('Kind of the referent.'),
  name: str('Name of the referent.'),
  uid: str('UID of the referent.'),
  controller: bool('If true, this reference points to the managing controller.'),
  blockOwnerDeletion: bool('If true, AND if the owner has the "foregroundDeletion" finalizer, then the owner cannot be deleted from the key-value store until this reference is removed.'),
}, ['apiVersion', 'kind', 'name', 'uid']);
d[`${META}ManagedFieldsEntry`] = obj('ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.', {
  apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
  fieldsType: str('FieldsType is the discriminator for the different fields format and version. There is currently only one possible value: "FieldsV1"'),
  fieldsV1: ref(FIELDS_V1, 'FieldsV1 holds the first JSON version format as described in the "FieldsV1" type.'),
  manager: str('Manager is an identifier of the workflow managing these fields.'),
  operation: str('Operation is the type of operation which lead to this ManagedFieldsEntry being created. The only valid values for this field are \'Apply\' and \'Update\'.'),
  subresource: str('Subresource is the name of the subresource used to update that object, or empty string if the object was updated through the main resource.'),
  time: time('Time is the timestamp of when the ManagedFields entry was added.'),
});
d[`${META}ListMeta`] = obj('ListMeta describes metadata that synthetic resources must have, including lists and various status objects.', {
  continue: str('continue may be set if the user set a limit on the number of items returned.'),
  remainingItemCount: int64('remainingItemCount is the number of subsequent items in the list which are not included in this list response.'),
  resourceVersion: str("String that identifies the server's internal version of this object that can be used by clients to determine when objects have changed."),
  selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
});
d[`${META}LabelSelector`] = obj('A label selector is a label query over a set of resources. The result of matchLabels and matchExpressions are ANDed. An empty label selector matches all objects. A null label selector matches no objects.', {
  matchExpressions: atomicList(`${META}LabelSelectorRequirement`, 'matchExpressions is a list of label selector requirements. The requirements are ANDed.'),
  matchLabels: strMap('matchLabels is a map of {key,value} pairs.'),
});
d[`${META}LabelSelector`].properties!.matchExpressions.listType = 'atomic';
d[`${META}LabelSelectorRequirement`] = obj('A label selector requirement is a selector that contains values, a key, and an operator that relates the key and values.', {
  key: str('key is the label key that the selector applies to.'),
  operator: str("operator represents a key's relationship to a set of values. Valid operators are In, NotIn, Exists and DoesNotExist."),
  values: strList('values is an array of string values.'),
}, ['key', 'operator']);
d[`${META}Condition`] = obj('Condition contains details for one aspect of the current state of this API Resource.', {
  lastTransitionTime: time(), message: str(), observedGeneration: int64(), reason: str(), status: str(), type: str(),
}, ['type', 'status', 'lastTransitionTime', 'reason', 'message']);
d[`${META}StatusCause`] = obj('StatusCause provides more information about an api.Status failure.', { field: str(), message: str(), reason: str() });
d[`${META}StatusDetails`] = obj('StatusDetails is a set of additional properties that MAY be set by the server to provide additional information about a response.', {
  causes: atomicList(`${META}StatusCause`), group: str(), kind: str(), name: str(), retryAfterSeconds: int(), uid: str(),
});
d[`${META}Status`] = kind('', 'v1', 'Status', 'Status is a return value for calls that don\'t return other objects.', {
  code: int('Suggested HTTP return code for this status, 0 if not set.'), details: ref(`${META}StatusDetails`), message: str(), reason: str(), status: str(),
});
d[`${META}Status`].properties!.metadata = LIST_METADATA;
d[`${META}Preconditions`] = obj('Preconditions must be fulfilled before an operation (update, delete, etc.) is carried out.', { resourceVersion: str(), uid: str() });
d[`${META}DeleteOptions`] = kind('', 'v1', 'DeleteOptions', 'DeleteOptions may be provided when deleting an API object.', {
  dryRun: strList(), gracePeriodSeconds: int64(), ignoreStoreReadErrorWithClusterBreakingPotential: bool(), orphanDependents: bool(),
  preconditions: ref(`${META}Preconditions`), propagationPolicy: str('Whether and how garbage collection will be performed: Orphan, Background or Foreground.'),
});
delete d[`${META}DeleteOptions`].properties!.metadata;

// core/v1 -------------------------------------------------------------------------------------
const C = (n: string) => `${CORE}${n}`;

d[C('ObjectReference')] = obj('ObjectReference contains enough information to let you inspect or modify the referred object.', {
  apiVersion: str(), fieldPath: str(), kind: str(), name: str(), namespace: str(), resourceVersion: str(), uid: str(),
});
d[C('LocalObjectReference')] = obj('LocalObjectReference contains enough information to let you locate the referenced object inside the same namespace.', { name: str('Name of the referent.') });
d[C('KeySelector')] = obj('Selects a key of a ConfigMap or Secret.', { key: str('The key to select.'), name: str('Name of the referent.'), optional: bool('Specify whether the object or its key must be defined') }, ['key']);
d[C('ObjectFieldSelector')] = obj('ObjectFieldSelector selects an APIVersioned field of an object.', { apiVersion: str(), fieldPath: str('Path of the field to select in the specified API version.') }, ['fieldPath']);
d[C('ResourceFieldSelector')] = obj('ResourceFieldSelector represents container resources (cpu, memory) and their output format', { containerName: str(), divisor: ref(QUANTITY), resource: str('Required: resource to select') }, ['resource']);
d[C('EnvVarSource')] = obj('EnvVarSource represents a source for the value of an EnvVar.', {
  configMapKeyRef: ref(C('KeySelector'), 'Selects a key of a ConfigMap.'),
  fieldRef: ref(C('ObjectFieldSelector'), 'Selects a field of the pod.'),
  fileKeyRef: open('FileKeyRef selects a key of the env file.'),
  resourceFieldRef: ref(C('ResourceFieldSelector'), 'Selects a resource of the container.'),
  secretKeyRef: ref(C('KeySelector'), 'Selects a key of a secret in the pod\'s namespace'),
});
d[C('EnvVar')] = obj('EnvVar represents an environment variable present in a Container.', {
  name: str('Name of the environment variable.'),
  value: str('Variable references $(VAR_NAME) are expanded using the previously defined environment variables in the container and any service environment variables.'),
  valueFrom: ref(C('EnvVarSource'), "Source for the environment variable's value. Cannot be used if value is not empty."),
}, ['name']);
d[C('EnvFromSource')] = obj('EnvFromSource represents the source of a set of ConfigMaps or Secrets', {
  configMapRef: ref(C('LocalObjectReference'), 'The ConfigMap to select from'),
  prefix: str('Optional text to prepend to the name of each environment variable.'),
  secretRef: ref(C('LocalObjectReference'), 'The Secret to select from'),
});
d[C('LocalObjectReference')].properties!.optional = bool('Specify whether the object must be defined');
d[C('ContainerPort')] = obj('ContainerPort represents a network port in a single container.', {
  containerPort: int('Number of port to expose on the pod\'s IP address. This must be a valid port number, 0 < x < 65536.'),
  hostIP: str('What host IP to bind the external port to.'),
  hostPort: int('Number of port to expose on the host.'),
  name: str('If specified, this must be an IANA_SVC_NAME and unique within the pod. Each named port in a pod must have a unique name.'),
  protocol: str('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".', ['SCTP', 'TCP', 'UDP']),
}, ['containerPort']);
d[C('ResourceClaim')] = obj('ResourceClaim references one entry in PodSpec.ResourceClaims.', { name: str(), request: str() }, ['name']);
d[C('ResourceRequirements')] = obj('ResourceRequirements describes the compute resource requirements.', {
  claims: keyed(C('ResourceClaim'), 'name', 'Claims lists the names of resources, defined in spec.resourceClaims, that are used by this container.', ['name'], undefined),
  limits: quantityMap('Limits describes the maximum amount of compute resources allowed.'),
  requests: quantityMap('Requests describes the minimum amount of compute resources required.'),
});
d[C('ResourceRequirements')].properties!.claims.patchStrategy = undefined;
d[C('ResourceRequirements')].properties!.claims.mergeKey = undefined;
d[C('VolumeMount')] = obj('VolumeMount describes a mounting of a Volume within a container.', {
  mountPath: str("Path within the container at which the volume should be mounted. Must not contain ':'."),
  mountPropagation: str('mountPropagation determines how mounts are propagated from the host to container and the other way around.'),
  name: str('This must match the Name of a Volume.'),
  readOnly: bool('Mounted read-only if true, read-write otherwise (false or unspecified). Defaults to false.'),
  recursiveReadOnly: str('RecursiveReadOnly specifies whether read-only mounts should be handled recursively.'),
  subPath: str("Path within the volume from which the container's volume should be mounted. Defaults to \"\" (volume's root)."),
  subPathExpr: str('Expanded path within the volume from which the container\'s volume should be mounted.'),
}, ['name', 'mountPath']);
d[C('VolumeDevice')] = obj('volumeDevice describes a mapping of a raw block device within a container.', { devicePath: str(), name: str() }, ['name', 'devicePath']);
d[C('ExecAction')] = obj('ExecAction describes a "run in container" action.', { command: strList('Command is the command line to execute inside the container.') });
d[C('HTTPHeader')] = obj('HTTPHeader describes a custom header to be used in HTTP probes', { name: str(), value: str() }, ['name', 'value']);
d[C('HTTPGetAction')] = obj('HTTPGetAction describes an action based on HTTP Get requests.', {
  host: str('Host name to connect to, defaults to the pod IP.'),
  httpHeaders: atomicList(C('HTTPHeader'), 'Custom headers to set in the request. HTTP allows repeated headers.'),
  path: str('Path to access on the HTTP server.'),
  port: intOrString('Name or number of the port to access on the container.'),
  scheme: str('Scheme to use for connecting to the host. Defaults to HTTP.', ['HTTP', 'HTTPS']),
}, ['port']);
d[C('TCPSocketAction')] = obj('TCPSocketAction describes an action based on opening a socket', { host: str('Optional: Host name to connect to, defaults to the pod IP.'), port: intOrString('Number or name of the port to access on the container.') }, ['port']);
d[C('GRPCAction')] = obj('GRPCAction specifies an action involving a GRPC service.', { port: int('Port number of the gRPC service.'), service: str() }, ['port']);
d[C('SleepAction')] = obj('SleepAction describes a "sleep" action.', { seconds: int64('Seconds is the number of seconds to sleep.') }, ['seconds']);
d[C('Probe')] = obj('Probe describes a health check to be performed against a container to determine whether it is alive or ready to receive traffic.', {
  exec: ref(C('ExecAction'), 'Exec specifies a command to execute in the container.'),
  failureThreshold: int('Minimum consecutive failures for the probe to be considered failed after having succeeded. Defaults to 3.'),
  grpc: ref(C('GRPCAction'), 'GRPC specifies a GRPC HealthCheckRequest.'),
  httpGet: ref(C('HTTPGetAction'), 'HTTPGet specifies an HTTP GET request to perform.'),
  initialDelaySeconds: int('Number of seconds after the container has started before liveness probes are initiated.'),
  periodSeconds: int('How often (in seconds) to perform the probe. Default to 10 seconds.'),
  successThreshold: int('Minimum consecutive successes for the probe to be considered successful after having failed. Defaults to 1.'),
  tcpSocket: ref(C('TCPSocketAction'), 'TCPSocket specifies a connection to a TCP port.'),
  terminationGracePeriodSeconds: int64('Optional duration in seconds the pod needs to terminate gracefully upon probe failure.'),
  timeoutSeconds: int('Number of seconds after which the probe times out. Defaults to 1 second.'),
});
d[C('LifecycleHandler')] = obj('LifecycleHandler defines a specific action that should be taken in a lifecycle hook.', {
  exec: ref(C('ExecAction')), httpGet: ref(C('HTTPGetAction')), sleep: ref(C('SleepAction')), tcpSocket: ref(C('TCPSocketAction')),
});
d[C('Lifecycle')] = obj('Lifecycle describes actions that the management system should take in response to container lifecycle events.', {
  postStart: ref(C('LifecycleHandler'), 'PostStart is called immediately after a container is created.'),
  preStop: ref(C('LifecycleHandler'), 'PreStop is called immediately before a container is terminated.'),
  stopSignal: str('StopSignal defines which signal will be sent to a container when it is being stopped.'),
});
d[C('ContainerResizePolicy')] = obj('ContainerResizePolicy represents resource resize policy for the container.', { resourceName: str(), restartPolicy: str() }, ['resourceName', 'restartPolicy']);
const containerProps = (): Record<string, FieldSpec> => ({
  args: strList('Arguments to the entrypoint. The container image\'s CMD is used if this is not provided.'),
  command: strList("Entrypoint array. Not executed within a shell. The container image's ENTRYPOINT is used if this is not provided."),
  env: keyed(C('EnvVar'), 'name', 'List of environment variables to set in the container. Cannot be updated.'),
  envFrom: atomicList(C('EnvFromSource'), 'List of sources to populate environment variables in the container.'),
  image: str('Container image name. More info: https://kubernetes.io/docs/concepts/containers/images'),
  imagePullPolicy: str('Image pull policy. One of Always, Never, IfNotPresent.', ['Always', 'IfNotPresent', 'Never']),
  lifecycle: ref(C('Lifecycle'), 'Actions that the management system should take in response to container lifecycle events.'),
  livenessProbe: ref(C('Probe'), 'Periodic probe of container liveness. Container will be restarted if the probe fails.'),
  name: str('Name of the container specified as a DNS_LABEL. Each container in a pod must have a unique name (DNS_LABEL). Cannot be updated.'),
  ports: keyed(C('ContainerPort'), 'containerPort', 'List of ports to expose from the container.', ['containerPort', 'protocol']),
  readinessProbe: ref(C('Probe'), 'Periodic probe of container service readiness. Container will be removed from service endpoints if the probe fails.'),
  resizePolicy: atomicList(C('ContainerResizePolicy'), 'Resources resize policy for the container.'),
  resources: ref(C('ResourceRequirements'), 'Compute Resources required by this container. Cannot be updated.'),
  restartPolicy: str('RestartPolicy defines the restart behavior of individual containers in a pod (init containers: "Always" makes a sidecar).'),
  restartPolicyRules: open('Represents a list of rules to be checked to determine if the container should be restarted on exit.'),
  securityContext: open('SecurityContext defines the security options the container should be run with.'),
  startupProbe: ref(C('Probe'), 'StartupProbe indicates that the Pod has successfully initialized.'),
  stdin: bool('Whether this container should allocate a buffer for stdin in the container runtime.'),
  stdinOnce: bool('Whether the container runtime should close the stdin channel after it has been opened by a single attach.'),
  terminationMessagePath: str("Optional: Path at which the file to which the container's termination message will be written is mounted into the container's filesystem."),
  terminationMessagePolicy: str('Indicate how the termination message should be populated. File or FallbackToLogsOnError.'),
  tty: bool("Whether this container should allocate a TTY for itself, also requires 'stdin' to be true."),
  volumeDevices: keyed(C('VolumeDevice'), 'devicePath', 'volumeDevices is the list of block devices to be used by the container.'),
  volumeMounts: keyed(C('VolumeMount'), 'mountPath', "Pod volumes to mount into the container's filesystem. Cannot be updated."),
  workingDir: str("Container's working directory."),
});
d[C('Container')] = obj('A single application container that you want to run within a pod.', containerProps(), ['name']);
d[C('EphemeralContainer')] = obj('An EphemeralContainer is a temporary container that you may add to an existing Pod for user-initiated activities such as debugging.', {
  ...containerProps(),
  targetContainerName: str('If set, the name of the container from PodSpec that this ephemeral container targets.'),
}, ['name']);
const volumeSource = (description: string) => open(description);
d[C('KeyToPath')] = obj('Maps a string key to a path within a volume.', { key: str(), mode: int(), path: str() }, ['key', 'path']);
d[C('ConfigMapVolumeSource')] = obj('Adapts a ConfigMap into a volume.', {
  defaultMode: int(), items: atomicList(C('KeyToPath')), name: str(), optional: bool(),
});
d[C('SecretVolumeSource')] = obj('Adapts a Secret into a volume.', {
  defaultMode: int(), items: atomicList(C('KeyToPath')), optional: bool(), secretName: str('secretName is the name of the secret in the pod\'s namespace to use.'),
});
d[C('EmptyDirVolumeSource')] = obj('Represents an empty directory for a pod.', { medium: str(), sizeLimit: ref(QUANTITY) });
d[C('HostPathVolumeSource')] = obj('Represents a host path mapped into a pod.', { path: str(), type: str() }, ['path']);
d[C('Volume')] = obj('Volume represents a named volume in a pod that may be accessed by any container in the pod.', {
  name: str('name of the volume. Must be a DNS_LABEL and unique within the pod.'),
  configMap: ref(C('ConfigMapVolumeSource'), 'configMap represents a configMap that should populate this volume'),
  emptyDir: ref(C('EmptyDirVolumeSource'), 'emptyDir represents a temporary directory that shares a pod\'s lifetime.'),
  hostPath: ref(C('HostPathVolumeSource'), 'hostPath represents a pre-existing file or directory on the host machine.'),
  secret: ref(C('SecretVolumeSource'), 'secret represents a secret that should populate this volume.'),
  ...Object.fromEntries(
    ['awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'csi', 'downwardAPI', 'ephemeral', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'image', 'iscsi', 'nfs', 'persistentVolumeClaim', 'photonPersistentDisk', 'portworxVolume', 'projected', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume'].map((k) => [k, volumeSource(`${k} volume source.`)]),
  ),
}, ['name']);
d[C('Toleration')] = obj('The pod this Toleration is attached to tolerates any taint that matches the triple <key,value,effect> using the matching operator <operator>.', {
  effect: str('Effect indicates the taint effect to match. Empty means match all taint effects.'), key: str('Key is the taint key that the toleration applies to.'),
  operator: str("Operator represents a key's relationship to the value. Valid operators are Exists and Equal."), tolerationSeconds: int64(), value: str(),
});
d[C('HostAlias')] = obj('HostAlias holds the mapping between IP and hostnames that will be injected as an entry in the pod\'s hosts file.', { hostnames: strList('Hostnames for the above IP address.'), ip: str('IP address of the host file entry.') }, ['ip']);
d[C('PodDNSConfigOption')] = obj('PodDNSConfigOption defines DNS resolver options of a pod.', { name: str(), value: str() });
d[C('PodDNSConfig')] = obj('PodDNSConfig defines the DNS parameters of a pod in addition to those generated from DNSPolicy.', {
  nameservers: strList('A list of DNS name server IP addresses.'), options: atomicList(C('PodDNSConfigOption'), 'A list of DNS resolver options.'), searches: strList('A list of DNS search domains for host-name lookup.'),
});
d[C('PodReadinessGate')] = obj('PodReadinessGate contains the reference to a pod condition', { conditionType: str() }, ['conditionType']);
d[C('TopologySpreadConstraint')] = obj('TopologySpreadConstraint specifies how to spread matching pods among the given topology.', {
  labelSelector: ref(`${META}LabelSelector`), matchLabelKeys: strList(), maxSkew: int(), minDomains: int(), nodeAffinityPolicy: str(), nodeTaintsPolicy: str(), topologyKey: str(), whenUnsatisfiable: str(),
}, ['maxSkew', 'topologyKey', 'whenUnsatisfiable']);
d[C('PodSchedulingGate')] = obj('PodSchedulingGate is associated to a Pod to guard its scheduling.', { name: str() }, ['name']);
d[C('PodResourceClaim')] = obj('PodResourceClaim references exactly one ResourceClaim.', { name: str(), resourceClaimName: str(), resourceClaimTemplateName: str() }, ['name']);
d[C('PodOS')] = obj('PodOS defines the OS parameters of a pod.', { name: str() }, ['name']);
d[C('PodSpec')] = obj('PodSpec is a description of a pod.', {
  activeDeadlineSeconds: int64('Optional duration in seconds the pod may be active on the node relative to StartTime before the system will actively try to mark it failed and kill associated containers.'),
  affinity: open("If specified, the pod's scheduling constraints"),
  automountServiceAccountToken: bool('AutomountServiceAccountToken indicates whether a service account token should be automatically mounted.'),
  containers: keyed(C('Container'), 'name', 'List of containers belonging to the pod. Containers cannot currently be added or removed. There must be at least one container in a Pod. Cannot be updated.'),
  dnsConfig: ref(C('PodDNSConfig'), 'Specifies the DNS parameters of a pod.'),
  dnsPolicy: str("Set DNS policy for the pod. Defaults to \"ClusterFirst\". Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'.", ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']),
  enableServiceLinks: bool("EnableServiceLinks indicates whether information about services should be injected into pod's environment variables. Optional: Defaults to true."),
  ephemeralContainers: keyed(C('EphemeralContainer'), 'name', 'List of ephemeral containers run in this pod.'),
  hostAliases: keyed(C('HostAlias'), 'ip', "HostAliases is an optional list of hosts and IPs that will be injected into the pod's hosts file if specified."),
  hostIPC: bool("Use the host's ipc namespace. Optional: Default to false."),
  hostNetwork: bool("Host networking requested for this pod. Use the host's network namespace. Default to false."),
  hostPID: bool("Use the host's pid namespace. Optional: Default to false."),
  hostUsers: bool("Use the host's user namespace. Optional: Default to true."),
  hostname: str("Specifies the hostname of the Pod. If not specified, the pod's hostname will be set to a system-defined value."),
  hostnameOverride: str('HostnameOverride specifies an explicit override for the pod\'s hostname as perceived by the pod.'),
  imagePullSecrets: keyed(C('LocalObjectReference'), 'name', 'ImagePullSecrets is an optional list of references to secrets in the same namespace to use for pulling any of the images used by this PodSpec.'),
  initContainers: keyed(C('Container'), 'name', 'List of initialization containers belonging to the pod. Init containers are executed in order prior to containers being started.'),
  nodeName: str('NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.'),
  nodeSelector: { ...strMap("NodeSelector is a selector which must be true for the pod to fit on a node."), mapType: 'atomic' },
  os: ref(C('PodOS'), 'Specifies the OS of the containers in the pod.'),
  overhead: quantityMap('Overhead represents the resource overhead associated with running a pod for a given RuntimeClass.'),
  preemptionPolicy: str('PreemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority.'),
  priority: int('The priority value. Various system components use this field to find the priority of the pod.'),
  priorityClassName: str('If specified, indicates the pod\'s priority.'),
  readinessGates: atomicList(C('PodReadinessGate'), 'If specified, all readiness gates will be evaluated for pod readiness.'),
  resourceClaims: keyed(C('PodResourceClaim'), 'name', 'ResourceClaims defines which ResourceClaims must be allocated and reserved before the Pod is allowed to start.', ['name'], 'merge,retainKeys'),
  resources: ref(C('ResourceRequirements'), 'Resources is the total amount of CPU and Memory resources required by all containers in the pod.'),
  restartPolicy: str('Restart policy for all containers within the pod. One of Always, OnFailure, Never. Default to Always.', ['Always', 'Never', 'OnFailure']),
  runtimeClassName: str('RuntimeClassName refers to a RuntimeClass object in the node.k8s.io group.'),
  schedulerName: str('If specified, the pod will be dispatched by specified scheduler. If not specified, the pod will be dispatched by default scheduler.'),
  schedulingGates: keyed(C('PodSchedulingGate'), 'name', 'SchedulingGates is an opaque list of values that if specified will block scheduling the pod.'),
  securityContext: open('SecurityContext holds pod-level security attributes and common container settings.'),
  serviceAccount: str('DeprecatedServiceAccount is a deprecated alias for ServiceAccountName. Deprecated: Use serviceAccountName instead.'),
  serviceAccountName: str('ServiceAccountName is the name of the ServiceAccount to use to run this pod.'),
  setHostnameAsFQDN: bool("If true the pod's hostname will be configured as the pod's FQDN, rather than the leaf name (the default)."),
  shareProcessNamespace: bool('Share a single process namespace between all of the containers in a pod.'),
  subdomain: str('If specified, the fully qualified Pod hostname will be "<hostname>.<subdomain>.<pod namespace>.svc.<cluster domain>".'),
  terminationGracePeriodSeconds: int64('Optional duration in seconds the pod needs to terminate gracefully. Defaults to 30 seconds.'),
  tolerations: atomicList(C('Toleration'), "If specified, the pod's tolerations."),
  topologySpreadConstraints: keyed(C('TopologySpreadConstraint'), 'topologyKey', 'TopologySpreadConstraints describes how a group of pods ought to spread across topology domains.', ['topologyKey', 'whenUnsatisfiable']),
  volumes: keyed(C('Volume'), 'name', 'List of volumes that can be mounted by containers belonging to the pod.', ['name'], 'merge,retainKeys'),
}, ['containers']);
d[C('PodCondition')] = obj('PodCondition contains details for the current condition of this pod.', {
  lastProbeTime: time(), lastTransitionTime: time(), message: str(), observedGeneration: int64(), reason: str(), status: str(), type: str(),
}, ['type', 'status']);
d[C('PodIP')] = obj('PodIP represents a single IP address allocated to the pod.', { ip: str() }, ['ip']);
d[C('HostIP')] = obj('HostIP represents a single IP address allocated to the host.', { ip: str() }, ['ip']);
d[C('ContainerStatus')] = obj('ContainerStatus contains details for the current status of this container.', {
  allocatedResources: quantityMap(), allocatedResourcesStatus: open(), containerID: str(), image: str(), imageID: str(), lastState: open(), name: str(), ready: bool(),
  resources: ref(C('ResourceRequirements')), restartCount: int(), started: bool(), state: open('Details about the container\'s current condition.'), stopSignal: str(), user: open(), volumeMounts: open(),
}, ['name', 'ready', 'restartCount', 'image', 'imageID']);
d[C('ContainerStatus')].properties!.volumeMounts = { type: { kind: 'array', items: { kind: 'open' } }, listType: 'atomic' };
d[C('ContainerStatus')].properties!.allocatedResourcesStatus = { type: { kind: 'array', items: { kind: 'open' } }, listType: 'atomic' };
const statusList = (desc: string): FieldSpec => atomicList(C('ContainerStatus'), desc);
d[C('PodStatus')] = obj('PodStatus represents information about the status of a pod.', {
  conditions: conditions(C('PodCondition'), 'Current service state of pod.'),
  containerStatuses: statusList('Statuses of containers in this pod.'),
  ephemeralContainerStatuses: statusList('Statuses for any ephemeral containers.'),
  hostIP: str('hostIP holds the IP address of the host to which the pod is assigned.'),
  hostIPs: keyed(C('HostIP'), 'ip', 'hostIPs holds the IP addresses allocated to the host.', undefined),
  initContainerStatuses: statusList('Statuses of init containers in this pod.'),
  message: str('A human readable message indicating details about why the pod is in this condition.'),
  nominatedNodeName: str(),
  observedGeneration: int64(),
  phase: str('The phase of a Pod is a simple, high-level summary of where the Pod is in its lifecycle.', ['Failed', 'Pending', 'Running', 'Succeeded', 'Unknown']),
  podIP: str('podIP address allocated to the pod.'),
  podIPs: keyed(C('PodIP'), 'ip', 'podIPs holds the IP addresses allocated to the pod.'),
  qosClass: str(),
  reason: str(),
  resize: str(),
  resourceClaimStatuses: open(),
  startTime: time('RFC 3339 date and time at which the object was acknowledged by the Kubelet.'),
});
d[C('PodStatus')].properties!.hostIPs.listType = 'atomic';
d[C('PodStatus')].properties!.podIPs.listType = 'atomic';
d[C('PodStatus')].properties!.resourceClaimStatuses = { type: { kind: 'array', items: { kind: 'open' } }, mergeKey: 'name', patchStrategy: 'merge,retainKeys', listType: 'map', listMapKeys: ['name'] };
d[C('Pod')] = kind('', 'v1', 'Pod', 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.', {
  spec: ref(C('PodSpec'), 'Specification of the desired behavior of the pod.'),
  status: ref(C('PodStatus'), 'Most recently observed status of the pod. This data may not be up to date.'),
});
d[C('PodTemplateSpec')] = obj('PodTemplateSpec describes the data a pod should have when created from a template', {
  metadata: METADATA,
  spec: ref(C('PodSpec'), 'Specification of the desired behavior of the pod.'),
});
d[C('Binding')] = kind('', 'v1', 'Binding', 'Binding ties one object to another; for example, a pod is bound to a node by a scheduler.', { target: ref(C('ObjectReference'), 'The target object that you want to bind to the standard object.') }, ['target']);

d[C('NamespaceCondition')] = obj('NamespaceCondition contains details about state of namespace.', { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() }, ['type', 'status']);
d[C('Namespace')] = kind('', 'v1', 'Namespace', 'Namespace provides a scope for Names. Use of multiple namespaces is optional.', {
  spec: ref(C('NamespaceSpec'), 'Spec defines the behavior of the Namespace.'),
  status: ref(C('NamespaceStatus'), 'Status describes the current status of a Namespace.'),
});
d[C('NamespaceSpec')] = obj('NamespaceSpec describes the attributes on a Namespace.', { finalizers: strList('Finalizers is an opaque list of values that must be empty to permanently remove object from storage.') });
d[C('NamespaceStatus')] = obj('NamespaceStatus is information about the current status of a Namespace.', {
  conditions: conditions(C('NamespaceCondition'), "Represents the latest available observations of a namespace's current state."),
  phase: str('Phase is the current lifecycle phase of the namespace.', ['Active', 'Terminating']),
});

d[C('ServicePort')] = obj("ServicePort contains information on service's port.", {
  appProtocol: str('The application protocol for this port.'),
  name: str('The name of this port within the service. This must be a DNS_LABEL. All ports within a ServiceSpec must have unique names.'),
  nodePort: int('The port on each node on which this service is exposed when type is NodePort or LoadBalancer.'),
  port: int('The port that will be exposed by this service.'),
  protocol: str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.', ['SCTP', 'TCP', 'UDP']),
  targetPort: intOrString('Number or name of the port to access on the pods targeted by the service.'),
}, ['port']);
d[C('SessionAffinityConfig')] = obj('SessionAffinityConfig represents the configurations of session affinity.', { clientIP: open('clientIP contains the configurations of Client IP based session affinity.') });
d[C('ServiceSpec')] = obj('ServiceSpec describes the attributes that a user creates on a service.', {
  allocateLoadBalancerNodePorts: bool(),
  clusterIP: str('clusterIP is the IP address of the service and is usually assigned randomly.'),
  clusterIPs: strList('ClusterIPs is a list of IP addresses assigned to this service, and are usually assigned randomly.'),
  externalIPs: strList('externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
  externalName: str('externalName is the external reference that discovery mechanisms will return as an alias for this service (e.g. a DNS CNAME record).'),
  externalTrafficPolicy: str('externalTrafficPolicy describes how nodes distribute service traffic they receive on one of the Service\'s "externally-facing" addresses.', ['Cluster', 'Local']),
  healthCheckNodePort: int(),
  internalTrafficPolicy: str('InternalTrafficPolicy describes how nodes distribute service traffic they receive on the ClusterIP.', ['Cluster', 'Local']),
  ipFamilies: strList('IPFamilies is a list of IP families (e.g. IPv4, IPv6) assigned to this service.'),
  ipFamilyPolicy: str('IPFamilyPolicy represents the dual-stack-ness requested or required by this Service.'),
  loadBalancerClass: str(),
  loadBalancerIP: str('Only applies to Service Type: LoadBalancer. Deprecated.'),
  loadBalancerSourceRanges: strList(),
  ports: keyed(C('ServicePort'), 'port', 'The list of ports that are exposed by this service.', ['port', 'protocol']),
  publishNotReadyAddresses: bool(),
  selector: { ...strMap('Route service traffic to pods with label keys and values matching this selector.'), mapType: 'atomic' },
  sessionAffinity: str('Supports "ClientIP" and "None". Used to maintain session affinity.', ['ClientIP', 'None']),
  sessionAffinityConfig: ref(C('SessionAffinityConfig'), 'sessionAffinityConfig contains the configurations of session affinity.'),
  trafficDistribution: str(),
  type: str('type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.', ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']),
});
d[C('ServiceStatus')] = obj('ServiceStatus represents the current status of a service.', {
  conditions: keyed(`${META}Condition`, 'type', 'Current service state'),
  loadBalancer: open('LoadBalancer contains the current status of the load-balancer, if one is present.'),
});
d[C('Service')] = kind('', 'v1', 'Service', 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.', {
  spec: ref(C('ServiceSpec'), 'Spec defines the behavior of a service.'),
  status: ref(C('ServiceStatus'), 'Most recently observed status of the service.'),
});

d[C('EndpointAddress')] = obj('EndpointAddress is a tuple that describes single IP address.', { hostname: str(), ip: str(), nodeName: str(), targetRef: ref(C('ObjectReference')) }, ['ip']);
d[C('EndpointPort')] = obj('EndpointPort is a tuple that describes a single port.', { appProtocol: str(), name: str(), port: int(), protocol: str() }, ['port']);
d[C('EndpointSubset')] = obj('EndpointSubset is a group of addresses with a common set of ports.', {
  addresses: atomicList(C('EndpointAddress'), 'IP addresses which offer the related ports that are marked as ready.'),
  notReadyAddresses: atomicList(C('EndpointAddress'), 'IP addresses which offer the related ports but are not currently marked as ready.'),
  ports: atomicList(C('EndpointPort'), 'Port numbers available on the related IP addresses.'),
});
d[C('Endpoints')] = kind('', 'v1', 'Endpoints', 'Endpoints is a collection of endpoints that implement the actual service.', {
  subsets: atomicList(C('EndpointSubset'), 'The set of all endpoints is the union of all subsets.'),
});

d[C('Taint')] = obj('The node this Taint is attached to has the "effect" on any pod that does not tolerate the Taint.', { effect: str(), key: str(), timeAdded: time(), value: str() }, ['key', 'effect']);
d[C('NodeSpec')] = obj('NodeSpec describes the attributes that a node is created with.', {
  configSource: open('Deprecated.'), externalID: str('Deprecated.'),
  podCIDR: str('PodCIDR represents the pod IP range assigned to the node.'),
  podCIDRs: strList('podCIDRs represents the IP ranges assigned to the node for usage by Pods on that node.', { patchStrategy: 'merge', listType: 'set' }),
  providerID: str(), taints: atomicList(C('Taint'), "If specified, the node's taints."), unschedulable: bool('Unschedulable controls node schedulability of new pods.'),
});
d[C('NodeCondition')] = obj('NodeCondition contains condition information for a node.', { lastHeartbeatTime: time(), lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() }, ['type', 'status']);
d[C('NodeAddress')] = obj("NodeAddress contains information for the node's address.", { address: str(), type: str() }, ['type', 'address']);
d[C('NodeSystemInfo')] = obj('NodeSystemInfo is a set of ids/uuids to uniquely identify the node.', Object.fromEntries(
  ['architecture', 'bootID', 'containerRuntimeVersion', 'kernelVersion', 'kubeProxyVersion', 'kubeletVersion', 'machineID', 'operatingSystem', 'osImage', 'systemUUID'].map((k) => [k, str()]),
));
d[C('NodeSystemInfo')].properties!.swap = open();
d[C('NodeStatus')] = obj('NodeStatus is information about the current status of a node.', {
  addresses: list(C('NodeAddress'), 'List of addresses reachable to the node.', { mergeKey: 'type', patchStrategy: 'merge', listType: 'atomic' }),
  allocatable: quantityMap('Allocatable represents the resources of a node that are available for scheduling.'),
  capacity: quantityMap('Capacity represents the total resources of a node.'),
  conditions: conditions(C('NodeCondition'), 'Conditions is an array of current observed node conditions.'),
  config: open(), daemonEndpoints: open('Endpoints of daemons running on the Node.'), declaredFeatures: strList(), features: open(),
  images: { type: { kind: 'array', items: { kind: 'open' } }, listType: 'atomic', description: 'List of container images on this node' },
  nodeInfo: ref(C('NodeSystemInfo'), 'Set of ids/uuids to uniquely identify the node.'),
  phase: str('NodePhase is the recently observed lifecycle phase of the node. Deprecated.'),
  runtimeHandlers: { type: { kind: 'array', items: { kind: 'open' } }, listType: 'atomic' },
  volumesAttached: { type: { kind: 'array', items: { kind: 'open' } }, listType: 'atomic' },
  volumesInUse: strList(),
});
d[C('Node')] = kind('', 'v1', 'Node', 'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).', {
  spec: ref(C('NodeSpec'), 'Spec defines the behavior of a node.'),
  status: ref(C('NodeStatus'), 'Most recently observed status of the node.'),
});

d[C('EventSource')] = obj('EventSource contains information for an event.', { component: str('Component from which the event is generated.'), host: str('Node name on which the event is generated.') });
d[C('EventSeries')] = obj('EventSeries contain information on series of events.', { count: int(), lastObservedTime: ref(MICRO_TIME) });
d[C('Event')] = kind('', 'v1', 'Event', 'Event is a report of an event somewhere in the cluster.', {
  action: str('What action was taken/failed regarding to the Regarding object.'),
  count: int('The number of times this event has occurred.'),
  eventTime: ref(MICRO_TIME, 'Time when this Event was first observed.'),
  firstTimestamp: time('The time at which the event was first recorded.'),
  involvedObject: ref(C('ObjectReference'), 'The object that this event is about.'),
  lastTimestamp: time('The time at which the most recent occurrence of this event was recorded.'),
  message: str('A human-readable description of the status of this operation.'),
  reason: str("This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
  related: ref(C('ObjectReference'), 'Optional secondary object for more complex actions.'),
  reportingComponent: str('Name of the controller that emitted this Event.'),
  reportingInstance: str('ID of the controller instance.'),
  series: ref(C('EventSeries'), 'Data about the Event series this event represents or nil if it\'s a singleton Event.'),
  source: ref(C('EventSource'), 'The component reporting this event.'),
  type: str('Type of this event (Normal, Warning), new types could be added in the future'),
}, ['metadata', 'involvedObject']);

d[C('ConfigMap')] = kind('', 'v1', 'ConfigMap', 'ConfigMap holds configuration data for pods to consume.', {
  binaryData: { type: { kind: 'map', values: { kind: 'scalar', scalar: 'byte' } }, description: 'BinaryData contains the binary data. Values are base64 encoded.' },
  data: strMap('Data contains the configuration data.'),
  immutable: bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated (only object metadata can be modified).'),
});
d[C('Secret')] = kind('', 'v1', 'Secret', 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.', {
  data: { type: { kind: 'map', values: { kind: 'scalar', scalar: 'byte' } }, description: 'Data contains the secret data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. The serialized form of the secret data is a base64 encoded string.' },
  immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated (only object metadata can be modified).'),
  stringData: strMap('stringData allows specifying non-binary secret data in string form. It is provided as a write-only input field for convenience.'),
  type: str('Used to facilitate programmatic handling of secret data.'),
});
d[C('ServiceAccount')] = kind('', 'v1', 'ServiceAccount', 'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets', {
  automountServiceAccountToken: bool(),
  imagePullSecrets: atomicList(C('LocalObjectReference'), 'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images in pods that reference this ServiceAccount.'),
  secrets: keyed(C('ObjectReference'), 'name', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
});
d[C('ServiceAccount')].properties!.secrets.listType = 'atomic';

d[C('ReplicationControllerCondition')] = obj('ReplicationControllerCondition describes the state of a replication controller at a certain point.', { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() }, ['type', 'status']);
d[C('ReplicationControllerSpec')] = obj('ReplicationControllerSpec is the specification of a replication controller.', {
  minReadySeconds: int('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available.'),
  replicas: int('Replicas is the number of desired replicas. Defaults to 1.'),
  selector: { ...strMap('Selector is a label query over pods that should match the Replicas count.'), mapType: 'atomic' },
  template: ref(C('PodTemplateSpec'), 'Template is the object that describes the pod that will be created if insufficient replicas are detected.'),
});
d[C('ReplicationControllerStatus')] = obj('ReplicationControllerStatus represents the current status of a replication controller.', {
  availableReplicas: int(), conditions: conditions(C('ReplicationControllerCondition')), fullyLabeledReplicas: int(), observedGeneration: int64(), readyReplicas: int(), replicas: int('Replicas is the most recently observed number of replicas.'),
}, ['replicas']);
d[C('ReplicationController')] = kind('', 'v1', 'ReplicationController', 'ReplicationController represents the configuration of a replication controller.', {
  spec: ref(C('ReplicationControllerSpec'), 'Spec defines the specification of the desired behavior of the replication controller.'),
  status: ref(C('ReplicationControllerStatus'), 'Status is the most recently observed status of the replication controller.'),
});

// apps/v1 -------------------------------------------------------------------------------------
const A = (n: string) => `${APPS}${n}`;
d[A('ReplicaSetCondition')] = obj('ReplicaSetCondition describes the state of a replica set at a certain point.', { lastTransitionTime: time(), message: str(), reason: str(), status: str(), type: str() }, ['type', 'status']);
d[A('ReplicaSetSpec')] = obj('ReplicaSetSpec is the specification of a ReplicaSet.', {
  minReadySeconds: int('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available.'),
  replicas: int('Replicas is the number of desired pods. Defaults to 1.'),
  selector: ref(`${META}LabelSelector`, 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set.'),
  template: ref(C('PodTemplateSpec'), 'Template is the object that describes the pod that will be created if insufficient replicas are detected.'),
}, ['selector']);
d[A('ReplicaSetStatus')] = obj('ReplicaSetStatus represents the current status of a ReplicaSet.', {
  availableReplicas: int(), conditions: conditions(A('ReplicaSetCondition')), fullyLabeledReplicas: int(), observedGeneration: int64(), readyReplicas: int(), replicas: int(), terminatingReplicas: int(),
}, ['replicas']);
d[A('ReplicaSet')] = kind('apps', 'v1', 'ReplicaSet', 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.', {
  spec: ref(A('ReplicaSetSpec'), 'Spec defines the specification of the desired behavior of the ReplicaSet.'),
  status: ref(A('ReplicaSetStatus'), 'Status is the most recently observed status of the ReplicaSet.'),
});
d[A('RollingUpdateDeployment')] = obj('Spec to control the desired behavior of rolling update.', {
  maxSurge: intOrString('The maximum number of pods that can be scheduled above the desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Defaults to 25%.'),
  maxUnavailable: intOrString('The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Defaults to 25%.'),
});
d[A('DeploymentStrategy')] = obj('DeploymentStrategy describes how to replace existing pods with new ones.', {
  rollingUpdate: ref(A('RollingUpdateDeployment'), 'Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.'),
  type: str('Type of deployment. Can be "Recreate" or "RollingUpdate". Default is RollingUpdate.', ['Recreate', 'RollingUpdate']),
});
d[A('DeploymentSpec')] = obj('DeploymentSpec is the specification of the desired behavior of the Deployment.', {
  minReadySeconds: int('Minimum number of seconds for which a newly created pod should be ready without any of its container crashing, for it to be considered available. Defaults to 0.'),
  paused: bool('Indicates that the deployment is paused.'),
  progressDeadlineSeconds: int('The maximum time in seconds for a deployment to make progress before it is considered to be failed. Defaults to 600s.'),
  replicas: int('Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.'),
  revisionHistoryLimit: int('The number of old ReplicaSets to retain to allow rollback. Defaults to 10.'),
  selector: ref(`${META}LabelSelector`, 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.'),
  strategy: { ...ref(A('DeploymentStrategy'), 'The deployment strategy to use to replace existing pods with new ones.'), patchStrategy: 'retainKeys' },
  template: ref(C('PodTemplateSpec'), 'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".'),
}, ['selector', 'template']);
d[A('DeploymentCondition')] = obj('DeploymentCondition describes the state of a deployment at a certain point.', { lastTransitionTime: time(), lastUpdateTime: time(), message: str(), reason: str(), status: str(), type: str() }, ['type', 'status']);
d[A('DeploymentStatus')] = obj('DeploymentStatus is the most recently observed status of the Deployment.', {
  availableReplicas: int(), collisionCount: int(), conditions: conditions(A('DeploymentCondition'), "Represents the latest available observations of a deployment's current state."),
  observedGeneration: int64(), readyReplicas: int(), replicas: int(), terminatingReplicas: int(), unavailableReplicas: int(), updatedReplicas: int(),
});
d[A('Deployment')] = kind('apps', 'v1', 'Deployment', 'Deployment enables declarative updates for Pods and ReplicaSets.', {
  spec: ref(A('DeploymentSpec'), 'Specification of the desired behavior of the Deployment.'),
  status: ref(A('DeploymentStatus'), 'Most recently observed status of the Deployment.'),
});

// discovery.k8s.io/v1 -------------------------------------------------------------------------
const D = (n: string) => `${DISCOVERY}${n}`;
d[D('EndpointConditions')] = obj('EndpointConditions represents the current condition of an endpoint.', { ready: bool(), serving: bool(), terminating: bool() });
d[D('ForZone')] = obj('ForZone provides information about which zones should consume this endpoint.', { name: str() }, ['name']);
d[D('ForNode')] = obj('ForNode provides information about which nodes should consume this endpoint.', { name: str() }, ['name']);
d[D('EndpointHints')] = obj('EndpointHints provides hints describing how an endpoint should be consumed.', { forNodes: atomicList(D('ForNode')), forZones: atomicList(D('ForZone')) });
d[D('Endpoint')] = obj('Endpoint represents a single logical "backend" implementing a service.', {
  addresses: { ...strList('addresses of this endpoint.'), listType: 'set' },
  conditions: ref(D('EndpointConditions'), 'conditions contains information about the current status of the endpoint.'),
  deprecatedTopology: strMap(), hints: ref(D('EndpointHints')), hostname: str(), nodeName: str(), targetRef: ref(C('ObjectReference')), zone: str(),
}, ['addresses']);
d[D('EndpointPort')] = obj('EndpointPort represents a Port used by an EndpointSlice', { appProtocol: str(), name: str(), port: int(), protocol: str() });
d[D('EndpointSlice')] = kind('discovery.k8s.io', 'v1', 'EndpointSlice', 'EndpointSlice represents a set of service endpoints.', {
  addressType: str('addressType specifies the type of address carried by this EndpointSlice.', ['FQDN', 'IPv4', 'IPv6']),
  endpoints: atomicList(D('Endpoint'), 'endpoints is a list of unique endpoints in this slice.'),
  ports: atomicList(D('EndpointPort'), 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
}, ['addressType', 'endpoints']);

// autoscaling/v1 ------------------------------------------------------------------------------
const H = (n: string) => `${AUTOSCALING}${n}`;
d[H('CrossVersionObjectReference')] = obj('CrossVersionObjectReference contains enough information to let you identify the referred resource.', { apiVersion: str(), kind: str(), name: str() }, ['kind', 'name']);
d[H('HorizontalPodAutoscalerSpec')] = obj('specification of a horizontal pod autoscaler.', {
  maxReplicas: int('maxReplicas is the upper limit for the number of pods that can be set by the autoscaler.'),
  minReplicas: int('minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
  scaleTargetRef: ref(H('CrossVersionObjectReference'), 'reference to scaled resource.'),
  targetCPUUtilizationPercentage: int('targetCPUUtilizationPercentage is the target average CPU utilization over all the pods.'),
}, ['scaleTargetRef', 'maxReplicas']);
d[H('HorizontalPodAutoscalerStatus')] = obj('current status of a horizontal pod autoscaler', {
  currentCPUUtilizationPercentage: int(), currentReplicas: int(), desiredReplicas: int(), lastScaleTime: time(), observedGeneration: int64(),
}, ['currentReplicas', 'desiredReplicas']);
d[H('HorizontalPodAutoscaler')] = kind('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'configuration of a horizontal pod autoscaler.', {
  spec: ref(H('HorizontalPodAutoscalerSpec'), 'spec defines the behaviour of autoscaler.'),
  status: ref(H('HorizontalPodAutoscalerStatus'), 'status is the current information about the autoscaler.'),
});
d[H('ScaleSpec')] = obj('ScaleSpec describes the attributes of a scale subresource.', { replicas: int('replicas is the desired number of instances for the scaled object.') });
d[H('ScaleStatus')] = obj('ScaleStatus represents the current status of a scale subresource.', { replicas: int(), selector: str() }, ['replicas']);
d[H('Scale')] = kind('autoscaling', 'v1', 'Scale', 'Scale represents a scaling request for a resource.', {
  spec: ref(H('ScaleSpec'), 'spec defines the behavior of the scale.'),
  status: ref(H('ScaleStatus'), 'status is the current status of the scale.'),
});

// coordination.k8s.io/v1 ----------------------------------------------------------------------
d[`${COORDINATION}LeaseSpec`] = obj('LeaseSpec is a specification of a Lease.', {
  acquireTime: ref(MICRO_TIME, 'acquireTime is a time when the current lease was acquired.'),
  holderIdentity: str('holderIdentity contains the identity of the holder of a current lease.'),
  leaseDurationSeconds: int('leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it.'),
  leaseTransitions: int('leaseTransitions is the number of transitions of a lease between holders.'),
  preferredHolder: str(), renewTime: ref(MICRO_TIME, 'renewTime is a time when the current holder of a lease has last updated the lease.'), strategy: str(),
});
d[`${COORDINATION}Lease`] = kind('coordination.k8s.io', 'v1', 'Lease', 'Lease defines a lease concept.', {
  spec: ref(`${COORDINATION}LeaseSpec`, 'spec contains the specification of the Lease.'),
});

export const DEFINITIONS: Readonly<Record<string, Definition>> = d;

/** OpenAPI definition name of a kind: `Deployment` in group `apps` → `io.k8s.api.apps.v1.Deployment`. */
export function definitionNameFor(group: string, version: string, kindName: string): string {
  const pkg = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return `io.k8s.api.${pkg}.${version}.${kindName}`;
}

/** The field spec of `field` inside definition `defName`, or undefined. */
export function fieldOf(defName: string | undefined, field: string): FieldSpec | undefined {
  if (!defName) return undefined;
  return DEFINITIONS[defName]?.properties?.[field];
}

/** The definition an object-valued field or list item refers to (undefined for open/scalar). */
export function refOf(t: FieldType | undefined): string | undefined {
  if (!t) return undefined;
  if (t.kind === 'ref') return DEFINITIONS[t.ref]?.primitive ? undefined : t.ref;
  if (t.kind === 'array' || t.kind === 'map') return refOf(t.kind === 'array' ? t.items : t.values);
  return undefined;
}

/**
 * The `x-kubernetes-*` extensions of a field, the same in the v3 and v2 documents (kubectl reads
 * the patch merge keys and list types from them).
 */
export function kubernetesFieldExtensions(f: FieldSpec): Record<string, unknown> {
  const x: Record<string, unknown> = {};
  if (f.listType) x['x-kubernetes-list-type'] = f.listType;
  if (f.listMapKeys) x['x-kubernetes-list-map-keys'] = f.listMapKeys;
  if (f.mapType) x['x-kubernetes-map-type'] = f.mapType;
  if (f.mergeKey) x['x-kubernetes-patch-merge-key'] = f.mergeKey;
  if (f.patchStrategy) x['x-kubernetes-patch-strategy'] = f.patchStrategy;
  return x;
}
