import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { Widget } from '@lumino/widgets';

import { IComment, IReleaseRequest, IRequestFile, fileName, postJSON } from './api';
import { el, formatDate, labelled } from './dom';
import { egressPageUrl } from './ingressLink';
import { Poller, nextDelay } from './liveRequests';
import {
  changesSince, decisionEntry, filesNeedingChanges, newsOf, seenKeys, stateWords, unannounced, whoDecided
} from './requestNews';
import { fetchRequests } from './requestsList';
import { ReleaseRequestDialog } from './requestDialog';
import { revisionOf } from './resubmitParts';

/** States in which the analyst can still change their mind or revise. */
const WITHDRAWABLE = new Set(['submitted', 'under_review', 'reviewed', 'approved', 'returned']);
const RESUBMITTABLE = new Set(['returned']);
/** A look at the list every 25 s while the tab is visible; up to 5 minutes apart while it fails. */
export const LOOK_EVERY_MS = 25_000;
const LONGEST_WAIT_MS = 300_000;
const NO_REQUESTS = 'No release requests yet. Right-click a file and choose "Request release\u2026".';

/**
 * The analyst's release requests: state, the checkers' comments, and for released
 * files a link to the egress service on the hub's origin (outside the container).
 * It keeps itself current (liveRequests.Poller) and announces decisions (requestNews).
 */
export class RequestsPanel extends Widget {
  /** `reveal` opens the panel in Lab's side bar (a notification's "Show request"). */
  constructor(options: { reveal?: () => void } = {}) {
    super();
    this.reveal = options.reveal ?? (() => undefined);
    this.id = 'haven-requests-panel';
    this.addClass('haven-panel');
    this.title.caption = 'Release requests';
    this.title.label = 'Releases';
    const heading = el('h2', { text: 'Release requests' });
    const refresh = el('button', { type: 'button', class: 'jp-mod-styled haven-refresh', text: 'Refresh' });
    refresh.addEventListener('click', () => void this.refresh());
    this.message = el('div', { class: 'haven-status', role: 'status', 'aria-live': 'polite' });
    this.list = el('ul', { class: 'haven-request-list', 'aria-label': 'Release requests' });
    this.leftOut = el('p', { class: 'haven-left-out' });
    this.node.append(el('div', { class: 'haven-panel-header' }, heading, refresh), this.message, this.list,
      this.leftOut);
    this.poller = new Poller(() => this.look(), {
      interval: LOOK_EVERY_MS,
      longest: LONGEST_WAIT_MS,
      hidden: () => document.visibilityState === 'hidden'
    });
  }

  protected onAfterAttach(): void {
    document.addEventListener('visibilitychange', this.onVisibilityChange);
    this.poller.start();
  }

  protected onBeforeDetach(): void {
    document.removeEventListener('visibilitychange', this.onVisibilityChange);
    this.poller.stop();
  }

  protected onAfterShow(): void {
    void this.poller.now();
  }

  /**
   * The list now (Refresh, after an action, the command that opens the panel): one call, the
   * server extension fetches the whole list from the egress service at once; a look already
   * under way serves instead of a second call.
   */
  async refresh(): Promise<void> {
    if (this.shown === null) {
      this.message.textContent = 'Loading\u2026';
    }
    await this.poller.now();
  }

  /** Opens the panel on one request (a notification's "Show request"). */
  showRequest(requestId: string): void {
    this.reveal();
    const item = this.list.querySelector<HTMLElement>(`[data-request-id="${CSS.escape(requestId)}"]`);
    if (item) {
      item.scrollIntoView({ block: 'nearest' });
      item.focus();
    }
  }

  /** One look at the list: true when it answered. Never throws (the Poller backs off on false). */
  private async look(): Promise<boolean> {
    try {
      const answer = await fetchRequests(this.etag);
      let news = '';
      if (answer !== null) {
        this.etag = answer.etag;
        news = this.showList(answer.requests);
        this.showLeftOut(answer.leftOut);
      }
      this.message.textContent = news || (this.shown !== null && this.shown.length === 0 ? NO_REQUESTS : '');
      return true;
    } catch (error) {
      const wait = Math.round(nextDelay(LOOK_EVERY_MS, this.poller.failing + 1, LONGEST_WAIT_MS) / 1000);
      const why = (error as Error).message.replace(/[.\s]+$/, '');
      this.message.textContent = `Could not load your requests: ${why}. Trying again in ${wait} s.`;
      return false;
    }
  }

