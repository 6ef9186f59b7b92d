// Post-parse repetition check, per channel: the retry policy's last line of defence after the
// engine's loop detection (which may be off, or 'cheap'). Two detectors, both pure:
//   periodic tail:   the text ends in ≥ MIN_REPEATS copies of one unit (whitespace normalised),
//                    covering ≥ MIN_REPEATED_CHARS, and the unit has a letter or digit
//                    ("I think I think I think …", "ha ha ha ha …"; not "-----" rules)
//   low diversity:   ≥ MIN_WORDS words whose distinct word 5-grams are < minDistinctRatio (0.35) of all
//                    (the same sentence over and over with small changes)

import type { TextMessage } from '../harmony/types.js';

export interface RepetitionOptions {
  readonly minRepeats: number;
  readonly minRepeatedChars: number;
  readonly maxPeriodChars: number;
  /** Only this much of the text's end is searched for a periodic tail. */
  readonly tailChars: number;
  readonly minWords: number;
  readonly ngram: number;
  readonly minDistinctRatio: number;
}

export const DEFAULT_REPETITION_OPTIONS: RepetitionOptions = Object.freeze({
  minRepeats: 4,
  minRepeatedChars: 48,
  maxPeriodChars: 200,
  tailChars: 4000,
  minWords: 80,
  ngram: 5,
  minDistinctRatio: 0.35,
});

export interface Repetition {
  readonly kind: 'periodic-tail' | 'low-diversity';
  /** The repeated unit (periodic tail) or the most frequent n-gram (low diversity). */
  readonly unit: string;
  readonly repeats: number;
  /** Share of distinct n-grams (low diversity) or of the text covered by the repeats (periodic). */
  readonly ratio: number;
}

export interface ChannelRepetition extends Repetition {
  readonly channel: string;
}

const HAS_WORD_CHAR = /[\p{L}\p{N}]/u;

function periodicTail(text: string, opts: RepetitionOptions): Repetition | null {
  const tail = text.replace(/\s+/g, ' ').trimEnd().slice(-opts.tailChars);
  const maxPeriod = Math.min(opts.maxPeriodChars, Math.floor(tail.length / opts.minRepeats));
  for (let period = 1; period <= maxPeriod; period++) {
    let repeats = 1;
    let end = tail.length - period;
    while (end - period >= 0 && tail.slice(end - period, end) === tail.slice(tail.length - period)) {
      repeats++;
      end -= period;
    }
    const unit = tail.slice(tail.length - period);
    if (repeats >= opts.minRepeats && repeats * period >= opts.minRepeatedChars && HAS_WORD_CHAR.test(unit)) {
      return { kind: 'periodic-tail', unit, repeats, ratio: (repeats * period) / tail.length };
    }
  }
  return null;
}

function lowDiversity(text: string, opts: RepetitionOptions): Repetition | null {
  const words = text.split(/\s+/).filter((word) => word.length > 0);
  if (words.length < opts.minWords) return null;
  const counts = new Map<string, number>();
  const total = words.length - opts.ngram + 1;
  for (let wordIdx = 0; wordIdx < total; wordIdx++) {
    const gram = words.slice(wordIdx, wordIdx + opts.ngram).join(' ');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  const ratio = counts.size / total;
  if (ratio >= opts.minDistinctRatio) return null;
  let unit = '';
  let repeats = 0;
  for (const [gram, count] of counts) if (count > repeats) [unit, repeats] = [gram, count];
  return { kind: 'low-diversity', unit, repeats, ratio };
}

/** The first repetition found in `text`, or null. */
export function findRepetition(text: string, options: Partial<RepetitionOptions> = {}): Repetition | null {
  const opts = { ...DEFAULT_REPETITION_OPTIONS, ...options };
  return periodicTail(text, opts) ?? lowDiversity(text, opts);
}

/** Concatenated assistant text per channel (tool-call arguments excluded). */
export function textByChannel(messages: readonly TextMessage[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== 'assistant' || message.recipient !== undefined) continue;
    const channel = message.channel ?? 'none';
    out.set(channel, (out.has(channel) ? `${out.get(channel)}\n` : '') + message.content);
  }
  return out;
}

/** Repetition per channel of the assistant's messages. */
export function findRepetitionByChannel(messages: readonly TextMessage[], options: Partial<RepetitionOptions> = {}): ChannelRepetition[] {
  const found: ChannelRepetition[] = [];
  for (const [channel, text] of textByChannel(messages)) {
    const repetition = findRepetition(text, options);
    if (repetition !== null) found.push({ channel, ...repetition });
  }
  return found;
}
