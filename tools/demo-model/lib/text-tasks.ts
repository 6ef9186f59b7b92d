// Unit conversions, word puzzles, small talk and polite refusals. These spaces are small and fully
// covered by the training data (240 conversions, ~180 words): the model remembers them; what is
// held out is only the context (phrasing, system prompt, position in a conversation).

import { noToolNote } from './arith.js';
import { OUT_OF_SCOPE_REQUESTS, OUT_OF_SCOPE_TOPICS, WORDS } from './pools.js';
import type { Rng } from './rng.js';
import { analysisMessage, finalMessage, type ByEffort, type Effort, type Turn } from './types.js';

const THOUSANDS_GROUP = 1000;

/** 12345 → "12,345". */
export function formatThousands(value: number): string {
  const digits = String(value);
  let out = '';
  for (let charIdx = 0; charIdx < digits.length; charIdx++) {
    if (charIdx > 0 && (digits.length - charIdx) % 3 === 0) out += ',';
    out += digits[charIdx];
  }
  return value < THOUSANDS_GROUP ? digits : out;
}

interface Conversion {
  readonly from: string;
  readonly fromPlural: string;
  readonly abbr: string;
  readonly to: string;
  readonly toPlural: string;
  readonly factor: number;
}

export const CONVERSIONS: readonly Conversion[] = [
  { from: 'kilometer', fromPlural: 'kilometers', abbr: 'km', to: 'meter', toPlural: 'meters', factor: 1000 },
  { from: 'meter', fromPlural: 'meters', abbr: 'm', to: 'centimeter', toPlural: 'centimeters', factor: 100 },
  { from: 'kilogram', fromPlural: 'kilograms', abbr: 'kg', to: 'gram', toPlural: 'grams', factor: 1000 },
  { from: 'hour', fromPlural: 'hours', abbr: 'h', to: 'minute', toPlural: 'minutes', factor: 60 },
  { from: 'minute', fromPlural: 'minutes', abbr: 'min', to: 'second', toPlural: 'seconds', factor: 60 },
  { from: 'day', fromPlural: 'days', abbr: 'd', to: 'hour', toPlural: 'hours', factor: 24 },
  { from: 'week', fromPlural: 'weeks', abbr: 'wk', to: 'day', toPlural: 'days', factor: 7 },
  { from: 'foot', fromPlural: 'feet', abbr: 'ft', to: 'inch', toPlural: 'inches', factor: 12 },
  { from: 'yard', fromPlural: 'yards', abbr: 'yd', to: 'foot', toPlural: 'feet', factor: 3 },
  { from: 'liter', fromPlural: 'liters', abbr: 'L', to: 'milliliter', toPlural: 'milliliters', factor: 1000 },
  { from: 'dollar', fromPlural: 'dollars', abbr: 'USD', to: 'cent', toPlural: 'cents', factor: 100 },
  { from: 'pound', fromPlural: 'pounds', abbr: 'lb', to: 'ounce', toPlural: 'ounces', factor: 16 },
];
export const CONVERSION_MAX_AMOUNT = 20;

export function convertTurn(rng: Rng, effort: Effort, toolsDeclared: boolean): Turn {
  const c = rng.pick(CONVERSIONS);
  const n = rng.int(1, CONVERSION_MAX_AMOUNT);
  const fromN = n === 1 ? c.from : c.fromPlural;
  const toN = n * c.factor === 1 ? c.to : c.toPlural;
  const factor = formatThousands(c.factor);
  const result = formatThousands(n * c.factor);
  const user = rng
    .pick([
      'Convert {n} {from} to {to}.', 'How many {to} are in {n} {from}?', 'What is {n} {abbr} in {to}?', '{n} {from} in {to}?',
      'How many {to} is {n} {from}?', 'Please convert {n} {from} into {to}.',
    ])
    .replaceAll('{n}', String(n))
    .replaceAll('{from}', fromN)
    .replaceAll('{abbr}', c.abbr)
    .replaceAll('{to}', c.toPlural);
  const analysis: ByEffort<string> = {
    low: `1 ${c.from} = ${factor} ${c.toPlural}. ${n} * ${factor} = ${result}.`,
    medium: `The user wants ${n} ${fromN} in ${c.toPlural}. 1 ${c.from} = ${factor} ${c.toPlural}, so ${n} * ${factor} = ${result}.`,
    high: `The user wants to convert ${n} ${fromN} to ${c.toPlural}. One ${c.from} is ${factor} ${c.toPlural}. Multiply: ${n} * ${factor} = ${result}. So ${n} ${fromN} is ${result} ${toN}.`,
  };
  const final = rng.pick([`${n} ${fromN} is ${result} ${toN}.`, `That is ${result} ${toN}.`, `${result} ${toN}.`]);
  return { kind: 'convert', user, replies: [analysisMessage(noToolNote(effort, toolsDeclared) + analysis[effort]), finalMessage(final)] };
}

