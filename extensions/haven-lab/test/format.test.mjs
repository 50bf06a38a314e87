// Unit tests of the dialog's and panel's wording helpers (Node's test runner; run
// `npm run build:lib && npm test`). The browser test covers the rest against a real Haven.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FILE_KINDS, describeFinding, fileName, guessKind, newActionKey, splitControls } from '../lib/format.js';

test('every guessed kind is one the egress service accepts', () => {
  const kinds = new Set(FILE_KINDS.map(([value]) => value));
  for (const path of ['a.csv', 'b.PNG', 'c.ipynb', 'd.py', 'e.md', 'f.bin', 'no-extension']) {
    assert.ok(kinds.has(guessKind(path)), path);
  }
  assert.equal(guessKind('out/admissions_by_region.CSV'), 'frequency_table');
  assert.equal(guessKind('figure.svg'), 'figure');
  assert.equal(guessKind('analysis.ipynb'), 'notebook');
  assert.equal(guessKind('archive.tar.gz'), 'other');
});

test('controls split on semicolons and lines, blanks dropped', () => {
  assert.deepEqual(splitControls('counts below 10 suppressed; rounded to 5\n\n  ; '), [
    'counts below 10 suppressed',
    'rounded to 5'
  ]);
  assert.deepEqual(splitControls('   '), []);
});

test('a finding names its cell by row labels and column', () => {
  const finding = {
    rule: 'min_frequency',
    verdict: 'fail',
    message: '1 cell below 10 in t.csv',
    row: { region: 'South West', sex: 'I' },
    column: 'admissions',
    value: 4
  };
  assert.equal(describeFinding(finding), 'region South West, sex I; admissions = 4 (min frequency)');
});

test('a finding without a cell falls back to its message, then its rule', () => {
  assert.equal(describeFinding({ rule: 'free_text', verdict: 'review', message: 'free text needs a person' }),
    'free text needs a person');
  assert.equal(describeFinding({ rule: 'free_text', verdict: 'review', row: null }), 'free_text: review');
  assert.equal(describeFinding({ rule: 'zeros', verdict: 'fail', row: 3, column: 'n', value: 0 }),
    'row 3; n = 0 (zeros)');
});

test('a file is named by its name, else its path, else its id', () => {
  assert.equal(fileName({ id: '7', name: 'a.csv', path: 'workspace/a.csv' }), 'a.csv');
  assert.equal(fileName({ id: '7', path: 'workspace/a.csv' }), 'workspace/a.csv');
  assert.equal(fileName({ id: '7' }), '7');
});

test('an action key is a fresh random (version 4) UUID, as the server extension requires', () => {
  const keys = new Set(Array.from({ length: 50 }, () => newActionKey()));
  assert.equal(keys.size, 50);
  for (const key of keys) {
    assert.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
});
