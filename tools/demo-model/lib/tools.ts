// Function tools for the synthetic tool-calling conversations: twelve families (weather, stocks,
// time, …), each with several names, descriptions and JSON-schema parameter spellings, so that the
// model learns to read the declaration (copy the declared name and parameter keys) rather than one
// fixed API. A scenario is one user request for a family, the call's JSON arguments, the tool's
// result and the answer built from it.

import type { JsonObject, JsonValue } from '../../../src/harmony/types.js';
import {
  AIRLINES, CITIES, COUNTRIES, CURRENCIES, DATES, DEFINITIONS, LANGUAGES, NEWS_TOPICS, PHRASES, RESTAURANTS, TICKERS, TIMES,
  WEATHER_CONDITIONS,
} from './pools.js';
import type { Rng } from './rng.js';
import { analysisMessage, finalMessage, type ByEffort, type Effort, type ToolJson, type Turn } from './types.js';
import type { HarmonyMessageJson } from '../../../src/harmony/json.js';

export const FAMILY_IDS = [
  'weather', 'stock', 'time', 'population', 'currency', 'translate', 'flights', 'define', 'timer', 'booking', 'distance', 'news',
] as const;
export type FamilyId = (typeof FAMILY_IDS)[number];

/** Families whose main entity is a city: their held-out prompts use cities never paired with them in training. */
export const CITY_FAMILIES: readonly FamilyId[] = ['weather', 'time', 'flights', 'distance'];

export interface ToolVariant {
  readonly family: FamilyId;
  readonly tool: ToolJson;
  /** Parameter keys by role (e.g. { place: 'city' }). */
  readonly keys: Readonly<Record<string, string>>;
  /** Optional parameters the schema declares (e.g. 'unit', 'date', 'label'). */
  readonly optional: ReadonlySet<string>;
}

export interface ToolScenario {
  readonly user: string;
  readonly args: JsonObject;
  /** Strings that must appear among the argument values (the eval's "right entity"). */
  readonly entities: readonly string[];
  /** "the weather in Oslo": what the user wants, for the analysis. */
  readonly need: string;
  /** "the weather": what a missing tool would have provided. */
  readonly topic: string;
  readonly result: string;
  readonly resultSummary: string;
  readonly final: string;
}

/** Decides which cities a scenario may use (training excludes held-out (family, city) pairs). */
export interface EntityPolicy {
  cityAllowed(family: FamilyId, city: string): boolean;
}

export const ANY_ENTITY: EntityPolicy = { cityAllowed: () => true };

interface Family {
  readonly id: FamilyId;
  variant(rng: Rng): ToolVariant;
  scenario(rng: Rng, v: ToolVariant, policy: EntityPolicy): ToolScenario;
}

const MAX_ENTITY_TRIES = 1000;

function pickCity(rng: Rng, family: FamilyId, policy: EntityPolicy, avoid?: string): string {
  for (let attempt = 0; attempt < MAX_ENTITY_TRIES; attempt++) {
    const city = rng.pick(CITIES).name;
    if (city !== avoid && policy.cityAllowed(family, city)) return city;
  }
  throw new Error(`tools: no allowed city for ${family}`);
}

function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  let out = template;
  for (const [key, value] of Object.entries(values)) out = out.replaceAll(`{${key}}`, String(value));
  return out;
}

function stringProp(description?: string): JsonObject {
  return description === undefined ? { type: 'string' } : { type: 'string', description };
}

function objectSchema(props: readonly (readonly [string, JsonObject, boolean])[]): JsonObject {
  const properties: Record<string, JsonValue> = {};
  const required: string[] = [];
  for (const [key, schema, isRequired] of props) {
    properties[key] = schema;
    if (isRequired) required.push(key);
  }
  return { type: 'object', properties, required };
}

function variantOf(
  family: FamilyId,
  rng: Rng,
  names: readonly string[],
  descriptions: readonly string[],
  props: readonly (readonly [string, JsonObject, boolean])[],
  keys: Record<string, string>,
  optional: readonly string[] = [],
): ToolVariant {
  return {
    family,
    tool: { name: rng.pick(names), description: rng.pick(descriptions), parameters: objectSchema(props) },
    keys,
    optional: new Set(optional),
  };
}

