/**
 * Deadlines and errors of the Firestore store: which client-library errors mean "Firestore cannot serve
 * now" (mapped to StoreUnavailableError, which callers answer with 503 + Retry-After), which mean "another
 * writer got there first" (the store retries), the client library's own call deadlines, and the watchdog
 * that bounds every store operation.
 *
 * Why a watchdog on top of the library's deadlines: the library retries a refused connection for up to
 * ~40 s whatever its per-call settings say, so a store call could hang a request that long. Under the
 * watchdog a backend that does not answer surfaces as StoreUnavailableError within `deadlineMs`. The
 * abandoned call may still complete later (an ambiguous write, as with any timeout); callers treat
 * StoreUnavailableError as "outcome unknown, try again".
 */
import { StoreUnavailableError } from './port.js';

export const DEFAULT_DEADLINE_MS = 5000;
export const DEFAULT_OPERATION_TIMEOUT_MS = 30_000;

/** gRPC status codes that mean "the backend cannot serve now": DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE. */
const UNAVAILABLE_CODES = new Set([4, 8, 14]);
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const FAILED_PRECONDITION = 9;

function errorCode(err: unknown): number | string | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: number | string }).code : undefined;
}

/** Whether an error from the client library means Firestore cannot be reached or cannot serve now. */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = errorCode(err);
  if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) return true;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)
  )
    return true;
  const message = err instanceof Error ? err.message : '';
  return /ECONNREFUSED|No connection established|Connection dropped/.test(message);
}

/** A write's update-time precondition failed: the document changed since it was read. */
export function isPreconditionFailed(err: unknown): boolean {
  return errorCode(err) === FAILED_PRECONDITION;
}

/**
 * A compare-and-set write lost to another writer: the document changed since it was read (failed
 * precondition), was created meanwhile (already exists) or deleted meanwhile (not found). Read again.
 */
export function isWriteConflict(err: unknown): boolean {
  const code = errorCode(err);
  return code === FAILED_PRECONDITION || code === ALREADY_EXISTS || code === NOT_FOUND;
}

/** An outage becomes StoreUnavailableError (naming the operation, never a payload); anything else is passed on. */
function mapError(err: unknown, what: string): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isUnavailableError(err)) {
    const detail = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 200) : String(err);
    return new StoreUnavailableError(`Firestore unavailable (${what}): ${detail}`, { cause: err });
  }
  return err;
}

/** Short gax deadlines and retries for the RPCs the store uses (defaults are 60-300 s per call, 600 s total). */
export function clientConfig(deadlineMs: number) {
  const methods = [
    'GetDocument',
    'BatchGetDocuments',
    'RunQuery',
    'Commit',
    'BeginTransaction',
    'Rollback',
    'BatchWrite',
  ];
  return {
    interfaces: {
      'google.firestore.v1.Firestore': {
        retry_params: {
          store: {
            initial_retry_delay_millis: 100,
            retry_delay_multiplier: 1.3,
            max_retry_delay_millis: 1000,
            initial_rpc_timeout_millis: deadlineMs,
            rpc_timeout_multiplier: 1,
            max_rpc_timeout_millis: deadlineMs,
            total_timeout_millis: deadlineMs,
          },
        },
        methods: Object.fromEntries(
          methods.map((m) => [m, { timeout_millis: deadlineMs, retry_params_name: 'store' }]),
        ),
      },
    },
  };
}

/**
 * Runs store operations under a watchdog and remembers the client-library calls that have not settled
 * yet (they may outlive a StoreUnavailableError), so closing the client can wait for them.
 */
export class Watchdog {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deadlineMs: number) {}

  /**
   * StoreUnavailableError when Firestore has not answered for deadlineMs (`progress()` tells when it
   * last did) or the operation exceeds `totalMs`; an outage error from the library is mapped the same way.
   */
  async run<T>(what: string, operation: (progress: () => void) => Promise<T>, totalMs = this.deadlineMs): Promise<T> {
    const started = Date.now();
    let last = started;
    const progress = () => {
      last = Date.now();
    };
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      const tick = Math.max(10, Math.min(250, Math.floor(this.deadlineMs / 10)));
      timer = setInterval(() => {
        const now = Date.now();
        if (now - last >= this.deadlineMs) {
          reject(new StoreUnavailableError(`Firestore did not answer within ${this.deadlineMs} ms (${what})`));
        } else if (now - started >= totalMs) {
          reject(
            new StoreUnavailableError(`Firestore operation took longer than ${totalMs} ms (${what}; contention?)`),
          );
        }
      }, tick);
    });
    const op = operation(progress);
    // The watchdog may win: never leave the operation's rejection unhandled, and let settle() wait for it.
    const settled = op.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    try {
      return await Promise.race([op, watchdog]);
    } catch (err) {
      throw mapError(err, what);
    } finally {
      clearInterval(timer);
    }
  }

  /** Waits (up to deadlineMs) for calls still running. */
  async settle(): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((r) => {
        timer = setTimeout(r, this.deadlineMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
