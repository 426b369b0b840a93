import { addContactsToGroup } from './add-contacts-to-group.js';
import { createContactGroup } from './create-contact-group.js';
import { createContact } from './create-contact.js';
import { createContacts } from './create-contacts.js';
import { deleteContactGroup } from './delete-contact-group.js';
import { deleteContact } from './delete-contact.js';
import { findDuplicateContacts } from './find-duplicate-contacts.js';
import { getContact } from './get-contact.js';
import { listContactGroups } from './list-contact-groups.js';
import { listContacts } from './list-contacts.js';
import { listDeletedContacts } from './list-deleted-contacts.js';
import { mergeContacts } from './merge-contacts.js';
import { removeContactsFromGroup } from './remove-contacts-from-group.js';
import { renameContactGroup } from './rename-contact-group.js';
import { restoreContacts } from './restore-contacts.js';
import { saveOtherContact } from './save-other-contact.js';
import { searchContacts } from './search-contacts.js';
import { searchDirectory } from './search-directory.js';
import { searchOtherContacts } from './search-other-contacts.js';
import type { ToolDefinition } from './types.js';
import { updateContact } from './update-contact.js';
import { whoami } from './whoami.js';

/** Every tool, in the order tools/list shows them. */
export const ALL_TOOLS: ToolDefinition[] = [
  searchContacts,
  listContacts,
  getContact,
  createContact,
  updateContact,
  deleteContact,
  createContacts,
  findDuplicateContacts,
  mergeContacts,
  listDeletedContacts,
  restoreContacts,
  listContactGroups,
  createContactGroup,
  renameContactGroup,
  deleteContactGroup,
  addContactsToGroup,
  removeContactsFromGroup,
  searchOtherContacts,
  saveOtherContact,
  searchDirectory,
  whoami,
];
