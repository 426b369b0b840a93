import type { ToolDefinition } from './types.js';
import { whoami } from './whoami.js';

/** Every tool, in the order tools/list shows them. */
export const ALL_TOOLS: ToolDefinition[] = [whoami as unknown as ToolDefinition];