  /** Past the newest 200, the list says how many older ones it leaves out, and where they all are. */
  private showLeftOut(count: number): void {
    this.leftOut.replaceChildren();
    if (count > 0) {
      const page = egressPageUrl(PageConfig.getOption('hubPrefix') || '/hub/', 'mine');
      this.leftOut.append(
        `${count} older request${count === 1 ? ' is' : 's are'} not shown here; `,
        el('a', { href: page, target: '_blank', rel: 'noopener', text: 'My requests' }),
        ' on the review service lists them all.'
      );
    }
  }

  /** Says something in the panel's status line until the next look (after an action). */
  say(text: string): void {
    this.message.textContent = text;
  }

  /**
   * Redrawn only when something changed, so focus and scroll survive the looks in between.
   * Answers what the panel itself should say of the news: while the panel is in view, a decision
   * is said in its status line and kept in Lab's notification centre, not toasted over the
   * panel's own buttons (the toasts sit on the right, where the panel is).
   */
  private showList(requests: IReleaseRequest[]): string {
    const fingerprint = JSON.stringify(requests);
    if (fingerprint !== this.fingerprint) {
      this.fingerprint = fingerprint;
      this.render(requests);
    }
    const changes = changesSince(this.seen, requests);
    this.seen = seenKeys(requests);
    this.shown = requests;
    const inView = this.isVisible && document.visibilityState === 'visible';
    const said: string[] = [];
    for (const news of unannounced(changes.map(newsOf), window.sessionStorage)) {
      if (inView) {
        said.push(news.message);
      }
      Notification.emit(news.message, news.type, {
        // 0: into the notification centre only. Out of view, a return or a rejection waits
        // for the analyst; good news goes by itself.
        autoClose: inView ? 0 : news.type === 'success' ? 15_000 : false,
        actions: [{
          label: 'Show request',
          caption: 'Open the Releases panel on this request',
          callback: () => this.showRequest(news.requestId)
        }]
      });
    }
    return said.join(' ');
  }

  private render(requests: IReleaseRequest[]): void {
    const focused = document.activeElement;
    const focusedIn = focused instanceof HTMLElement && this.list.contains(focused)
      ? focused.closest<HTMLElement>('[data-request-id]')?.dataset.requestId : undefined;
    this.list.replaceChildren(...requests.map(r => this.renderRequest(r)));
    if (focusedIn !== undefined) {
      this.list.querySelector<HTMLElement>(`[data-request-id="${CSS.escape(focusedIn)}"]`)?.focus();
    }
  }

  private renderRequest(request: IReleaseRequest): HTMLElement {
    // tabindex -1: "Show request" moves focus here, Tab does not stop on it.
    const item = el('li', { class: 'haven-request', 'data-request-id': request.id, 'data-state': request.state, tabindex: '-1' });
    item.append(
      el('h3', { text: request.title }),
      el('p', { class: 'haven-request-meta' },
        el('span', { class: `haven-state haven-state-${request.state}`, text: humanState(request.state) }),
        request.created ? ` \u00b7 ${formatDate(request.created)}` : '',
        request.version && request.version > 1 ? ` \u00b7 version ${request.version}` : '')
    );
    if (request.purpose) {
      item.append(el('p', { class: 'haven-request-purpose', text: request.purpose }));
    }
    const decision = decisionEntry(request);
    if (decision) {
      item.append(
        el('p', { class: 'haven-decision-reason' },
          el('strong', { text: `${whoDecided(request, decision)}: ` }),
          decision.reason ?? '')
      );
    }
    const needing = filesNeedingChanges(request);
    if (needing.names.length > 0) {
      item.append(
        el('p', { class: 'haven-needs-changes' },
          el('strong', { text: needing.decided ? 'Needs changes: ' : 'Checkers commented on: ' }),
          needing.names.join(', '))
      );
    }
    const files = el('ul', { class: 'haven-request-files', 'aria-label': 'Files' });
    for (const file of request.files) {
      files.append(renderFile(file));
    }
    item.append(files);
    const shared: IComment[] = [
      ...(request.comments ?? []),
      ...request.files.flatMap(f => (f.comments ?? []).map(c => ({ ...c, body: `${fileName(f)}: ${c.body ?? ''}` })))
    ].filter(c => c.body);
    if (shared.length > 0) {
      const comments = el('ul', { class: 'haven-comments', 'aria-label': "Checkers' comments" });
      for (const comment of shared) {
        const when = comment.created ?? comment.time;
        comments.append(
          el('li', {},
            el('span', { class: 'haven-comment-author', text: `${comment.author ?? 'Checker'}${when ? ` (${formatDate(when)})` : ''}: ` }),
            comment.body ?? '')
        );
      }
      item.append(comments);
    }
    const actions = el('div', { class: 'haven-request-actions' });
    if (RESUBMITTABLE.has(request.state)) {
      const resubmit = el('button', { type: 'button', class: 'jp-mod-styled', text: 'Resubmit…' });
      resubmit.addEventListener('click', () => void this.resubmit(request));
      actions.append(resubmit);
    }
    if (WITHDRAWABLE.has(request.state)) {
      const withdraw = el('button', { type: 'button', class: 'jp-mod-styled jp-mod-warn', text: 'Withdraw' });
      withdraw.addEventListener('click', () => void this.withdraw(request));
      actions.append(withdraw);
    }
    if (actions.childElementCount > 0) {
      item.append(actions);
    }
    return item;
  }

