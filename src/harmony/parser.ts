// StreamableParser: Harmony model output, one token at a time, to typed events and messages.
//
// States (openai/harmony `StreamState`):  expect-start ─<|start|>→ header ─<|message|>→ content
//   ─(<|end|> | <|return|> | <|call|> | EOS)→ expect-start.  Constructed with a role (default
//   'assistant') it starts in `header`: the prompt ended with `<|start|>assistant`.
//
// Tolerant by default: it never throws and never drops a message it already finished; whatever is
// malformed becomes a recorded ParseWarning (also emitted as a 'warning' event):
//   - text or a marker where <|start|> was expected: a header begins anyway     (missing-start)
//   - <|start|> or <|channel|> inside content: the message ends, a new one begins (missing-end)
//   - a stop token or <|start|> inside a header: the header text becomes content (missing-message)
//   - EOS inside a header: its text becomes content, unless it is only header  (truncated-header)
//   - stray specials (<|message|> in content, reserved ids, a stop between messages) are dropped
//   - ids that decode to nothing become U+FFFD                                   (invalid-token)
//   - header problems (leftover words, empty channel), an unknown channel, a function call on the
//     analysis channel are kept as parsed, with a warning.
// EOS inside content ends the message normally (completions are usually passed without their stop
// token). `strict: true` throws HarmonyParseError at the first warning instead.
//
// Content is decoded incrementally (UTF-8 safe, U+FFFD for invalid bytes); the 'content-delta'
// events of a message concatenate to its content.

import { HarmonyParseError } from '../errors.js';
import { SPECIAL_TOKENS, isSpecialId, specialTokenText } from '../tokenizer/special-tokens.js';
import { StreamingDecoder, type TokenBytesSource } from '../tokenizer/streaming-decoder.js';
import { parseHeader, parseHeaderOnlyMessage, type HeaderContext, type HeaderProblemCode } from './header.js';
import { HeaderBuffer, isBlankHeader, isWhitespaceBytes } from './header-buffer.js';
import { DEFAULT_CHANNELS, type MessageHeader, type Role, type TextMessage } from './types.js';

export type ParseWarningCode =
  | HeaderProblemCode
  | 'missing-start'
  | 'missing-end'
  | 'missing-message'
  | 'truncated-header'
  | 'stray-token'
  | 'invalid-token'
  | 'unknown-channel'
  | 'function-call-on-analysis';

export interface ParseWarning {
  readonly code: ParseWarningCode;
  readonly message: string;
  /** Index (in `parser.tokens`) of the token being processed; tokens.length for EOS. */
  readonly tokenIndex: number;
}

/** Which token ended a message; null for EOS or an implicit end. */
export type EndToken = 'end' | 'return' | 'call';

export type ParserEvent =
  | { readonly type: 'message-start'; readonly header: MessageHeader }
  | { readonly type: 'content-delta'; readonly delta: string; readonly header: MessageHeader }
  | { readonly type: 'message-end'; readonly message: TextMessage; readonly endToken: EndToken | null }
  | { readonly type: 'warning'; readonly warning: ParseWarning };

export interface StreamableParserOptions {
  /**
   * Role of the first message, whose `<|start|>{role}` ended the prompt; null when the output
   * starts with <|start|>. Default 'assistant'.
   */
  readonly role?: Role | null;
  /** Throw HarmonyParseError at the first problem instead of recording a warning. Default false. */
  readonly strict?: boolean;
  /** Channels that do not produce an 'unknown-channel' warning; [] disables the check. Default analysis, commentary, final. */
  readonly validChannels?: readonly string[];
}

export type ParserStateName = 'expect-start' | 'header' | 'content';

type State =
  | { readonly kind: 'expect-start' }
  | { readonly kind: 'header'; readonly buffer: HeaderBuffer; readonly context: HeaderContext }
  | { readonly kind: 'content'; readonly header: MessageHeader; readonly decoder: StreamingDecoder; content: string };

