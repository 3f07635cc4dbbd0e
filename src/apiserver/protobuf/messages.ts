/**
 * Field tables of the Kubernetes protobuf messages Skiff decodes, transcribed (numbers and JSON
 * names only) from Kubernetes' `generated.proto` files: k8s.io/api core/v1, apps/v1,
 * authorization/v1 and k8s.io/apimachinery meta/v1, runtime, util/intstr, api/resource.
 *
 * Conventions of go-to-protobuf the decoder relies on:
 * - Go structs are encoded with every non-pointer field present, zero values included, so a
 *   zero value only means "set" for pointer fields (`keep: true`, e.g. `replicas`, `immutable`,
 *   `emptyDir`); other zero values are dropped to match Go's `omitempty` JSON.
 * - embedded Go structs (`LocalObjectReference` in `ConfigMapKeySelector`, `VolumeSource` in
 *   `Volume`, the probe handler) are nested messages on the wire but inlined in JSON
 *   (`inline: true`).
 * - maps are repeated `{1: key, 2: value}` entries.
 */

export type Scalar = 'string' | 'bytes' | 'int32' | 'int64' | 'bool' | 'double';

export type FieldKind =
  | { scalar: Scalar }
  | { message: string }
  /** map<string, V>: V a scalar or a message. */
  | { map: { scalar: Scalar } | { message: string } };

export interface ProtoField {
  /** Field number on the wire. */
  n: number;
  /** JSON name. */
  name: string;
  kind: FieldKind;
  repeated?: boolean;
  /** A pointer field in Go: its zero value is meaningful and kept. */
  keep?: boolean;
  /** An embedded Go struct: its fields land in the parent's JSON object. */
  inline?: boolean;
}

/** Messages with a JSON form that is not an object. */
export const SPECIAL = {
  time: 'meta.Time',
  microTime: 'meta.MicroTime',
  intOrString: 'intstr.IntOrString',
  quantity: 'resource.Quantity',
} as const;

type Opt = Partial<Pick<ProtoField, 'repeated' | 'keep' | 'inline'>>;
const s = (n: number, name: string, o: Opt = {}): ProtoField => ({ n, name, kind: { scalar: 'string' }, ...o });
const ss = (n: number, name: string): ProtoField => s(n, name, { repeated: true });
const i32 = (n: number, name: string, o: Opt = {}): ProtoField => ({ n, name, kind: { scalar: 'int32' }, ...o });
const i64 = (n: number, name: string, o: Opt = {}): ProtoField => ({ n, name, kind: { scalar: 'int64' }, ...o });
const b = (n: number, name: string, o: Opt = {}): ProtoField => ({ n, name, kind: { scalar: 'bool' }, ...o });
const m = (n: number, name: string, message: string, o: Opt = {}): ProtoField => ({ n, name, kind: { message }, ...o });
const ms = (n: number, name: string, message: string): ProtoField => m(n, name, message, { repeated: true });
const strMap = (n: number, name: string): ProtoField => ({ n, name, kind: { map: { scalar: 'string' } } });
const bytesMap = (n: number, name: string): ProtoField => ({ n, name, kind: { map: { scalar: 'bytes' } } });
const qtyMap = (n: number, name: string): ProtoField => ({ n, name, kind: { map: { message: SPECIAL.quantity } } });

