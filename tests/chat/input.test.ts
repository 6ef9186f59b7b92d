import { describe, expect, it } from 'vitest';
import { InputAssembler, promptFileLines } from '../../src/chat/input.js';

function feed(lines: string[]) {
  const input = new InputAssembler();
  return lines.map((line) => input.push(line));
}

describe('InputAssembler', () => {
  it('one line is one message; a command is \\name args', () => {
    expect(feed(['hello'])).toEqual([{ kind: 'message', text: 'hello' }]);
    expect(feed(['\\set temperature=0.5'])).toEqual([{ kind: 'command', name: 'set', args: 'temperature=0.5' }]);
    expect(feed(['  '])).toEqual([{ kind: 'empty' }]);
  });

  it('a trailing backslash continues the line', () => {
    expect(feed(['first \\', 'second\\', 'third'])).toEqual([
      { kind: 'pending', mode: 'continuation' },
      { kind: 'pending', mode: 'continuation' },
      { kind: 'message', text: 'first \nsecond\nthird' },
    ]);
  });

  it('a \\\\ line starts and ends a block; nothing inside is a command', () => {
    const results = feed(['\\\\', '\\help is not a command here', '', 'code \\', '\\\\', 'after']);
    expect(results.slice(0, 4).every((r) => r.kind === 'pending' && r.mode === 'block')).toBe(true);
    expect(results[4]).toEqual({ kind: 'message', text: '\\help is not a command here\n\ncode \\' });
    expect(results[5]).toEqual({ kind: 'message', text: 'after' });
  });

  it('prompt files: one input per line, or a JSON array of strings', () => {
    expect(promptFileLines('a\nb\n')).toEqual({ lines: ['a', 'b'], json: false });
    expect(promptFileLines('["one\\nline two", "\\\\help"]')).toEqual({ lines: ['one\nline two', '\\help'], json: true });
  });
});
