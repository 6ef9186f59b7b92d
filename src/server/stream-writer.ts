// Writers of streamed replies on a raw Node response: SSE (`data: {json}\n\n`, `data: [DONE]`) for
// the OpenAI routes, NDJSON (`{json}\n`) for the Ollama routes. Each write goes to the socket at
// once (one token, one chunk). While nothing else is written (a request waiting in the queue, a
// long prefill) an SSE comment keeps the connection and the client's idle timer alive.
// `onClose` fires when the client goes away before the reply was finished.

import type { ServerResponse } from 'node:http';

export type StreamKind = 'sse' | 'ndjson';

const CONTENT_TYPE: Record<StreamKind, string> = { sse: 'text/event-stream; charset=utf-8', ndjson: 'application/x-ndjson' };
export const HEARTBEAT_MS = 10_000;

export class StreamWriter {
  private finished = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastWriteMs = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly kind: StreamKind,
    headers: Readonly<Record<string, string>> = {},
    heartbeatMs = HEARTBEAT_MS,
  ) {
    res.writeHead(200, { 'content-type': CONTENT_TYPE[kind], 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no', ...headers });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    this.lastWriteMs = Date.now();
    if (kind === 'sse') {
      this.heartbeat = setInterval(() => {
        if (Date.now() - this.lastWriteMs >= heartbeatMs) this.raw(': keep-alive\n\n');
      }, heartbeatMs);
      this.heartbeat.unref();
    }
    res.on('close', () => this.stopHeartbeat());
  }

  /** The client is gone or the reply ended. */
  get closed(): boolean {
    return this.finished || this.res.destroyed || this.res.writableEnded;
  }

  write(value: unknown): void {
    const json = JSON.stringify(value);
    this.raw(this.kind === 'sse' ? `data: ${json}\n\n` : `${json}\n`);
  }

  /** SSE: `data: [DONE]`; then ends the response. */
  end(): void {
    if (this.finished) return;
    if (this.kind === 'sse') this.raw('data: [DONE]\n\n');
    this.finished = true;
    this.stopHeartbeat();
    if (!this.res.destroyed) this.res.end();
  }

  private raw(text: string): void {
    if (this.closed) return;
    this.lastWriteMs = Date.now();
    this.res.write(text);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** An AbortController aborted when the client disconnects before `res` finished; `onDisconnect` logs it. */
export function disconnectSignal(res: ServerResponse, onDisconnect?: () => void): AbortController {
  const controller = new AbortController();
  res.on('close', () => {
    if (res.writableFinished) return;
    controller.abort(new Error('client disconnected'));
    onDisconnect?.();
  });
  return controller;
}

export const disconnectMessage = (requestId: number): string => `req#${requestId} client disconnected: request cancelled, GPU freed`;
