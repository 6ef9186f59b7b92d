// `wgh harmony render --input FILE|- [--tokens] [--model DIR]`
//     Renders a conversation (JSON, see src/harmony/json.ts) for completion: prints the text with
//     special tokens as `<|…|>` (no trailing newline unless stdout is a terminal), or with --tokens
//     a JSON array of ids.
// `wgh harmony parse (--tokens FILE|- | --text FILE|-) [--role assistant|none] [--strict] [--model DIR]`
//     Parses model output into a JSON array of messages {role, name?, channel?, recipient?,
//     content_type?, content}. --tokens takes ids separated by whitespace or commas, or a JSON array;
//     --text is Harmony text, encoded with special tokens recognised (trailing whitespace at the end
//     of the input is removed, as editors add a final newline). --role assistant (default): the
//     output continues a prompt that ended with `<|start|>assistant`; none: it starts with <|start|>.
//     Parse warnings go to stderr; --strict makes the first one an error (exit 1).
// --model DIR uses DIR's tokenizer.json instead of the bundled o200k_harmony.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import {
  messageToJson,
  parseCompletion,
  renderConversation,
  renderConversationForCompletion,
  renderRequestFromJson,
} from '../harmony/index.js';
import { Tokenizer } from '../tokenizer/index.js';

interface RenderFlags {
  readonly input: string;
  readonly tokens?: boolean;
  readonly model?: string;
}

interface ParseFlags {
  readonly tokens?: string;
  readonly text?: string;
  readonly role: string;
  readonly strict?: boolean;
  readonly model?: string;
}

async function readInput(source: string, flag: string): Promise<string> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw new ConfigError(`harmony: cannot read ${flag} '${source}'`, { cause: err });
  }
}

/** Ids separated by whitespace and/or commas, or a JSON array of ids. */
export function parseTokenList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) return [];
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (!Array.isArray(parsed)) throw new Error('not an array');
      items = parsed;
    } catch (err) {
      throw new ConfigError('harmony parse: --tokens starts with "[" but is not a JSON array of ids', { cause: err });
    }
  } else {
    items = trimmed.split(/[\s,]+/).filter((item) => item.length > 0);
  }
  return items.map((item, itemIdx) => {
    const id = typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : item;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      const shown = JSON.stringify(item);
      throw new ConfigError(`harmony parse: --tokens item ${itemIdx} is not a token id (a non-negative integer): ${shown}`);
    }
    return id;
  });
}

async function runRender(flags: RenderFlags): Promise<void> {
  const raw = await readInput(flags.input, '--input');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`harmony render: --input '${flags.input}' is not valid JSON`, { cause: err });
  }
  const request = renderRequestFromJson(json);
  const tokenizer = await Tokenizer.load(flags.model);
  const options = { dropAnalysis: request.dropAnalysis };
  const ids =
    request.nextRole === null
      ? renderConversation(tokenizer, request.messages, options)
      : renderConversationForCompletion(tokenizer, request.messages, request.nextRole, options);
  if (flags.tokens === true) {
    process.stdout.write(`${JSON.stringify(ids)}\n`);
  } else {
    process.stdout.write(tokenizer.decode(ids) + (process.stdout.isTTY ? '\n' : ''));
  }
}

async function runParse(flags: ParseFlags): Promise<void> {
  if ((flags.tokens === undefined) === (flags.text === undefined)) {
    throw new ConfigError('harmony parse: give exactly one of --tokens FILE|- and --text FILE|-');
  }
  if (flags.role !== 'assistant' && flags.role !== 'none') {
    throw new ConfigError(`harmony parse: --role expected assistant or none, got '${flags.role}'`);
  }
  const tokenizer = await Tokenizer.load(flags.model);
  const ids =
    flags.tokens !== undefined
      ? parseTokenList(await readInput(flags.tokens, '--tokens'))
      : tokenizer.encodeWithSpecials((await readInput(flags.text as string, '--text')).trimEnd());
  const result = parseCompletion(tokenizer, ids, {
    role: flags.role === 'none' ? null : 'assistant',
    strict: flags.strict === true,
  });
  for (const warning of result.warnings) {
    process.stderr.write(`wgh: harmony parse warning (${warning.code}, token ${warning.tokenIndex}): ${warning.message}\n`);
  }
  process.stdout.write(`${JSON.stringify(result.messages.map(messageToJson), null, 2)}\n`);
}

export function registerHarmonyCommand(program: Command): void {
  const harmony = program.command('harmony').description('render and parse the Harmony chat format (o200k_harmony tokens)');
  harmony
    .command('render')
    .description('render a conversation (JSON) as Harmony text or token ids, ready for completion')
    .requiredOption('--input <file>', 'conversation JSON file, or - for stdin')
    .option('--tokens', 'print a JSON array of token ids instead of text')
    .option('--model <dir>', "use this model directory's tokenizer.json")
    .action(async (flags: RenderFlags) => runRender(flags));
  harmony
    .command('parse')
    .description('parse Harmony model output into a JSON array of messages')
    .option('--tokens <file>', 'token ids (whitespace/comma separated or a JSON array), or - for stdin')
    .option('--text <file>', 'Harmony text with <|…|> special tokens, or - for stdin')
    .option('--role <role>', 'assistant: the output follows <|start|>assistant; none: it starts with <|start|>', 'assistant')
    .option('--strict', 'fail on the first malformed token instead of warning')
    .option('--model <dir>', "use this model directory's tokenizer.json")
    .action(async (flags: ParseFlags) => runParse(flags));
}
