// The tool runner with the shipped example tools (a command and a module), plus its failure modes:
// unknown tool, bad arguments, non-zero exit, timeout. Failures come back as {"error": …} text.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadChatConfig } from '../../src/chat/config.js';
import { parseToolSpecs } from '../../src/chat/tool-specs.js';
import { ToolRunner } from '../../src/chat/tools.js';
import type { ToolCall } from '../../src/harmony/tool-calls.js';
import { REPO_ROOT } from '../helpers/cli.js';

const EXAMPLES = join(REPO_ROOT, 'examples');
const call = (name: string, args: string): ToolCall => ({ id: 'call_0', type: 'function', function: { name, arguments: args } });
const runner = () => new ToolRunner(loadChatConfig(join(EXAMPLES, 'chat.config.json')).tools, { defaultTimeoutMs: 10_000 });

describe('ToolRunner', () => {
  it('runs the calculator (a command) and current_time (a module)', async () => {
    const tools = runner();
    const calc = await tools.run(call('calculator', '{"expression": "2 * (3 + 4) ^ 2 - sqrt(16)"}'));
    expect(calc.ok).toBe(true);
    expect(JSON.parse(calc.output)).toEqual({ expression: '2 * (3 + 4) ^ 2 - sqrt(16)', result: 94 });
    const time = await tools.run(call('current_time', '{"timezone": "UTC"}'));
    expect(time.ok).toBe(true);
    expect(JSON.parse(time.output)).toMatchObject({ timezone: 'UTC' });
    expect(Math.abs(Date.parse(JSON.parse(time.output).iso) - Date.now())).toBeLessThan(60_000);
  });

  it('reports failures to the model as {"error": …} without throwing', async () => {
    const tools = runner();
    expect(JSON.parse((await tools.run(call('nope', '{}'))).output).error).toMatch(/unknown tool 'nope' \(available: calculator, current_time\)/);
    expect(JSON.parse((await tools.run(call('calculator', '{"expression": '))).output).error).toMatch(/not valid JSON/);
    expect(JSON.parse((await tools.run(call('calculator', '{}'))).output).error).toMatch(/missing required argument\(s\): expression/);
    const crash = await tools.run(call('calculator', '{"expression": "2 +"}'));
    expect(crash.ok).toBe(false);
    expect(JSON.parse(crash.output).error).toMatch(/calculator: exited with 1: calculator: unexpected end of expression/);
    const zone = await tools.run(call('current_time', '{"timezone": "Mars/Olympus"}'));
    expect(JSON.parse(zone.output).error).toMatch(/unknown time zone/);
  });

  it('kills a command that runs past its time limit', async () => {
    const specs = parseToolSpecs([{ name: 'sleepy', command: ['node', '-e', 'setTimeout(() => {}, 60000)'], timeoutMs: 300 }], 'test', EXAMPLES);
    const started = Date.now();
    const outcome = await new ToolRunner(specs, { defaultTimeoutMs: 10_000 }).run(call('sleepy', '{}'));
    expect(outcome.ok).toBe(false);
    expect(JSON.parse(outcome.output).error).toBe('sleepy: timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
