/** Picks the store from configuration. The Firestore client is loaded only when it is used. */
import type { Config } from '../config/config.js';
import { MemoryStore } from './memory.js';
import type { Store } from './port.js';

export async function createStore(config: Config): Promise<Store> {
  if (config.store === 'firestore') {
    const { FirestoreStore } = await import('./firestore.js');
    return FirestoreStore.connect({
      projectId: config.firestore.projectId,
      databaseId: config.firestore.databaseId,
      collectionPrefix: config.firestore.collectionPrefix,
    });
  }
  return new MemoryStore();
}
