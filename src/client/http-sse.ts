// Server-sent events over lines (WHATWG "event stream" interpretation): `data:` lines of one event
// are joined with LF, `event:` names it, lines starting with `:` are comments (keep-alives), a blank
// line dispatches the event. An event still open when the body ends is dispatched too (some servers
// omit the last blank line). The data of one event is bounded like a line.

import { HttpStreamError, type HttpErrorSource } from './http-errors.js';

export interface SseEvent {
  /** `message` unless an `event:` line named it. */
  readonly event: string;
  readonly data: string;
}

function field(line: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon < 0) return [line, ''];
  const value = line.slice(colon + 1);
  return [line.slice(0, colon), value.startsWith(' ') ? value.slice(1) : value];
}

export async function* parseSse(
  lines: AsyncIterable<string>,
  source: HttpErrorSource,
  maxEventChars: number,
): AsyncGenerator<SseEvent, void, undefined> {
  let data: string[] = [];
  let dataChars = 0;
  let event = 'message';
  for await (const line of lines) {
    if (line.length === 0) {
      if (data.length > 0) yield { event, data: data.join('\n') };
      [data, dataChars, event] = [[], 0, 'message'];
      continue;
    }
    if (line.startsWith(':')) continue;
    const [name, value] = field(line);
    if (name === 'data') {
      dataChars += value.length;
      if (dataChars > maxEventChars) throw new HttpStreamError(source, 'line-too-long', `an event's data is longer than ${maxEventChars} characters`);
      data.push(value);
    } else if (name === 'event') event = value;
    // `id:` and `retry:` are not used by chat streams.
  }
  if (data.length > 0) yield { event, data: data.join('\n') };
}
