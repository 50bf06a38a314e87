/** Wording and file types of the preview (pure: tested in Node, test/preview.test.mjs). */

/** What the server extension (haven_lab.preview) answers for one file. */
export interface IPreview {
  path: string;
  name: string;
  kind: 'image' | 'table';
  // image
  media_type?: string;
  data?: string;
  width?: number;
  height?: number;
  original_width?: number;
  original_height?: number;
  // table
  html?: string;
  shown_rows?: number;
  total_rows?: number;
  total_rows_exact?: boolean;
  shown_columns?: number;
  total_columns?: number;
}

/** The types the server previews; SVG is not one of them (it can carry script). */
const PREVIEWABLE = ['.png', '.jpg', '.jpeg', '.gif', '.csv', '.tsv', '.tab', '.parquet', '.pq'];

export function baseName(path: string): string {
  return path.split('/').pop() || path;
}

export function isPreviewable(path: string): boolean {
  const lower = path.toLowerCase();
  return PREVIEWABLE.some(suffix => lower.endsWith(suffix));
}

function count(value: number | undefined): string {
  return (value ?? 0).toLocaleString('en-GB');
}

function plural(value: number | undefined, one: string, many: string): string {
  return `${count(value)} ${value === 1 ? one : many}`;
}

/** The line under a preview: how much of the file it shows. */
export function previewSummary(preview: IPreview): string {
  if (preview.kind === 'image') {
    const shown = `${preview.width} \u00d7 ${preview.height}`;
    const original = `${preview.original_width} \u00d7 ${preview.original_height}`;
    return shown === original
      ? `Preview made on the server, ${shown} pixels.`
      : `Preview made on the server, ${shown} of ${original} pixels.`;
  }
  const total = preview.total_rows_exact ? count(preview.total_rows) : `at least ${count(preview.total_rows)}`;
  const rows = `Showing ${plural(preview.shown_rows, 'row', 'rows')} of ${total}`;
  const columns =
    preview.shown_columns === preview.total_columns
      ? plural(preview.total_columns, 'column', 'columns')
      : `${count(preview.shown_columns)} of ${count(preview.total_columns)} columns`;
  return `${rows}, ${columns}.`;
}
