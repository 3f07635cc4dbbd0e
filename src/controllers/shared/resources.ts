/** ResourceInfo rows the controllers use, looked up once. */
import { findResource, type ResourceInfo } from '../../api/resources.js';

function must(group: string, resource: string): ResourceInfo {
  const r = findResource(group, resource);
  if (!r) throw new Error(`resource ${group}/${resource} missing from the table`);
  return r;
}

export const R = {
  pods: must('', 'pods'),
  services: must('', 'services'),
  endpoints: must('', 'endpoints'),
  endpointSlices: must('discovery.k8s.io', 'endpointslices'),
  nodes: must('', 'nodes'),
  events: must('', 'events'),
  namespaces: must('', 'namespaces'),
  replicationControllers: must('', 'replicationcontrollers'),
  replicaSets: must('apps', 'replicasets'),
  deployments: must('apps', 'deployments'),
  leases: must('coordination.k8s.io', 'leases'),
  configMaps: must('', 'configmaps'),
  secrets: must('', 'secrets'),
  serviceAccounts: must('', 'serviceaccounts'),
  hpas: must('autoscaling', 'horizontalpodautoscalers'),
} as const;
