import { addContactsToGroup } from './add-contacts-to-group.js';
import { createContactGroup } from './create-contact-group.js';
import { createContact } from './create-contact.js';
import { deleteContactGroup } from './delete-contact-group.js';
import { deleteContact } from './delete-contact.js';
import { getContact } from './get-contact.js';
import { listContactGroups } from './list-contact-groups.js';
import { listContacts } from './list-contacts.js';
import { removeContactsFromGroup } from './remove-contacts-from-group.js';
import { renameContactGroup } from './rename-contact-group.js';
import { saveOtherContact } from './save-other-contact.js';
import { searchContacts } from './search-contacts.js';
import { searchDirectory } from './search-directory.js';
import { searchOtherContacts } from './search-other-contacts.js';
import type { ToolDefinition } from './types.js';
import { updateContact } from './update-contact.js';
import { whoami } from './whoami.js';

const tool = (t: unknown) => t as ToolDefinition;

/** Every tool, in the order tools/list shows them. */
export const ALL_TOOLS: ToolDefinition[] = [
  tool(searchContacts),
  tool(listContacts),
  tool(getContact),
  tool(createContact),
  tool(updateContact),
  tool(deleteContact),
  tool(listContactGroups),
  tool(createContactGroup),
  tool(renameContactGroup),
  tool(deleteContactGroup),
  tool(addContactsToGroup),
  tool(removeContactsFromGroup),
  tool(searchOtherContacts),
  tool(saveOtherContact),
  tool(searchDirectory),
  tool(whoami),
];