type HeaderState = Extract<State, { kind: 'header' }>;
type ContentState = Extract<State, { kind: 'content' }>;

type TokenClass = 'start' | 'message' | 'channel' | 'constrain' | 'stop' | 'other-special' | 'invalid' | 'text';

const END_TOKENS: ReadonlyMap<number, EndToken> = new Map([
  [SPECIAL_TOKENS.END, 'end'],
  [SPECIAL_TOKENS.RETURN, 'return'],
  [SPECIAL_TOKENS.CALL, 'call'],
]);

const NO_EVENTS: readonly ParserEvent[] = Object.freeze([]);

export class StreamableParser {
  private state: State;
  private readonly allTokens: number[] = [];
  private readonly done: TextMessage[] = [];
  private readonly allWarnings: ParseWarning[] = [];
  private events: ParserEvent[] = [];
  private delta: string | null = null;
  private tokenIdx = 0;
  private lastRole: Role;
  private readonly strict: boolean;
  private readonly validChannels: readonly string[];

  constructor(
    private readonly tokenizer: TokenBytesSource,
    options: StreamableParserOptions = {},
  ) {
    const role = options.role === undefined ? 'assistant' : options.role;
    this.strict = options.strict ?? false;
    this.validChannels = options.validChannels ?? DEFAULT_CHANNELS;
    this.lastRole = role ?? 'assistant';
    this.state =
      role === null ? { kind: 'expect-start' } : this.headerState({ givenRole: role, roleHint: role, implicit: false });
  }

  /** Feeds one token; returns the events it caused (message start, content delta, message end, warnings). */
  process(id: number): readonly ParserEvent[] {
    this.events = [];
    this.delta = null;
    this.tokenIdx = this.allTokens.length;
    this.allTokens.push(id);
    const state = this.state;
    if (state.kind === 'expect-start') this.onExpectStart(id);
    else if (state.kind === 'header') this.onHeader(state, id);
    else this.onContent(state, id);
    return this.events.length === 0 ? NO_EVENTS : this.events;
  }

  /** Feeds several tokens; returns all their events. */
  processTokens(ids: Iterable<number>): ParserEvent[] {
    const events: ParserEvent[] = [];
    for (const id of ids) for (const event of this.process(id)) events.push(event);
    return events;
  }

  /** Signals the end of the output: an open message is finished. The parser can be fed again after. */
  processEOS(): readonly ParserEvent[] {
    this.events = [];
    this.delta = null;
    this.tokenIdx = this.allTokens.length;
    const state = this.state;
    if (state.kind === 'header') this.onHeaderEOS(state);
    else if (state.kind === 'content') this.finishContent(state, null);
    this.state = { kind: 'expect-start' };
    return this.events.length === 0 ? NO_EVENTS : this.events;
  }

  /** Every finished message, in order. Never shrinks. */
  get messages(): readonly TextMessage[] {
    return this.done;
  }
  get warnings(): readonly ParseWarning[] {
    return this.allWarnings;
  }
  /** Every token fed so far. */
  get tokens(): readonly number[] {
    return this.allTokens;
  }
  get stateName(): ParserStateName {
    return this.state.kind;
  }
  /** Header of the message being streamed (after its <|message|>), else null. */
  get currentHeader(): MessageHeader | null {
    return this.state.kind === 'content' ? this.state.header : null;
  }
  get currentRole(): Role | null {
    if (this.state.kind === 'content') return this.state.header.role;
    return this.state.kind === 'header' ? this.state.context.givenRole : null;
  }
  get currentChannel(): string | undefined {
    return this.currentHeader?.channel;
  }
  get currentRecipient(): string | undefined {
    return this.currentHeader?.recipient;
  }
  get currentContentType(): string | undefined {
    return this.currentHeader?.contentType;
  }
  /** Content of the message being streamed (complete characters only); '' outside content. */
  get currentContent(): string {
    return this.state.kind === 'content' ? this.state.content : '';
  }
  /** Text the last process()/processEOS() call added to content, or null. */
  get lastContentDelta(): string | null {
    return this.delta;
  }

