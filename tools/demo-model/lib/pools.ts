// Fixed vocabularies of the synthetic data: words for the string tasks, places, tickers, phrases…
// Everything the demo model can name comes from here (its embedding rows for all other tokens are
// zero), so keep the lists plain and common.

/** Lowercase words of 3–8 letters for reverse / length / letter-count / spelling tasks. */
export const WORDS: readonly string[] = [
  'apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'melon', 'peach', 'pear', 'plum',
  'orange', 'kiwi', 'olive', 'onion', 'carrot', 'potato', 'tomato', 'pepper', 'garlic', 'bread',
  'butter', 'cheese', 'coffee', 'tea', 'sugar', 'honey', 'water', 'juice', 'pizza', 'pasta',
  'cat', 'dog', 'horse', 'mouse', 'rabbit', 'tiger', 'lion', 'zebra', 'monkey', 'turtle',
  'eagle', 'parrot', 'shark', 'whale', 'dolphin', 'spider', 'snake', 'frog', 'bear', 'wolf',
  'house', 'garden', 'window', 'door', 'table', 'chair', 'pillow', 'blanket', 'mirror', 'lamp',
  'kitchen', 'bottle', 'basket', 'bucket', 'candle', 'clock', 'pencil', 'paper', 'letter', 'ticket',
  'river', 'ocean', 'forest', 'desert', 'island', 'valley', 'mountain', 'planet', 'rocket', 'comet',
  'cloud', 'storm', 'winter', 'summer', 'spring', 'autumn', 'sunset', 'rainbow', 'thunder', 'breeze',
  'music', 'guitar', 'piano', 'violin', 'drum', 'trumpet', 'song', 'dance', 'poem', 'story',
  'school', 'teacher', 'student', 'library', 'museum', 'market', 'bridge', 'castle', 'temple', 'harbor',
  'red', 'blue', 'green', 'yellow', 'purple', 'silver', 'golden', 'black', 'white', 'brown',
  'happy', 'quiet', 'simple', 'strong', 'bright', 'gentle', 'clever', 'brave', 'little', 'giant',
  'jump', 'swim', 'write', 'read', 'sing', 'travel', 'listen', 'think', 'build', 'paint',
  'level', 'radar', 'kayak', 'civic', 'noon', 'stats', 'refer', 'madam', 'rotor', 'solos',
  'robot', 'laptop', 'phone', 'camera', 'engine', 'wheel', 'magnet', 'puzzle', 'hammer', 'needle',
  'friend', 'family', 'mother', 'father', 'sister', 'brother', 'doctor', 'farmer', 'pilot', 'sailor',
  'smile', 'dream', 'light', 'shadow', 'echo', 'spark', 'stone', 'feather', 'crystal', 'silk',
];

export interface City {
  readonly name: string;
  readonly country: string;
}

