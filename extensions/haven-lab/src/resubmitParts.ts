import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IComment, IReleaseRequest, IRequestFile, fileName } from './api';
import { el, formatDate, labelled, uniqueId } from './dom';

/**
 * What the release dialog needs to revise a returned request: the request as it stands,
 * each file named by the workspace file it was made from (a notebook sent as its .html is
 * read and checked again as the .ipynb), and what the checkers said, oldest first.
 */
export interface IRevision {
  id: string;
  title: string;
  purpose: string;
  version: number;
  files: IRevisedFile[];
  said: string[];
}

export interface IRevisedFile {
  path: string;
  description: string;
  kind: string;
  controls: string[];
  said: string[];
}

/** The panel's files carry `source` (haven_lab.requests.for_the_panel). */
interface IFileWithSource extends IRequestFile {
  source?: string | null;
}

function saying(comment: IComment, prefix = ''): string {
  const when = comment.created ?? comment.time;
  return `${comment.author ?? 'Checker'}${when ? ` (${formatDate(when)})` : ''}: ${prefix}${comment.body ?? ''}`;
}

export function revisionOf(request: IReleaseRequest): IRevision {
  // Every return and rejection reason of every version, then the shared comments: the
  // history stays in front of the author while they revise.
  const reasons = (request.history ?? [])
    .filter(h => h.reason)
    .map(h => `${h.actor ?? 'A checker'}${h.time ? ` (${formatDate(h.time)})` : ''}, ${(h.state ?? '').replace(/_/g, ' ')}${h.version ? ` version ${h.version}` : ''}: ${h.reason}`);
  return {
    id: request.id,
    title: request.title,
    purpose: request.purpose ?? '',
    version: request.version ?? 1,
    files: request.files.map((file: IFileWithSource) => ({
      path: file.source || file.path || fileName(file),
      description: file.description ?? '',
      kind: file.kind ?? 'other',
      controls: file.controls ?? [],
      said: (file.comments ?? []).filter(c => c.body).map(c => saying(c))
    })),
    said: [...reasons, ...(request.comments ?? []).filter(c => c.body).map(c => saying(c))]
  };
}

/** "What the checkers said": a list the author reads while revising (nothing to edit). */
export function saidList(said: string[], label: string): HTMLElement {
  const list = el('ul', { class: 'haven-comments', 'aria-label': label });
  for (const line of said) {
    list.append(el('li', { text: line }));
  }
  return list;
}

const LISTED_FILES = 300;
const LISTED_DEPTH = 3;

/** The files under ``folder`` (Lab's contents API, listings only), for the add-a-file field's suggestions. */
export async function workspaceFiles(folder: string): Promise<string[]> {
  const settings = ServerConnection.makeSettings();
  const found: string[] = [];
  const walk = async (path: string, depth: number): Promise<void> => {
    const url = URLExt.join(settings.baseUrl, 'api/contents', URLExt.encodeParts(path)) + '?content=1';
    const response = await ServerConnection.makeRequest(url, {}, settings);
    if (!response.ok) {
      return;
    }
    const listing = await response.json();
    for (const entry of listing.content ?? []) {
      if (found.length >= LISTED_FILES || entry.name.startsWith('.')) {
        continue;
      }
      if (entry.type === 'directory') {
        if (depth < LISTED_DEPTH) {
          // One folder that cannot be listed (or whose name cannot be put in a URL, such as
          // one with a byte that is not UTF-8) is left out; the rest are still suggested.
          await walk(entry.path, depth + 1).catch(() => undefined);
        }
      } else {
        found.push(entry.path);
      }
    }
  };
  try {
    await walk(folder, 1);
  } catch {
    // Suggestions only: a path can still be typed.
  }
  return found.sort();
}

/**
 * "Add a file from the workspace": a path field with the workspace's files suggested, and
 * a button. ``add`` answers an error to show, or null once the file is in the request.
 */
export function addFileRow(folder: string, add: (path: string) => string | null): HTMLElement {
  const listId = uniqueId('workspace-files');
  const suggestions = el('datalist', { id: listId });
  const field = labelled(
    'Add a file from the workspace',
    el('input', { type: 'text', name: 'add-file', list: listId, autocomplete: 'off' }),
    `Its path, for example ${folder ? `${folder}/` : ''}figure.png; start typing to see your files.`
  );
  const button = el('button', { type: 'button', class: 'jp-Dialog-button jp-mod-styled jp-mod-reject', text: 'Add file' });
  const problem = el('div', { class: 'haven-error', role: 'alert' });
  const addTyped = (): void => {
    const path = field.control.value.trim().replace(/^\/+/, '');
    const refused = path ? add(path) : 'Type the path of a file in the workspace.';
    problem.textContent = refused ?? '';
    if (!refused) {
      field.control.value = '';
    }
  };
  button.addEventListener('click', addTyped);
  field.control.addEventListener('keydown', event => {
    if (event.key === 'Enter') {
      event.preventDefault();
      addTyped();
    }
  });
  void workspaceFiles(folder).then(paths => suggestions.replaceChildren(...paths.map(value => el('option', { value }))));
  return el('div', { class: 'haven-add-file' }, field.row, suggestions, button, problem);
}

/** The folder the request's files came from (Lab's workspace folder), for suggestions. */
export function folderOf(revision: IRevision): string {
  const first = revision.files[0]?.path ?? '';
  return first.includes('/') ? first.split('/')[0] : '';
}
