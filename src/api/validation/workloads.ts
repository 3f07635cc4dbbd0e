/** Deployment, ReplicaSet, ReplicationController, HorizontalPodAutoscaler and Scale validation. */
import type { Deployment, HorizontalPodAutoscaler, IntOrString, LabelSelector, PodTemplateSpec, ReplicaSet, ReplicationController, Scale } from '../types.js';
import { selectorFromLabelSelector, selectorFromSet, type Selector } from '../labels.js';
import { child, fieldErrors as fe, goRepr, type FieldError } from './field-errors.js';
import { regexError, validatePathSegmentName } from './names.js';
import { FIELD_IMMUTABLE, goLabelSelector, validateLabelSelector, validateLabels, validateNonnegative, validateInteger } from './object-meta.js';
import { validatePodTemplateSpec } from './pod.js';

function validateTemplateForReplicas(t: PodTemplateSpec | undefined, selector: Selector, path: string, owner: string): FieldError[] {
  if (!t) return [fe.required(path, '')];
  const out: FieldError[] = [];
  // A missing selector selects nothing, so Kubernetes reports the mismatch as well.
  if (!selector.isEmpty()) {
    const labels = t.metadata?.labels;
    if (!selector.matches(labels ?? {})) {
      out.push(fe.invalidRaw(child(path, 'metadata', 'labels'), labels ? goRepr(labels) : 'map[string]string(nil)', '`selector` does not match template `labels`'));
    }
  }
  out.push(...validatePodTemplateSpec(t, path));
  const rp = t.spec?.restartPolicy;
  if (t.spec && rp !== undefined && rp !== 'Always') out.push(fe.notSupported(child(path, 'spec', 'restartPolicy'), rp, ['Always']));
  if (t.spec?.activeDeadlineSeconds !== undefined) {
    out.push(fe.forbidden(child(path, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${owner} is not Supported`));
  }
  return out;
}

/** Selector + template checks shared by Deployment and ReplicaSet (apps/v1 LabelSelector). */
function validateAppsSelectorAndTemplate(sel: LabelSelector | undefined, t: PodTemplateSpec | undefined, owner: string): FieldError[] {
  const out: FieldError[] = [];
  if (!sel) out.push(fe.required('spec.selector', ''));
  else {
    out.push(...validateLabelSelector(sel, 'spec.selector'));
    if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0) {
      out.push(fe.invalidRaw('spec.selector', goLabelSelector(sel), 'empty selector is invalid for deployment'));
    }
  }
  let selector: Selector;
  try {
    selector = selectorFromLabelSelector(sel);
  } catch {
    out.push(fe.invalidRaw('spec.selector', goLabelSelector(sel), 'invalid label selector'));
    return out;
  }
  out.push(...validateTemplateForReplicas(t, selector, 'spec.template', owner));
  return out;
}

const percentRe = /^[0-9]+%$/;

function validatePositiveIntOrPercent(v: IntOrString | undefined, path: string): FieldError[] {
  if (typeof v === 'string') {
    return percentRe.test(v) ? [] : [fe.invalid(path, v, regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%'))];
  }
  return validateNonnegative(v, path);
}

function intOrPercentValue(v: IntOrString | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && percentRe.test(v)) return Number.parseInt(v, 10);
  return -1;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const spec = d.spec;
  if (!spec) return [fe.required('spec', '')];
  const out: FieldError[] = [];
  out.push(...validateInteger(spec.replicas, 'spec.replicas'), ...validateNonnegative(spec.replicas, 'spec.replicas'));
  out.push(...validateAppsSelectorAndTemplate(spec.selector, spec.template, 'Deployment'));
  const st = spec.strategy ?? {};
  switch (st.type) {
    case 'Recreate':
      if (st.rollingUpdate) out.push(fe.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      break;
    case 'RollingUpdate': {
      const ru = st.rollingUpdate;
      if (!ru) {
        out.push(fe.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
        break;
      }
      out.push(...validatePositiveIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
      out.push(...validatePositiveIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        out.push(fe.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
      if (typeof ru.maxUnavailable === 'string' && intOrPercentValue(ru.maxUnavailable) > 100) {
        out.push(fe.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'must not be greater than 100%'));
      }
      break;
    }
    default:
      out.push(
        fe.notSupportedRaw(
          'spec.strategy',
          `apps.DeploymentStrategy{Type:${JSON.stringify(st.type ?? '')}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`,
          ['Recreate', 'RollingUpdate'],
        ),
      );
  }
  out.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (spec.revisionHistoryLimit !== undefined) out.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.progressDeadlineSeconds !== undefined) {
    out.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      out.push(fe.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return out;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const spec = rs.spec;
  if (!spec) return [fe.required('spec', '')];
  const out: FieldError[] = [];
  out.push(...validateInteger(spec.replicas, 'spec.replicas'), ...validateNonnegative(spec.replicas, 'spec.replicas'));
  out.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  out.push(...validateAppsSelectorAndTemplate(spec.selector, spec.template, 'ReplicaSet'));
  return out;
}

export function validateReplicationController(rc: ReplicationController): FieldError[] {
  const spec = rc.spec;
  if (!spec) return [fe.required('spec', '')];
  const out: FieldError[] = [];
  out.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const sel = selectorFromSet(spec.selector);
  if (sel.isEmpty()) out.push(fe.required('spec.selector', ''));
  else out.push(...validateLabels(spec.selector, 'spec.selector'));
  out.push(...validateInteger(spec.replicas, 'spec.replicas'), ...validateNonnegative(spec.replicas, 'spec.replicas'));
  out.push(...validateTemplateForReplicas(spec.template, sel, 'spec.template', 'ReplicationController'));
  return out;
}

/** apps/v1: spec.selector is immutable. */
export function validateAppsSelectorUpdate(obj: Deployment | ReplicaSet, old: Deployment | ReplicaSet): FieldError[] {
  const a = JSON.stringify(normSel(obj.spec?.selector));
  const b = JSON.stringify(normSel(old.spec?.selector));
  return a === b ? [] : [fe.invalidRaw('spec.selector', goLabelSelector(obj.spec?.selector), FIELD_IMMUTABLE)];
}

function normSel(s: LabelSelector | undefined): unknown {
  if (!s) return null;
  const ml = s.matchLabels && Object.keys(s.matchLabels).length ? Object.fromEntries(Object.entries(s.matchLabels).sort(([x], [y]) => (x < y ? -1 : 1))) : undefined;
  const me = s.matchExpressions && s.matchExpressions.length ? s.matchExpressions : undefined;
  return { ml, me };
}

export function validateHPA(h: HorizontalPodAutoscaler): FieldError[] {
  const spec = h.spec;
  if (!spec) return [fe.required('spec', '')];
  const out: FieldError[] = [];
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) out.push(fe.invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (!(spec.maxReplicas >= 1)) out.push(fe.invalid('spec.maxReplicas', spec.maxReplicas ?? 0, 'must be greater than 0'));
  if (spec.minReplicas !== undefined && spec.maxReplicas < spec.minReplicas) {
    out.push(fe.invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  const ref = spec.scaleTargetRef;
  if (!ref) out.push(fe.required('spec.scaleTargetRef.kind', ''), fe.required('spec.scaleTargetRef.name', ''));
  else {
    if (!ref.kind) out.push(fe.required('spec.scaleTargetRef.kind', ''));
    else for (const m of validatePathSegmentName(ref.kind, false)) out.push(fe.invalid('spec.scaleTargetRef.kind', ref.kind, m));
    if (!ref.name) out.push(fe.required('spec.scaleTargetRef.name', ''));
    else for (const m of validatePathSegmentName(ref.name, false)) out.push(fe.invalid('spec.scaleTargetRef.name', ref.name, m));
  }
  if (spec.targetCPUUtilizationPercentage !== undefined && spec.targetCPUUtilizationPercentage < 1) {
    out.push(fe.invalid('spec.targetCPUUtilizationPercentage', spec.targetCPUUtilizationPercentage, 'must be greater than 0'));
  }
  return out;
}

export function validateScale(s: Scale): FieldError[] {
  return [...validateInteger(s.spec?.replicas, 'spec.replicas'), ...validateNonnegative(s.spec?.replicas, 'spec.replicas')];
}
