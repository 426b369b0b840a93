import { membersTool } from './group-members.js';

export const addContactsToGroup = membersTool('add');
