/**
 * Structured logging for Cloud Logging: one JSON object per line with `severity` and `message`, trace
 * correlation from the request, and a redaction list so that tokens, codes and secrets never reach a log
 * even if a caller passes them by mistake.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { sourceMappedStack } from './source-mapped-stack.js';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Field names whose values are always replaced, at any depth we know of. */
const REDACT_KEYS = [
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'code_verifier',
  'client_secret',
  'password',
  'authorization',
  'cookie',
  'secret',
];
const REDACT_PATHS = [
  ...REDACT_KEYS,
  ...REDACT_KEYS.map((k) => `*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerSettings {
  level: string;
  pretty?: boolean;
  /** Where lines go (tests capture them); defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    messageKey: 'message',
    errorKey: 'err',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: {
      level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      log: (obj) => {
        // Error Reporting picks up `stack_trace`; keep the message short and the stack separate. In the
        // bundled build the stack's frames are mapped back to src/ here (source-mapped-stack.ts says why).
        const err = (obj as { err?: unknown }).err;
        if (err instanceof Error) {
          const { err: _omit, ...rest } = obj as Record<string, unknown>;
          return { ...rest, error: err.message, stack_trace: err.stack && sourceMappedStack(err.stack) };
        }
        return obj;
      },
    },
  };
  if (settings.pretty) {
    return pino({
      ...options,
      formatters: { log: options.formatters!.log! },
      transport: {
        target: 'pino-pretty',
        options: { messageKey: 'message', ignore: 'pid,hostname', translateTime: 'HH:MM:ss' },
      },
    });
  }
  return pino(
    options,
    (settings.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: false }),
  );
}

const requestContext = new AsyncLocalStorage<Logger>();

/** Runs `fn` with `logger` as the current request's logger (for code far from the request object). */
export function withRequestLogger<T>(logger: Logger, fn: () => T): T {
  return requestContext.run(logger, fn);
}

let rootLogger: Logger = pino({ level: 'silent' });

export function setRootLogger(logger: Logger): void {
  rootLogger = logger;
}

/** The current request's logger when inside one, else the root logger. */
export function log(): Logger {
  return requestContext.getStore() ?? rootLogger;
}

/**
 * Trace fields Cloud Logging uses to group a request's lines: from W3C `traceparent` or Google's
 * `X-Cloud-Trace-Context` ("TRACE_ID/SPAN_ID;o=1").
 */
export function traceFields(
  headers: Record<string, string | string[] | undefined>,
  projectId?: string,
): Record<string, unknown> {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  let traceId: string | undefined;
  let spanId: string | undefined;
  let sampled: boolean | undefined;
  const tp = header('traceparent');
  const m = tp?.match(/^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/i);
  if (m) {
    traceId = m[1];
    spanId = m[2];
    sampled = (parseInt(m[3]!, 16) & 1) === 1;
  } else {
    const xc = header('x-cloud-trace-context')?.match(/^([\da-f]{32})(?:\/(\d+))?(?:;o=(\d))?/i);
    if (xc) {
      traceId = xc[1];
      spanId = xc[2] ? BigInt(xc[2]).toString(16).padStart(16, '0') : undefined;
      sampled = xc[3] === '1';
    }
  }
  if (!traceId) return {};
  return {
    'logging.googleapis.com/trace': projectId ? `projects/${projectId}/traces/${traceId}` : traceId,
    ...(spanId ? { 'logging.googleapis.com/spanId': spanId } : {}),
    'logging.googleapis.com/trace_sampled': sampled ?? false,
  };
}
