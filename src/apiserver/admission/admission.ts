/**
 * Admission: what runs between decoding a write and storing it. Plugins mutate (allocate a
 * ClusterIP, a NodePort, a pod CIDR) or refuse (namespace missing or terminating). A plugin
 * that takes a resource returns an Undo so a write that fails later gives it back, and
 * releases what an object held when it is deleted.
 */
import type { KubeObject } from '../../api/meta.js';
import type { ResourceInfo } from '../../api/resources.js';

export interface AdmissionContext {
  info: ResourceInfo;
  dryRun: boolean;
  /** Reads an object (storage-consistent), undefined when absent. */
  lookup(info: ResourceInfo, name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** The watch cache's copy (may lag storage by milliseconds); undefined when not cached. */
  cached(info: ResourceInfo, name: string, namespace?: string): KubeObject | undefined;
}

export interface Undo {
  /** The write failed: give back what was taken. */
  rollback(): Promise<void>;
  /** The write succeeded: release what the old object held and the new one does not. */
  commit?(): Promise<void>;
}

export interface AdmissionPlugin {
  readonly name: string;
  admitCreate?(ctx: AdmissionContext, obj: KubeObject): Promise<Undo | void>;
  admitUpdate?(ctx: AdmissionContext, obj: KubeObject, old: KubeObject): Promise<Undo | void>;
  /** Called after an object was removed from storage. */
  deleted?(ctx: AdmissionContext, obj: KubeObject): Promise<void>;
}

/** Runs plugins in order; on a failure rolls back the ones that already ran. */
export async function runAdmission(
  plugins: readonly AdmissionPlugin[],
  step: (p: AdmissionPlugin) => Promise<Undo | void> | undefined,
): Promise<Undo> {
  const undos: Undo[] = [];
  try {
    for (const p of plugins) {
      const u = await step(p);
      if (u) undos.push(u);
    }
  } catch (err) {
    for (const u of undos.reverse()) await u.rollback().catch(() => {});
    throw err;
  }
  return {
    rollback: async () => {
      for (const u of [...undos].reverse()) await u.rollback().catch(() => {});
    },
    commit: async () => {
      for (const u of undos) await u.commit?.().catch(() => {});
    },
  };
}
