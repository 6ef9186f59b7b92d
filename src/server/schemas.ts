// JSON schemas of the request bodies, one per route family, shared by the streaming and the
// non-streaming form of each route (the `stream` flag is just a field). Checked by the validation
// stage (validation.ts) with Ajv; semantic rules (a tool message's call id, n > 1, a named tool
// that exists) live in the mappers, with the same error shape.
// Unknown top-level fields are accepted (clients send `store`, `metadata`, …) and ignored.

const num = (minimum?: number, maximum?: number) => ({ type: 'number', ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const int = (minimum?: number, maximum?: number) => ({ type: 'integer', ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) });
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });
const str = { type: 'string' };
const bool = { type: 'boolean' };

/** OpenAI's limits: 0..2 for penalties; bias ±100; stop ≤ 4 (we allow 16). */
const MAX_STOP_STRINGS = 16;
const MAX_SEED = Number.MAX_SAFE_INTEGER;

const stop = nullable({ anyOf: [str, { type: 'array', items: str, maxItems: MAX_STOP_STRINGS }] });
const logitBias = nullable({ type: 'object', propertyNames: { pattern: '^[0-9]+$' }, additionalProperties: num(-100, 100) });

const tool = {
  type: 'object',
  required: ['type', 'function'],
  properties: {
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }, description: str, parameters: { type: 'object' }, strict: nullable(bool) },
    },
  },
};

const textPart = { type: 'object', required: ['type'], properties: { type: str, text: str } };
const content = nullable({ anyOf: [str, { type: 'array', items: textPart }] });

const toolCall = {
  type: 'object',
  required: ['function'],
  properties: { id: str, type: { const: 'function' }, function: { type: 'object', required: ['name'], properties: { name: str, arguments: { anyOf: [str, { type: 'object' }] } } } },
};

const chatMessage = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
    content,
    name: str,
    tool_calls: nullable({ type: 'array', items: toolCall }),
    tool_call_id: str,
    reasoning_content: nullable(str),
    reasoning: nullable(str),
    thinking: nullable(str),
  },
};

const effort = { enum: ['minimal', 'low', 'medium', 'high'] };

/** Sampling fields common to chat and text completions. */
const samplingProperties = {
  model: { type: 'string', minLength: 1 },
  stream: nullable(bool),
  stream_options: nullable({ type: 'object', properties: { include_usage: bool } }),
  temperature: nullable(num(0, 100)),
  top_p: nullable(num(0, 1)),
  top_k: nullable(int(0)),
  min_p: nullable(num(0, 1)),
  max_tokens: nullable(int(1)),
  stop,
  seed: nullable(int(0, MAX_SEED)),
  presence_penalty: nullable(num(-2, 2)),
  frequency_penalty: nullable(num(-2, 2)),
  repetition_penalty: nullable(num(0)),
  logit_bias: logitBias,
  n: nullable(int(1)),
  user: str,
};

export const CHAT_COMPLETIONS_SCHEMA = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    ...samplingProperties,
    messages: { type: 'array', minItems: 1, items: chatMessage },
    max_completion_tokens: nullable(int(1)),
    logprobs: nullable(bool),
    top_logprobs: nullable(int(0, 20)),
    tools: nullable({ type: 'array', items: tool }),
    tool_choice: nullable({
      anyOf: [{ enum: ['none', 'auto', 'required'] }, { type: 'object', required: ['type', 'function'], properties: { type: { const: 'function' }, function: { type: 'object', required: ['name'], properties: { name: str } } } }],
    }),
    parallel_tool_calls: nullable(bool),
    response_format: nullable({
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['text', 'json_object', 'json_schema'] },
        json_schema: { type: 'object', required: ['name'], properties: { name: str, description: str, schema: { type: 'object' }, strict: nullable(bool) } },
      },
    }),
    reasoning_effort: nullable(effort),
    reasoning: nullable({ type: 'object', properties: { effort } }),
    wgh: { type: 'object' },
  },
} as const;

export const COMPLETIONS_SCHEMA = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    ...samplingProperties,
    prompt: { anyOf: [str, { type: 'array', minItems: 1, maxItems: 1, items: str }, { type: 'array', minItems: 1, items: int(0) }] },
    logprobs: nullable(int(0, 20)),
    echo: nullable(bool),
    suffix: nullable(str),
  },
} as const;

const think = { anyOf: [bool, { enum: ['low', 'medium', 'high'] }] };
const format = { anyOf: [{ enum: ['', 'json'] }, { type: 'object' }] };
const ollamaOptions = {
  type: 'object',
  properties: {
    temperature: num(0, 100),
    top_p: num(0, 1),
    top_k: int(0),
    min_p: num(0, 1),
    num_predict: int(-2),
    num_ctx: int(1),
    seed: int(),
    stop: { type: 'array', items: str, maxItems: MAX_STOP_STRINGS },
    repeat_penalty: num(0),
    presence_penalty: num(-2, 2),
    frequency_penalty: num(-2, 2),
    repeat_last_n: int(-1),
  },
};
const ollamaMessage = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
    content: str,
    thinking: str,
    images: nullable({ type: 'array', maxItems: 0 }),
    tool_calls: { type: 'array', items: { type: 'object', required: ['function'], properties: { function: { type: 'object', required: ['name'], properties: { name: str, arguments: { anyOf: [{ type: 'object' }, str] } } } } } },
    tool_name: str,
  },
};
const ollamaCommon = { model: { type: 'string', minLength: 1 }, stream: bool, think, format, options: ollamaOptions, keep_alive: { anyOf: [str, num()] }, wgh: { type: 'object' } };

export const OLLAMA_CHAT_SCHEMA = {
  type: 'object',
  required: ['model'],
  properties: { ...ollamaCommon, messages: { type: 'array', items: ollamaMessage }, tools: { type: 'array', items: tool } },
} as const;

export const OLLAMA_GENERATE_SCHEMA = {
  type: 'object',
  required: ['model'],
  properties: { ...ollamaCommon, prompt: str, system: str, suffix: str, raw: bool, template: str, images: nullable({ type: 'array', maxItems: 0 }), context: { type: 'array' } },
} as const;

export const OLLAMA_SHOW_SCHEMA = {
  type: 'object',
  properties: { model: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, verbose: bool },
} as const;

/** The `wgh.harmony` extension (a webgpu-harmony client's exact request; src/client/http-wire.ts). */
export const WGH_HARMONY_SCHEMA = {
  type: 'object',
  required: ['system', 'messages', 'params'],
  properties: {
    system: {
      type: 'object',
      required: ['reasoning_effort'],
      properties: { reasoning_effort: { enum: ['low', 'medium', 'high'] }, model_identity: str, knowledge_cutoff: str, conversation_start_date: str, builtin_tools: { type: 'array', items: { enum: ['browser', 'python'] } } },
      additionalProperties: false,
    },
    developer: { type: 'object', properties: { instructions: str, tools: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: str, description: str, parameters: {} } } } } },
    messages: { type: 'array', items: { type: 'object', required: ['role', 'content'] } },
    params: { type: 'object', required: ['maxTokens'], properties: { maxTokens: int(0), loopDetection: { enum: ['off', 'cheap', 'full'] }, maxKvSize: int(0) } },
    continuation: { type: 'object', required: ['text'], properties: { text: str, token_ids: { type: 'array', items: int(0) } } },
  },
} as const;
