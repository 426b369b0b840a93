/** Google-shaped error answers ({"error":{code,message,status,details}}). */

export const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export interface ErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Array<Record<string, unknown>>;
  };
}

export class ApiError extends Error {
  readonly code: number;
  readonly status: string;
  readonly details: Array<Record<string, unknown>> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: number,
    status: string,
    message: string,
    opts: { details?: Array<Record<string, unknown>>; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }

  body(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message, status: this.status };
    if (this.details && this.details.length > 0) error.details = this.details;
    return { error };
  }
}

const SERVICE = 'people.googleapis.com';

export function errorInfo(
  reason: string,
  rpcMethod?: string,
  extra: Record<string, string> = {},
): Record<string, unknown> {
  const metadata: Record<string, string> = { service: SERVICE, ...extra };
  if (rpcMethod) metadata['method'] = rpcMethod;
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata };
}

export function badRequest(message: string, field?: string): ApiError {
  const details = field
    ? [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] }]
    : undefined;
  return new ApiError(400, 'INVALID_ARGUMENT', message, details ? { details } : {});
}

export function failedPrecondition(message: string, details?: Array<Record<string, unknown>>): ApiError {
  return new ApiError(400, 'FAILED_PRECONDITION', message, details ? { details } : {});
}

export function notFound(message = 'Requested entity was not found.'): ApiError {
  return new ApiError(404, 'NOT_FOUND', message);
}

export const UNAUTHENTICATED_MESSAGE =
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid ' +
  'authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function unauthenticated(rpcMethod?: string, reason = 'ACCESS_TOKEN_EXPIRED'): ApiError {
  return new ApiError(401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, {
    details: [errorInfo(reason, rpcMethod)],
    headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
  });
}

export function insufficientScopes(rpcMethod: string, requiredAnyOf: readonly string[]): ApiError {
  return new ApiError(403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.', {
    details: [errorInfo('ACCESS_TOKEN_SCOPE_INSUFFICIENT', rpcMethod)],
    headers: {
      'www-authenticate': `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="${requiredAnyOf.join(' ')}"`,
    },
  });
}

/** The answer for an injected fault (standin.failNext). */
export function injectedFault(code: number, rpcMethod: string | undefined, retryAfterSeconds?: number): ApiError {
  const headers: Record<string, string> = {};
  switch (code) {
    case 401:
      return unauthenticated(rpcMethod);
    case 403:
      return new ApiError(403, 'PERMISSION_DENIED', 'The caller does not have permission', {
        details: [errorInfo('PERMISSION_DENIED', rpcMethod)],
      });
    case 404:
      return notFound();
    case 409:
      return new ApiError(409, 'ABORTED', 'The operation was aborted.', {
        details: [errorInfo('ABORTED', rpcMethod)],
      });
    case 412:
      return new ApiError(412, 'FAILED_PRECONDITION', 'Precondition check failed.');
    case 429: {
      headers['retry-after'] = String(retryAfterSeconds ?? 1);
      return new ApiError(
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service " +
          "'people.googleapis.com' for consumer 'project_number:000000000000'.",
        {
          details: [
            errorInfo('RATE_LIMIT_EXCEEDED', rpcMethod, {
              quota_metric: 'people.googleapis.com/read_requests',
              quota_limit: 'ReadRequestsPerMinutePerUser',
              consumer: 'projects/000000000000',
            }),
          ],
          headers,
        },
      );
    }
    case 500:
      return new ApiError(500, 'INTERNAL', 'Internal error encountered.');
    case 503:
      if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
      return new ApiError(503, 'UNAVAILABLE', 'The service is currently unavailable.', { headers });
    default:
      return new ApiError(code, GOOGLE_STATUS[code] ?? 'UNKNOWN', 'Injected failure.');
  }
}
