// Arithmetic the demo model can compute rather than remember: two-digit + two-digit, two-digit −
// two-digit (a > b), two-digit × one-digit, each worked column by column in the analysis with
// one-digit facts ("Ones: 7 + 8 = 15, write 5, carry 1. Tens: 4 + 3 + 1 = 8. Answer: 85.").
// o200k_harmony encodes every number below 1000 as one token, so the model has to learn three small
// tables (a number's digits, one-digit facts, and joining a tens part and a digit into a number);
// a table of whole problems (10,000 sums) would not generalise to held-out problems.
// One-digit facts ("7 + 8") are a separate, fully covered kind (arith-small).

import type { Rng } from './rng.js';
import { analysisMessage, finalMessage, type Effort, type Turn } from './types.js';

export type ArithOp = '+' | '-' | '*';

export interface ArithProblem {
  readonly op: ArithOp;
  readonly a: number;
  readonly b: number;
}

/** Operand ranges of the two-digit families. */
export const TWO_DIGIT_MIN = 10;
export const TWO_DIGIT_MAX = 99;
export const MULTIPLIER_MIN = 2;
export const MULTIPLIER_MAX = 9;
const ONE_DIGIT_MAX = 9;
const BASE = 10;

export function arithAnswer(p: ArithProblem): number {
  return p.op === '+' ? p.a + p.b : p.op === '-' ? p.a - p.b : p.a * p.b;
}

/** A problem's identity; `+` is keyed order-free (47 + 38 and 38 + 47 are one held-out problem). */
export function arithKey(p: ArithProblem): string {
  if (p.op === '+') return `+${Math.min(p.a, p.b)},${Math.max(p.a, p.b)}`;
  return `${p.op}${p.a},${p.b}`;
}

/** Every two-digit-family problem with both operands ≥ 10 (the held-out candidates). */
export function allTwoDigitProblems(): ArithProblem[] {
  const out: ArithProblem[] = [];
  for (let a = TWO_DIGIT_MIN; a <= TWO_DIGIT_MAX; a++) {
    for (let b = TWO_DIGIT_MIN; b <= TWO_DIGIT_MAX; b++) {
      if (a <= b) out.push({ op: '+', a, b });
      if (a > b) out.push({ op: '-', a, b });
    }
    for (let b = MULTIPLIER_MIN; b <= MULTIPLIER_MAX; b++) out.push({ op: '*', a, b });
  }
  return out;
}

/** A two-digit-family problem (one operand may be one-digit for + and -), or undefined to retry. */
export function sampleTwoDigitProblem(rng: Rng): ArithProblem {
  const op = rng.weighted<ArithOp>([['+', 0.4], ['-', 0.35], ['*', 0.25]]);
  const oneDigitOperand = rng.chance(0.1);
  if (op === '*') return { op, a: rng.int(TWO_DIGIT_MIN, TWO_DIGIT_MAX), b: rng.int(MULTIPLIER_MIN, MULTIPLIER_MAX) };
  if (op === '+') {
    const a = rng.int(TWO_DIGIT_MIN, TWO_DIGIT_MAX);
    const b = oneDigitOperand ? rng.int(1, ONE_DIGIT_MAX) : rng.int(TWO_DIGIT_MIN, TWO_DIGIT_MAX);
    return rng.chance(0.5) ? { op, a, b } : { op, a: b, b: a };
  }
  const a = rng.int(TWO_DIGIT_MIN + 1, TWO_DIGIT_MAX);
  const b = oneDigitOperand ? rng.int(1, ONE_DIGIT_MAX) : rng.int(TWO_DIGIT_MIN, a - 1);
  return { op, a, b };
}

export function sampleSmallProblem(rng: Rng): ArithProblem {
  const op = rng.pick<ArithOp>(['+', '-', '*']);
  const a = rng.int(0, ONE_DIGIT_MAX);
  const b = rng.int(0, ONE_DIGIT_MAX);
  return op === '-' && a < b ? { op, a: b, b: a } : { op, a, b };
}

const QUESTIONS: Readonly<Record<ArithOp, readonly string[]>> = {
  '+': [
    'What is {a} + {b}?', "What's {a} plus {b}?", 'Compute {a} + {b}.', '{a} + {b} = ?', 'Add {a} and {b}.',
    'What is the sum of {a} and {b}?', 'Calculate {a}+{b}.', 'How much is {a} plus {b}?', '{a}+{b}?', 'Please add {a} to {b}.',
    'what is {a} + {b}', 'Can you work out {a} + {b}?',
  ],
  '-': [
    'What is {a} - {b}?', "What's {a} minus {b}?", 'Subtract {b} from {a}.', '{a} - {b} = ?', 'Compute {a} − {b}.',
    'What is the difference between {a} and {b}?', 'Calculate {a}-{b}.', 'How much is {a} minus {b}?', 'Take {b} away from {a}.',
    'what is {a} - {b}', 'Can you work out {a} - {b}?',
  ],
  '*': [
    'What is {a} × {b}?', "What's {a} times {b}?", 'Multiply {a} by {b}.', '{a} * {b} = ?', 'Compute {a} x {b}.',
    'What is the product of {a} and {b}?', 'Calculate {a}*{b}.', 'How much is {b} times {a}?', '{b} × {a}?',
    'what is {a} * {b}', 'Can you work out {a} × {b}?',
  ],
};