  private async withdraw(request: IReleaseRequest): Promise<void> {
    const body = new Widget();
    const reason = labelled('Why (optional)', el('textarea', { rows: '2', name: 'reason' }),
      'Kept in the request\u2019s history, for the checkers and for you.');
    body.node.append(el('p', { text: `Withdraw "${request.title}"? Checkers will no longer see it.` }), reason.row);
    const answer = await showDialog({
      title: 'Withdraw request',
      body,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Withdraw' })]
    });
    if (!answer.button.accept) {
      return;
    }
    const why = reason.control.value.trim();
    await this.act(
      () => postJSON(`requests/${encodeURIComponent(request.id)}/withdraw`, why ? { reason: why } : {}),
      'Request withdrawn.'
    );
  }

  private async resubmit(request: IReleaseRequest): Promise<void> {
    // The release dialog, as a full edit of the request (requestDialog.ts, resubmitParts.ts).
    const done = async (): Promise<void> => {
      await this.refresh();
      this.message.textContent = 'Request resubmitted.';
    };
    new ReleaseRequestDialog([], () => void done(), () => {}, revisionOf(request)).open();
  }

  private async act(action: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await action();
      await this.refresh();
      this.message.textContent = done;
    } catch (error) {
      this.message.textContent = `That did not work: ${(error as Error).message}`;
    }
  }

  private readonly onVisibilityChange = (): void => this.poller.visibilityChanged();
  private readonly reveal: () => void;
  private readonly poller: Poller;
  private readonly message: HTMLElement;
  private readonly list: HTMLElement;
  private readonly leftOut: HTMLElement;
  private etag: string | null = null;
  private fingerprint = '';
  /** The last list shown (null before the first answer) and its states, to tell news. */
  private shown: IReleaseRequest[] | null = null;
  private seen: Set<string> | null = null;
}

function renderFile(file: IRequestFile): HTMLElement {
  const item = el('li', { class: 'haven-request-file' });
  if (file.download_url) {
    // The egress service serves the download on the hub's origin, outside this
    // container; the browser fetches it with the analyst's hub login.
    const link = el('a', { href: file.download_url, download: baseName(fileName(file)), class: 'haven-download', text: `Download ${fileName(file)}` });
    link.addEventListener('click', event => void downloadThroughEgress(event, link));
    item.append(link);
  } else {
    item.append(el('span', { text: fileName(file) }));
  }
  if (file.state) {
    item.append(` \u2014 ${humanState(file.state)}`);
  }
  return item;
}

export function humanState(state: string): string {
  return stateWords(state);
}

function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

/**
 * The egress API answers 401 to a browser that has not signed in to the egress service
 * yet (it never redirects API calls). Opening one of its pages first signs in through the
 * hub's OAuth (no prompt: the hub trusts its own service), then the download proceeds.
 */
async function downloadThroughEgress(event: MouseEvent, link: HTMLAnchorElement): Promise<void> {
  if (link.dataset.probed === 'true') {
    delete link.dataset.probed; // the click below: let the browser download
    return;
  }
  const href = link.href;
  const at = href.indexOf('api/files/');
  if (at < 0) {
    return;
  }
  event.preventDefault();
  const base = href.slice(0, at);
  let answer: Response | null = null;
  try {
    answer = await fetch(`${base}mine`, { credentials: 'same-origin', redirect: 'follow' });
  } catch {
    // No answer at all (the sign-in's redirects, the hub away): the download below then
    // shows what there is to show.
    answer = null;
  }
  // Down or restarting, the service is answered for by the hub's proxy, whose page says
  // "Your server appears to be down": the analyst would look at the wrong server.
  if (answer !== null && answer.status >= 500) {
    Notification.error(REVIEW_SERVICE_DOWN, { autoClose: false });
    return;
  }
  link.dataset.probed = 'true';
  link.click();
}

export const REVIEW_SERVICE_DOWN =
  'The review service (Haven\'s egress service) is not answering, perhaps because it is restarting. ' +
  'Your notebook server and your files are fine: try the download again in a minute.';
