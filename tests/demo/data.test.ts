// The demo model's synthetic training data (tools/demo-model/): rendered with our Harmony renderer,
// the loss mask covers exactly what the assistant writes, and nothing held out for the evaluation
// leaks into training.
import { beforeAll, describe, expect, it } from 'vitest';
import { renderRequestFromJson } from '../../src/harmony/json.js';
import { parseCompletion } from '../../src/harmony/parse.js';
import { renderConversationForCompletion, renderConversationForTraining } from '../../src/harmony/render.js';
import type { Message } from '../../src/harmony/types.js';
import { SPECIAL_TOKENS } from '../../src/tokenizer/special-tokens.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { allTwoDigitProblems, arithAnswer, arithKey } from '../../tools/demo-model/lib/arith.js';
import { judgeArithmetic, judgeFormat, judgeToolCall } from '../../tools/demo-model/lib/judge.js';
import { sampleConversation, type ConversationPlan } from '../../tools/demo-model/lib/conversation.js';
import { STREAMS, buildEvalSets, buildHeldOut, trainingOptions, type EvalSets, type HeldOut } from '../../tools/demo-model/lib/heldout.js';
import { planMessages, renderExample, renderPrompt } from '../../tools/demo-model/lib/render-example.js';
import { Rng, mixSeed } from '../../tools/demo-model/lib/rng.js';
import { CITY_FAMILIES } from '../../tools/demo-model/lib/tools.js';

const SEED = 77;
const NUM_CONVERSATIONS = 400;
const NUM_LEAK_CHECKS = 4000;

let tok: Tokenizer;
let assistantId: number;
let heldOut: HeldOut;
let evalSets: EvalSets;
let plans: ConversationPlan[];

beforeAll(async () => {
  tok = await Tokenizer.load();
  [assistantId] = tok.encodeOrdinary('assistant');
  heldOut = buildHeldOut(SEED);
  evalSets = buildEvalSets(SEED, heldOut);
  const options = trainingOptions(heldOut, evalSets.toolSignatures);
  plans = Array.from({ length: NUM_CONVERSATIONS }, (_, convIdx) => sampleConversation(new Rng(mixSeed(SEED, STREAMS.train, convIdx)), options));
});

/** Maximal runs of mask 1 as [start, end). */
function spans(mask: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let idx = 0; idx < mask.length; idx++) {
    if (mask[idx] === 1 && (idx === 0 || mask[idx - 1] === 0)) out.push([idx, idx]);
    if (mask[idx] === 1) out[out.length - 1][1] = idx + 1;
  }
  return out;
}

/** The last turn's assistant messages, grouped into generation steps (a tool result ends a step). */
function expectedSteps(plan: ConversationPlan): Message[][] {
  const { messages, firstReplyIdx } = planMessages(plan);
  const steps: Message[][] = [[]];
  for (const m of messages.slice(firstReplyIdx)) {
    if (m.role === 'assistant') steps[steps.length - 1].push(m);
    else steps.push([]);
  }
  return steps.filter((s) => s.length > 0);
}

