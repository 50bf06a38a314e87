import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { imageIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { requestAPI } from './api';
import { el, uniqueId } from './dom';
import { IPreview, baseName, isPreviewable, previewSummary } from './previewFormat';

export { isPreviewable };

/**
 * A preview of the analyst's own images and tables (issue 15). The server extension reads
 * the file and answers with something new made from it (haven_lab.preview): an image decoded
 * and re-encoded small, or the first rows of a table; never the file's bytes, and metered
 * like every answer. Here that answer is only shown.
 */
const PREVIEW = 'haven:preview';

function fetchPreview(path: string, size: 'full' | 'small'): Promise<IPreview> {
  return requestAPI<IPreview>(`preview?${new URLSearchParams({ path, size })}`);
}

/**
 * The server's table, rebuilt from its text: the server escapes every cell already, and
 * this keeps only table, row and cell elements and their text, so nothing else in the
 * answer could ever become markup (DOMParser runs no script).
 */
function rebuiltTable(html: string, name: string): HTMLTableElement {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  const table = el('table', { class: 'haven-preview-table', 'aria-label': `First rows of ${name}` });
  for (const section of ['thead', 'tbody'] as const) {
    const target = el(section);
    for (const row of Array.from(parsed.querySelectorAll(`${section} > tr`))) {
      const tr = el('tr');
      for (const cell of Array.from(row.children)) {
        const header = cell.tagName === 'TH';
        tr.append(el(header ? 'th' : 'td', header ? { scope: 'col', text: cell.textContent ?? '' } : { text: cell.textContent ?? '' }));
      }
      target.append(tr);
    }
    table.append(target);
  }
  return table;
}

/** One preview as a figure: the image (alt text: the file's name) or the table, and what it shows. */
export function renderPreview(preview: IPreview, small = false): HTMLElement {
  const figure = el('figure', { class: small ? 'haven-preview haven-preview-small' : 'haven-preview' });
  if (preview.kind === 'image' && /^image\/(png|jpeg)$/.test(preview.media_type ?? '') && preview.data) {
    figure.append(
      el('img', {
        src: `data:${preview.media_type};base64,${preview.data}`,
        alt: preview.name,
        width: String(preview.width),
        height: String(preview.height)
      })
    );
  } else if (preview.kind === 'table' && typeof preview.html === 'string') {
    // Focusable, so a keyboard can scroll a table wider or longer than its box.
    figure.append(
      el(
        'div',
        { class: 'haven-preview-scroll', tabindex: '0', role: 'region', 'aria-label': `Preview of ${preview.name}` },
        rebuiltTable(preview.html, preview.name)
      )
    );
  }
  figure.append(el('figcaption', { text: previewSummary(preview) }));
  return figure;
}

/**
 * A small preview of one file for the release dialog, filled in when the server answers;
 * null for a file that has no preview (a notebook, a script).
 */
export function smallPreview(path: string): HTMLElement | null {
  if (!isPreviewable(path)) {
    return null;
  }
  const slot = el('div', { class: 'haven-preview-slot', 'aria-live': 'polite', text: 'Loading a preview\u2026' });
  fetchPreview(path, 'small')
    .then(preview => slot.replaceChildren(renderPreview(preview, true)))
    .catch(error => {
      slot.textContent = `No preview: ${(error as Error).message}`;
    });
  return slot;
}

/** A main-area tab with one file's preview. */
export class PreviewWidget extends Widget {
  constructor(readonly path: string) {
    super();
    this.id = uniqueId('preview');
    this.addClass('haven-preview-panel');
    this.title.label = `Preview: ${baseName(path)}`;
    this.title.caption = `Preview of ${path}, made on the server`;
    this.title.icon = imageIcon;
    this.title.closable = true;
    this.heading = el('h2', { text: `Preview of ${baseName(path)}`, tabindex: '-1' });
    this.body = el('div', { 'aria-live': 'polite' });
    this.node.append(this.heading, this.body);
  }

  async refresh(): Promise<void> {
    this.body.replaceChildren(el('p', { text: 'Loading\u2026' }));
    try {
      this.body.replaceChildren(renderPreview(await fetchPreview(this.path, 'full')));
    } catch (error) {
      this.body.replaceChildren(el('p', { class: 'haven-error', text: `No preview: ${(error as Error).message}` }));
    }
  }

  /** Keyboard focus lands on the new tab, so a screen reader announces what opened. */
  focusHeading(): void {
    this.heading.focus();
  }

  private readonly heading: HTMLElement;
  private readonly body: HTMLElement;
}

/** The file browser's context menu "Preview" on images and tables. */
export const previewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'haven-lab:preview',
  description: 'Previews images and tables from the workspace, rendered small on the server.',
  autoStart: true,
  requires: [IFileBrowserFactory],
  activate: (app: JupyterFrontEnd, browsers: IFileBrowserFactory) => {
    const open = new Map<string, PreviewWidget>();
    const selected = (): string[] =>
      Array.from(browsers.tracker.currentWidget?.selectedItems() ?? [])
        .filter(item => item.type !== 'directory' && isPreviewable(item.path))
        .map(item => item.path);
    app.commands.addCommand(PREVIEW, {
      label: 'Preview',
      caption: 'Show an image or the first rows of a table, made small on the server',
      icon: imageIcon,
      isVisible: () => selected().length > 0,
      execute: async args => {
        const paths = (args.path as string | undefined) ? [args.path as string] : selected();
        for (const path of paths) {
          let widget = open.get(path);
          if (!widget || widget.isDisposed) {
            widget = new PreviewWidget(path);
            open.set(path, widget);
            app.shell.add(widget, 'main');
          }
          app.shell.activateById(widget.id);
          widget.focusHeading();
          await widget.refresh();
        }
      }
    });
    app.contextMenu.addItem({ command: PREVIEW, selector: '.jp-DirListing-item[data-isdir="false"]', rank: 2 });
  }
};