export const CITIES: readonly City[] = [
  { name: 'Oslo', country: 'Norway' }, { name: 'Paris', country: 'France' }, { name: 'London', country: 'the UK' },
  { name: 'Berlin', country: 'Germany' }, { name: 'Madrid', country: 'Spain' }, { name: 'Rome', country: 'Italy' },
  { name: 'Lisbon', country: 'Portugal' }, { name: 'Dublin', country: 'Ireland' }, { name: 'Vienna', country: 'Austria' },
  { name: 'Prague', country: 'Czechia' }, { name: 'Warsaw', country: 'Poland' }, { name: 'Athens', country: 'Greece' },
  { name: 'Stockholm', country: 'Sweden' }, { name: 'Helsinki', country: 'Finland' }, { name: 'Copenhagen', country: 'Denmark' },
  { name: 'Amsterdam', country: 'the Netherlands' }, { name: 'Brussels', country: 'Belgium' }, { name: 'Zurich', country: 'Switzerland' },
  { name: 'Tokyo', country: 'Japan' }, { name: 'Osaka', country: 'Japan' }, { name: 'Seoul', country: 'South Korea' },
  { name: 'Beijing', country: 'China' }, { name: 'Shanghai', country: 'China' }, { name: 'Singapore', country: 'Singapore' },
  { name: 'Bangkok', country: 'Thailand' }, { name: 'Mumbai', country: 'India' }, { name: 'Delhi', country: 'India' },
  { name: 'Dubai', country: 'the UAE' }, { name: 'Istanbul', country: 'Turkey' }, { name: 'Cairo', country: 'Egypt' },
  { name: 'Nairobi', country: 'Kenya' }, { name: 'Lagos', country: 'Nigeria' }, { name: 'Cape Town', country: 'South Africa' },
  { name: 'Sydney', country: 'Australia' }, { name: 'Melbourne', country: 'Australia' }, { name: 'Auckland', country: 'New Zealand' },
  { name: 'Toronto', country: 'Canada' }, { name: 'Vancouver', country: 'Canada' }, { name: 'Montreal', country: 'Canada' },
  { name: 'New York', country: 'the US' }, { name: 'Boston', country: 'the US' }, { name: 'Chicago', country: 'the US' },
  { name: 'Seattle', country: 'the US' }, { name: 'San Francisco', country: 'the US' }, { name: 'Los Angeles', country: 'the US' },
  { name: 'Miami', country: 'the US' }, { name: 'Denver', country: 'the US' }, { name: 'Austin', country: 'the US' },
  { name: 'Mexico City', country: 'Mexico' }, { name: 'Lima', country: 'Peru' }, { name: 'Bogota', country: 'Colombia' },
  { name: 'Santiago', country: 'Chile' }, { name: 'Buenos Aires', country: 'Argentina' }, { name: 'Rio de Janeiro', country: 'Brazil' },
  { name: 'Reykjavik', country: 'Iceland' }, { name: 'Edinburgh', country: 'the UK' }, { name: 'Munich', country: 'Germany' },
  { name: 'Barcelona', country: 'Spain' }, { name: 'Milan', country: 'Italy' }, { name: 'Budapest', country: 'Hungary' },
];

export const COUNTRIES: readonly { readonly name: string; readonly population: string }[] = [
  { name: 'Norway', population: '5.5 million' }, { name: 'France', population: '68 million' }, { name: 'Germany', population: '84 million' },
  { name: 'Spain', population: '48 million' }, { name: 'Italy', population: '59 million' }, { name: 'Portugal', population: '10.4 million' },
  { name: 'Ireland', population: '5.3 million' }, { name: 'Austria', population: '9.1 million' }, { name: 'Poland', population: '37 million' },
  { name: 'Greece', population: '10.4 million' }, { name: 'Sweden', population: '10.5 million' }, { name: 'Finland', population: '5.6 million' },
  { name: 'Denmark', population: '5.9 million' }, { name: 'Belgium', population: '11.8 million' }, { name: 'Switzerland', population: '8.8 million' },
  { name: 'Japan', population: '124 million' }, { name: 'China', population: '1.41 billion' }, { name: 'India', population: '1.43 billion' },
  { name: 'Thailand', population: '72 million' }, { name: 'Turkey', population: '85 million' }, { name: 'Egypt', population: '112 million' },
  { name: 'Kenya', population: '55 million' }, { name: 'Nigeria', population: '224 million' }, { name: 'Australia', population: '26 million' },
  { name: 'Canada', population: '40 million' }, { name: 'Mexico', population: '129 million' }, { name: 'Peru', population: '34 million' },
  { name: 'Chile', population: '19.6 million' }, { name: 'Argentina', population: '46 million' }, { name: 'Brazil', population: '216 million' },
  { name: 'Iceland', population: '390 thousand' }, { name: 'Hungary', population: '9.6 million' }, { name: 'Colombia', population: '52 million' },
  { name: 'Vietnam', population: '99 million' }, { name: 'Indonesia', population: '278 million' }, { name: 'Morocco', population: '37 million' },
];

export const TICKERS: readonly { readonly symbol: string; readonly company: string }[] = [
  { symbol: 'AAPL', company: 'Apple' }, { symbol: 'MSFT', company: 'Microsoft' }, { symbol: 'GOOGL', company: 'Alphabet' },
  { symbol: 'AMZN', company: 'Amazon' }, { symbol: 'NVDA', company: 'Nvidia' }, { symbol: 'TSLA', company: 'Tesla' },
  { symbol: 'META', company: 'Meta' }, { symbol: 'NFLX', company: 'Netflix' }, { symbol: 'INTC', company: 'Intel' },
  { symbol: 'AMD', company: 'AMD' }, { symbol: 'IBM', company: 'IBM' }, { symbol: 'ORCL', company: 'Oracle' },
  { symbol: 'ADBE', company: 'Adobe' }, { symbol: 'CSCO', company: 'Cisco' }, { symbol: 'PEP', company: 'PepsiCo' },
  { symbol: 'KO', company: 'Coca-Cola' }, { symbol: 'DIS', company: 'Disney' }, { symbol: 'NKE', company: 'Nike' },
  { symbol: 'SBUX', company: 'Starbucks' }, { symbol: 'WMT', company: 'Walmart' }, { symbol: 'JPM', company: 'JPMorgan' },
  { symbol: 'V', company: 'Visa' }, { symbol: 'MA', company: 'Mastercard' }, { symbol: 'BA', company: 'Boeing' },
  { symbol: 'UBER', company: 'Uber' }, { symbol: 'SHOP', company: 'Shopify' }, { symbol: 'SONY', company: 'Sony' },
  { symbol: 'TM', company: 'Toyota' }, { symbol: 'SAP', company: 'SAP' }, { symbol: 'PYPL', company: 'PayPal' },
];

