// Config files, profiles and the precedence defaults ← config ← profile ← flags; every bad key or
// value is a ConfigError naming it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, EMPTY_CONFIG, loadChatConfig, parseChatConfig, resolveChatSettings } from '../../src/chat/config.js';
import { DEFAULT_CHAT_SETTINGS, parseSettingText, settingSpec } from '../../src/chat/settings.js';
import { ConfigError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/cli.js';

const parse = (json: unknown) => parseChatConfig(json, 'config test.json', '/base');

describe('chat config', () => {
  it('the shipped example config is valid and declares both example tools', () => {
    const config = loadChatConfig(join(REPO_ROOT, 'examples', 'chat.config.json'));
    expect(config.tools.map((t) => t.name)).toEqual(['calculator', 'current_time']);
    expect(config.tools[0].command).toEqual(['node', 'tools/calculator.mjs']);
    expect(config.tools[1].module).toBe(join(REPO_ROOT, 'examples', 'tools', 'current-time.mjs'));
    expect(config.settings).toMatchObject({ reasoningEffort: 'low', maxAttempts: 3, artifacts: true, runsDir: 'runs' });
    expect(config.profiles['laptop']).toMatchObject({ maxTokens: 512 });
  });

  it('maps nested groups to settings and resolves model paths against the file', () => {
    const config = parse({ model: 'models/x', sampling: { temperature: 0.5, topP: 0.9 }, retry: { maxAttempts: 2 }, artifacts: { enabled: false }, maxKvSize: 1024 });
    expect(config.model).toBe('/base/models/x');
    expect(config.settings).toEqual({ temperature: 0.5, topP: 0.9, maxAttempts: 2, artifacts: false, maxKvSize: 1024 });
  });

  it.each([
    [{ temprature: 1 }, /unknown key 'temprature'/],
    [{ sampling: { temprature: 1 } }, /unknown key 'sampling.temprature' \(did you mean 'sampling.temperature'\?\)/],
    [{ sampling: { temperature: 'hot' } }, /'sampling.temperature' expected a number in \[0, 100\], got 'hot'/],
    [{ maxTokens: 0 }, /'maxTokens' expected an integer in \[1, /],
    [{ reasoningEffort: 'extreme' }, /'reasoningEffort' expected one of low \| medium \| high/],
    [{ retry: { maxAttempts: 99 } }, /'retry.maxAttempts' expected an integer in \[1, 10\]/],
    [{ retry: 3 }, /'retry' must be an object/],
    [{ loopDetection: true }, /'loopDetection' expected one of off \| cheap \| full/],
    [{ profiles: { fast: { maxTokenz: 5 } } }, /unknown key 'profiles.fast.maxTokenz'/],
    [{ profiles: { fast: { sampling: { seed: -1 } } } }, /config test.json: 'profiles.fast.sampling.seed' expected an integer/],
    [{ tools: [{ name: 'x y', command: 'true' }] }, /'tools\[0\].name' expected an identifier/],
    [{ tools: [{ name: 'x' }] }, /'tools\[0\]' needs exactly one of 'command'/],
    [{ tools: [{ name: 'x', command: 'a', color: 'red' }] }, /unknown key 'tools\[0\].color'/],
    [[1, 2], /expected a JSON object/],
  ])('rejects %j', (json, message) => {
    expect(() => parse(json)).toThrowError(ConfigError);
    expect(() => parse(json)).toThrowError(message);
  });

  it('a file that is missing or not JSON gives one clear line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgh-config-'));
    expect(() => loadChatConfig(join(dir, 'nope.json'))).toThrowError(/cannot read .*nope.json.*ENOENT/);
    writeFileSync(join(dir, 'bad.json'), '{ "maxTokens": 5,');
    expect(() => loadChatConfig(join(dir, 'bad.json'))).toThrowError(/bad.json: not valid JSON/);
  });

  it('precedence: defaults ← config ← profile ← flags; the profile comes from the flag or the file', () => {
    const config = parse({ maxTokens: 500, reasoningEffort: 'high', profile: 'performance', sampling: { temperature: 0.3 } });
    const fromFile = resolveChatSettings(config, undefined, {});
    expect(fromFile.profile).toBe('performance');
    expect(fromFile.settings).toMatchObject({ maxTokens: 256, reasoningEffort: 'low', temperature: 0.3, maxKvSize: 2048, maxHistoryTurns: 4 });
    const flagged = resolveChatSettings(config, 'deterministic', { maxTokens: 77 });
    expect(flagged.settings).toMatchObject({ maxTokens: 77, reasoningEffort: 'high', temperature: 0 });
    expect(resolveChatSettings(EMPTY_CONFIG, undefined, {}).settings).toEqual(DEFAULT_CHAT_SETTINGS);
    expect(() => resolveChatSettings(config, 'turbo', {})).toThrowError(/unknown profile 'turbo' \(known: deterministic, performance, thorough\)/);
    expect(Object.keys(BUILTIN_PROFILES)).toContain('performance');
  });

  it('cross-field sampler rules are checked (topP 0 is not allowed)', () => {
    expect(() => resolveChatSettings(parse({ sampling: { topP: 0 } }), undefined, {})).toThrowError(/topP/);
  });

  it('typed-in values (\\set, flags) accept common spellings and name the key on error', () => {
    expect(parseSettingText(settingSpec('max_tokens', 'x'), '12', 'x')).toBe(12);
    expect(parseSettingText(settingSpec('show-reasoning', 'x'), 'off', 'x')).toBe(false);
    expect(() => parseSettingText(settingSpec('temperature', '\\set'), 'hot', '\\set')).toThrowError("\\set: 'temperature' expected a number in [0, 100], got 'hot'");
    expect(() => settingSpec('temprature', '\\set')).toThrowError(/unknown setting 'temprature' \(did you mean 'temperature'\?\)/);
  });
});
