/**
 * What changed in the analyst's release requests since the panel last looked, and how to say
 * it: pure functions (no JupyterLab imports), unit-tested with Node's own test runner
 * (test/requestNews.test.mjs). The panel (requestsPanel.ts) turns them into notifications.
 */
import type { IComment, IHistoryEntry, IReleaseRequest, IRequestFile } from './api';

/** A request's state as seen once: one per (request, version, state). */
export function stateKey(request: IReleaseRequest): string {
  return `${request.id}:${request.version ?? 1}:${request.state}`;
}

/** The states worth interrupting the analyst for: decisions other people took. */
const NEWS: Readonly<Record<string, 'success' | 'warning' | 'error' | 'info'>> = {
  approved: 'success',
  released: 'success',
  returned: 'warning',
  rejected: 'error',
  revoked: 'error'
};

export interface IChange {
  request: IReleaseRequest;
  /** The state the panel saw before, or null for a request it had not seen. */
  from: string | null;
}

/**
 * The requests whose state is news since `seen` (the stateKeys of the last list).
 * `seen` null is the first look: what is already there is not news.
 */
export function changesSince(seen: ReadonlySet<string> | null, requests: IReleaseRequest[]): IChange[] {
  if (seen === null) {
    return [];
  }
  const before = new Map<string, string>();
  for (const key of seen) {
    const [id, , state] = splitKey(key);
    before.set(id, state);
  }
  return requests
    .filter(r => !seen.has(stateKey(r)) && Object.prototype.hasOwnProperty.call(NEWS, r.state))
    .map(r => ({ request: r, from: before.get(r.id) ?? null }));
}

function splitKey(key: string): [string, string, string] {
  const last = key.lastIndexOf(':');
  const middle = key.lastIndexOf(':', last - 1);
  return [key.slice(0, middle), key.slice(middle + 1, last), key.slice(last + 1)];
}

/** The keys of one list, to compare the next list against. */
export function seenKeys(requests: IReleaseRequest[]): Set<string> {
  return new Set(requests.map(stateKey));
}

export interface INews {
  key: string;
  requestId: string;
  type: 'success' | 'warning' | 'error' | 'info';
  message: string;
}

/** Lab cuts a notification's message at 140 characters: the panel has the whole story. */
export const NOTIFICATION_LENGTH = 140;
const TITLE_LENGTH = 60;

/** What the notification says, in plain words: what happened first, then what fits. */
export function newsOf(change: IChange): INews {
  const request = change.request;
  const short = request.title.length > TITLE_LENGTH ? `${request.title.slice(0, TITLE_LENGTH - 1)}\u2026` : request.title;
  const title = `\u201c${short}\u201d`;
  const reason = decisionEntry(request)?.reason?.trim();
  // "Reason: …." with one full stop whatever the reason ends with.
  const why = reason ? ` Reason: ${reason}${/[.!?]$/.test(reason) ? '' : '.'}` : '';
  let message: string;
  switch (request.state) {
    case 'approved':
      message = fitted(`${title} was approved.`, ' You can download it once a checker releases it.');
      break;
    case 'released':
      message = fitted(`${title} was released.`, ' Download its files from the Releases panel.');
      break;
    case 'returned': {
      const files = filesNeedingChanges(request);
      const which = files.names.length > 0
        ? ` ${files.decided ? 'Needs changes' : 'Checkers commented on'}: ${files.names.join(', ')}.`
        : '';
      message = fitted(`${title} was returned to you for changes.`, which, why);
      break;
    }
    case 'rejected':
      message = fitted(`${title} was rejected.`, why);
      break;
    case 'revoked':
      message = fitted(`The release of ${title} was revoked.`, why);
      break;
    default:
      message = fitted(`${title} is now ${stateWords(request.state).toLowerCase()}.`);
  }
  return { key: stateKey(request), requestId: request.id, type: NEWS[request.state] ?? 'info', message };
}

/** The first part, then each further part that still fits in a notification. */
function fitted(first: string, ...more: string[]): string {
  let message = first;
  for (const part of more) {
    if (part && message.length + part.length <= NOTIFICATION_LENGTH) {
      message += part;
    }
  }
  return message;
}

/**
 * The news not announced yet in this browser session, remembered in `store` (sessionStorage
 * in Lab): a second tab, or the panel reloading, does not announce the same change again.
 */
export function unannounced(news: INews[], store: Pick<Storage, 'getItem' | 'setItem'>): INews[] {
  const STORE_KEY = 'haven-lab:announced-requests';
  let announced: string[] = [];
  try {
    const stored = JSON.parse(store.getItem(STORE_KEY) ?? '[]');
    announced = Array.isArray(stored) ? stored.filter(k => typeof k === 'string') : [];
  } catch {
    announced = []; // unreadable: worst case a change is announced twice
  }
  const fresh = news.filter(n => !announced.includes(n.key));
  if (fresh.length > 0) {
    // The newest few hundred are plenty: an analyst has far fewer open requests.
    const kept = [...announced, ...fresh.map(n => n.key)].slice(-500);
    try {
      store.setItem(STORE_KEY, JSON.stringify(kept));
    } catch {
      // Storage full or refused: announcing still beats staying silent.
    }
  }
  return fresh;
}

/** A state as the analyst reads it ("under_review" → "Under review"). */
export function stateWords(state: string): string {
  const words = state.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The history entry that put the request in its current state, if it carries a reason. */
export function decisionEntry(request: IReleaseRequest): IHistoryEntry | undefined {
  const last = [...(request.history ?? [])].reverse().find(h => h.state === request.state);
  return last && last.reason ? last : undefined;
}

/**
 * Who decided, in plain words: "Returned after review" when the service moved the request on
 * its rule (every file voted on, one vote asked for changes), "Returned by carol" when a
 * person did, "Withdrawn by you" for the analyst's own step.
 */
export function whoDecided(request: IReleaseRequest & { author?: string | null }, entry: IHistoryEntry): string {
  const state = stateWords(request.state);
  if (!entry.actor || entry.actor === 'system') {
    return `${state} after review`;
  }
  if (request.author && entry.actor === request.author) {
    return `${state} by you`;
  }
  return `${state} by ${entry.actor}`;
}

type ICheckerComment = IComment & { decision?: string | null };

/** Votes that mean "this file cannot go out as it is". */
const CHANGES_ASKED = new Set(['request_changes', 'reject']);

/**
 * The files a returned or rejected request's checkers asked changes to, by name. `decided`
 * is true when the votes say so; without votes in the answer, the files the checkers
 * commented on are named instead (decided false), and the panel says "commented on".
 */
export function filesNeedingChanges(
  request: IReleaseRequest & { author?: string | null }
): { names: string[]; decided: boolean } {
  if (request.state !== 'returned' && request.state !== 'rejected') {
    return { names: [], decided: false };
  }
  const byCheckers = (file: IRequestFile): ICheckerComment[] =>
    ((file.comments ?? []) as ICheckerComment[]).filter(c => c.body && (!request.author || c.author !== request.author));
  const files = request.files ?? [];
  const withVotes = files.filter(f => byCheckers(f).some(c => c.decision));
  if (withVotes.length > 0) {
    return {
      names: files.filter(f => byCheckers(f).some(c => CHANGES_ASKED.has(c.decision ?? ''))).map(displayName),
      decided: true
    };
  }
  return { names: files.filter(f => byCheckers(f).length > 0).map(displayName), decided: false };
}

function displayName(file: IRequestFile): string {
  const name = file.name ?? file.path ?? file.id;
  return name.split('/').pop() || name;
}
