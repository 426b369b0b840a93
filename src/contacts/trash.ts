/**
 * The trash: every contact the tools delete (delete_contact, merge_contacts) is saved here first, so
 * "undo that" can recreate it. Google's People API has no undo of its own.
 *
 * One store record per deleted contact, kind `Trash`, keyed by a random trash id and indexed by the
 * account id. Everything about the contact (every field, its groups, its photo URL) is one AES-256-GCM
 * ciphertext (the key that protects the Google tokens, with `trash/<accountId>/<trashId>` as additional
 * data, so a record can be neither read without ACCESS_TOKEN_SECRET nor moved to another user). Only the
 * deletion time, the reason and a restore claim are stored in clear. Records expire after TRASH_DAYS.
 */
import type { people_v1 } from '@googleapis/people';
import { randomToken, type KeyRing } from '../security/keys.js';
import type { Store, StoredRecord } from '../storage/port.js';

export type TrashReason = 'delete' | 'merge';

/** What is saved about a deleted contact (encrypted). */
export interface TrashContent {
  /** The contact as Google returned it just before the deletion (every field). */
  person: people_v1.Schema$Person;
  /** Its groups, with the names they had then. */
  groups: Array<{ resourceName: string; name?: string }>;
  /** Its custom photo (Google's API cannot re-upload a photo from a URL; kept so the user can get it back). */
  photoUrl?: string;
}

export interface TrashedContact extends TrashContent {
  trashId: string;
  reason: TrashReason;
  deletedAt: number;
  expiresAt: number;
}

/** How long a restore may hold a record before another restore may try it (a crashed request frees it by then). */
const CLAIM_MS = 2 * 60_000;
const DAY_MS = 86_400_000;

function aad(accountId: string, trashId: string): string {
  return `trash/${accountId}/${trashId}`;
}

/** Deletes every trash record of the account (admin revocation); returns how many. */
export async function deleteTrashOf(store: Store, accountId: string): Promise<number> {
  const records = await store.list('Trash', { field: 'accountId', value: accountId });
  await Promise.all(records.map(({ key }) => store.delete('Trash', key)));
  return records.length;
}

/** One user's trash: what the tools get as `ctx.trash` (the account is bound, so no tool can pass another). */
export interface AccountTrash {
  /** How long an entry stays restorable (TRASH_DAYS). */
  readonly ttlDays: number;
  put(content: TrashContent, reason: TrashReason): Promise<{ trashId: string; expiresAt: number }>;
  list(): Promise<TrashedContact[]>;
  claim(trashId: string): Promise<TrashedContact | undefined>;
  release(trashId: string): Promise<void>;
  remove(trashId: string): Promise<void>;
}

export class ContactTrash {
  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    readonly ttlDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The trash of one user, as the tools see it. */
  forAccount(accountId: string): AccountTrash {
    return {
      ttlDays: this.ttlDays,
      put: (content, reason) => this.put(accountId, content, reason),
      list: () => this.list(accountId),
      claim: (trashId) => this.claim(accountId, trashId),
      release: (trashId) => this.release(accountId, trashId),
      remove: (trashId) => this.remove(accountId, trashId),
    };
  }

  /** Saves a contact about to be deleted. Throws (and nothing may be deleted then) if the store fails. */
  async put(
    accountId: string,
    content: TrashContent,
    reason: TrashReason,
  ): Promise<{ trashId: string; expiresAt: number }> {
    const trashId = randomToken(16);
    const deletedAt = this.now();
    const expiresAt = deletedAt + this.ttlDays * DAY_MS;
    const sealed = this.keys.encrypt(JSON.stringify(content), aad(accountId, trashId));
    await this.store.put('Trash', trashId, { data: { sealed, reason, deletedAt }, accountId, expiresAt });
    return { trashId, expiresAt };
  }

  private open(accountId: string, trashId: string, record: StoredRecord): TrashedContact | undefined {
    if (record.accountId !== accountId) return undefined;
    let content: TrashContent;
    try {
      content = JSON.parse(this.keys.decrypt(String(record.data.sealed), aad(accountId, trashId))) as TrashContent;
    } catch {
      // Sealed under a secret no longer configured: unreadable, so not offered.
      return undefined;
    }
    return {
      ...content,
      trashId,
      reason: record.data.reason === 'merge' ? 'merge' : 'delete',
      deletedAt: Number(record.data.deletedAt),
      expiresAt: record.expiresAt,
    };
  }

  /** The account's deleted contacts, newest first. */
  async list(accountId: string): Promise<TrashedContact[]> {
    const records = await this.store.list('Trash', { field: 'accountId', value: accountId });
    return records
      .map(({ key, record }) => this.open(accountId, key, record))
      .filter((t): t is TrashedContact => t !== undefined)
      .sort((a, b) => b.deletedAt - a.deletedAt || a.trashId.localeCompare(b.trashId));
  }

  /**
   * Takes a record for a restore: undefined when it is not this account's, has expired, or another
   * restore holds it right now (so two concurrent restores never create the contact twice).
   */
  async claim(accountId: string, trashId: string): Promise<TrashedContact | undefined> {
    const claimId = randomToken(9);
    const now = this.now();
    const after = await this.store.update('Trash', trashId, (cur) => {
      if (!cur || cur.accountId !== accountId) return undefined;
      if (Number(cur.data.claimedUntil ?? 0) > now) return undefined;
      return { ...cur, data: { ...cur.data, claimedUntil: now + CLAIM_MS, claimId } };
    });
    if (!after || after.data.claimId !== claimId) return undefined;
    return this.open(accountId, trashId, after);
  }

  /** Gives a claimed record back (the restore failed; the contact stays in the trash). */
  async release(accountId: string, trashId: string): Promise<void> {
    await this.store.update('Trash', trashId, (cur) => {
      if (!cur || cur.accountId !== accountId) return undefined;
      const data = { ...cur.data };
      delete data.claimedUntil;
      delete data.claimId;
      return { ...cur, data };
    });
  }

  /** Removes a record (restored, or its contact was not deleted after all). */
  async remove(accountId: string, trashId: string): Promise<void> {
    await this.store.update('Trash', trashId, (cur) => (cur && cur.accountId === accountId ? null : undefined));
  }
}