export const MESSAGES: Record<string, ProtoField[]> = {
  // k8s.io/apimachinery/pkg/runtime
  'runtime.Unknown': [m(1, 'typeMeta', 'runtime.TypeMeta'), { n: 2, name: 'raw', kind: { scalar: 'bytes' } }, s(3, 'contentEncoding'), s(4, 'contentType')],
  'runtime.TypeMeta': [s(1, 'apiVersion'), s(2, 'kind')],

  // special-cased leaves (their tables are what their JSON is built from)
  [SPECIAL.time]: [i64(1, 'seconds'), i32(2, 'nanos')],
  [SPECIAL.microTime]: [i64(1, 'seconds'), i32(2, 'nanos')],
  [SPECIAL.intOrString]: [i64(1, 'type'), i32(2, 'intVal'), s(3, 'strVal')],
  [SPECIAL.quantity]: [s(1, 'string')],

  // k8s.io/apimachinery/pkg/apis/meta/v1
  'meta.ObjectMeta': [
    s(1, 'name'), s(2, 'generateName'), s(3, 'namespace'), s(4, 'selfLink'), s(5, 'uid'), s(6, 'resourceVersion'), i64(7, 'generation'),
    m(8, 'creationTimestamp', SPECIAL.time), m(9, 'deletionTimestamp', SPECIAL.time), i64(10, 'deletionGracePeriodSeconds', { keep: true }),
    strMap(11, 'labels'), strMap(12, 'annotations'), ms(13, 'ownerReferences', 'meta.OwnerReference'), ss(14, 'finalizers'),
    ms(17, 'managedFields', 'meta.ManagedFieldsEntry'),
  ],
  'meta.OwnerReference': [s(1, 'kind'), s(3, 'name'), s(4, 'uid'), s(5, 'apiVersion'), b(6, 'controller', { keep: true }), b(7, 'blockOwnerDeletion', { keep: true })],
  'meta.ManagedFieldsEntry': [s(1, 'manager'), s(2, 'operation'), s(3, 'apiVersion'), m(4, 'time', SPECIAL.time), s(6, 'fieldsType'), m(7, 'fieldsV1', 'meta.FieldsV1'), s(8, 'subresource')],
  'meta.FieldsV1': [{ n: 1, name: 'Raw', kind: { scalar: 'bytes' } }],
  'meta.LabelSelector': [strMap(1, 'matchLabels'), ms(2, 'matchExpressions', 'meta.LabelSelectorRequirement')],
  'meta.LabelSelectorRequirement': [s(1, 'key'), s(2, 'operator'), ss(3, 'values')],

  // k8s.io/api/core/v1
  'core.Namespace': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'core.NamespaceSpec'), m(3, 'status', 'core.NamespaceStatus')],
  'core.NamespaceSpec': [ss(1, 'finalizers')],
  'core.NamespaceStatus': [s(1, 'phase')],
  'core.ConfigMap': [m(1, 'metadata', 'meta.ObjectMeta'), strMap(2, 'data'), bytesMap(3, 'binaryData'), b(4, 'immutable', { keep: true })],
  'core.Secret': [m(1, 'metadata', 'meta.ObjectMeta'), bytesMap(2, 'data'), s(3, 'type'), strMap(4, 'stringData'), b(5, 'immutable', { keep: true })],
  'core.ServiceAccount': [m(1, 'metadata', 'meta.ObjectMeta'), ms(2, 'secrets', 'core.ObjectReference'), ms(3, 'imagePullSecrets', 'core.LocalObjectReference'), b(4, 'automountServiceAccountToken', { keep: true })],
  'core.ObjectReference': [s(1, 'kind'), s(2, 'namespace'), s(3, 'name'), s(4, 'uid'), s(5, 'apiVersion'), s(6, 'resourceVersion'), s(7, 'fieldPath')],
  'core.LocalObjectReference': [s(1, 'name')],
  'core.Service': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'core.ServiceSpec'), m(3, 'status', 'core.ServiceStatus')],
  'core.ServiceStatus': [],
  'core.ServiceSpec': [
    ms(1, 'ports', 'core.ServicePort'), strMap(2, 'selector'), s(3, 'clusterIP'), s(4, 'type'), ss(5, 'externalIPs'), s(7, 'sessionAffinity'),
    s(8, 'loadBalancerIP'), ss(9, 'loadBalancerSourceRanges'), s(10, 'externalName'), s(11, 'externalTrafficPolicy'), i32(12, 'healthCheckNodePort'),
    b(13, 'publishNotReadyAddresses'), m(14, 'sessionAffinityConfig', 'core.SessionAffinityConfig'), s(17, 'ipFamilyPolicy', { keep: true }),
    ss(18, 'clusterIPs'), ss(19, 'ipFamilies'), b(20, 'allocateLoadBalancerNodePorts', { keep: true }), s(21, 'loadBalancerClass'),
    s(22, 'internalTrafficPolicy'), s(23, 'trafficDistribution'),
  ],
  'core.ServicePort': [s(1, 'name'), s(2, 'protocol'), i32(3, 'port'), m(4, 'targetPort', SPECIAL.intOrString), i32(5, 'nodePort'), s(6, 'appProtocol')],
  'core.SessionAffinityConfig': [m(1, 'clientIP', 'core.ClientIPConfig', { keep: true })],
  'core.ClientIPConfig': [i32(1, 'timeoutSeconds', { keep: true })],
  'core.Pod': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'core.PodSpec'), m(3, 'status', 'core.PodStatus')],
  'core.PodStatus': [],
  'core.PodTemplateSpec': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'core.PodSpec')],
  'core.PodSpec': [
    ms(1, 'volumes', 'core.Volume'), ms(2, 'containers', 'core.Container'), s(3, 'restartPolicy'), i64(4, 'terminationGracePeriodSeconds', { keep: true }),
    i64(5, 'activeDeadlineSeconds', { keep: true }), s(6, 'dnsPolicy'), strMap(7, 'nodeSelector'), s(8, 'serviceAccountName'), s(9, 'serviceAccount'),
    s(10, 'nodeName'), b(11, 'hostNetwork'), b(12, 'hostPID'), b(13, 'hostIPC'), m(14, 'securityContext', 'core.PodSecurityContext', { keep: true }),
    ms(15, 'imagePullSecrets', 'core.LocalObjectReference'), s(16, 'hostname'), s(17, 'subdomain'), s(19, 'schedulerName'),
    ms(20, 'initContainers', 'core.Container'), b(21, 'automountServiceAccountToken', { keep: true }), ms(22, 'tolerations', 'core.Toleration'),
    ms(23, 'hostAliases', 'core.HostAlias'), s(24, 'priorityClassName'), i32(25, 'priority', { keep: true }), m(26, 'dnsConfig', 'core.PodDNSConfig', { keep: true }),
    b(27, 'shareProcessNamespace', { keep: true }), ms(28, 'readinessGates', 'core.PodReadinessGate'), s(29, 'runtimeClassName', { keep: true }),
    b(30, 'enableServiceLinks', { keep: true }), s(31, 'preemptionPolicy', { keep: true }), qtyMap(32, 'overhead'),
    ms(33, 'topologySpreadConstraints', 'core.TopologySpreadConstraint'), b(35, 'setHostnameAsFQDN', { keep: true }), m(36, 'os', 'core.PodOS', { keep: true }),
    b(37, 'hostUsers', { keep: true }),
  ],
  'core.PodOS': [s(1, 'name')],
  'core.PodSecurityContext': [i64(2, 'runAsUser', { keep: true }), b(3, 'runAsNonRoot', { keep: true }), { n: 4, name: 'supplementalGroups', kind: { scalar: 'int64' }, repeated: true }, i64(5, 'fsGroup', { keep: true }), i64(6, 'runAsGroup', { keep: true })],
  'core.PodReadinessGate': [s(1, 'conditionType')],
  'core.PodDNSConfig': [ss(1, 'nameservers'), ss(2, 'searches'), ms(3, 'options', 'core.PodDNSConfigOption')],
  'core.PodDNSConfigOption': [s(1, 'name'), s(2, 'value', { keep: true })],
  'core.HostAlias': [s(1, 'ip'), ss(2, 'hostnames')],
  'core.Toleration': [s(1, 'key'), s(2, 'operator'), s(3, 'value'), s(4, 'effect'), i64(5, 'tolerationSeconds', { keep: true })],
  'core.TopologySpreadConstraint': [i32(1, 'maxSkew'), s(2, 'topologyKey'), s(3, 'whenUnsatisfiable'), m(4, 'labelSelector', 'meta.LabelSelector', { keep: true })],
  'core.Container': [
    s(1, 'name'), s(2, 'image'), ss(3, 'command'), ss(4, 'args'), s(5, 'workingDir'), ms(6, 'ports', 'core.ContainerPort'), ms(7, 'env', 'core.EnvVar'),
    m(8, 'resources', 'core.ResourceRequirements'), ms(9, 'volumeMounts', 'core.VolumeMount'), m(10, 'livenessProbe', 'core.Probe', { keep: true }),
    m(11, 'readinessProbe', 'core.Probe', { keep: true }), m(12, 'lifecycle', 'core.Lifecycle', { keep: true }), s(13, 'terminationMessagePath'),
    s(14, 'imagePullPolicy'), m(15, 'securityContext', 'core.SecurityContext', { keep: true }), b(16, 'stdin'), b(17, 'stdinOnce'), b(18, 'tty'),
    ms(19, 'envFrom', 'core.EnvFromSource'), s(20, 'terminationMessagePolicy'), ms(21, 'volumeDevices', 'core.VolumeDevice'),
    m(22, 'startupProbe', 'core.Probe', { keep: true }), ms(23, 'resizePolicy', 'core.ContainerResizePolicy'), s(24, 'restartPolicy', { keep: true }),
  ],
  'core.ContainerResizePolicy': [s(1, 'resourceName'), s(2, 'restartPolicy')],
  'core.SecurityContext': [
    m(1, 'capabilities', 'core.Capabilities', { keep: true }), b(2, 'privileged', { keep: true }), i64(4, 'runAsUser', { keep: true }), b(5, 'runAsNonRoot', { keep: true }),
    b(6, 'readOnlyRootFilesystem', { keep: true }), b(7, 'allowPrivilegeEscalation', { keep: true }), i64(8, 'runAsGroup', { keep: true }), s(9, 'procMount', { keep: true }),
  ],
  'core.Capabilities': [ss(1, 'add'), ss(2, 'drop')],
  'core.ContainerPort': [s(1, 'name'), i32(2, 'hostPort'), i32(3, 'containerPort'), s(4, 'protocol'), s(5, 'hostIP')],
  'core.EnvVar': [s(1, 'name'), s(2, 'value'), m(3, 'valueFrom', 'core.EnvVarSource', { keep: true })],
  'core.EnvVarSource': [
    m(1, 'fieldRef', 'core.ObjectFieldSelector', { keep: true }), m(2, 'resourceFieldRef', 'core.ResourceFieldSelector', { keep: true }),
    m(3, 'configMapKeyRef', 'core.ConfigMapKeySelector', { keep: true }), m(4, 'secretKeyRef', 'core.SecretKeySelector', { keep: true }),
  ],
  'core.ObjectFieldSelector': [s(1, 'apiVersion'), s(2, 'fieldPath')],
  'core.ResourceFieldSelector': [s(1, 'containerName'), s(2, 'resource'), m(3, 'divisor', SPECIAL.quantity)],
  'core.ConfigMapKeySelector': [m(1, 'localObjectReference', 'core.LocalObjectReference', { inline: true }), s(2, 'key'), b(3, 'optional', { keep: true })],
  'core.SecretKeySelector': [m(1, 'localObjectReference', 'core.LocalObjectReference', { inline: true }), s(2, 'key'), b(3, 'optional', { keep: true })],
  'core.EnvFromSource': [s(1, 'prefix'), m(2, 'configMapRef', 'core.ConfigMapEnvSource', { keep: true }), m(3, 'secretRef', 'core.SecretEnvSource', { keep: true })],
  'core.ConfigMapEnvSource': [m(1, 'localObjectReference', 'core.LocalObjectReference', { inline: true }), b(2, 'optional', { keep: true })],
  'core.SecretEnvSource': [m(1, 'localObjectReference', 'core.LocalObjectReference', { inline: true }), b(2, 'optional', { keep: true })],
  'core.ResourceRequirements': [qtyMap(1, 'limits'), qtyMap(2, 'requests')],
  'core.VolumeMount': [s(1, 'name'), b(2, 'readOnly'), s(3, 'mountPath'), s(4, 'subPath'), s(5, 'mountPropagation', { keep: true }), s(6, 'subPathExpr')],
  'core.VolumeDevice': [s(1, 'name'), s(2, 'devicePath')],
  'core.Probe': [
    m(1, 'handler', 'core.ProbeHandler', { inline: true }), i32(2, 'initialDelaySeconds'), i32(3, 'timeoutSeconds'), i32(4, 'periodSeconds'),
    i32(5, 'successThreshold'), i32(6, 'failureThreshold'), i64(7, 'terminationGracePeriodSeconds', { keep: true }),
  ],
  'core.ProbeHandler': [m(1, 'exec', 'core.ExecAction', { keep: true }), m(2, 'httpGet', 'core.HTTPGetAction', { keep: true }), m(3, 'tcpSocket', 'core.TCPSocketAction', { keep: true }), m(4, 'grpc', 'core.GRPCAction', { keep: true })],
  'core.LifecycleHandler': [m(1, 'exec', 'core.ExecAction', { keep: true }), m(2, 'httpGet', 'core.HTTPGetAction', { keep: true }), m(3, 'tcpSocket', 'core.TCPSocketAction', { keep: true }), m(4, 'sleep', 'core.SleepAction', { keep: true })],
  'core.Lifecycle': [m(1, 'postStart', 'core.LifecycleHandler', { keep: true }), m(2, 'preStop', 'core.LifecycleHandler', { keep: true }), s(3, 'stopSignal', { keep: true })],
  'core.ExecAction': [ss(1, 'command')],
  'core.HTTPGetAction': [s(1, 'path'), m(2, 'port', SPECIAL.intOrString), s(3, 'host'), s(4, 'scheme'), ms(5, 'httpHeaders', 'core.HTTPHeader')],
  'core.HTTPHeader': [s(1, 'name'), s(2, 'value')],
  'core.TCPSocketAction': [m(1, 'port', SPECIAL.intOrString), s(2, 'host')],
  'core.GRPCAction': [i32(1, 'port'), s(2, 'service', { keep: true })],
  'core.SleepAction': [i64(1, 'seconds')],
  'core.Volume': [s(1, 'name'), m(2, 'volumeSource', 'core.VolumeSource', { inline: true })],
  'core.VolumeSource': [
    m(1, 'hostPath', 'core.HostPathVolumeSource', { keep: true }), m(2, 'emptyDir', 'core.EmptyDirVolumeSource', { keep: true }),
    m(6, 'secret', 'core.SecretVolumeSource', { keep: true }), m(10, 'persistentVolumeClaim', 'core.PersistentVolumeClaimVolumeSource', { keep: true }),
    m(16, 'downwardAPI', 'core.DownwardAPIVolumeSource', { keep: true }), m(19, 'configMap', 'core.ConfigMapVolumeSource', { keep: true }),
  ],
  'core.HostPathVolumeSource': [s(1, 'path'), s(2, 'type', { keep: true })],
  'core.EmptyDirVolumeSource': [s(1, 'medium'), m(2, 'sizeLimit', SPECIAL.quantity, { keep: true })],
  'core.SecretVolumeSource': [s(1, 'secretName'), ms(2, 'items', 'core.KeyToPath'), i32(3, 'defaultMode', { keep: true }), b(4, 'optional', { keep: true })],
  'core.ConfigMapVolumeSource': [m(1, 'localObjectReference', 'core.LocalObjectReference', { inline: true }), ms(2, 'items', 'core.KeyToPath'), i32(3, 'defaultMode', { keep: true }), b(4, 'optional', { keep: true })],
  'core.PersistentVolumeClaimVolumeSource': [s(1, 'claimName'), b(2, 'readOnly')],
  'core.DownwardAPIVolumeSource': [ms(1, 'items', 'core.DownwardAPIVolumeFile'), i32(2, 'defaultMode', { keep: true })],
  'core.DownwardAPIVolumeFile': [s(1, 'path'), m(2, 'fieldRef', 'core.ObjectFieldSelector', { keep: true }), m(3, 'resourceFieldRef', 'core.ResourceFieldSelector', { keep: true }), i32(4, 'mode', { keep: true })],
  'core.KeyToPath': [s(1, 'key'), s(2, 'path'), i32(3, 'mode', { keep: true })],

  // k8s.io/api/apps/v1
  'apps.Deployment': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'apps.DeploymentSpec'), m(3, 'status', 'apps.DeploymentStatus')],
  'apps.DeploymentStatus': [],
  'apps.DeploymentSpec': [
    i32(1, 'replicas', { keep: true }), m(2, 'selector', 'meta.LabelSelector', { keep: true }), m(3, 'template', 'core.PodTemplateSpec'),
    m(4, 'strategy', 'apps.DeploymentStrategy'), i32(5, 'minReadySeconds'), i32(6, 'revisionHistoryLimit', { keep: true }), b(7, 'paused'),
    i32(9, 'progressDeadlineSeconds', { keep: true }),
  ],
  'apps.DeploymentStrategy': [s(1, 'type'), m(2, 'rollingUpdate', 'apps.RollingUpdateDeployment', { keep: true })],
  'apps.RollingUpdateDeployment': [m(1, 'maxUnavailable', SPECIAL.intOrString, { keep: true }), m(2, 'maxSurge', SPECIAL.intOrString, { keep: true })],

  // k8s.io/api/authorization/v1 (kubectl auth can-i)
  'authorization.SelfSubjectAccessReview': [m(1, 'metadata', 'meta.ObjectMeta'), m(2, 'spec', 'authorization.SelfSubjectAccessReviewSpec'), m(3, 'status', 'authorization.SubjectAccessReviewStatus')],
  'authorization.SelfSubjectAccessReviewSpec': [m(1, 'resourceAttributes', 'authorization.ResourceAttributes', { keep: true }), m(2, 'nonResourceAttributes', 'authorization.NonResourceAttributes', { keep: true })],
  'authorization.ResourceAttributes': [s(1, 'namespace'), s(2, 'verb'), s(3, 'group'), s(4, 'version'), s(5, 'resource'), s(6, 'subresource'), s(7, 'name')],
  'authorization.NonResourceAttributes': [s(1, 'path'), s(2, 'verb')],
  'authorization.SubjectAccessReviewStatus': [],
};

/** `apiVersion/kind` of a top-level object → its message. */
export const TOP_LEVEL: Record<string, string> = {
  'v1/Namespace': 'core.Namespace',
  'v1/ConfigMap': 'core.ConfigMap',
  'v1/Secret': 'core.Secret',
  'v1/Service': 'core.Service',
  'v1/ServiceAccount': 'core.ServiceAccount',
  'v1/Pod': 'core.Pod',
  'apps/v1/Deployment': 'apps.Deployment',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'authorization.SelfSubjectAccessReview',
};
