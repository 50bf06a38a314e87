import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { IDataset, requestAPI } from './api';
import { el } from './dom';

/** A granted dataset the analyst library cannot open, and why (haven.survey). */
interface IUnusable {
  name: string;
  problem: string;
}

/** The project's datasets, their columns, and a query snippet to start from. */
export class DatasetsPanel extends Widget {
  constructor(private readonly notebooks: INotebookTracker) {
    super();
    this.id = 'haven-datasets-panel';
    this.addClass('haven-panel');
    this.title.caption = 'Datasets';
    this.title.label = 'Datasets';
    this.message = el('div', { class: 'haven-status', role: 'status', 'aria-live': 'polite' });
    this.list = el('div', { class: 'haven-dataset-list' });
    this.node.append(el('div', { class: 'haven-panel-header' }, el('h2', { text: 'Datasets' })), this.message, this.list);
  }

  protected onAfterShow(): void {
    if (!this.loaded) {
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    this.message.textContent = 'Loading…';
    try {
      const { datasets, unusable = [] } = await requestAPI<{ datasets: IDataset[]; unusable?: IUnusable[] }>(
        'datasets'
      );
      this.loaded = true;
      // A dataset that cannot be used is named with why, so the analyst can tell the administrator.
      this.list.replaceChildren(
        ...datasets.map(d => this.renderDataset(d)),
        ...unusable.map(u => el('section', { class: 'haven-dataset haven-dataset-unusable', 'data-dataset': u.name },
          el('h3', { text: u.name }), el('p', { text: `Cannot be used: ${u.problem}` })))
      );
      this.message.textContent = datasets.length + unusable.length === 0 ? 'This project has no datasets granted.' : '';
    } catch (error) {
      this.message.textContent = `Could not list the datasets: ${(error as Error).message}`;
    }
  }

  private renderDataset(dataset: IDataset): HTMLElement {
    const section = el('section', { class: 'haven-dataset', 'data-dataset': dataset.name, 'aria-label': dataset.name });
    section.append(el('h3', { text: dataset.name }), el('p', { text: dataset.description }));
    // A list, not a table: the side panel is narrow, and each description needs a line.
    const columns = el('dl', { class: 'haven-columns', 'aria-label': `Columns of ${dataset.name}` });
    for (const column of dataset.columns) {
      columns.append(
        el('dt', {}, el('code', { text: column.name }), el('span', { class: 'haven-column-type', text: ` ${column.type}` })),
        el('dd', { text: column.description || '(no description)' })
      );
    }
    const details = el('details', {}, el('summary', { text: `${dataset.columns.length} columns` }), columns);
    const insert = el('button', {
      type: 'button',
      class: 'jp-mod-styled jp-mod-accept haven-insert-snippet',
      text: 'Insert query',
      'aria-label': `Insert a query on ${dataset.name} into the notebook`
    });
    insert.addEventListener('click', () => this.insert(dataset));
    section.append(details, el('pre', { class: 'haven-snippet', text: dataset.snippet }), insert);
    return section;
  }

  /** Into the active cell when it is empty, else into a new cell below it. */
  insert(dataset: IDataset): void {
    const panel = this.notebooks.currentWidget;
    if (!panel) {
      this.message.textContent = 'Open a notebook first, then insert the query.';
      return;
    }
    const notebook = panel.content;
    const active = notebook.activeCell;
    if (!active || active.model.type !== 'code' || active.model.sharedModel.getSource().trim() !== '') {
      NotebookActions.insertBelow(notebook);
      NotebookActions.changeCellType(notebook, 'code');
    }
    notebook.activeCell?.model.sharedModel.setSource(dataset.snippet);
    this.message.textContent = `Inserted a query on ${dataset.name} into ${panel.context.path}.`;
  }

  private loaded = false;
  private readonly message: HTMLElement;
  private readonly list: HTMLElement;
}
