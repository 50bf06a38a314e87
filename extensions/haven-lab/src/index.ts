import {
  ILabShell,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { postJSON } from './api';
import { DatasetsPanel } from './datasetsPanel';
import { ingressPlugin } from './ingress';
import { previewPlugin } from './preview';
import { projectPlugin } from './project';
import { ReleaseRequestDialog } from './requestDialog';
import { RequestsPanel } from './requestsPanel';

/**
 * The friendly path out. The core plugins that download or export are disabled by this
 * package's `jupyterlab.disabledExtensions`; the boundary itself is on the server, which
 * refuses /files/, /nbconvert/ and binary contents reads whatever the browser asks.
 */
namespace CommandIDs {
  export const requestRelease = 'haven:request-release';
  export const requestOutputRelease = 'haven:request-output-release';
  export const openRequests = 'haven:open-requests';
}

const releaseIcon = new LabIcon({
  name: 'haven-lab:release',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M5 20h14v-2H5v2zm7-18-5.5 5.5 1.4 1.4L11 5.8V16h2V5.8l3.1 3.1 1.4-1.4L12 2z"/></svg>'
});
const datasetsIcon = new LabIcon({
  name: 'haven-lab:datasets',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" d="M12 3C7.6 3 4 4.3 4 6v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6c0-1.7-3.6-3-8-3zm0 2c3.9 0 6 1.1 6 1s-2.1 1-6 1-6-.9-6-1 2.1-1 6-1zm6 13c0 .1-2.1 1-6 1s-6-.9-6-1v-2.3c1.5.8 3.6 1.3 6 1.3s4.5-.5 6-1.3V18zm0-5c0 .1-2.1 1-6 1s-6-.9-6-1v-2.3c1.5.8 3.6 1.3 6 1.3s4.5-.5 6-1.3V13z"/></svg>'
});

const panels: JupyterFrontEndPlugin<RequestsPanel> = {
  id: 'haven-lab:panels',
  description: 'The Release requests and Datasets side panels.',
  autoStart: true,
  requires: [ILabShell, INotebookTracker],
  activate: (app: JupyterFrontEnd, shell: ILabShell, notebooks: INotebookTracker) => {
    // A notification's "Show request" opens the panel in the side bar.
    const requests: RequestsPanel = new RequestsPanel({ reveal: () => shell.activateById(requests.id) });
    requests.title.icon = releaseIcon;
    shell.add(requests, 'right', { rank: 900 });
    const datasets = new DatasetsPanel(notebooks);
    datasets.title.icon = datasetsIcon;
    shell.add(datasets, 'left', { rank: 150 });
    app.commands.addCommand(CommandIDs.openRequests, {
      label: 'Release requests',
      execute: async args => {
        shell.activateById(requests.id);
        await requests.refresh();
        if (typeof args.announce === 'string') {
          requests.say(args.announce);
        }
      }
    });
    return requests;
  }
};

const exportsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'haven-lab:exports',
  description: 'Turns File \u203a Download and the export menus into "Request release\u2026".',
  autoStart: true,
  requires: [IFileBrowserFactory, INotebookTracker],
  optional: [IMainMenu],
  activate: (
    app: JupyterFrontEnd,
    browsers: IFileBrowserFactory,
    notebooks: INotebookTracker,
    mainMenu: IMainMenu | null
  ) => {
    const afterSubmit = () => {
      // The panel opens on the new request and says so; a toast would sit over its buttons.
      Notification.success('Release request submitted. Follow it in the Release requests panel.', { autoClose: 0 });
      void app.commands.execute(CommandIDs.openRequests, { announce: 'Release request submitted.' });
    };
    const selectedFiles = (): string[] =>
      Array.from(browsers.tracker.currentWidget?.selectedItems() ?? [])
        .filter(item => item.type !== 'directory')
        .map(item => item.path);
    const currentDocument = async (): Promise<string | null> => {
      const widget = app.shell.currentWidget as any;
      const context = widget?.context;
      if (!context?.path) {
        return null;
      }
      // The server reads the file from disk: what is sent is what is saved.
      if (context.model?.dirty) {
        await context.save();
      }
      return context.path as string;
    };

    app.commands.addCommand(CommandIDs.requestRelease, {
      label: 'Request release\u2026',
      caption: 'Ask output checkers to release files from Haven',
      icon: releaseIcon,
      execute: async args => {
        let paths = (args.paths as string[] | undefined) ?? [];
        if (paths.length === 0 && args.source === 'filebrowser') {
          paths = selectedFiles();
        }
        if (paths.length === 0) {
          const current = await currentDocument();
          paths = current ? [current] : selectedFiles();
        }
        if (paths.length === 0) {
          Notification.warning('Select one or more files in the file browser, or open the document to release.');
          return;
        }
        new ReleaseRequestDialog(paths, afterSubmit).open();
      }
    });

    app.commands.addCommand(CommandIDs.requestOutputRelease, {
      label: 'Request release of this output',
      icon: releaseIcon,
      execute: async () => {
        const hit = app.contextMenuHitTest(node => node.classList.contains('jp-OutputArea-child'));
        const panel = notebooks.currentWidget;
        if (!hit || !panel) {
          return;
        }
        const cell = panel.content.widgets.findIndex(c => c.node.contains(hit));
        const siblings = Array.from(hit.parentElement?.children ?? []).filter(n =>
          n.classList.contains('jp-OutputArea-child')
        );
        const output = siblings.indexOf(hit);
        try {
          if (panel.context.model.dirty) {
            await panel.context.save();
          }
          const saved = await postJSON<{ path: string; created: boolean }>('outputs', {
            notebook: panel.context.path,
            cell,
            output
          });
          // Saved only to be sent: a cancelled request leaves no copy of the output behind
          // (one written by an earlier request stays, it may be what that request sent).
          const forget = async () => {
            if (saved.created) {
              await app.serviceManager.contents.delete(saved.path).catch(error =>
                Notification.warning(`${saved.path} could not be removed: ${(error as Error).message}`)
              );
            }
          };
          new ReleaseRequestDialog([saved.path], afterSubmit, () => void forget()).open();
        } catch (error) {
          Notification.error(`This output could not be saved for release: ${(error as Error).message}`);
        }
      }
    });

    app.contextMenu.addItem({
      command: CommandIDs.requestRelease,
      args: { source: 'filebrowser' },
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 3
    });
    app.contextMenu.addItem({
      command: CommandIDs.requestOutputRelease,
      selector: '.jp-Notebook .jp-OutputArea-child',
      rank: 0
    });
    if (mainMenu) {
      mainMenu.fileMenu.addGroup([{ command: CommandIDs.requestRelease }], 6);
    }
  }
};

export default [panels, exportsPlugin, ingressPlugin, projectPlugin, previewPlugin];
