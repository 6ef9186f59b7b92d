// Property tests (fast-check, fixed seed): render → parse round-trips; token splits do not matter;
// noise never throws nor loses a finished message; UTF-8 split across tokens streams correctly.

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ROLES,
  StreamableParser,
  parseCompletion,
  renderConversation,
  type ParserEvent,
  type TextMessage,
} from '../../src/harmony/index.js';
import { SPECIAL_TOKENS, type Tokenizer } from '../../src/tokenizer/index.js';
import { loadTokenizer } from './helpers.js';

const SEED = 424242;
const RUNS = 200;

let tok: Tokenizer;
beforeAll(async () => {
  tok = await loadTokenizer();
});

// Header fields are identifiers, as in real use; content is anything, including special-looking text.
const ident = fc
  .stringMatching(/^[a-z][a-z0-9_]{0,7}$/)
  .filter((word) => word !== 'all' && !(ROLES as readonly string[]).includes(word));
const recipient = fc.oneof(ident, fc.tuple(ident, ident).map(([ns, name]) => `${ns}.${name}`));
const contentType = fc.oneof(ident, ident.map((type) => `<|constrain|>${type}`));
const content = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.constantFrom('<|start|>', '<|end|>', '<|channel|>', ' to=x', '\n', '💖', 'é', 'assistant', ' '), { maxLength: 6 }).map((parts) => parts.join('')),
);

/** Optional fields; a content type only with a recipient (Harmony reads a lone word as the recipient). */
const routing = fc.record(
  { recipient, channel: ident, contentType },
  { requiredKeys: [] },
).map(({ contentType: type, ...rest }) => (rest.recipient === undefined || type === undefined ? rest : { ...rest, contentType: type }));

const textMessage: fc.Arbitrary<TextMessage> = fc.oneof(
  fc.tuple(fc.constantFrom('system', 'developer', 'user', 'assistant') as fc.Arbitrary<'user'>, fc.option(ident, { nil: undefined }), routing, content).map(
    ([role, name, route, text]) => ({ role, ...(name === undefined ? {} : { name }), ...route, content: text }),
  ),
  fc.tuple(fc.oneof(ident, recipient), routing, content).map(([name, route, text]) => ({ role: 'tool' as const, name, ...route, content: text })),
);

const conversation = fc.array(textMessage, { maxLength: 6 });

const noiseToken = fc.oneof(
  fc.constantFrom(...Object.values(SPECIAL_TOKENS), 200013, 201088, 201089, 4294967295, -1, 9552),
  fc.integer({ min: 0, max: 199997 }),
);
const noise = fc.array(noiseToken, { maxLength: 40 });

function parseSplit(tokens: readonly number[], cuts: readonly number[]) {
  const parser = new StreamableParser(tok, { role: null });
  const events: ParserEvent[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b).concat(tokens.length)) {
    events.push(...parser.processTokens(tokens.slice(start, Math.max(start, cut))));
    start = Math.max(start, cut);
  }
  events.push(...parser.processEOS());
  return { messages: parser.messages, warnings: parser.warnings, events };
}

describe('harmony properties', () => {
  it('render then parse gives back any conversation', () => {
    fc.assert(
      fc.property(conversation, (messages) => {
        const ids = renderConversation(tok, messages, { dropAnalysis: false });
        const result = parseCompletion(tok, ids, { role: null, validChannels: [] });
        expect(result.messages).toEqual(messages);
        expect(result.warnings.filter((w) => w.code !== 'function-call-on-analysis')).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('feeding tokens whole or in any split gives the same messages, warnings and events', () => {
    fc.assert(
      fc.property(conversation, noise, fc.array(fc.nat(80)), (messages, junk, cuts) => {
        const tokens = [...renderConversation(tok, messages, { dropAnalysis: false }), ...junk];
        const whole = parseSplit(tokens, []);
        const split = parseSplit(tokens, cuts);
        expect(split.messages).toEqual(whole.messages);
        expect(split.warnings).toEqual(whole.warnings);
        expect(split.events).toEqual(whole.events);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('random token noise never throws and never loses or changes a finished message', () => {
    fc.assert(
      fc.property(conversation, noise, fc.constantFrom<'assistant' | null>('assistant', null), (messages, junk, role) => {
        const tokens = [...renderConversation(tok, messages, { dropAnalysis: false }), ...junk];
        const parser = new StreamableParser(tok, { role, validChannels: [] });
        let before: readonly TextMessage[] = [];
        for (const id of tokens) {
          parser.process(id);
          expect(parser.messages.slice(0, before.length)).toEqual(before);
          before = [...parser.messages];
        }
        parser.processEOS();
        expect(parser.messages.slice(0, before.length)).toEqual(before);
        if (role === null) expect(parser.messages.slice(0, messages.length)).toEqual(messages);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('content split across tokens streams whole characters and adds up to the content', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (text) => {
        const parser = new StreamableParser(tok, { role: 'assistant' });
        const deltas: string[] = [];
        for (const id of [SPECIAL_TOKENS.CHANNEL, ...tok.encodeOrdinary('final'), SPECIAL_TOKENS.MESSAGE, ...tok.encodeOrdinary(text)]) {
          for (const event of parser.process(id)) if (event.type === 'content-delta') deltas.push(event.delta);
          expect(text.startsWith(parser.currentContent)).toBe(true);
        }
        parser.process(SPECIAL_TOKENS.RETURN);
        for (const delta of deltas) expect(delta.includes('\uFFFD') && !text.includes('\uFFFD')).toBe(false);
        expect(deltas.join('')).toBe(text);
        expect(parser.messages).toEqual([{ role: 'assistant', channel: 'final', content: text }]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
