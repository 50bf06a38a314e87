import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IToolbarWidgetRegistry } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ToolbarButton, fileUploadIcon } from '@jupyterlab/ui-components';

import { INGRESS_TOOLTIP, ingressPageUrl } from './ingressLink';

const BRING_IN = 'haven:bring-file-in';

/**
 * The friendly path in. The server refuses uploads into the project (haven_lab.uploads),
 * naming the ingress page; here the file browser's upload button becomes a link to it, and
 * File › "Bring a file in…" opens it.
 */
export const ingressPlugin: JupyterFrontEndPlugin<void> = {
  id: 'haven-lab:ingress',
  description: 'Replaces the file browser upload with a link to the reviewed ingress page.',
  autoStart: true,
  optional: [IToolbarWidgetRegistry, IMainMenu, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    toolbars: IToolbarWidgetRegistry | null,
    mainMenu: IMainMenu | null,
    browser: IDefaultFileBrowser | null
  ) => {
    const url = ingressPageUrl(PageConfig.getOption('hubPrefix') || '/hub/');
    const open = () => window.open(url, '_blank', 'noopener');
    app.commands.addCommand(BRING_IN, {
      label: 'Bring a file in\u2026',
      caption: INGRESS_TOOLTIP,
      icon: fileUploadIcon,
      execute: open
    });
    const button = () =>
      new ToolbarButton({ icon: fileUploadIcon, tooltip: INGRESS_TOOLTIP, className: 'haven-bring-in', onClick: open });
    if (toolbars) {
      // Same item name as the stock upload button: used whenever the toolbar is built after this.
      toolbars.addFactory('FileBrowser', 'uploader', button);
    }
    if (browser) {
      // The stock button is hidden by style/ingress.css whichever plugin built it; this one
      // sits beside it once the file browser is up.
      void app.restored.then(() => {
        if (!browser.toolbar.node.querySelector('.haven-bring-in')) {
          browser.toolbar.insertAfter('uploader', 'haven-bring-in', button()) ||
            browser.toolbar.addItem('haven-bring-in', button());
        }
      });
    }
    if (mainMenu) {
      mainMenu.fileMenu.addGroup([{ command: BRING_IN }], 7);
    }
  }
};
