export * from './types.js';
export { RestClient, resourcePath, groupVersionPath, errorFromResponse, type RestClientOptions } from './rest-client.js';
export { loadKubeconfig, parseKubeconfig, type ConnectionConfig } from './kubeconfig.js';
export * from './informer/index.js';
export * from './workqueue/index.js';