describe('demo-model training data', () => {
  it('covers every kind, effort, multi-turn and tool conversations', () => {
    const kinds = new Set(plans.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['arith', 'arith-small', 'chat', 'convert', 'decline', 'string', 'tool', 'tool-none', 'tool-skip']);
    expect(new Set(plans.map((p) => p.effort)).size).toBe(3);
    expect(plans.some((p) => p.numTurns > 1)).toBe(true);
    expect(plans.some((p) => p.dropPreCallAnalysis)).toBe(true);
    expect(plans.some((p) => p.historyStyle === 'harmony')).toBe(true);
  });

  it('mask spans are exactly the assistant steps, each behind the prompt inference renders', () => {
    for (const plan of plans) {
      const { ids, mask } = renderExample(tok, plan);
      expect(mask.length).toBe(ids.length);
      expect(ids[ids.length - 1]).toBe(SPECIAL_TOKENS.RETURN); // every conversation ends with a final answer
      const steps = expectedSteps(plan);
      const found = spans(mask);
      // Chained steps are all trained; a restarted sequence (a prompt that is not an extension) trains the last.
      const trained = found.length === steps.length ? steps : steps.slice(steps.length - found.length);
      expect(found.length).toBeGreaterThan(0);
      found.forEach(([start, end], spanIdx) => {
        // The prompt before a span ends with <|start|>assistant (not trained).
        expect(ids.slice(start - 2, start)).toEqual([SPECIAL_TOKENS.START, assistantId]);
        const last = ids[end - 1];
        expect(last === SPECIAL_TOKENS.RETURN || last === SPECIAL_TOKENS.CALL).toBe(true);
        const parsed = parseCompletion(tok, ids.slice(start, end), { role: 'assistant' });
        expect(parsed.warnings).toEqual([]);
        const want = trained[spanIdx].map((m) => ({ channel: m.channel, recipient: m.recipient, contentType: m.contentType, content: m.content }));
        expect(parsed.messages.map((m) => ({ channel: m.channel, recipient: m.recipient, contentType: m.contentType, content: m.content }))).toEqual(want);
      });
      // What is not trained never holds a <|return|>: finals in the history end with <|end|>.
      expect(ids.some((id, idx) => id === SPECIAL_TOKENS.RETURN && mask[idx] === 0)).toBe(false);
      // The last step sits behind exactly the prompt of renderConversationForCompletion.
      const prompt = renderPrompt(tok, plan);
      if (found.length === steps.length) {
        expect(ids.slice(0, prompt.length)).toEqual(prompt);
        expect(mask[prompt.length]).toBe(1);
        expect(mask.slice(0, prompt.length).every((m) => m === 0)).toBe(true);
      }
    }
  });

  it('single-turn conversations are renderConversationForTraining of all their messages', () => {
    let checked = 0;
    for (const plan of plans.filter((p) => p.numTurns === 1 && !p.dropPreCallAnalysis)) {
      const { messages } = planMessages(plan);
      expect(renderExample(tok, plan).ids).toEqual(renderConversationForTraining(tok, messages, { dropAnalysis: false }));
      checked++;
    }
    expect(checked).toBeGreaterThan(NUM_CONVERSATIONS / 2);
  });

  it('the evaluation judges accept the reference replies and reject broken ones', () => {
    let numArith = 0;
    let numTool = 0;
    for (const plan of plans) {
      const { ids, mask } = renderExample(tok, plan);
      const found = spans(mask);
      for (const [start, end] of found) expect(judgeFormat(tok, ids.slice(start, end)).reason).toBe('');
      const [lastStart, lastEnd] = found[found.length - 1];
      if (plan.kind === 'arith' && plan.arith !== undefined) {
        expect(judgeArithmetic(tok, ids.slice(lastStart, lastEnd), arithAnswer(plan.arith)).reason).toBe('');
        expect(judgeArithmetic(tok, ids.slice(lastStart, lastEnd), arithAnswer(plan.arith) + 1).ok).toBe(false);
        expect(judgeArithmetic(tok, ids.slice(lastStart, lastEnd - 1), arithAnswer(plan.arith)).ok).toBe(false); // no <|return|>
        numArith++;
      }
      if (plan.kind === 'tool' && plan.tool !== undefined && found.length === 2) {
        const [callStart, callEnd] = found[0];
        const expected = { tool: plan.tool.name, entities: plan.tool.entities };
        expect(judgeToolCall(tok, ids.slice(callStart, callEnd), expected).reason).toBe('');
        expect(judgeToolCall(tok, ids.slice(callStart, callEnd), { ...expected, tool: 'other_tool' }).ok).toBe(false);
        expect(judgeToolCall(tok, ids.slice(callStart, callEnd), { ...expected, entities: ['Atlantis'] }).ok).toBe(false);
        numTool++;
      }
    }
    expect(numArith).toBeGreaterThan(20);
    expect(numTool).toBeGreaterThan(20);
    // A reply cut before its stop token, or with a stray header, is not well-formed.
    const broken = [SPECIAL_TOKENS.CHANNEL, ...tok.encodeOrdinary('final'), SPECIAL_TOKENS.MESSAGE, ...tok.encodeOrdinary('Hi')];
    expect(judgeFormat(tok, broken).ok).toBe(false);
    expect(judgeFormat(tok, [...broken, SPECIAL_TOKENS.RETURN]).ok).toBe(true);
    expect(judgeFormat(tok, [SPECIAL_TOKENS.CHANNEL, ...tok.encodeOrdinary('final'), SPECIAL_TOKENS.START, SPECIAL_TOKENS.RETURN]).ok).toBe(false);
  });

  it('is deterministic: a conversation depends only on (seed, stream, index)', () => {
    const options = trainingOptions(heldOut, evalSets.toolSignatures);
    const again = sampleConversation(new Rng(mixSeed(SEED, STREAMS.train, 123)), options);
    expect(again).toEqual(plans[123]);
    expect(buildEvalSets(SEED, buildHeldOut(SEED)).arithmetic).toEqual(evalSets.arithmetic);
  });
});

