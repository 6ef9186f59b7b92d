// The JSON wire format of Harmony conversations (used by `wgh harmony render|parse`; snake_case):
//
//   { "system":    { "model_identity"?, "reasoning_effort"?: "low"|"medium"|"high", "knowledge_cutoff"?,
//                    "conversation_start_date"?, "channels"?: [..], "channel_required"?: bool,
//                    "builtin_tools"?: ["browser","python"] },      absent: no system message; {}: all defaults;
//                                                                   a field set to null is left out
//     "developer": { "instructions"?: str, "tools"?: [ {name, description?, parameters?}
//                                                     | {type:"function", function:{…}} ] },   absent: none
//     "messages":  [ { "role", "content": str, "channel"?, "recipient"?, "content_type"?, "name"? } ],
//     "drop_analysis"?: bool (default true), "next_role"?: role (default "assistant") | null }
//
// A message is `{role, name?, channel?, recipient?, content_type?, content}`; a tool message's name
// is its author (`functions.lookup_weather`). Every problem is a ConfigError naming the JSON path.

import { ConfigError } from '../errors.js';
import { BUILTIN_TOOL_NAMES, developerContent, systemContent, type BuiltinToolName } from './content.js';
import {
  REASONING_EFFORTS,
  isRole,
  type JsonValue,
  type Message,
  type ReasoningEffort,
  type Role,
  type TextMessage,
  type ToolDescription,
} from './types.js';

export interface HarmonyMessageJson {
  role: Role;
  name?: string;
  channel?: string;
  recipient?: string;
  content_type?: string;
  content: string;
}

export interface RenderRequest {
  readonly messages: readonly Message[];
  readonly dropAnalysis: boolean;
  /** Role appended as `<|start|>{role}`; null renders the conversation only. */
  readonly nextRole: Role | null;
}

type JsonRecord = Record<string, unknown>;

function fail(path: string, expected: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  const clipped = shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
  throw new ConfigError(`harmony input: ${path} must be ${expected}, got ${clipped}`);
}

function record(value: unknown, path: string, allowed: readonly string[]): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  const object = value as JsonRecord;
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new ConfigError(`harmony input: ${path} has an unknown key '${key}' (allowed: ${allowed.join(', ')})`);
    }
  }
  return object;
}

/** undefined → undefined (default), null → null (leave out), string → string. */
function optionalString(object: JsonRecord, key: string, path: string): string | null | undefined {
  const value = object[key];
  if (value === undefined || value === null || typeof value === 'string') return value;
  return fail(`${path}.${key}`, 'a string or null', value);
}

function stringOrUndefined(object: JsonRecord, key: string, path: string): string | undefined {
  return optionalString(object, key, path) ?? undefined;
}

function stringArray(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) fail(path, 'an array of strings', value);
  return value as string[];
}

function systemFromJson(value: unknown): Message {
  const path = 'system';
  const object = record(value, path, [
    'model_identity',
    'reasoning_effort',
    'knowledge_cutoff',
    'conversation_start_date',
    'channels',
    'channel_required',
    'builtin_tools',
  ]);
  const effort = object['reasoning_effort'];
  if (effort !== undefined && effort !== null && !(REASONING_EFFORTS as readonly unknown[]).includes(effort)) {
    fail(`${path}.reasoning_effort`, '"low", "medium" or "high"', effort);
  }
  const channelRequired = object['channel_required'];
  if (channelRequired !== undefined && typeof channelRequired !== 'boolean') {
    fail(`${path}.channel_required`, 'a boolean', channelRequired);
  }
  const rawChannels = object['channels'];
  const channels =
    rawChannels === undefined || rawChannels === null ? rawChannels : stringArray(rawChannels, `${path}.channels`);
  const builtins = object['builtin_tools'] === undefined ? [] : stringArray(object['builtin_tools'], `${path}.builtin_tools`);
  for (const name of builtins) {
    if (!(BUILTIN_TOOL_NAMES as readonly string[]).includes(name)) fail(`${path}.builtin_tools[]`, '"browser" or "python"', name);
  }
  return {
    role: 'system',
    content: systemContent({
      modelIdentity: optionalString(object, 'model_identity', path),
      reasoningEffort: effort as ReasoningEffort | null | undefined,
      knowledgeCutoff: optionalString(object, 'knowledge_cutoff', path),
      conversationStartDate: optionalString(object, 'conversation_start_date', path),
      channels,
      channelRequired: channelRequired as boolean | undefined,
      builtinTools: builtins as BuiltinToolName[],
    }),
  };
}

