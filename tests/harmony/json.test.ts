// The JSON wire format: defaults, nulls, both tool forms, messages out.

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { messageFromJson, messageToJson, renderRequestFromJson, systemContent } from '../../src/harmony/index.js';

describe('renderRequestFromJson', () => {
  it('has no system message when absent, all defaults for {}', () => {
    expect(renderRequestFromJson({ messages: [] })).toEqual({ messages: [], dropAnalysis: true, nextRole: 'assistant' });
    expect(renderRequestFromJson({ system: {} }).messages).toEqual([{ role: 'system', content: systemContent() }]);
  });

  it('leaves out system fields set to null; keeps builtin tools in input order (rendering sorts them)', () => {
    const [system] = renderRequestFromJson({ system: { model_identity: null, knowledge_cutoff: null, reasoning_effort: null, channels: null, builtin_tools: ['python', 'browser'] } }).messages;
    expect(system?.content).toMatchObject({ kind: 'system', modelIdentity: undefined, knowledgeCutoff: undefined, reasoningEffort: undefined, channelConfig: undefined });
    expect(typeof system?.content === 'object' ? system.content.tools?.map((ns) => ns.name) : undefined).toEqual(['python', 'browser']);
  });

  it('accepts plain and OpenAI-style function tools', () => {
    const parameters = { type: 'object', properties: { a: { type: 'string' } } };
    const { messages } = renderRequestFromJson({
      developer: { tools: [{ name: 'f', description: 'F', parameters }, { type: 'function', function: { name: 'g', parameters, strict: true } }] },
    });
    expect(messages[0]?.content).toEqual({
      kind: 'developer',
      instructions: undefined,
      tools: [{ name: 'functions', tools: [{ name: 'f', description: 'F', parameters }, { name: 'g', description: '', parameters }] }],
    });
  });

  it.each([
    [[], /input must be an object/],
    [{ drop_analysis: 'yes' }, /drop_analysis must be a boolean/],
    [{ next_role: 'robot' }, /next_role must be a role or null/],
    [{ messages: {} }, /messages must be an array/],
    [{ system: { channels: 'analysis' } }, /system.channels must be an array of strings/],
    [{ system: { builtin_tools: ['browser', 'shell'] } }, /system.builtin_tools\[\] must be "browser" or "python"/],
    [{ developer: { tools: [{ description: 'no name' }] } }, /developer.tools\[0\].name must be a non-empty string/],
    [{ developer: { tools: [{ type: 'web_search' }] } }, /developer.tools\[0\].type must be "function"/],
  ])('rejects %j', (input, message) => {
    expect(() => renderRequestFromJson(input)).toThrow(ConfigError);
    expect(() => renderRequestFromJson(input)).toThrow(message);
  });
});

describe('messages', () => {
  it('reads and writes snake_case, leaving absent fields out', () => {
    const json = { role: 'assistant', channel: 'commentary', recipient: 'functions.f', content_type: '<|constrain|>json', content: '{}' } as const;
    const message = messageFromJson(json);
    expect(message).toEqual({ role: 'assistant', channel: 'commentary', recipient: 'functions.f', contentType: '<|constrain|>json', content: '{}' });
    expect(messageToJson(message)).toEqual(json);
    expect(Object.keys(messageToJson({ role: 'tool', name: 'python', content: 'x' }))).toEqual(['role', 'name', 'content']);
    expect(messageFromJson({ role: 'user', content: 'x', channel: null })).toEqual({ role: 'user', content: 'x' });
  });

  it('requires a string content and a tool name', () => {
    expect(() => messageFromJson({ role: 'user', content: 3 })).toThrow(/message.content must be a string/);
    expect(() => messageFromJson({ role: 'tool', content: 'x' }, 'messages[4]')).toThrow(/messages\[4\].name must be/);
  });
});
