import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { Widget } from '@lumino/widgets';

/** Set by the server extension in page_config from HAVEN_PROJECT (haven_lab.page_config). */
export const PROJECT_OPTION = 'havenProject';

/**
 * The project this server works in, in the tab title and the status bar: an analyst in two
 * projects has a tab for each and must see which one a file or a release request is in.
 */
export const projectPlugin: JupyterFrontEndPlugin<void> = {
  id: 'haven-lab:project',
  description: "Shows the server's project in the browser tab title and the status bar.",
  autoStart: true,
  optional: [IStatusBar],
  activate: (app: JupyterFrontEnd, statusBar: IStatusBar | null) => {
    const project = PageConfig.getOption(PROJECT_OPTION);
    if (!project) {
      return;
    }
    const prefix = `${project} · `;
    // Lab rewrites the title whenever the current document changes; prefixing after each
    // rewrite keeps the project in front without replacing Lab's own title logic.
    const keepPrefix = () => {
      if (!document.title.startsWith(prefix)) {
        document.title = prefix + document.title;
      }
    };
    keepPrefix();
    const titleElement = document.querySelector('title');
    if (titleElement) {
      new MutationObserver(keepPrefix).observe(titleElement, { childList: true, characterData: true, subtree: true });
    }
    if (statusBar) {
      const item = new Widget();
      item.addClass('haven-project-status');
      item.node.textContent = `Project: ${project}`;
      item.node.title = `This server belongs to the project ${project}; release requests are filed under it.`;
      statusBar.registerStatusItem('haven-lab:project', { item, align: 'left', rank: -1 });
    }
  }
};
