/** Voting as a client does it: votes with a cookie of one's own, the results, the live stream. */
import { request, type JsonResponse } from './stack.js';

export interface Results {
  question: string;
  total: number;
  options: Array<{ id: string; label: string; votes: number }>;
}

/** The `voter_id` a `Set-Cookie` answer issued, if any. */
export function issuedVoterId(response: JsonResponse): string | undefined {
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('voter_id='));
  return cookie?.slice('voter_id='.length).split(';')[0];
}

/** A browser's view of one voter: it keeps the cookie it is given and sends it back. */
export class Voter {
  id: string | undefined;
  /** The option of this voter's last vote answered 202. */
  lastAccepted: string | undefined;
  /** The vote log ids of this voter's accepted votes, with their options, in the order accepted. */
  readonly accepted: Array<[string, string]> = [];
  /** The votes that were not answered 202 (the option, and the status or error), for failure messages. */
  readonly refused: Array<[string, string]> = [];

  constructor(
    readonly base: string,
    id?: string,
  ) {
    this.id = id;
  }

  async vote(option: string | unknown, body?: string): Promise<JsonResponse<any>> {
    const headers: Record<string, string> = this.id === undefined ? {} : { cookie: `voter_id=${this.id}` };
    const response = await request(this.base, 'POST', '/api/votes', body ?? { option }, headers);
    this.id = issuedVoterId(response) ?? this.id;
    if (response.status === 202 && typeof option === 'string') {
      this.lastAccepted = option;
      this.accepted.push([(response.body as { id: string }).id, option]);
    }
    return response;
  }

  /** Votes until the vote is answered 202, as a client retries after a 503 or a lost connection. */
  async voteUntilAccepted(option: string, deadlineMs = 60_000): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    for (let attempts = 1; ; attempts++) {
      const response = await this.vote(option).catch((error: unknown) => {
        this.refused.push([option, String(error)]);
        return undefined;
      });
      if (response?.status === 202) return attempts;
      if (response !== undefined) this.refused.push([option, `${response.status} ${JSON.stringify(response.body)}`]);
      if (response !== undefined && response.status < 500) throw new Error(`vote answered ${response.status}`);
      if (Date.now() > deadline) throw new Error(`vote not accepted within ${deadlineMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function results(base: string): Promise<Results> {
  const response = await request<Results>(base, 'GET', '/api/results');
  if (response.status !== 200) throw new Error(`GET /api/results answered ${response.status}`);
  return response.body;
}

export const countsOf = (value: Results) =>
  Object.fromEntries(value.options.map((option) => [option.id, option.votes]));

/** What the voters' last accepted votes add up to, per option. */
export function expectedCounts(voters: Voter[], optionIds: string[]): Record<string, number> {
  const expected = Object.fromEntries(optionIds.map((id) => [id, 0]));
  for (const voter of voters) if (voter.lastAccepted !== undefined) expected[voter.lastAccepted]! += 1;
  return expected;
}

export interface ResultsStream {
  /** Every `results` event received so far. */
  events: Results[];
  /** Resolves with the first event (received or to come) that `matches`. */
  next(matches: (value: Results) => boolean, timeoutMs?: number): Promise<Results>;
  /** The raw text received, comments included. */
  readonly text: string;
  close(): void;
}

/** Opens `GET /api/results/stream` and parses its events as they come. */
export async function openResultsStream(base: string): Promise<ResultsStream> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/results/stream`, {
    headers: { accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`the stream answered ${response.status}`);
  const events: Results[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  let buffer = '';
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        const part = decoder.decode(chunk as Uint8Array, { stream: true });
        text += part;
        buffer += part;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (!lines.includes('event: results')) continue;
          const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
          events.push(JSON.parse(data.join('\n')) as Results);
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    get text() {
      return text;
    },
    async next(matches, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(matches);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching results event within ${timeoutMs} ms: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, Math.min(left, 200));
        });
      }
    },
    close: () => controller.abort(),
  };
}
