// Parsing a message header (the tokens between <|start|> and <|message|>), following openai/harmony
// `parse_header_from_string` but on structure instead of decoded text: the header is a list of
// pieces — decoded text, <|channel|> markers and <|constrain|> markers — so ordinary text that
// merely looks like "<|channel|>" is never mistaken for a marker.
//
// 1. Channel: the text right after the first <|channel|>, up to whitespace or '<'; removed.
// 2. Words: the rest split on ASCII whitespace; a <|constrain|> starts a new word that keeps the
//    text glued after it ("to=x<|constrain|>json" → "to=x", "<|constrain|>json").
// 3. Role: given up front (prompt ended with `<|start|>assistant`): a first word equal to it is
//    dropped. Otherwise the first word: a role ("user", or "user:alice" = role + author name), or
//    else a tool author name (`functions.lookup_weather`, `browser.search`) and the role is tool.
//    For a header we entered without <|start|> (`implicit`), a first word that is no role is kept
//    and the role is the hint (the previous message's).
// 4. Last word `to=X` → recipient X; a single remaining word → recipient; otherwise the last word is
//    the content type and the one before it (with or without `to=`) the recipient. Any words left
//    over are reported (harmony: "unexpected tokens remaining in message header"); then a recipient
//    without `to=` is not trusted and dropped with the content type.
//
// `parseHeaderOnlyMessage` handles a header that ended without <|message|> (a stop token, a new
// <|start|>, or EOS): channel and role as above, and everything else is the message's content.

import { ROLES, type MessageHeader, type Role } from './types.js';

export type HeaderPiece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'channel' }
  | { readonly kind: 'constrain' };

export type HeaderProblemCode = 'empty-channel' | 'duplicate-channel' | 'header-leftover' | 'missing-role';

export interface HeaderProblem {
  readonly code: HeaderProblemCode;
  readonly message: string;
}

export interface HeaderContext {
  /** Role given up front (the prompt ended with `<|start|>{role}`), else null. */
  readonly givenRole: Role | null;
  /** Role to assume when the header names none (implicit headers, empty headers). */
  readonly roleHint: Role;
  /** The header was entered without <|start|> (missing start token). */
  readonly implicit: boolean;
}

interface Word {
  text: string;
  constrained: boolean;
}

const CONSTRAIN_TEXT = '<|constrain|>';
const ASCII_WHITESPACE = /[\t\n\f\r ]+/;
const CHANNEL_END = /[\s<]/u;

function wordText(word: Word): string {
  return word.constrained ? CONSTRAIN_TEXT + word.text : word.text;
}

/** Splits off the channel; returns it with the remaining pieces (adjacent texts merged). */
function extractChannel(pieces: readonly HeaderPiece[], problems: HeaderProblem[]) {
  let channel: string | undefined;
  let seenChannel = false;
  const rest: HeaderPiece[] = [];
  for (let pieceIdx = 0; pieceIdx < pieces.length; pieceIdx++) {
    const piece = pieces[pieceIdx] as HeaderPiece;
    if (piece.kind !== 'channel') {
      pushPiece(rest, piece);
      continue;
    }
    const next = pieces[pieceIdx + 1];
    let value = '';
    if (next?.kind === 'text') {
      const end = next.text.search(CHANNEL_END);
      value = end < 0 ? next.text : next.text.slice(0, end);
      pushPiece(rest, { kind: 'text', text: next.text.slice(value.length) });
      pieceIdx++;
    }
    if (seenChannel) {
      problems.push({ code: 'duplicate-channel', message: `a second <|channel|> (${JSON.stringify(value)}) was ignored` });
    } else if (value.length === 0) {
      problems.push({ code: 'empty-channel', message: '<|channel|> without a channel name' });
    } else {
      channel = value;
    }
    seenChannel = true;
  }
  return { channel, rest };
}

function pushPiece(into: HeaderPiece[], piece: HeaderPiece): void {
  const last = into[into.length - 1];
  if (piece.kind === 'text' && last?.kind === 'text') into[into.length - 1] = { kind: 'text', text: last.text + piece.text };
  else into.push(piece);
}

function splitWords(pieces: readonly HeaderPiece[]): Word[] {
  const words: Word[] = [];
  let current: Word | null = null;
  for (const piece of pieces) {
    if (piece.kind === 'constrain') {
      current = { text: '', constrained: true };
      words.push(current);
      continue;
    }
    if (piece.kind !== 'text') continue;
    const segments = piece.text.split(ASCII_WHITESPACE);
    segments.forEach((segment, segmentIdx) => {
      if (segmentIdx > 0) current = null; // whitespace closed the word
      if (segment.length === 0) return;
      if (current === null) {
        current = { text: segment, constrained: false };
        words.push(current);
      } else {
        current.text += segment;
      }
    });
  }
  return words;
}

