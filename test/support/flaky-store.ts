/** A store that can be "taken down": every operation then fails like an unreachable Firestore. */
import { StoreUnavailableError, type Store } from '../../src/storage/port.js';

export function flaky(inner: Store): Store & { down: boolean } {
  const state = { down: false };
  const proxy = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'down') return state.down;
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return (...args: unknown[]) => {
        if (state.down) return Promise.reject(new StoreUnavailableError('store unavailable (test)'));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
    set(_t, prop, value) {
      if (prop === 'down') {
        state.down = Boolean(value);
        return true;
      }
      return false;
    },
  });
  return proxy as Store & { down: boolean };
}
