export { Reflector, type ReflectorOptions } from './reflector.js';
export { SharedInformer, type SharedInformerOptions } from './shared-informer.js';
export { InformerFactory, type InformerFactoryOptions, type InformerScope } from './informer-factory.js';
export { ThreadSafeStore, NAMESPACE_INDEX, namespaceIndexFunc, type IndexFunc } from './thread-safe-store.js';