type StringTask = 'reverse' | 'length' | 'count' | 'spell';

export function stringTurn(rng: Rng, effort: Effort, toolsDeclared: boolean): Turn {
  const task = rng.weighted<StringTask>([['reverse', 0.35], ['length', 0.2], ['count', 0.3], ['spell', 0.15]]);
  const word = rng.pick(WORDS);
  const letters = [...word];
  const spaced = letters.join(' ');
  const fill = (template: string, extra: Record<string, string> = {}): string => {
    let out = template.replaceAll('{w}', word);
    for (const [key, value] of Object.entries(extra)) out = out.replaceAll(`{${key}}`, value);
    return out;
  };
  let user: string;
  let analysis: ByEffort<string>;
  let final: string;
  if (task === 'reverse') {
    const rev = [...letters].reverse().join('');
    const spacedRev = [...letters].reverse().join(' ');
    user = fill(rng.pick(['Reverse the word {w}.', 'What is {w} spelled backwards?', 'Spell "{w}" backwards.', 'Write {w} in reverse.', 'reverse {w}', 'Can you reverse "{w}"?']));
    analysis = {
      low: `${word}: ${spaced}. Backwards: ${spacedRev}. Joined: ${rev}.`,
      medium: `The word is ${word}. Its letters are ${spaced}. Reversed: ${spacedRev}. Joined: ${rev}.`,
      high: `The user wants ${word} reversed. Spell it: ${spaced}. Now read from the end: ${spacedRev}. Joined together that gives ${rev}.`,
    };
    final = rng.pick([`"${word}" reversed is "${rev}".`, `${rev}`, `The reverse of ${word} is ${rev}.`]);
  } else if (task === 'length') {
    const counting = letters.map((letter, idx) => `${letter} ${idx + 1}`).join(', ');
    const n = letters.length;
    user = fill(rng.pick(['How many letters are in {w}?', 'How long is the word "{w}"?', 'Count the letters in {w}.', 'What is the length of {w}?', 'How many letters does "{w}" have?']));
    analysis = {
      low: `${word}: ${counting}. ${n} letters.`,
      medium: `The word is ${word}. Count the letters: ${counting}. So it has ${n} letters.`,
      high: `The user wants the number of letters in ${word}. Spell it: ${spaced}. Count: ${counting}. That makes ${n} letters.`,
    };
    final = rng.pick([`"${word}" has ${n} letters.`, `${n}`, `There are ${n} letters in ${word}.`]);
  } else if (task === 'count') {
    const inWord = rng.chance(0.75);
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz'];
    const target = inWord ? rng.pick(letters) : rng.pick(alphabet.filter((letter) => !letters.includes(letter)));
    let seen = 0;
    const counting = letters.map((letter) => (letter === target ? `${letter} yes (${++seen})` : `${letter} no`)).join(', ');
    const k = seen;
    user = fill(
      rng.pick(['How many times does the letter {t} appear in {w}?', "How many {t}'s are in {w}?", 'Count the letter "{t}" in "{w}".', 'How many times is {t} in the word {w}?']),
      { t: target },
    );
    analysis = {
      low: `${word}: ${spaced}. Find ${target}: ${counting}. Total ${k}.`,
      medium: `Spell ${word}: ${spaced}. Check each letter for ${target}: ${counting}. Total: ${k}.`,
      high: `The user wants to know how many times ${target} appears in ${word}. Spell it: ${spaced}. Go letter by letter: ${counting}. So ${target} appears ${k} time${k === 1 ? '' : 's'}.`,
    };
    final =
      k === 0
        ? `The letter "${target}" does not appear in "${word}".`
        : rng.pick([`The letter "${target}" appears ${k} time${k === 1 ? '' : 's'} in "${word}".`, `${k}`]);
  } else {
    user = fill(rng.pick(['How do you spell {w}?', 'Spell {w} for me.', 'Spell out the word {w} letter by letter.']));
    analysis = {
      low: `${word}: ${spaced}.`,
      medium: `The user wants ${word} spelled out. Letters: ${spaced}.`,
      high: `The user wants the spelling of ${word}, letter by letter. Letters: ${spaced}. That is ${letters.length} letters.`,
    };
    final = `It is spelled ${letters.join('-')}.`;
  }
  return { kind: 'string', user, replies: [analysisMessage(noToolNote(effort, toolsDeclared) + analysis[effort]), finalMessage(final)] };
}