/** "user" → {role}, "user:alice" → {role, name}; undefined for anything else. */
export function parseRoleWord(word: string): { role: Role; name?: string } | undefined {
  if ((ROLES as readonly string[]).includes(word)) return { role: word as Role };
  const colon = word.indexOf(':');
  if (colon <= 0) return undefined;
  const prefix = word.slice(0, colon);
  if (prefix === 'tool' || !(ROLES as readonly string[]).includes(prefix)) return undefined;
  return { role: prefix as Role, name: word.slice(colon + 1) };
}

interface Author {
  role: Role;
  name?: string;
}

/** Consumes the role word(s) from `words` (see step 3). */
function takeAuthor(words: Word[], context: HeaderContext, problems: HeaderProblem[], headerOnly: boolean): Author {
  const first = words[0];
  if (context.givenRole !== null) {
    if (first !== undefined && !first.constrained && first.text === context.givenRole) words.shift();
    return { role: context.givenRole };
  }
  if (first === undefined || first.constrained) {
    if (!context.implicit) problems.push({ code: 'missing-role', message: `header names no role; assuming ${context.roleHint}` });
    return { role: context.roleHint };
  }
  const parsed = parseRoleWord(first.text);
  if (parsed !== undefined) {
    words.shift();
    return parsed;
  }
  if (context.implicit || headerOnly) return { role: context.roleHint };
  if (first.text.startsWith('to=')) {
    problems.push({ code: 'missing-role', message: `header starts with ${first.text}; assuming ${context.roleHint}` });
    return { role: context.roleHint };
  }
  words.shift();
  return { role: 'tool', name: first.text };
}

export interface ParsedHeader {
  readonly header: MessageHeader;
  readonly problems: readonly HeaderProblem[];
}

/** Parses a complete header (one that ended with <|message|>). */
export function parseHeader(pieces: readonly HeaderPiece[], context: HeaderContext): ParsedHeader {
  const problems: HeaderProblem[] = [];
  const { channel, rest } = extractChannel(pieces, problems);
  const words = splitWords(rest);
  const author = takeAuthor(words, context, problems, false);
  let recipient: string | undefined;
  let contentType: string | undefined;
  const isExplicit = (word: Word): boolean => !word.constrained && word.text.startsWith('to=');
  const allWords = [...words];
  const last = words.pop();
  let explicit = false;
  if (last !== undefined) {
    if (isExplicit(last)) {
      recipient = last.text.slice(3);
      explicit = true;
    } else if (words.length === 0) {
      recipient = wordText(last);
    } else {
      contentType = wordText(last);
      const raw = words.pop() as Word;
      explicit = isExplicit(raw);
      recipient = explicit ? raw.text.slice(3) : wordText(raw);
    }
  }
  if (words.length > 0) {
    // A malformed header: trust a recipient only when it was written as `to=…`, so stray words
    // never turn an answer into a tool call.
    if (!explicit) {
      recipient = undefined;
      contentType = undefined;
      words.splice(0, words.length, ...allWords);
    }
    const leftover = words.map(wordText).join(' ');
    const message = `unexpected tokens remaining in message header: ${JSON.stringify(leftover)}`;
    problems.push({ code: 'header-leftover', message });
  }
  const header: MessageHeader = {
    role: author.role,
    ...(author.name !== undefined ? { name: author.name } : {}),
    ...(recipient !== undefined ? { recipient } : {}),
    ...(channel !== undefined ? { channel } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
  return { header, problems };
}

export interface ParsedHeaderOnlyMessage extends ParsedHeader {
  /** Everything after the channel and role, trimmed, whitespace kept. */
  readonly content: string;
}

/** Parses a header that never reached <|message|>: channel and role, the rest is content. */
export function parseHeaderOnlyMessage(pieces: readonly HeaderPiece[], context: HeaderContext): ParsedHeaderOnlyMessage {
  const problems: HeaderProblem[] = [];
  const { channel, rest } = extractChannel(pieces, problems);
  const pieceText = (piece: HeaderPiece): string =>
    piece.kind === 'text' ? piece.text : piece.kind === 'constrain' ? CONSTRAIN_TEXT : '';
  let text = rest.map(pieceText).join('').trim();
  const words = splitWords([{ kind: 'text', text }]);
  const numWords = words.length;
  const author = takeAuthor(words, context, [], true);
  if (words.length < numWords) {
    // The role word was consumed: drop it from the front of the text.
    const roleEnd = text.search(ASCII_WHITESPACE);
    text = roleEnd < 0 ? '' : text.slice(roleEnd).trim();
  }
  const header: MessageHeader = {
    role: author.role,
    ...(author.name !== undefined ? { name: author.name } : {}),
    ...(channel !== undefined ? { channel } : {}),
  };
  return { header, problems, content: text };
}