export const CURRENCIES: readonly { readonly code: string; readonly perUsd: number }[] = [
  { code: 'USD', perUsd: 1 }, { code: 'EUR', perUsd: 0.92 }, { code: 'GBP', perUsd: 0.79 }, { code: 'JPY', perUsd: 151 },
  { code: 'NOK', perUsd: 10.6 }, { code: 'SEK', perUsd: 10.4 }, { code: 'CHF', perUsd: 0.88 }, { code: 'CAD', perUsd: 1.36 },
  { code: 'AUD', perUsd: 1.52 }, { code: 'INR', perUsd: 83 }, { code: 'CNY', perUsd: 7.2 }, { code: 'MXN', perUsd: 17 },
  { code: 'BRL', perUsd: 5 }, { code: 'DKK', perUsd: 6.9 },
];

export const LANGUAGES = ['French', 'Spanish', 'German', 'Italian', 'Portuguese'] as const;
export type Language = (typeof LANGUAGES)[number];

/** English phrase → translation per language. */
export const PHRASES: readonly { readonly english: string; readonly translations: Readonly<Record<Language, string>> }[] = [
  { english: 'good morning', translations: { French: 'bonjour', Spanish: 'buenos días', German: 'guten Morgen', Italian: 'buongiorno', Portuguese: 'bom dia' } },
  { english: 'thank you', translations: { French: 'merci', Spanish: 'gracias', German: 'danke', Italian: 'grazie', Portuguese: 'obrigado' } },
  { english: 'good night', translations: { French: 'bonne nuit', Spanish: 'buenas noches', German: 'gute Nacht', Italian: 'buona notte', Portuguese: 'boa noite' } },
  { english: 'hello', translations: { French: 'salut', Spanish: 'hola', German: 'hallo', Italian: 'ciao', Portuguese: 'olá' } },
  { english: 'see you later', translations: { French: 'à plus tard', Spanish: 'hasta luego', German: 'bis später', Italian: 'a dopo', Portuguese: 'até logo' } },
  { english: 'how are you', translations: { French: 'comment ça va', Spanish: 'cómo estás', German: 'wie geht es dir', Italian: 'come stai', Portuguese: 'como vai' } },
  { english: 'please', translations: { French: "s'il vous plaît", Spanish: 'por favor', German: 'bitte', Italian: 'per favore', Portuguese: 'por favor' } },
  { english: 'welcome', translations: { French: 'bienvenue', Spanish: 'bienvenido', German: 'willkommen', Italian: 'benvenuto', Portuguese: 'bem-vindo' } },
  { english: 'cheers', translations: { French: 'santé', Spanish: 'salud', German: 'prost', Italian: 'salute', Portuguese: 'saúde' } },
  { english: 'excuse me', translations: { French: 'excusez-moi', Spanish: 'disculpe', German: 'entschuldigung', Italian: 'scusi', Portuguese: 'com licença' } },
];

