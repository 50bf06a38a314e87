import { Widget } from '@lumino/widgets';

import {
  FILE_KINDS,
  IPreflightResult,
  IReleaseRequest,
  describeFinding,
  guessKind,
  newActionKey,
  postJSON,
  splitControls
} from './api';
import { el, labelled, uniqueId } from './dom';

interface IFileFields {
  path: string;
  description: HTMLTextAreaElement;
  kind: HTMLSelectElement;
  controls: HTMLInputElement;
  findings: HTMLElement;
}

/**
 * The release request form, shown as a modal dialog.
 *
 * Submitting is possible only after "Check files" has run the same disclosure checks
 * the egress service runs, so the analyst sees the findings while they can still fix them.
 */
export class ReleaseRequestDialog extends Widget {
  constructor(
    readonly paths: string[],
    private readonly onSubmitted: (request: IReleaseRequest) => void = () => {},
    private readonly onCancelled: () => void = () => {}
  ) {
    super();
    this.addClass('haven-modal-backdrop');
    const headingId = uniqueId('dialog-title');
    const introId = uniqueId('dialog-intro');
    const box = el('div', {
      class: 'haven-dialog',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': headingId,
      'aria-describedby': introId
    });
    box.append(el('h2', { id: headingId, text: 'Request release' }));
    box.append(
      el('p', {
        id: introId,
        text:
          'Files leave Haven only after independent output checkers approve them. ' +
          'Say what each file is and which disclosure controls you applied.'
      })
    );
    this.titleInput = labelled('Title', el('input', { type: 'text', name: 'title', required: 'true' })).control;
    this.purposeInput = labelled(
      'Purpose',
      el('textarea', { name: 'purpose', rows: '2', required: 'true' }),
      'Why these outputs are needed outside Haven (for example, the paper or report they are for).'
    ).control;
    box.append(this.titleInput.parentElement!, this.purposeInput.parentElement!);

    for (const path of paths) {
      box.append(this.fileFieldset(path));
    }
    if (paths.some(p => p.toLowerCase().endsWith('.ipynb'))) {
      this.includeCode = el('input', { type: 'checkbox', name: 'include_code' });
      const id = uniqueId('include-code');
      this.includeCode.id = id;
      box.append(
        el(
          'div',
          { class: 'haven-field haven-checkbox' },
          this.includeCode,
          el('label', {
            for: id,
            text: 'Include code in the rendered notebook (checkers see the outputs either way)'
          })
        )
      );
      this.includeCode.addEventListener('change', () => this.invalidateChecks());
    }

    this.status = el('div', { class: 'haven-status', role: 'status', 'aria-live': 'polite' });
    this.error = el('div', { class: 'haven-error', role: 'alert' });
    box.append(this.status, this.error);

    this.checkButton = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-reject', text: 'Check files' });
    this.submitButton = el('button', {
      type: 'button',
      class: 'jp-Dialog-button jp-mod-styled jp-mod-accept',
      text: 'Submit request',
      disabled: 'true',
      title: 'Check the files first'
    });
    const cancel = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-reject', text: 'Cancel' });
    box.append(el('div', { class: 'haven-dialog-buttons' }, cancel, this.checkButton, this.submitButton));
    this.discardQuestion = this.discardConfirmation();
    box.append(this.discardQuestion);
    this.node.append(box);

    cancel.addEventListener('click', () => this.cancel());
    this.checkButton.addEventListener('click', () => void this.check());
    this.submitButton.addEventListener('click', () => void this.submit());
    // Another Submit after an error is the same action (the first may have been filed);
    // once anything is edited it is a new one.
    this.node.addEventListener('input', () => {
      this.actionKey = newActionKey();
    });
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.escape();
      } else if (event.key === 'Tab') {
        this.keepFocusInside(event);
      }
    });
  }

  /** Shows the dialog over the whole page and puts the cursor in the title. */
  open(): void {
    this.returnFocusTo = document.activeElement as HTMLElement | null;
    Widget.attach(this, document.body);
    this.titleInput.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const previous = this.returnFocusTo;
    super.dispose();
    previous?.focus?.();
  }

  /** Closed without submitting: whatever was saved only for this request can go. */
  private cancel(): void {
    this.dispose();
    this.onCancelled();
  }

  /** Escape is easy to press by accident: a form with anything typed in asks first. */
  private escape(): void {
    if (!this.discardQuestion.hidden) {
      this.keepEditing();
    } else if (this.halfFilled()) {
      this.discardQuestion.hidden = false;
      this.discardQuestion.querySelector<HTMLButtonElement>('button')?.focus();
    } else {
      this.cancel();
    }
  }

  private halfFilled(): boolean {
    const typed = [this.titleInput, this.purposeInput, ...this.files.flatMap(f => [f.description, f.controls])];
    return typed.some(field => field.value.trim() !== '');
  }

  private keepEditing(): void {
    this.discardQuestion.hidden = true;
    this.titleInput.focus();
  }

  private discardConfirmation(): HTMLElement {
    const questionId = uniqueId('discard-question');
    const keep = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-accept', text: 'Keep editing' });
    const discard = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-warn', text: 'Discard' });
    keep.addEventListener('click', () => this.keepEditing());
    discard.addEventListener('click', () => this.cancel());
    const question = el(
      'div',
      { class: 'haven-discard', role: 'alertdialog', 'aria-labelledby': questionId },
      el('p', { id: questionId, text: 'Discard this release request? What you typed will be lost.' }),
      el('div', { class: 'haven-dialog-buttons' }, keep, discard)
    );
    question.hidden = true;
    return question;
  }

  /** A modal dialog keeps keyboard focus: Tab from the last control wraps to the first. */
  private keepFocusInside(event: KeyboardEvent): void {
    // Controls inside a hidden part (the discard question while it is not asked) take no
    // focus: counting them would let Tab leave the dialog past the last visible control.
    const focusable = Array.from(
      this.node.querySelectorAll<HTMLElement>('input, textarea, select, button:not([disabled])')
    ).filter(control => control.closest('[hidden]') === null);
    if (focusable.length === 0) {
      return;
    }
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  private fileFieldset(path: string): HTMLElement {
    const fieldset = el('fieldset', { class: 'haven-file' });
    fieldset.append(el('legend', { text: path }));
    const description = labelled(
      'Description',
      el('textarea', { rows: '2', name: 'description' }),
      'What the file shows, in words a checker outside the project understands.'
    );
    const kind = el('select', { name: 'kind' });
    const guessed = guessKind(path);
    for (const [value, label] of FILE_KINDS) {
      const option = el('option', { value, text: label });
      option.selected = value === guessed;
      kind.append(option);
    }
    const kindField = labelled('Kind', kind);
    const controls = labelled(
      'Disclosure controls applied',
      el('input', { type: 'text', name: 'controls' }),
      'Separate several with semicolons, for example: counts below 10 suppressed; rounded to the nearest 5.'
    );
    const findings = el('div', { class: 'haven-findings', 'aria-live': 'polite' });
    fieldset.append(description.row, kindField.row, controls.row, findings);
    kind.addEventListener('change', () => this.invalidateChecks());
    this.files.push({
      path,
      description: description.control,
      kind,
      controls: controls.control,
      findings
    });
    return fieldset;
  }

  /** A change the checks depend on means they must run again before submitting. */
  private invalidateChecks(): void {
    this.checked = false;
    this.submitButton.disabled = true;
  }

  private setBusy(message: string): void {
    this.status.textContent = message;
    this.error.textContent = '';
    this.checkButton.disabled = true;
    this.submitButton.disabled = true;
  }

  private showError(message: string, field?: HTMLElement): void {
    this.error.textContent = message;
    this.status.textContent = '';
    this.checkButton.disabled = false;
    this.submitButton.disabled = !this.checked;
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }

  async check(): Promise<void> {
    this.setBusy('Checking files…');
    try {
      const result = await postJSON<{ files: IPreflightResult[] }>('preflight', {
        files: this.files.map(f => ({ path: f.path, kind: f.kind.value })),
        include_code: this.includeCode?.checked ?? false
      });
      for (const file of this.files) {
        const found = result.files.find(r => r.path === file.path);
        this.renderFindings(file.findings, found);
      }
      const flagged = result.files.filter(r => r.verdict !== 'pass').length;
      this.checked = true;
      this.checkButton.disabled = false;
      this.submitButton.disabled = false;
      this.submitButton.removeAttribute('title');
      this.status.textContent =
        flagged === 0
          ? 'Checks passed: no findings.'
          : `${flagged} of ${result.files.length} file(s) have findings the checkers will see. Fix them, or explain in the description, then submit.`;
    } catch (error) {
      this.showError(`The files could not be checked: ${(error as Error).message}`);
    }
  }

  private renderFindings(node: HTMLElement, result?: IPreflightResult): void {
    node.replaceChildren();
    if (!result) {
      node.append(el('p', { text: 'No check result for this file.' }));
      return;
    }
    const verdict = result.verdict ?? 'error';
    node.dataset.verdict = verdict;
    const labels: Record<string, string> = {
      pass: 'Passed',
      fail: 'Fails the checks',
      review: 'Needs a checker\u2019s review',
      error: 'Could not be checked'
    };
    const summary = result.summary || result.error || '';
    node.append(
      el('p', { class: `haven-verdict haven-verdict-${verdict}` },
        el('strong', { text: labels[verdict] ?? verdict }), summary ? ` \u2014 ${summary}` : '')
    );
    const findings = (result.findings ?? []).filter(f => f.verdict !== 'pass');
    if (findings.length > 0) {
      const list = el('ul', { class: 'haven-finding-list', 'aria-label': `Findings for ${result.path}` });
      for (const finding of findings.slice(0, 20)) {
        list.append(el('li', { 'data-rule': finding.rule, text: describeFinding(finding) }));
      }
      if (findings.length > 20) {
        list.append(el('li', { text: `\u2026 and ${findings.length - 20} more` }));
      }
      node.append(list);
    }
  }

  async submit(): Promise<void> {
    for (const field of [this.titleInput, this.purposeInput, ...this.files.map(f => f.description)]) {
      field.removeAttribute('aria-invalid');
    }
    if (!this.titleInput.value.trim()) {
      return this.showError('Give the request a title.', this.titleInput);
    }
    if (!this.purposeInput.value.trim()) {
      return this.showError('Say what the outputs are for.', this.purposeInput);
    }
    const undescribed = this.files.find(f => !f.description.value.trim());
    if (undescribed) {
      return this.showError(`Describe ${undescribed.path}.`, undescribed.description);
    }
    if (!this.checked) {
      return this.showError('Check the files before submitting.', this.checkButton);
    }
    this.setBusy('Submitting…');
    try {
      const request = await postJSON<IReleaseRequest>('requests', {
        title: this.titleInput.value.trim(),
        purpose: this.purposeInput.value.trim(),
        files: this.files.map(f => ({
          path: f.path,
          description: f.description.value.trim(),
          kind: f.kind.value,
          controls: splitControls(f.controls.value)
        })),
        include_code: this.includeCode?.checked ?? false
      }, this.actionKey);
      this.dispose();
      this.onSubmitted(request);
    } catch (error) {
      this.showError(`The request was not submitted: ${(error as Error).message}`);
    }
  }

  private readonly files: IFileFields[] = [];
  private readonly titleInput: HTMLInputElement;
  private readonly purposeInput: HTMLTextAreaElement;
  private includeCode: HTMLInputElement | null = null;
  private readonly status: HTMLElement;
  private readonly error: HTMLElement;
  private readonly checkButton: HTMLButtonElement;
  private readonly submitButton: HTMLButtonElement;
  private readonly discardQuestion: HTMLElement;
  private checked = false;
  private actionKey = newActionKey();
  private returnFocusTo: HTMLElement | null = null;
}
