// Saved conversations: versioned JSON, written atomically (src/chat/atomic-write.ts).
//
//   {
//     "format": "webgpu-harmony.conversation", "schemaVersion": 1, "savedAt": "2025-01-01T12:00:00.000Z",
//     "settings": { "reasoningEffort": "medium", "system": "", "instructions": "Be brief." },
//     "messages": [ { "role": "user", "content": "Hi" },
//                   { "role": "assistant", "channel": "final", "content": "Hello!" }, … ]   (harmony wire format)
//   }
// Messages are user / assistant / tool messages (the system and developer messages are rebuilt
// from the settings). Loading checks everything and throws a ChatError that says what is wrong;
// nothing is changed until a file has been read completely and validated.

import { readFile } from 'node:fs/promises';
import { ChatError, ConfigError } from '../errors.js';
import { messageFromJson, messageToJson } from '../harmony/json.js';
import { REASONING_EFFORTS, type ReasoningEffort, type TextMessage } from '../harmony/types.js';
import { atomicWriteFile, type AtomicFs } from './atomic-write.js';

export const CONVERSATION_FORMAT = 'webgpu-harmony.conversation';
export const CONVERSATION_SCHEMA_VERSION = 1;

export interface ConversationSettings {
  readonly reasoningEffort?: ReasoningEffort;
  readonly system?: string;
  readonly instructions?: string;
}

export interface SavedConversation {
  readonly settings: ConversationSettings;
  readonly messages: readonly TextMessage[];
  readonly savedAt?: string;
}

const CONVERSATION_ROLES = new Set(['user', 'assistant', 'tool']);

export function conversationToJson(conversation: SavedConversation, savedAt: Date): unknown {
  return {
    format: CONVERSATION_FORMAT,
    schemaVersion: CONVERSATION_SCHEMA_VERSION,
    savedAt: savedAt.toISOString(),
    settings: conversation.settings,
    messages: conversation.messages.map(messageToJson),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed conversation document. */
export function conversationFromJson(json: unknown, who: string): SavedConversation {
  const bad = (what: string): never => {
    throw new ChatError(`${who}: ${what}`);
  };
  if (!isRecord(json)) return bad('not a conversation (expected a JSON object)');
  if (json['format'] !== CONVERSATION_FORMAT) return bad(`not a conversation file (format ${JSON.stringify(json['format'])}, expected "${CONVERSATION_FORMAT}")`);
  const version = json['schemaVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) return bad(`bad schemaVersion ${JSON.stringify(version)}`);
  if (version > CONVERSATION_SCHEMA_VERSION) return bad(`schemaVersion ${version} is newer than this wgh reads (${CONVERSATION_SCHEMA_VERSION}); update wgh`);
  const rawSettings = json['settings'] ?? {};
  if (!isRecord(rawSettings)) return bad("'settings' must be an object");
  const settings: { reasoningEffort?: ReasoningEffort; system?: string; instructions?: string } = {};
  for (const [key, value] of Object.entries(rawSettings)) {
    if (key === 'reasoningEffort') {
      if (!(REASONING_EFFORTS as readonly unknown[]).includes(value)) bad(`settings.reasoningEffort must be low, medium or high, got ${JSON.stringify(value)}`);
      settings.reasoningEffort = value as ReasoningEffort;
    } else if (key === 'system' || key === 'instructions') {
      if (typeof value !== 'string') bad(`settings.${key} must be a string`);
      settings[key] = value as string;
    } else bad(`unknown key 'settings.${key}'`);
  }
  const rawMessages = json['messages'];
  if (!Array.isArray(rawMessages)) return bad("'messages' must be an array");
  const messages = rawMessages.map((raw, msgIdx) => {
    let message: TextMessage;
    try {
      message = messageFromJson(raw, `messages[${msgIdx}]`);
    } catch (err) {
      if (err instanceof ConfigError) return bad(err.message.replace(/^harmony input: /, ''));
      throw err;
    }
    if (!CONVERSATION_ROLES.has(message.role)) bad(`messages[${msgIdx}].role must be user, assistant or tool (system and developer come from the settings), got ${message.role}`);
    return message;
  });
  return { settings, messages, ...(typeof json['savedAt'] === 'string' ? { savedAt: json['savedAt'] } : {}) };
}

export async function saveConversation(file: string, conversation: SavedConversation, savedAt = new Date(), fs?: AtomicFs): Promise<void> {
  const text = `${JSON.stringify(conversationToJson(conversation, savedAt), null, 2)}\n`;
  try {
    await atomicWriteFile(file, text, fs);
  } catch (err) {
    throw new ChatError(`cannot save to '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export async function loadConversation(file: string): Promise<SavedConversation> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ChatError(`cannot load '${file}': ${why}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ChatError(`cannot load '${file}': not valid JSON (${(err as Error).message}); the file may be damaged`, { cause: err });
  }
  return conversationFromJson(json, `cannot load '${file}'`);
}