export const DEFINITIONS: readonly { readonly word: string; readonly definition: string }[] = [
  { word: 'ephemeral', definition: 'lasting a very short time' }, { word: 'ubiquitous', definition: 'found everywhere' },
  { word: 'serendipity', definition: 'a lucky accident' }, { word: 'candid', definition: 'honest and direct' },
  { word: 'meticulous', definition: 'very careful about details' }, { word: 'resilient', definition: 'able to recover quickly' },
  { word: 'frugal', definition: 'careful with money' }, { word: 'verbose', definition: 'using more words than needed' },
  { word: 'lucid', definition: 'clear and easy to understand' }, { word: 'pragmatic', definition: 'practical rather than ideal' },
  { word: 'tenacious', definition: 'not giving up easily' }, { word: 'whimsical', definition: 'playful and unusual' },
  { word: 'ambiguous', definition: 'having more than one meaning' }, { word: 'benevolent', definition: 'kind and generous' },
  { word: 'diligent', definition: 'hard-working and careful' }, { word: 'eloquent', definition: 'fluent and persuasive in speech' },
  { word: 'gregarious', definition: 'fond of company' }, { word: 'humble', definition: 'not proud' },
  { word: 'nostalgia', definition: 'a longing for the past' }, { word: 'obsolete', definition: 'no longer in use' },
  { word: 'placid', definition: 'calm and peaceful' }, { word: 'quaint', definition: 'charmingly old-fashioned' },
  { word: 'robust', definition: 'strong and healthy' }, { word: 'sparse', definition: 'thinly scattered' },
  { word: 'vivid', definition: 'bright and intense' }, { word: 'zealous', definition: 'full of energy for a cause' },
  { word: 'arid', definition: 'very dry' }, { word: 'brisk', definition: 'quick and energetic' },
  { word: 'cryptic', definition: 'mysterious or hard to understand' }, { word: 'dormant', definition: 'temporarily inactive' },
];

export const RESTAURANTS: readonly string[] = [
  "Luigi's", 'The Green Fork', 'Sushi Zen', 'Casa Lola', 'Le Petit Bistro', 'Spice Route', 'The Oak Table', 'Blue Harbor',
  'Golden Dragon', 'Bella Napoli', 'Taco Loco', 'The Corner Cafe', 'Olive Garden', 'Nordic Kitchen', 'Curry House', 'Burger Barn',
  'Pasta Palace', 'Seoul Food', 'The Salty Pier', 'Maple Grill',
];

export const NEWS_TOPICS: readonly string[] = [
  'space travel', 'electric cars', 'the Olympics', 'climate change', 'artificial intelligence', 'the stock market',
  'football', 'tennis', 'new movies', 'video games', 'solar power', 'public health', 'the economy', 'elections',
  'science', 'music festivals', 'Mars', 'robots', 'ocean cleanup', 'chess',
];

export const AIRLINES: readonly string[] = ['SkyJet', 'AirNova', 'BlueWing', 'Polar Air', 'Sunline', 'Aerolux', 'Coastal Airways', 'TransGlobe'];

export const WEATHER_CONDITIONS: readonly string[] = ['sunny', 'cloudy', 'rainy', 'snowy', 'windy', 'foggy', 'clear', 'stormy', 'partly cloudy'];

export const DATES: readonly string[] = [
  '2025-01-14', '2025-02-03', '2025-03-21', '2025-04-09', '2025-05-30', '2025-06-12', '2025-07-04', '2025-08-18',
  '2025-09-01', '2025-10-27', '2025-11-11', '2025-12-24', '2026-01-05', '2026-02-16', '2026-03-08', '2026-04-22',
  '2026-05-19', '2026-06-30', '2026-07-15', '2026-08-09', '2026-09-23', '2026-10-02', '2026-11-22', '2026-12-31',
];

export const TIMES: readonly string[] = ['7pm', '8pm', '6:30pm', '7:30pm', '12:00', '13:30', '18:00', '19:00', '20:15', 'noon'];

/** Request topics the demo model declines (out of its depth): "Write a poem about the sea." */
export const OUT_OF_SCOPE_REQUESTS: readonly string[] = [
  'Write a poem about {t}.', 'Tell me a story about {t}.', 'Explain {t} in detail.', 'What is the history of {t}?',
  'Write an essay on {t}.', 'Give me advice about {t}.', 'Summarize the news about {t}.', 'What do you think about {t}?',
  'Can you write code for {t}?', 'Compose a song about {t}.', 'Describe {t} to a child.', 'Debate the pros and cons of {t}.',
];

export const OUT_OF_SCOPE_TOPICS: readonly string[] = [
  'the sea', 'love', 'quantum physics', 'the Roman empire', 'friendship', 'machine learning', 'cooking rice', 'gardening',
  'the moon', 'dinosaurs', 'philosophy', 'the French revolution', 'black holes', 'my cat', 'a sorting algorithm', 'taxes',
  'winter', 'a dragon', 'the internet', 'happiness',
];
