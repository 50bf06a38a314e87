import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { IComment, IReleaseRequest, IRequestFile, fileName, newActionKey, postJSON, requestAPI } from './api';
import { el, formatDate, labelled } from './dom';

/** States in which the analyst can still change their mind or revise. */
const WITHDRAWABLE = new Set(['submitted', 'under_review', 'reviewed', 'approved', 'returned']);
const RESUBMITTABLE = new Set(['returned']);

/**
 * The analyst's release requests: state, the checkers' comments, and for released
 * files a link to the egress service on the hub's origin (outside the container).
 */
export class RequestsPanel extends Widget {
  constructor() {
    super();
    this.id = 'haven-requests-panel';
    this.addClass('haven-panel');
    this.title.caption = 'Release requests';
    this.title.label = 'Releases';
    const heading = el('h2', { text: 'Release requests' });
    const refresh = el('button', { type: 'button', class: 'jp-mod-styled haven-refresh', text: 'Refresh' });
    refresh.addEventListener('click', () => void this.refresh());
    this.message = el('div', { class: 'haven-status', role: 'status', 'aria-live': 'polite' });
    this.list = el('ul', { class: 'haven-request-list', 'aria-label': 'Release requests' });
    this.node.append(el('div', { class: 'haven-panel-header' }, heading, refresh), this.message, this.list);
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  /** One call: the server extension fetches the whole list from the egress service at once. */
  async refresh(): Promise<void> {
    this.message.textContent = 'Loading…';
    try {
      const { requests } = await requestAPI<{ requests: IReleaseRequest[] }>('requests');
      this.render(requests);
      this.message.textContent = requests.length === 0 ? 'No release requests yet. Right-click a file and choose "Request release…".' : '';
    } catch (error) {
      this.message.textContent = `Could not load your requests: ${(error as Error).message}`;
    }
  }

  private render(requests: IReleaseRequest[]): void {
    this.list.replaceChildren(...requests.map(r => this.renderRequest(r)));
  }

  private renderRequest(request: IReleaseRequest): HTMLElement {
    const item = el('li', { class: 'haven-request', 'data-request-id': request.id, 'data-state': request.state });
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
    const decision = [...(request.history ?? [])].reverse().find(h => h.reason);
    if (decision && decision.state === request.state) {
      item.append(
        el('p', { class: 'haven-decision-reason' },
          el('strong', { text: `${humanState(request.state)} by ${decision.actor ?? 'a checker'}: ` }),
          decision.reason ?? '')
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
    const body = new Widget();
    const title = labelled('Title', el('input', { type: 'text', name: 'title', maxlength: '200' }));
    title.control.value = request.title;
    const purpose = labelled('Purpose', el('textarea', { rows: '2', name: 'purpose' }));
    purpose.control.value = request.purpose ?? '';
    const note = labelled('What changed', el('textarea', { rows: '3', name: 'note' }),
      'The files are sent again as they are now in your workspace; tell the checkers what you changed.');
    body.node.append(title.row, purpose.row, note.row);
    const answer = await showDialog({
      title: `Resubmit "${request.title}"`,
      body,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Resubmit' })]
    });
    if (!answer.button.accept) {
      return;
    }
    const actionKey = newActionKey();
    await this.act(
      () => postJSON(`requests/${encodeURIComponent(request.id)}/resubmit`, {
        title: title.control.value.trim(),
        purpose: purpose.control.value.trim(),
        files: request.files.map(f => ({
          path: f.path ?? fileName(f),
          kind: f.kind ?? 'other',
          description: f.description ?? '',
          controls: f.controls ?? []
        })),
        note: note.control.value.trim()
      }, actionKey),
      'Request resubmitted.'
    );
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

  private readonly message: HTMLElement;
  private readonly list: HTMLElement;
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
  const words = state.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
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
