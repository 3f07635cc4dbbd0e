/** The API server's public surface: what `skiff server` and `skiff up` import. */
export {
  startApiServer,
  DEFAULT_CLUSTER_CIDR,
  DEFAULT_NODE_PORT_RANGE,
  DEFAULT_SERVICE_CIDR,
  type ApiServerOptions,
  type RunningApiServer,
} from './api-server.js';
export { allowAll, type Authorizer, type UserInfo, type AuthorizationAttributes } from './auth.js';
