import { membersTool } from './group-members.js';

export const removeContactsFromGroup = membersTool('remove');
