/**
 * Pod events as kubelet reports them (source component "kubelet", host = node). Repeats of the
 * same (object, reason, message) within 10 minutes bump `count`/`lastTimestamp` of the first
 * event instead of creating a new one, like client-go's correlator. Fire-and-forget: a failed
 * write is logged, never thrown into the pod worker.
 */
import { randomBytes } from 'node:crypto';
import { findResource } from '../api/resources.js';
import type { Event, Pod } from '../api/types.js';
import { rfc3339, rfc3339Micro, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { ApiClient } from '../client/types.js';
import type { ApiWriteQueue } from './api-writes.js';

const EVENTS = findResource('', 'events')!;
const DEDUP_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private readonly recent = new Map<string, { name: string; namespace: string; count: number; at: number; first: string }>();

  constructor(
    private readonly client: ApiClient,
    private readonly nodeName: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Events wait behind status writes here (see api-writes.ts); none = written at once. */
    private readonly writes?: ApiWriteQueue,
  ) {}

  private send<T>(fn: () => Promise<T>): Promise<T> {
    return this.writes ? this.writes.run('event', fn) : fn();
  }

  /** `fieldPath` like `spec.containers{web}` ties the event to one container. */
  record(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    void this.write(pod, type, reason, message, fieldPath).catch((err: Error) => this.log.debug({ err: err.message, reason }, 'event write failed'));
  }

  private async write(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const now = this.clock.now();
    const key = `${pod.metadata.uid}|${fieldPath ?? ''}|${reason}|${message}`;
    const prev = this.recent.get(key);
    if (prev && now - prev.at < DEDUP_WINDOW_MS) {
      prev.count++;
      prev.at = now;
      await this.send(() => this.client.patch(EVENTS, prev.name, prev.namespace, { count: prev.count, lastTimestamp: rfc3339(now) }, 'merge'));
      return;
    }
    const name = `${pod.metadata.name}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      type,
      eventTime: null,
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    if (this.recent.size > 5000) this.recent.clear();
    this.recent.set(key, { name, namespace: ns, count: 1, at: now, first: rfc3339Micro(now) });
    await this.send(() => this.client.create(EVENTS, event, { namespace: ns }));
  }
}
