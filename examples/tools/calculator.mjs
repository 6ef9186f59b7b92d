#!/usr/bin/env node
// Example command tool for `wgh chat`: evaluates an arithmetic expression safely (no eval).
// Protocol: the arguments JSON arrives on stdin ({"expression": "2 * (3 + 4)"}); the result is
// written to stdout as JSON ({"expression": …, "result": 14}); errors exit with code 1 and a line
// on stderr, which the tool runner hands back to the model as {"error": …}.
//
// Grammar:  expr := term (('+'|'-') term)*      term := factor (('*'|'/'|'%') factor)*
//           factor := unary ('^' factor)?       unary := ('-'|'+') unary | primary
//           primary := number | constant | name '(' expr (',' expr)* ')' | '(' expr ')'

import { pathToFileURL } from 'node:url';

const FUNCTIONS = {
  sqrt: Math.sqrt, abs: Math.abs, round: Math.round, floor: Math.floor, ceil: Math.ceil,
  sin: Math.sin, cos: Math.cos, tan: Math.tan, ln: Math.log, log10: Math.log10, exp: Math.exp,
  min: Math.min, max: Math.max, pow: Math.pow,
};
const CONSTANTS = { pi: Math.PI, e: Math.E };

export function evaluate(source) {
  const tokens = source.match(/\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_]\w*|\*\*|[-+*/%^(),]|\S/g) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (expected) => {
    const token = tokens[pos++];
    if (expected !== undefined && token !== expected) throw new Error(`expected '${expected}' but found ${token === undefined ? 'the end' : `'${token}'`}`);
    return token;
  };
  const expr = () => {
    let value = term();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + term() : value - term();
    return value;
  };
  const term = () => {
    let value = factor();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = take();
      const rhs = factor();
      value = op === '*' ? value * rhs : op === '/' ? value / rhs : value % rhs;
    }
    return value;
  };
  const factor = () => {
    const base = unary();
    if (peek() === '^' || peek() === '**') {
      take();
      return base ** factor();
    }
    return base;
  };
  const unary = () => (peek() === '-' ? (take(), -unary()) : peek() === '+' ? (take(), unary()) : primary());
  const primary = () => {
    const token = take();
    if (token === undefined) throw new Error('unexpected end of expression');
    if (token === '(') {
      const value = expr();
      take(')');
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    const name = token.toLowerCase();
    if (name in CONSTANTS) return CONSTANTS[name];
    if (name in FUNCTIONS) {
      take('(');
      const args = [expr()];
      while (peek() === ',') {
        take();
        args.push(expr());
      }
      take(')');
      return FUNCTIONS[name](...args);
    }
    throw new Error(`unknown name or symbol '${token}'`);
  };
  const value = expr();
  if (pos < tokens.length) throw new Error(`unexpected '${tokens[pos]}'`);
  return value;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const args = JSON.parse(input || '{}');
  if (typeof args.expression !== 'string') throw new Error('"expression" must be a string');
  const result = evaluate(args.expression);
  if (!Number.isFinite(result)) throw new Error(`the result is not a finite number (${result})`);
  process.stdout.write(`${JSON.stringify({ expression: args.expression, result })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`calculator: ${err.message}\n`);
    process.exit(1);
  });
}
