/** What every controller is built from: injected by the manager, faked by unit tests. */
import type { ApiClient } from '../../client/types.js';
import type { InformerFactory } from '../../client/informer/informer-factory.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { EventRecorder } from '../../client/record/event-recorder.js';
import type { ControllerMetrics } from './controller-metrics.js';

export interface ControllerContext {
  client: ApiClient;
  informers: InformerFactory;
  clock: Clock;
  logger: Logger;
  recorder: EventRecorder;
  metrics?: ControllerMetrics;
}

/** A controller: `start()` registers handlers and returns once its workers run; `stop()` drains them. */
export interface Controller {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