function money(rng: Rng, lo: number, hi: number): string {
  const cents = rng.int(lo * 100, hi * 100);
  return (cents / 100).toFixed(2);
}

function clock(rng: Rng): string {
  return `${String(rng.int(0, 23)).padStart(2, '0')}:${String(rng.pick([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55])).padStart(2, '0')}`;
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

const weather: Family = {
  id: 'weather',
  variant(rng) {
    const place = rng.pick(['location', 'city', 'place']);
    const withUnit = rng.chance(0.6);
    const props: (readonly [string, JsonObject, boolean])[] = [[place, stringProp(rng.pick(['The city, e.g. San Francisco', 'City name', 'Name of the city'])), true]];
    if (withUnit) props.push(['unit', { type: 'string', enum: ['celsius', 'fahrenheit'], default: 'celsius' }, false]);
    return variantOf(
      'weather', rng,
      ['get_weather', 'get_current_weather', 'lookup_weather', 'weather_now', 'fetch_weather', 'current_weather'],
      ['Gets the current weather for a location.', 'Look up the current weather in a city.', 'Returns the current temperature and conditions for a place.'],
      props, { place }, withUnit ? ['unit'] : [],
    );
  },
  scenario(rng, v, policy) {
    const city = pickCity(rng, 'weather', policy);
    const fahrenheit = v.optional.has('unit') && rng.chance(0.3);
    const user = fill(
      fahrenheit
        ? rng.pick(['What is the temperature in {c} in fahrenheit?', 'Weather in {c}, in fahrenheit please.', 'How hot is it in {c} in fahrenheit?'])
        : rng.pick([
            "What's the weather in {c}?", 'How is the weather in {c} today?', 'Is it cold in {c} right now?', 'Tell me the weather for {c}.',
            'weather in {c}?', 'Do I need an umbrella in {c}?', 'How warm is it in {c}?', 'What is the temperature in {c}?',
          ]),
      { c: city },
    );
    const args: Record<string, JsonValue> = { [v.keys.place]: city };
    if (fahrenheit) args.unit = 'fahrenheit';
    const unit = fahrenheit ? 'fahrenheit' : 'celsius';
    const temp = fahrenheit ? rng.int(14, 95) : rng.int(-10, 35);
    const condition = rng.pick(WEATHER_CONDITIONS);
    const symbol = fahrenheit ? 'F' : 'C';
    return {
      user, args, entities: [city], need: `the weather in ${city}`, topic: 'the weather',
      result: JSON.stringify({ temperature: temp, condition, unit }),
      resultSummary: `${temp} degrees and ${condition}`,
      final: rng.pick([`It's ${temp}°${symbol} and ${condition} in ${city}.`, `Right now in ${city}: ${temp}°${symbol}, ${condition}.`, `The weather in ${city} is ${condition} at ${temp}°${symbol}.`]),
    };
  },
};

const stock: Family = {
  id: 'stock',
  variant(rng) {
    const key = rng.pick(['symbol', 'ticker']);
    return variantOf(
      'stock', rng,
      ['get_stock_price', 'lookup_stock_price', 'stock_quote', 'get_share_price', 'fetch_stock_price'],
      ['Gets the latest stock price for a ticker symbol.', 'Returns the current share price of a company by ticker.'],
      [[key, stringProp(rng.pick(['Stock ticker symbol, e.g. AAPL', 'The ticker symbol'])), true]], { key },
    );
  },
  scenario(rng, v) {
    const t = rng.pick(TICKERS);
    const byCompany = rng.chance(0.3);
    const user = byCompany
      ? fill(rng.pick(['What is {n} trading at?', 'How much is a share of {n}?', "What's the stock price of {n}?"]), { n: t.company })
      : fill(rng.pick(["What's {s} trading at?", 'Price of {s} stock?', 'How much is one share of {s}?', 'Get me a quote for {s}.', 'What is the stock price of {s}?']), { s: t.symbol });
    const price = money(rng, 10, 900);
    return {
      user, args: { [v.keys.key]: t.symbol }, entities: [t.symbol], need: `the stock price of ${t.symbol}`, topic: 'stock prices',
      result: JSON.stringify({ symbol: t.symbol, price: Number(price), currency: 'USD' }),
      resultSummary: `a price of $${price}`,
      final: rng.pick([`${t.symbol} is trading at $${price}.`, `One share of ${t.symbol} costs $${price} right now.`]),
    };
  },
};

const time: Family = {
  id: 'time',
  variant(rng) {
    const key = rng.pick(['city', 'location']);
    return variantOf(
      'time', rng, ['get_time', 'get_local_time', 'current_time', 'time_in_city', 'get_current_time'],
      ['Gets the current local time in a city.', 'Returns the local time for a location.'],
      [[key, stringProp(rng.pick(['City name', 'The city, e.g. Tokyo'])), true]], { key },
    );
  },
  scenario(rng, v, policy) {
    const city = pickCity(rng, 'time', policy);
    const now = clock(rng);
    return {
      user: fill(rng.pick(['What time is it in {c}?', 'Current time in {c}?', 'Tell me the local time in {c}.', "What's the time in {c} right now?"]), { c: city }),
      args: { [v.keys.key]: city }, entities: [city], need: `the local time in ${city}`, topic: 'the time',
      result: JSON.stringify({ city, time: now }), resultSummary: now,
      final: rng.pick([`It's ${now} in ${city}.`, `The local time in ${city} is ${now}.`]),
    };
  },
};

const population: Family = {
  id: 'population',
  variant(rng) {
    const key = rng.pick(['country', 'name']);
    return variantOf('population', rng, ['get_population', 'country_population', 'lookup_population'],
      ['Gets the population of a country.', 'Returns how many people live in a country.'],
      [[key, stringProp(rng.pick(['Country name', 'The country, e.g. Norway'])), true]], { key });
  },
  scenario(rng, v) {
    const c = rng.pick(COUNTRIES);
    return {
      user: fill(rng.pick(['How many people live in {x}?', "What's the population of {x}?", 'Population of {x}?', 'How big is the population of {x}?']), { x: c.name }),
      args: { [v.keys.key]: c.name }, entities: [c.name], need: `the population of ${c.name}`, topic: 'population numbers',
      result: JSON.stringify({ country: c.name, population: c.population }), resultSummary: c.population,
      final: rng.pick([`${c.name} has about ${c.population} people.`, `About ${c.population} people live in ${c.name}.`]),
    };
  },
};

const currency: Family = {
  id: 'currency',
  variant(rng) {
    const [amount, from, to] = rng.pick([['amount', 'from', 'to'], ['amount', 'from_currency', 'to_currency'], ['value', 'source', 'target']] as const);
    return variantOf('currency', rng, ['convert_currency', 'currency_convert', 'exchange_currency', 'convert_money'],
      ['Converts an amount of money from one currency to another.', 'Currency conversion at today\'s rate.'],
      [[amount, { type: 'number' }, true], [from, stringProp('Currency code, e.g. USD'), true], [to, stringProp('Currency code, e.g. EUR'), true]],
      { amount, from, to });
  },
  scenario(rng, v) {
    const [a, b] = rng.sample(CURRENCIES, 2);
    const n = rng.pick([5, 10, 20, 25, 50, 75, 100, 150, 200, 250, 500, 1000]);
    const converted = ((n * b.perUsd) / a.perUsd).toFixed(2);
    return {
      user: fill(rng.pick(['Convert {n} {a} to {b}.', 'How much is {n} {a} in {b}?', 'What is {n} {a} in {b}?', '{n} {a} to {b}?']), { n, a: a.code, b: b.code }),
      args: { [v.keys.amount]: n, [v.keys.from]: a.code, [v.keys.to]: b.code }, entities: [a.code, b.code],
      need: `${n} ${a.code} in ${b.code}`, topic: 'currency conversion',
      result: JSON.stringify({ amount: Number(converted), currency: b.code }), resultSummary: `${converted} ${b.code}`,
      final: rng.pick([`${n} ${a.code} is about ${converted} ${b.code}.`, `That comes to ${converted} ${b.code}.`]),
    };
  },
};

const translate: Family = {
  id: 'translate',
  variant(rng) {
    const [text, lang] = rng.pick([['text', 'target_language'], ['text', 'language'], ['phrase', 'to']] as const);
    return variantOf('translate', rng, ['translate_text', 'translate', 'translate_phrase'],
      ['Translates text into another language.', 'Translate a short English phrase.'],
      [[text, stringProp('The text to translate'), true], [lang, { type: 'string', enum: [...LANGUAGES] }, true]], { text, lang });
  },
  scenario(rng, v) {
    const phrase = rng.pick(PHRASES);
    const lang = rng.pick(LANGUAGES);
    const translation = phrase.translations[lang];
    return {
      user: fill(rng.pick(['Translate "{p}" into {l}.', 'How do you say "{p}" in {l}?', 'What is "{p}" in {l}?', 'Say "{p}" in {l}.']), { p: phrase.english, l: lang }),
      args: { [v.keys.text]: phrase.english, [v.keys.lang]: lang }, entities: [phrase.english, lang],
      need: `"${phrase.english}" in ${lang}`, topic: 'translations',
      result: JSON.stringify({ translation }), resultSummary: `"${translation}"`,
      final: rng.pick([`In ${lang}, "${phrase.english}" is "${translation}".`, `"${translation}"`]),
    };
  },
};

const flights: Family = {
  id: 'flights',
  variant(rng) {
    const [origin, destination] = rng.pick([['origin', 'destination'], ['from', 'to'], ['from_city', 'to_city']] as const);
    const withDate = rng.chance(0.5);
    const props: (readonly [string, JsonObject, boolean])[] = [[origin, stringProp('Departure city'), true], [destination, stringProp('Arrival city'), true]];
    if (withDate) props.push(['date', stringProp('Travel date, YYYY-MM-DD'), false]);
    return variantOf('flights', rng, ['search_flights', 'find_flights', 'flight_search', 'lookup_flights'],
      ['Searches flights between two cities.', 'Finds available flights from one city to another.'], props, { origin, destination }, withDate ? ['date'] : []);
  },
  scenario(rng, v, policy) {
    const a = pickCity(rng, 'flights', policy);
    const b = pickCity(rng, 'flights', policy, a);
    const dated = v.optional.has('date') && rng.chance(0.4);
    const date = rng.pick(DATES);
    const user = dated
      ? fill(rng.pick(['Find a flight from {a} to {b} on {d}.', 'Any flights from {a} to {b} on {d}?']), { a, b, d: date })
      : fill(rng.pick(['Find me a flight from {a} to {b}.', 'Any flights from {a} to {b}?', 'Search flights {a} to {b}.', 'I need to fly from {a} to {b}.']), { a, b });
    const args: Record<string, JsonValue> = { [v.keys.origin]: a, [v.keys.destination]: b };
    if (dated) args.date = date;
    const airline = rng.pick(AIRLINES);
    const departure = clock(rng);
    const price = rng.int(60, 1400);
    return {
      user, args, entities: [a, b], need: `flights from ${a} to ${b}`, topic: 'flights',
      result: JSON.stringify({ flights: [{ airline, departure, price }] }), resultSummary: `${airline} at ${departure} for $${price}`,
      final: `The best option from ${a} to ${b} is ${airline} at ${departure} for $${price}.`,
    };
  },
};

const define: Family = {
  id: 'define',
  variant(rng) {
    const key = rng.pick(['word', 'term']);
    return variantOf('define', rng, ['define_word', 'dictionary_lookup', 'get_definition', 'lookup_word'],
      ['Looks up the definition of an English word.', 'Returns the meaning of a word.'], [[key, stringProp('The word to define'), true]], { key });
  },
  scenario(rng, v) {
    const d = rng.pick(DEFINITIONS);
    return {
      user: fill(rng.pick(['What does "{w}" mean?', 'Define {w}.', "What's the meaning of {w}?", 'Look up the word {w}.']), { w: d.word }),
      args: { [v.keys.key]: d.word }, entities: [d.word], need: `the meaning of "${d.word}"`, topic: 'definitions',
      result: JSON.stringify({ word: d.word, definition: d.definition }), resultSummary: `"${d.definition}"`,
      final: rng.pick([`"${d.word}" means ${d.definition}.`, `${capitalize(d.word)}: ${d.definition}.`]),
    };
  },
};

const timer: Family = {
  id: 'timer',
  variant(rng) {
    const key = rng.pick(['minutes', 'duration_minutes']);
    const withLabel = rng.chance(0.4);
    const props: (readonly [string, JsonObject, boolean])[] = [[key, { type: 'integer', description: 'Length of the timer in minutes' }, true]];
    if (withLabel) props.push(['label', stringProp('Optional name for the timer'), false]);
    return variantOf('timer', rng, ['set_timer', 'start_timer', 'create_timer'], ['Starts a countdown timer.', 'Sets a timer that rings after some minutes.'], props, { key }, withLabel ? ['label'] : []);
  },
  scenario(rng, v) {
    const n = rng.int(1, 90);
    return {
      user: fill(rng.pick(['Set a timer for {n} minutes.', 'Start a {n} minute timer.', 'Timer for {n} minutes please.', 'Remind me in {n} minutes.']), { n }),
      args: { [v.keys.key]: n }, entities: [String(n)], need: `a timer for ${n} minutes`, topic: 'timers',
      result: JSON.stringify({ status: 'started', minutes: n }), resultSummary: `the timer started for ${n} minutes`,
      final: rng.pick([`Done! Your ${n}-minute timer is running.`, `Timer set for ${n} minutes.`]),
    };
  },
};

const booking: Family = {
  id: 'booking',
  variant(rng) {
    const [restaurant, people, at] = rng.pick([['restaurant', 'people', 'time'], ['restaurant', 'party_size', 'time'], ['venue', 'guests', 'at']] as const);
    return variantOf('booking', rng, ['book_table', 'reserve_table', 'make_reservation'], ['Books a table at a restaurant.', 'Reserves a restaurant table.'],
      [[restaurant, stringProp('Restaurant name'), true], [people, { type: 'integer', description: 'Number of people' }, true], [at, stringProp('Time of the booking'), true]],
      { restaurant, people, at });
  },
  scenario(rng, v) {
    const r = rng.pick(RESTAURANTS);
    const p = rng.int(1, 12);
    const t = rng.pick(TIMES);
    return {
      user: fill(rng.pick(['Book a table for {p} at {r} at {t}.', 'Reserve a table at {r} for {p} people at {t}.', 'Can you get us a table for {p} at {r}, {t}?']), { p, r, t }),
      args: { [v.keys.restaurant]: r, [v.keys.people]: p, [v.keys.at]: t }, entities: [r], need: `a table for ${p} at ${r}`, topic: 'restaurant bookings',
      result: JSON.stringify({ status: 'confirmed', restaurant: r, people: p, time: t }), resultSummary: `a confirmed booking at ${t}`,
      final: `Your table for ${p} at ${r} is booked for ${t}.`,
    };
  },
};

const distance: Family = {
  id: 'distance',
  variant(rng) {
    const [from, to] = rng.pick([['origin', 'destination'], ['from', 'to'], ['city_a', 'city_b']] as const);
    return variantOf('distance', rng, ['get_distance', 'distance_between', 'calculate_distance'],
      ['Gets the distance in kilometers between two cities.', 'Returns how far apart two cities are, in km.'],
      [[from, stringProp('First city'), true], [to, stringProp('Second city'), true]], { from, to });
  },
  scenario(rng, v, policy) {
    const a = pickCity(rng, 'distance', policy);
    const b = pickCity(rng, 'distance', policy, a);
    const km = rng.int(50, 15000);
    return {
      user: fill(rng.pick(['How far is {a} from {b}?', 'What is the distance between {a} and {b}?', 'Distance from {a} to {b}?']), { a, b }),
      args: { [v.keys.from]: a, [v.keys.to]: b }, entities: [a, b], need: `the distance from ${a} to ${b}`, topic: 'distances',
      result: JSON.stringify({ distance_km: km }), resultSummary: `${km} km`, final: `It's about ${km} km from ${a} to ${b}.`,
    };
  },
};

const news: Family = {
  id: 'news',
  variant(rng) {
    const key = rng.pick(['query', 'topic']);
    return variantOf('news', rng, ['search_news', 'get_news', 'latest_news'], ['Searches recent news headlines.', 'Finds the latest headlines on a topic.'],
      [[key, stringProp('What to search for'), true]], { key });
  },
  scenario(rng, v) {
    const topic = rng.pick(NEWS_TOPICS);
    const [h1, h2] = rng.sample([`New progress in ${topic}`, `Experts debate ${topic}`, `${capitalize(topic)} makes the front page`, `What to know about ${topic} this week`], 2);
    return {
      user: fill(rng.pick(['Any news about {t}?', "What's the latest on {t}?", 'Find news about {t}.', 'Show me headlines about {t}.']), { t: topic }),
      args: { [v.keys.key]: topic }, entities: [topic], need: `news about ${topic}`, topic: 'news',
      result: JSON.stringify({ headlines: [h1, h2] }), resultSummary: `two headlines`, final: `Top headline: ${h1}. Also: ${h2}.`,
    };
  },
};

export const FAMILIES: Readonly<Record<FamilyId, Family>> = {
  weather, stock, time, population, currency, translate, flights, define, timer, booking, distance, news,
};

/** `location Oslo, unit fahrenheit` */
function argSummary(args: JsonObject): string {
  return Object.entries(args).map(([key, value]) => `${key} ${String(value)}`).join(', ');
}

function descriptionClause(description: string): string {
  const trimmed = description.endsWith('.') ? description.slice(0, -1) : description;
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

/** The assistant's tool call message (commentary, `<|constrain|>json`, ends with <|call|>). */
export function callMessage(name: string, args: JsonObject): HarmonyMessageJson {
  return { role: 'assistant', channel: 'commentary', recipient: `functions.${name}`, content_type: '<|constrain|>json', content: JSON.stringify(args) };
}

export function toolResult(name: string, output: string): HarmonyMessageJson {
  return { role: 'tool', name: `functions.${name}`, recipient: 'assistant', channel: 'commentary', content: output };
}

/** Call the target tool, read its result, answer. */
export function toolTurn(effort: Effort, target: ToolVariant, s: ToolScenario): Turn {
  const name = target.tool.name;
  const summary = argSummary(s.args);
  const analysis: ByEffort<string> = {
    low: `Need ${s.need}. Call ${name}.`,
    medium: `The user wants ${s.need}. The ${name} tool can do that, so I'll call it with ${summary}.`,
    high: `The user is asking for ${s.need}. Looking at the tools, ${name} fits: ${descriptionClause(target.tool.description)}. I'll call ${name} with ${summary}.`,
  };
  const replies: HarmonyMessageJson[] = [analysisMessage(analysis[effort]), callMessage(name, s.args), toolResult(name, s.result)];
  if (effort === 'medium') replies.push(analysisMessage(`The tool returned ${s.resultSummary}.`));
  if (effort === 'high') replies.push(analysisMessage(`The tool returned ${s.resultSummary}. I'll answer with that.`));
  replies.push(finalMessage(s.final));
  return { kind: 'tool', user: s.user, replies };
}

/** The user asks for something no declared tool provides. */
export function missingToolTurn(effort: Effort, declared: readonly ToolVariant[], s: ToolScenario): Turn {
  const names = declared.map((v) => v.tool.name).join(', ');
  const analysis: ByEffort<string> = {
    low: `Need ${s.need}. No tool for that.`,
    medium: `The user wants ${s.need}, but none of my tools can get that.`,
    high: `The user is asking for ${s.need}. The available tools are ${names}, and none of them does this.`,
  };
  return {
    kind: 'tool-none',
    user: s.user,
    replies: [analysisMessage(analysis[effort]), finalMessage(`Sorry, I don't have a tool for ${s.topic}, so I can't look that up.`)],
  };
}
