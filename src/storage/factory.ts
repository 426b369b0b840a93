/**
 * Picks the store from configuration. The Firestore client is loaded only when it is used, and only when
 * first needed (deferred.ts): main.ts starts that right after the server listens.
 */
import type { Config } from '../config/config.js';
import { DeferredStore } from './deferred.js';
import { MemoryStore } from './memory.js';
import type { Store } from './port.js';

export function createStore(config: Config): Store {
  if (config.store === 'firestore') {
    return new DeferredStore(async () => {
      const { FirestoreStore } = await import('./firestore.js');
      return FirestoreStore.connect({
        projectId: config.firestore.projectId,
        databaseId: config.firestore.databaseId,
        collectionPrefix: config.firestore.collectionPrefix,
      });
    });
  }
  return new MemoryStore();
}