const OP_WORD: Readonly<Record<ArithOp, string>> = { '+': 'plus', '-': 'minus', '*': 'times' };
const OP_FINAL_SYMBOL: Readonly<Record<ArithOp, string>> = { '+': '+', '-': '-', '*': '×' };

function fill(template: string, p: ArithProblem): string {
  return template.replaceAll('{a}', String(p.a)).replaceAll('{b}', String(p.b));
}

export function arithQuestion(rng: Rng, p: ArithProblem): string {
  return fill(rng.pick(QUESTIONS[p.op]), p);
}

/** The column-by-column working and the answer. */
export function arithWorking(p: ArithProblem): { core: string; digits: string; answer: number; check: string } {
  const { a, b } = p;
  const a1 = Math.floor(a / BASE);
  const a0 = a % BASE;
  const b1 = Math.floor(b / BASE);
  const b0 = b % BASE;
  let core: string;
  let tens: number;
  let ones: number;
  if (p.op === '+') {
    const s0 = a0 + b0;
    const carry = s0 >= BASE ? 1 : 0;
    ones = s0 % BASE;
    tens = a1 + b1 + carry;
    core = `Ones: ${a0} + ${b0} = ${s0}, write ${ones}${carry ? ', carry 1' : ''}. Tens: ${a1} + ${b1}${carry ? ' + 1' : ''} = ${tens}.`;
  } else if (p.op === '-') {
    const borrow = a0 < b0 ? 1 : 0;
    ones = a0 + BASE * borrow - b0;
    tens = a1 - b1 - borrow;
    core = borrow
      ? `Ones: ${a0} is less than ${b0}, so borrow: ${a0 + BASE} - ${b0} = ${ones}. Tens: ${a1} - ${b1} - 1 = ${tens}.`
      : `Ones: ${a0} - ${b0} = ${ones}. Tens: ${a1} - ${b1} = ${tens}.`;
  } else {
    const p0 = a0 * b;
    const carry = Math.floor(p0 / BASE);
    ones = p0 % BASE;
    const p1 = a1 * b;
    tens = p1 + carry;
    core = `Ones: ${a0} * ${b} = ${p0}, write ${ones}${carry ? `, carry ${carry}` : ''}. Tens: ${a1} * ${b} = ${p1}${carry ? ` + ${carry} = ${tens}` : ''}.`;
  }
  const answer = tens * BASE + ones;
  if (answer !== arithAnswer(p)) throw new Error(`arith working of ${a} ${p.op} ${b} gave ${answer}`);
  const digits = p.op === '*' ? `Digits: ${a} is ${a1} and ${a0}.` : `Digits: ${a} is ${a1} and ${a0}, ${b} is ${b1} and ${b0}.`;
  const check = `Check: ones digit ${ones}, tens part ${tens}, so ${answer}.`;
  return { core: `${core} Answer: ${answer}.`, digits, answer, check };
}

function finalAnswer(rng: Rng, p: ArithProblem, answer: number): string {
  const templates = [
    `${p.a} ${OP_FINAL_SYMBOL[p.op]} ${p.b} = ${answer}.`,
    `The answer is ${answer}.`,
    `${answer}`,
    `It is ${answer}.`,
    `${p.a} ${OP_WORD[p.op]} ${p.b} is ${answer}.`,
  ];
  return rng.pick(templates);
}

/** Prefix for the analysis when function tools are declared but not needed. */
export function noToolNote(effort: Effort, toolsDeclared: boolean): string {
  return toolsDeclared && effort !== 'low' ? 'No tool is needed for this. ' : '';
}

export function arithTurn(rng: Rng, p: ArithProblem, effort: Effort, toolsDeclared: boolean): Turn {
  const small = p.a <= ONE_DIGIT_MAX && p.b <= ONE_DIGIT_MAX;
  const op = p.op;
  const expr = `${p.a} ${op} ${p.b}`;
  let analysis: string;
  let answer: number;
  if (small) {
    answer = arithAnswer(p);
    analysis =
      effort === 'low'
        ? `${expr} = ${answer}.`
        : effort === 'medium'
          ? `The user asks ${expr}. That is ${answer}.`
          : `The user asks for ${expr}. This is a basic fact: ${expr} = ${answer}. Answer: ${answer}.`;
  } else {
    const w = arithWorking(p);
    answer = w.answer;
    analysis =
      effort === 'low'
        ? `${expr}. ${w.core}`
        : effort === 'medium'
          ? `The user wants ${expr}. ${w.digits} ${w.core}`
          : `The user is asking for ${expr}. I will work digit by digit. ${w.digits} ${w.core} ${w.check}`;
  }
  return {
    kind: small ? 'arith-small' : 'arith',
    user: arithQuestion(rng, p),
    replies: [analysisMessage(noToolNote(effort, toolsDeclared) + analysis), finalMessage(finalAnswer(rng, p, answer))],
  };
}