  private classify(id: number): TokenClass {
    if (!isSpecialId(id)) return this.tokenizer.tokenBytes(id) === undefined ? 'invalid' : 'text';
    if (id === SPECIAL_TOKENS.START) return 'start';
    if (id === SPECIAL_TOKENS.MESSAGE) return 'message';
    if (id === SPECIAL_TOKENS.CHANNEL) return 'channel';
    if (id === SPECIAL_TOKENS.CONSTRAIN) return 'constrain';
    return END_TOKENS.has(id) ? 'stop' : 'other-special';
  }

  private headerState(context: HeaderContext): HeaderState {
    return { kind: 'header', buffer: new HeaderBuffer(this.tokenizer), context };
  }

  private onExpectStart(id: number): void {
    const kind = this.classify(id);
    if (kind === 'start') {
      this.state = this.headerState({ givenRole: null, roleHint: this.lastRole, implicit: false });
    } else if (kind === 'stop' || kind === 'other-special') {
      this.warn('stray-token', `${specialTokenText(id)} between messages was ignored`);
    } else if (kind === 'invalid') {
      this.warn('invalid-token', `token ${id} decodes to nothing and was ignored`);
    } else if (kind === 'text' && isWhitespaceBytes(this.tokenizer.tokenBytes(id) as Uint8Array)) {
      // Whitespace between messages carries nothing.
    } else {
      this.warn('missing-start', `a message began without <|start|> (token ${id})`);
      const state = this.headerState({ givenRole: null, roleHint: this.lastRole, implicit: true });
      this.state = state;
      this.onHeader(state, id);
    }
  }

  private onHeader(state: HeaderState, id: number): void {
    switch (this.classify(id)) {
      case 'message':
        return this.beginContent(state);
      case 'channel':
        return state.buffer.pushMarker('channel');
      case 'constrain':
        return state.buffer.pushMarker('constrain');
      case 'text':
        return state.buffer.pushText(id);
      case 'stop':
        this.endHeaderWithoutMessage(state, END_TOKENS.get(id) ?? null, specialTokenText(id) as string);
        this.state = { kind: 'expect-start' };
        return;
      case 'start': {
        const pieces = state.buffer.pieces();
        const roleHint = state.context.givenRole ?? this.lastRole;
        if (!isBlankHeader(pieces)) this.endHeaderWithoutMessage(state, null, '<|start|>');
        this.state = this.headerState({ givenRole: null, roleHint, implicit: false });
        return;
      }
      case 'invalid':
        return this.warn('invalid-token', `token ${id} in a message header was ignored`);
      case 'other-special':
        return this.warn('stray-token', `${specialTokenText(id)} in a message header was ignored`);
    }
  }

  private onContent(state: ContentState, id: number): void {
    const kind = this.classify(id);
    if (kind === 'text') {
      this.appendContent(state, state.decoder.push(id));
    } else if (kind === 'stop') {
      this.finishContent(state, END_TOKENS.get(id) ?? null);
    } else if (kind === 'start' || kind === 'channel') {
      this.warn('missing-end', `${specialTokenText(id)} inside a message: the message was ended and a new one begun`);
      this.finishContent(state, null);
      const implicit = kind === 'channel';
      const next = this.headerState({ givenRole: null, roleHint: state.header.role, implicit });
      this.state = next;
      if (implicit) this.onHeader(next, id);
    } else if (kind === 'invalid') {
      this.warn('invalid-token', `token ${id} decodes to nothing; U+FFFD used`);
      this.appendContent(state, state.decoder.push(id));
    } else {
      this.warn('stray-token', `${specialTokenText(id)} inside a message's content was ignored`);
    }
  }