function toolFromJson(value: unknown, path: string): ToolDescription {
  const outer = record(value, path, ['type', 'function', 'name', 'description', 'parameters', 'strict']);
  let object = outer;
  let objectPath = path;
  if (outer['type'] !== undefined || outer['function'] !== undefined) {
    if (outer['type'] !== 'function') fail(`${path}.type`, '"function"', outer['type']);
    objectPath = `${path}.function`;
    object = record(outer['function'], objectPath, ['name', 'description', 'parameters', 'strict']);
  }
  const name = object['name'];
  if (typeof name !== 'string' || name.length === 0) fail(`${objectPath}.name`, 'a non-empty string', name);
  const parameters = object['parameters'];
  return {
    name: name as string,
    description: stringOrUndefined(object, 'description', objectPath) ?? '',
    ...(parameters !== undefined && parameters !== null ? { parameters: parameters as JsonValue } : {}),
  };
}

function developerFromJson(value: unknown): Message {
  const object = record(value, 'developer', ['instructions', 'tools']);
  const tools = object['tools'];
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) fail('developer.tools', 'an array', tools);
  const list: unknown[] = Array.isArray(tools) ? tools : [];
  const functionTools = list.map((tool, toolIdx) => toolFromJson(tool, `developer.tools[${toolIdx}]`));
  return {
    role: 'developer',
    content: developerContent({
      instructions: stringOrUndefined(object, 'instructions', 'developer'),
      ...(functionTools.length > 0 ? { functionTools } : {}),
    }),
  };
}

/** Reads one `{role, content, …}` message. */
export function messageFromJson(value: unknown, path = 'message'): TextMessage {
  const object = record(value, path, ['role', 'content', 'name', 'channel', 'recipient', 'content_type']);
  const role = object['role'];
  if (!isRole(role)) fail(`${path}.role`, 'one of system, developer, user, assistant, tool', role);
  const content = object['content'];
  if (typeof content !== 'string') fail(`${path}.content`, 'a string', content);
  const name = stringOrUndefined(object, 'name', path);
  if (role === 'tool' && name === undefined) {
    fail(`${path}.name`, 'the tool\'s name for a tool message (e.g. "functions.lookup_weather")', name);
  }
  const channel = stringOrUndefined(object, 'channel', path);
  const recipient = stringOrUndefined(object, 'recipient', path);
  const contentType = stringOrUndefined(object, 'content_type', path);
  return {
    role: role as Role,
    ...(name !== undefined ? { name } : {}),
    ...(recipient !== undefined ? { recipient } : {}),
    ...(channel !== undefined ? { channel } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    content: content as string,
  };
}

/** Reads the render input (see the header comment). */
export function renderRequestFromJson(value: unknown): RenderRequest {
  const object = record(value, 'input', ['system', 'developer', 'messages', 'drop_analysis', 'next_role']);
  const messages: Message[] = [];
  if (object['system'] !== undefined && object['system'] !== null) messages.push(systemFromJson(object['system']));
  if (object['developer'] !== undefined && object['developer'] !== null) messages.push(developerFromJson(object['developer']));
  const list = object['messages'] ?? [];
  if (!Array.isArray(list)) fail('messages', 'an array', list);
  (list as unknown[]).forEach((message, msgIdx) => messages.push(messageFromJson(message, `messages[${msgIdx}]`)));
  const dropAnalysis = object['drop_analysis'] ?? true;
  if (typeof dropAnalysis !== 'boolean') fail('drop_analysis', 'a boolean', dropAnalysis);
  const nextRole = object['next_role'] === undefined ? 'assistant' : object['next_role'];
  if (nextRole !== null && !isRole(nextRole)) fail('next_role', 'a role or null', nextRole);
  return { messages, dropAnalysis: dropAnalysis as boolean, nextRole: nextRole as Role | null };
}

/** A parsed message in the wire format, keys in a fixed order, absent fields left out. */
export function messageToJson(message: TextMessage): HarmonyMessageJson {
  return {
    role: message.role,
    ...(message.name !== undefined ? { name: message.name } : {}),
    ...(message.channel !== undefined ? { channel: message.channel } : {}),
    ...(message.recipient !== undefined ? { recipient: message.recipient } : {}),
    ...(message.contentType !== undefined ? { content_type: message.contentType } : {}),
    content: message.content,
  };
}