const CAPABILITIES =
  'I am a tiny demo model for webgpu-harmony. I can add, subtract and multiply small numbers, convert units, reverse, spell or count letters in words, and call the function tools you declare.';

interface SmallTalk {
  readonly users: readonly string[];
  readonly analysis: ByEffort<string>;
  readonly finals: readonly string[];
}

const SMALL_TALK: readonly SmallTalk[] = [
  {
    users: ['Hi', 'Hello!', 'Hey there', 'Good morning!', 'hi!', 'Hello, how are you?', 'Hey!', 'Hi there!'],
    analysis: {
      low: 'A greeting. Reply briefly.',
      medium: 'The user is greeting me. I should greet back and offer help.',
      high: 'The user says hello. A friendly greeting back and a short note on what I can help with fits.',
    },
    finals: ['Hello! How can I help you today?', 'Hi! I can do small sums, unit conversions, word puzzles, and call your tools. What would you like?', 'Hey! What can I do for you?'],
  },
  {
    users: ['What can you do?', 'Who are you?', 'What are you?', 'Help', 'What are your skills?', 'Tell me about yourself.'],
    analysis: {
      low: 'Asked about me. Describe my skills.',
      medium: 'The user asks what I am. I should describe what this demo model can do.',
      high: 'The user wants to know who I am and what I can do. I am a tiny demo model, so I should list my skills honestly.',
    },
    finals: [CAPABILITIES],
  },
  {
    users: ['Thanks!', 'Thank you.', 'thanks a lot', 'Great, thanks!', 'Perfect, thank you!'],
    analysis: { low: 'Thanks. Reply politely.', medium: 'The user thanks me. A short polite reply is enough.', high: 'The user is saying thank you. I will reply politely and offer more help.' },
    finals: ["You're welcome!", "You're welcome! Anything else?", 'Glad I could help!'],
  },
  {
    users: ['Bye!', 'Goodbye.', 'See you later.', 'bye'],
    analysis: { low: 'Goodbye. Reply briefly.', medium: 'The user is leaving. Say goodbye.', high: 'The user says goodbye. I will say goodbye back in a friendly way.' },
    finals: ['Goodbye!', 'Bye! Have a nice day.', 'See you later!'],
  },
];

export function chatTurn(rng: Rng, effort: Effort): Turn {
  const talk = rng.pick(SMALL_TALK);
  return { kind: 'chat', user: rng.pick(talk.users), replies: [analysisMessage(talk.analysis[effort]), finalMessage(rng.pick(talk.finals))] };
}

export function declineTurn(rng: Rng, effort: Effort): Turn {
  const user = rng.pick(OUT_OF_SCOPE_REQUESTS).replaceAll('{t}', rng.pick(OUT_OF_SCOPE_TOPICS));
  const analysis: ByEffort<string> = {
    low: 'Out of scope for me.',
    medium: 'The user asks for something I cannot do well; I am a tiny demo model.',
    high: "This request needs knowledge or writing skills that a tiny demo model doesn't have. I'll explain what I can do instead.",
  };
  const final = `Sorry, I'm a tiny demo model and can't help with that. ${rng.pick([
    'I can do small arithmetic, unit conversions, word puzzles like reversing or spelling words, and call tools you give me.',
    'Try a sum like 47 + 38, a unit conversion, or a word to reverse.',
  ])}`;
  return { kind: 'decline', user, replies: [analysisMessage(analysis[effort]), finalMessage(final)] };
}