  private beginContent(state: HeaderState): void {
    const { header, problems } = parseHeader(state.buffer.pieces(), state.context);
    for (const problem of problems) this.warn(problem.code, problem.message);
    if (header.channel !== undefined && this.validChannels.length > 0 && !this.validChannels.includes(header.channel)) {
      const expected = this.validChannels.join(', ');
      this.warn('unknown-channel', `unknown channel ${JSON.stringify(header.channel)} (expected ${expected})`);
    }
    if (header.role === 'assistant' && header.channel === 'analysis' && header.recipient?.startsWith('functions.') === true) {
      this.warn('function-call-on-analysis', `call to ${header.recipient} on the analysis channel (expected commentary)`);
    }
    this.state = { kind: 'content', header, decoder: new StreamingDecoder(this.tokenizer), content: '' };
    this.events.push({ type: 'message-start', header });
  }

  private appendContent(state: ContentState, delta: string): void {
    if (delta.length === 0) return;
    state.content += delta;
    this.delta = (this.delta ?? '') + delta;
    this.events.push({ type: 'content-delta', delta, header: state.header });
  }

  private finishContent(state: ContentState, endToken: EndToken | null): void {
    this.appendContent(state, state.decoder.flush());
    this.emitMessage({ ...state.header, content: state.content }, endToken);
    this.state = { kind: 'expect-start' };
  }

  private emitMessage(message: TextMessage, endToken: EndToken | null): void {
    this.done.push(message);
    this.lastRole = message.role;
    this.events.push({ type: 'message-end', message, endToken });
  }

  /** A header ended by a stop token or <|start|>: its text (after channel and role) is the content. */
  private endHeaderWithoutMessage(state: HeaderState, endToken: EndToken | null, by: string): void {
    const pieces = state.buffer.pieces();
    if (isBlankHeader(pieces)) return;
    const parsed = parseHeaderOnlyMessage(pieces, state.context);
    for (const problem of parsed.problems) this.warn(problem.code, problem.message);
    if (parsed.content.length === 0) {
      this.warn('missing-message', `a header ended by ${by} without <|message|> or content was dropped`);
      return;
    }
    const message = `unexpected tokens remaining in message header: no <|message|> before ${by}; the header text is the content`;
    this.warn('missing-message', message);
    this.emitWhole(parsed.header, parsed.content, endToken);
  }

  /** EOS inside a header: a truncated header is dropped; header text that reads as content is kept. */
  private onHeaderEOS(state: HeaderState): void {
    const pieces = state.buffer.pieces();
    if (isBlankHeader(pieces)) return;
    const looksLikeHeader = pieces.some(
      (piece) => piece.kind === 'constrain' || (piece.kind === 'text' && /(^|\s)to=/.test(piece.text)),
    );
    const parsed = looksLikeHeader ? undefined : parseHeaderOnlyMessage(pieces, state.context);
    if (parsed === undefined || parsed.content.length === 0) {
      this.warn('truncated-header', 'the output ended inside a message header; the header was dropped');
      return;
    }
    for (const problem of parsed.problems) this.warn(problem.code, problem.message);
    this.warn('missing-message', 'the output ended before <|message|>; the header text is taken as content');
    this.emitWhole(parsed.header, parsed.content, null);
  }

  private emitWhole(header: MessageHeader, content: string, endToken: EndToken | null): void {
    this.events.push({ type: 'message-start', header });
    this.delta = (this.delta ?? '') + content;
    this.events.push({ type: 'content-delta', delta: content, header });
    this.emitMessage({ ...header, content }, endToken);
  }

  private warn(code: ParseWarningCode, message: string): void {
    const warning: ParseWarning = { code, message, tokenIndex: this.tokenIdx };
    if (this.strict) throw new HarmonyParseError(`harmony parse: ${message} (token index ${warning.tokenIndex})`);
    this.allWarnings.push(warning);
    this.events.push({ type: 'warning', warning });
  }
}
