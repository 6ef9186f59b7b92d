// In-chat commands (`\help`, `\set temperature=0.7`, …): parsed by src/chat/input.ts, executed here
// against a ChatSession. A command returns blocks of output for the front end to print, or an
// action the front end carries out (quit, regenerate). Errors are returned, never thrown: the
// session goes on.

import { basename } from 'node:path';
import { WghError } from '../errors.js';
import { REASONING_EFFORTS } from '../harmony/types.js';
import { SETTING_SPECS } from './settings.js';
import type { ChatSession } from './session.js';

export type OutputStyle = 'info' | 'error' | 'dim' | 'markdown' | 'user' | 'reasoning' | 'tool';
export interface OutputBlock {
  readonly style: OutputStyle;
  readonly text: string;
}

export type CommandResult =
  | { readonly kind: 'output'; readonly blocks: readonly OutputBlock[] }
  | { readonly kind: 'quit' }
  | { readonly kind: 'retry' };

export interface CommandSpec {
  readonly name: string;
  readonly usage: string;
  readonly help: string;
}

export const COMMANDS: readonly CommandSpec[] = Object.freeze([
  { name: 'help', usage: '\\help', help: 'this list' },
  { name: 'quit', usage: '\\quit', help: 'leave (also \\exit, Ctrl-D, or Ctrl-C twice)' },
  { name: 'new', usage: '\\new', help: 'start a new conversation (settings stay)' },
  { name: 'save', usage: '\\save [FILE]', help: 'save the conversation as JSON' },
  { name: 'load', usage: '\\load FILE', help: 'load a saved conversation' },
  { name: 'history', usage: '\\history', help: 'show the conversation' },
  { name: 'retry', usage: '\\retry', help: 'regenerate the last reply' },
  { name: 'set', usage: '\\set KEY=VALUE', help: 'change a sampling or chat parameter for this session' },
  { name: 'show', usage: '\\show', help: 'current parameters and where they come from' },
  { name: 'effort', usage: '\\effort low|medium|high', help: 'reasoning effort' },
  { name: 'system', usage: '\\system TEXT', help: "the system message's model identity ('' resets)" },
  { name: 'developer', usage: '\\developer TEXT', help: 'developer instructions (empty clears)' },
  { name: 'reasoning', usage: '\\reasoning on|off', help: 'show or collapse the reasoning (analysis)' },
  { name: 'stats', usage: '\\stats', help: "last turn's metrics" },
  { name: 'tools', usage: '\\tools', help: 'the tools the model may call' },
]);

const ALIASES: Readonly<Record<string, string>> = { exit: 'quit', q: 'quit', h: 'help', '?': 'help' };

const out = (...blocks: OutputBlock[]): CommandResult => ({ kind: 'output', blocks });
const info = (text: string): OutputBlock => ({ style: 'info', text });
const error = (text: string): CommandResult => out({ style: 'error', text });

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function timestampName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `conversation-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}.json`;
}

function help(): CommandResult {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length)) + 2;
  const lines = COMMANDS.map((c) => `  ${pad(c.usage, width)}${c.help}`);
  lines.push('', 'Input: Enter sends; a line ending in \\ continues; a line \\\\ starts and ends a block.');
  lines.push('Ctrl-C stops the current reply; Ctrl-C twice (or Ctrl-D) quits.');
  return out(info(lines.join('\n')));
}

function show(session: ChatSession): CommandResult {
  const settings = session.settings;
  const width = Math.max(...SETTING_SPECS.map((s) => s.key.length)) + 2;
  const lines = SETTING_SPECS.map((spec) => {
    const value = JSON.stringify(settings[spec.key]);
    return `  ${pad(spec.key, width)}${pad(value, 14)} ${pad(session.sourceOf(spec.key), 8)} ${spec.help}`;
  });
  const profile = session.layers.profileName;
  return out(info(`${profile !== undefined ? `profile: ${profile}\n` : ''}${lines.join('\n')}`));
}

function history(session: ChatSession): CommandResult {
  if (session.messages.length === 0) return out(info('(the conversation is empty)'));
  const blocks: OutputBlock[] = [];
  for (const m of session.messages) {
    if (m.role === 'user') blocks.push({ style: 'user', text: `you: ${m.content}` });
    else if (m.role === 'tool') blocks.push({ style: 'tool', text: `↳ ${m.name ?? 'tool'}: ${m.content}` });
    else if (m.recipient !== undefined) blocks.push({ style: 'tool', text: `⚙ ${m.recipient}(${m.content})` });
    else if (m.channel === 'analysis') blocks.push({ style: 'reasoning', text: m.content });
    else blocks.push({ style: 'markdown', text: m.content });
  }
  return out(...blocks);
}

