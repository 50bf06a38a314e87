import { Widget } from '@lumino/widgets';

import {
  FILE_KINDS,
  IPreflightResult,
  IReleaseRequest,
  guessKind,
  newActionKey,
  postJSON,
  splitControls
} from './api';
import { discardQuestion, renderFindings } from './dialogParts';
import { el, labelled, uniqueId } from './dom';
import { smallPreview } from './preview';
import { IRevision, IRevisedFile, addFileRow, folderOf, saidList } from './resubmitParts';

interface IFileFields {
  path: string;
  fieldset: HTMLElement;
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
 *
 * Given a returned request (``revising``), the same form revises it: everything the request
 * said is filled in and editable, files can be removed or added, the checkers' comments are
 * shown, and submitting sends the whole request again as its next version.
 */
export class ReleaseRequestDialog extends Widget {
  constructor(
    readonly paths: string[],
    private readonly onSubmitted: (request: IReleaseRequest) => void = () => {},
    private readonly onCancelled: () => void = () => {},
    private readonly revising: IRevision | null = null
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
    box.append(el('h2', { id: headingId, text: revising ? 'Resubmit request' : 'Request release' }));
    box.append(
      el('p', {
        id: introId,
        text: revising
          ? `Version ${revising.version + 1} of "${revising.title}". Each file is read again from your ` +
            'workspace as it is now. Change what the checkers asked for, check the files again, and say what changed.'
          : 'Files leave Haven only after independent output checkers approve them. ' +
            'Say what each file is and which disclosure controls you applied.'
      })
    );
    if (revising && revising.said.length > 0) {
      box.append(el('h3', { class: 'haven-said-heading', text: 'What the checkers said' }),
        saidList(revising.said, 'What the checkers said'));
    }
    this.titleInput = labelled('Title', el('input', { type: 'text', name: 'title', required: 'true' })).control;
    this.purposeInput = labelled(
      'Purpose',
      el('textarea', { name: 'purpose', rows: '2', required: 'true' }),
      'Why these outputs are needed outside Haven (for example, the paper or report they are for).'
    ).control;
    box.append(this.titleInput.parentElement!, this.purposeInput.parentElement!);
    if (revising) {
      this.titleInput.value = revising.title;
      this.purposeInput.value = revising.purpose;
    }

    box.append(this.fileList);
    if (revising) {
      for (const file of revising.files) {
        this.fileList.append(this.fileFieldset(file.path, file));
      }
      box.append(addFileRow(folderOf(revising), path => this.addFile(path)));
    } else {
      for (const path of paths) {
        this.fileList.append(this.fileFieldset(path));
      }
    }
    box.append(this.includeCodeSlot);
    this.offerIncludeCode();
    if (revising) {
      this.noteInput = labelled(
        'What changed',
        el('textarea', { name: 'note', rows: '3' }),
        'Tell the checkers what you changed since the last version; it is kept with the request.'
      ).control;
      box.append(this.noteInput.parentElement!);
    }

    this.status = el('div', { class: 'haven-status', role: 'status', 'aria-live': 'polite' });
    this.error = el('div', { class: 'haven-error', role: 'alert' });
    box.append(this.status, this.error);

    this.checkButton = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-reject', text: 'Check files' });
    this.submitButton = el('button', {
      type: 'button',
      class: 'jp-Dialog-button jp-mod-styled jp-mod-accept',
      text: revising ? 'Resubmit' : 'Submit request',
      disabled: 'true',
      title: 'Check the files first'
    });
    const cancel = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-reject', text: 'Cancel' });
    box.append(el('div', { class: 'haven-dialog-buttons' }, cancel, this.checkButton, this.submitButton));
    this.discardQuestion = discardQuestion(() => this.keepEditing(), () => this.cancel());
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

  /** The checkbox for notebooks' code, once any file in the request is a notebook. */
  private offerIncludeCode(): void {
    if (this.includeCode || !this.files.some(f => f.path.toLowerCase().endsWith('.ipynb'))) {
      return;
    }
    this.includeCode = el('input', { type: 'checkbox', name: 'include_code' });
    const id = uniqueId('include-code');
    this.includeCode.id = id;
    this.includeCodeSlot.append(
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

  /** A workspace file added while revising; the answer is an error to show, or null. */
  private addFile(path: string): string | null {
    if (this.files.some(f => f.path === path)) {
      return `${path} is already in the request.`;
    }
    const fieldset = this.fileFieldset(path);
    this.fileList.append(fieldset);
    this.offerIncludeCode();
    this.invalidateChecks();
    fieldset.querySelector<HTMLTextAreaElement>('textarea')?.focus();
    return null;
  }

  private removeFile(file: IFileFields): void {
    if (this.files.length === 1) {
      this.showError('A request needs at least one file: add another before removing this one.');
      return;
    }
    this.files.splice(this.files.indexOf(file), 1);
    file.fieldset.remove();
    this.invalidateChecks();
    this.status.textContent = `${file.path} removed from the request.`;
    this.titleInput.focus();
  }

  private fileFieldset(path: string, previous?: IRevisedFile): HTMLElement {
    const fieldset = el('fieldset', { class: 'haven-file' });
    fieldset.append(el('legend', { text: path }));
    if (previous && previous.said.length > 0) {
      fieldset.append(saidList(previous.said, `What the checkers said about ${path}`));
    }
    const description = labelled(
      'Description',
      el('textarea', { rows: '2', name: 'description' }),
      'What the file shows, in words a checker outside the project understands.'
    );
    const kind = el('select', { name: 'kind' });
    const guessed = previous?.kind ?? guessKind(path);
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
    if (previous) {
      description.control.value = previous.description;
      controls.control.value = previous.controls.join('; ');
    }
    const preview = smallPreview(path); // the file as it looks, made small on the server
    if (preview) {
      fieldset.append(preview);
    }
    fieldset.append(description.row, kindField.row, controls.row, findings);
    kind.addEventListener('change', () => this.invalidateChecks());
    const fields: IFileFields = {
      path,
      fieldset,
      description: description.control,
      kind,
      controls: controls.control,
      findings
    };
    this.files.push(fields);
    if (this.revising) {
      const remove = el('button', {
        type: 'button',
        class: 'jp-mod-styled jp-mod-warn haven-remove-file',
        text: 'Remove from request',
        'aria-label': `Remove ${path} from the request`
      });
      remove.addEventListener('click', () => this.removeFile(fields));
      fieldset.append(remove);
    }
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
        renderFindings(file.findings, found);
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
    const body: Record<string, unknown> = {
      title: this.titleInput.value.trim(),
      purpose: this.purposeInput.value.trim(),
      files: this.files.map(f => ({
        path: f.path,
        description: f.description.value.trim(),
        kind: f.kind.value,
        controls: splitControls(f.controls.value)
      })),
      include_code: this.includeCode?.checked ?? false
    };
    // A revision sends every file again, read now from the workspace, with what the
    // form says of it: nothing is carried over unseen from the returned version.
    const endPoint = this.revising ? `requests/${encodeURIComponent(this.revising.id)}/resubmit` : 'requests';
    if (this.noteInput) {
      body.note = this.noteInput.value.trim();
    }
    try {
      const request = await postJSON<IReleaseRequest>(endPoint, body, this.actionKey);
      this.dispose();
      this.onSubmitted(request);
    } catch (error) {
      this.showError(`The request was not submitted: ${(error as Error).message}`);
    }
  }

  private readonly files: IFileFields[] = [];
  private readonly fileList = el('div', { class: 'haven-file-list' });
  private readonly includeCodeSlot = el('div');
  private noteInput: HTMLTextAreaElement | null = null;
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