describe('demo-model held-out evaluation sets', () => {
  it('200 held-out arithmetic problems, none asked in training, each answer still trained', () => {
    expect(evalSets.arithmetic.length).toBe(200);
    expect(heldOut.arithKeys.size).toBe(200);
    const options = trainingOptions(heldOut, evalSets.toolSignatures);
    for (let convIdx = 0; convIdx < NUM_LEAK_CHECKS; convIdx++) {
      const plan = sampleConversation(new Rng(mixSeed(SEED, STREAMS.train, convIdx)), options);
      for (const p of plan.allArith) expect(heldOut.arithKeys.has(arithKey(p))).toBe(false);
      for (const t of plan.allTools) {
        expect(evalSets.toolSignatures.has(t.signature)).toBe(false);
        const cities = heldOut.cities.get(t.family);
        if (cities !== undefined) for (const entity of t.entities) expect(cities.has(entity)).toBe(false);
      }
    }
    const trainable = new Set(allTwoDigitProblems().filter((p) => !heldOut.arithKeys.has(arithKey(p))).map((p) => `${p.op}=${arithAnswer(p)}`));
    for (const p of heldOut.arithProblems) expect(trainable.has(`${p.op}=${arithAnswer(p)}`)).toBe(true);
    for (const item of evalSets.arithmetic) {
      expect(item.kind).toBe('arith');
      expect(item.expected?.answer).toBeTypeOf('number');
    }
  });

  it('tool prompts: held-out cities for the city tools, distinct prompts, the target tool declared', () => {
    expect(evalSets.tools.length).toBe(160);
    for (const item of evalSets.tools) {
      const tools = item.request.developer?.tools ?? [];
      expect(tools.map((t) => t.name)).toContain(item.expected?.tool);
      const family = item.expected?.family;
      if (family !== undefined && (CITY_FAMILIES as readonly string[]).includes(family)) {
        for (const entity of item.expected?.entities ?? []) expect(heldOut.cities.get(family as (typeof CITY_FAMILIES)[number])?.has(entity)).toBe(true);
      }
    }
  });

  it('every evaluation prompt renders and ends with <|start|>assistant', () => {
    for (const item of [...evalSets.arithmetic, ...evalSets.tools, ...evalSets.format]) {
      const { messages, dropAnalysis } = renderRequestFromJson(item.request);
      const ids = renderConversationForCompletion(tok, messages, 'assistant', { dropAnalysis });
      expect(ids.slice(-2)).toEqual([SPECIAL_TOKENS.START, assistantId]);
    }
    expect(evalSets.format.length).toBe(500);
    expect(evalSets.format.some((item) => item.request.messages[item.request.messages.length - 1].role === 'tool')).toBe(true);
  });
});
