import type { Status, StatusCause, StatusDetails } from './meta.js';

/**
 * The closed set of reasons the API answers with. The Record below maps each to its HTTP code,
 * so a new reason cannot compile without one.
 */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'Timeout'
  | 'ServiceUnavailable';

export const statusCodeOf: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** Every API error, carried as a Kubernetes `Status`. */
export class StatusError extends Error {
  readonly code: number;

  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
    this.code = statusCodeOf[reason];
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }

  static fromStatus(s: Partial<Status>): StatusError {
    const reason = (s.reason && s.reason in statusCodeOf ? s.reason : reasonForCode(s.code ?? 500)) as StatusReason;
    return new StatusError(reason, s.message ?? reason, s.details);
  }
}

function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(statusCodeOf) as [StatusReason, number][]).find(([, c]) => c === code);
  return found ? found[0] : 'InternalError';
}

/** What a resource is called in messages: `deployments.apps`, or `pods` for the core group. */
export interface GroupResource {
  group: string;
  resource: string;
}

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export const errors = {
  notFound: (gr: GroupResource, name: string) =>
    new StatusError('NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource }),
  alreadyExists: (gr: GroupResource, name: string) =>
    new StatusError('AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource }),
  conflict: (gr: GroupResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new StatusError('Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group, kind: gr.resource }),
  /** 422 listing every field problem, e.g. `Service "x" is invalid: spec.ports[0].port: Invalid value: 0: ...`. */
  /** Each cause: `reason` (FieldValueInvalid, FieldValueRequired, ...), `field`, and `message` without the field. */
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) => {
    const lines = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : `${c.message}`));
    const text = lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`;
    return new StatusError('Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${text}`, { name, group, kind, causes });
  },
  badRequest: (message: string) => new StatusError('BadRequest', message),
  gone: (message: string) => new StatusError('Expired', message),
  internal: (message: string) => new StatusError('InternalError', `Internal error occurred: ${message}`),
};

export const isStatusError = (err: unknown): err is StatusError => err instanceof StatusError;
export const isNotFound = (err: unknown): boolean => isStatusError(err) && err.reason === 'NotFound';
export const isAlreadyExists = (err: unknown): boolean => isStatusError(err) && err.reason === 'AlreadyExists';
export const isConflict = (err: unknown): boolean => isStatusError(err) && err.reason === 'Conflict';
export const isGone = (err: unknown): boolean => isStatusError(err) && (err.reason === 'Gone' || err.reason === 'Expired');
export const isInvalid = (err: unknown): boolean => isStatusError(err) && err.reason === 'Invalid';