function stats(session: ChatSession): CommandResult {
  const last = session.lastTurn;
  if (last === null) return out(info('no turn yet'));
  const lines = [`turn ${last.turn}: ${last.attempts.length} attempt(s), finish ${last.finishReason}${last.cancelled ? ' (cancelled)' : ''}${last.gaveUp ? ' (attempt cap)' : ''}`];
  for (const a of last.attempts) {
    const m = a.metrics;
    lines.push(
      `  #${a.attempt} ${a.kind}: prompt ${a.usage.promptTokens} (cached ${a.usage.cachedTokens}), completion ${a.usage.completionTokens}, ` +
        `TTFT ${m.ttftSeconds.toFixed(3)} s, prefill ${m.prefillSeconds.toFixed(3)} s, decode ${m.decodeTokensPerSecond.toFixed(1)} tok/s, ` +
        `stop ${m.stopReason} → ${a.decision.action}${a.decision.reason !== null ? ` (${a.decision.reason})` : ''}`,
    );
  }
  if (last.droppedTurns > 0) lines.push(`  ${last.droppedTurns} earlier turn(s) left out to fit the context budget`);
  return out(info(lines.join('\n')));
}

function tools(session: ChatSession): CommandResult {
  const list = session.tools?.descriptions ?? [];
  if (list.length === 0) return out(info('no tools (declare them in the config file: see examples/chat.config.json)'));
  return out(info(list.map((t) => `  ${t.name}: ${t.description}${t.parameters !== undefined ? `\n    parameters: ${JSON.stringify(t.parameters)}` : ''}`).join('\n')));
}

function setCommand(session: ChatSession, args: string): CommandResult {
  const match = /^([\w.-]+)\s*(?:=|\s)\s*([\s\S]*)$/.exec(args);
  if (match === null) return error('usage: \\set KEY=VALUE (\\show lists the keys)');
  const { key, value } = session.set(match[1], match[2]);
  return out(info(`${key} = ${JSON.stringify(value)}`));
}

async function dispatch(session: ChatSession, name: string, args: string, now: Date): Promise<CommandResult> {
  switch (name) {
    case 'help':
      return help();
    case 'quit':
      return { kind: 'quit' };
    case 'retry':
      return { kind: 'retry' };
    case 'new':
      session.reset();
      return out(info('new conversation'));
    case 'save': {
      const file = args.length > 0 ? args : timestampName(now);
      await session.save(file);
      return out(info(`saved ${session.messages.length} messages to ${file}`));
    }
    case 'load': {
      if (args.length === 0) return error('usage: \\load FILE');
      const saved = await session.load(args);
      return out(info(`loaded ${saved.messages.length} messages from ${basename(args)}`));
    }
    case 'history':
      return history(session);
    case 'set':
      return setCommand(session, args);
    case 'show':
      return show(session);
    case 'effort':
      if (!(REASONING_EFFORTS as readonly string[]).includes(args)) return error(`usage: \\effort ${REASONING_EFFORTS.join('|')}`);
      session.set('reasoningEffort', args);
      return out(info(`reasoning effort: ${args}`));
    case 'system':
      session.set('system', args.replace(/^''$/, ''));
      return out(info(args.length > 0 ? 'system identity set' : 'system identity reset to the default'));
    case 'developer':
      session.set('instructions', args);
      return out(info(args.length > 0 ? 'developer instructions set' : 'developer instructions cleared'));
    case 'reasoning': {
      const value = args.length === 0 ? String(!session.settings.showReasoning) : args;
      const { value: shown } = session.set('showReasoning', value);
      return out(info(`reasoning ${shown === true ? 'shown' : 'collapsed'}`));
    }
    case 'stats':
      return stats(session);
    case 'tools':
      return tools(session);
    default:
      return error(`unknown command \\${name}; \\help lists the commands`);
  }
}

/** Runs a command; WghErrors (bad values, unreadable files) become an error block. */
export async function executeCommand(session: ChatSession, rawName: string, args: string, now: Date = new Date()): Promise<CommandResult> {
  const name = ALIASES[rawName] ?? rawName;
  try {
    return await dispatch(session, name, args, now);
  } catch (err) {
    if (err instanceof WghError) return error(err.message);
    throw err;
  }
}
