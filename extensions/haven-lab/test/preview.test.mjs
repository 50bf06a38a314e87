// What the preview says it shows, and which files get one (`npm run build:lib && npm test`).
// The browser test (tests/browser/test_preview_in_lab.py) covers the rest against a real Haven.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { baseName, isPreviewable, previewSummary } from '../lib/previewFormat.js';

test('images and tables have a preview, SVG and notebooks do not', () => {
  for (const path of ['out/fig.PNG', 'a.jpg', 'b.jpeg', 'c.gif', 'd.csv', 'e.tsv', 'f.parquet']) {
    assert.ok(isPreviewable(path), path);
  }
  for (const path of ['chart.svg', 'analysis.ipynb', 'notes.md', 'png', 'data.csv.gz']) {
    assert.ok(!isPreviewable(path), path);
  }
  assert.equal(baseName('workspace/out/fig.png'), 'fig.png');
});

test('a shrunk image says both sizes; one shown whole says one', () => {
  const image = { path: 'a.png', name: 'a.png', kind: 'image', width: 800, height: 500 };
  assert.equal(
    previewSummary({ ...image, original_width: 1600, original_height: 1000 }),
    'Preview made on the server, 800 \u00d7 500 of 1600 \u00d7 1000 pixels.'
  );
  assert.equal(
    previewSummary({ ...image, original_width: 800, original_height: 500 }),
    'Preview made on the server, 800 \u00d7 500 pixels.'
  );
});

test('a table says how many rows and columns of how many', () => {
  const table = { path: 't.csv', name: 't.csv', kind: 'table', shown_rows: 50, total_rows: 20000 };
  assert.equal(
    previewSummary({ ...table, total_rows_exact: true, shown_columns: 20, total_columns: 40 }),
    'Showing 50 rows of 20,000, 20 of 40 columns.'
  );
  assert.equal(
    previewSummary({ ...table, total_rows_exact: false, shown_columns: 1, total_columns: 1 }),
    'Showing 50 rows of at least 20,000, 1 column.'
  );
});
