// What the Releases panel announces and how (src/requestNews.ts), with Node's test runner:
// `npm run build:lib && npm test`, or tests/unit/lab/test_lab_front_end_logic.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nextDelay } from '../lib/liveRequests.js';
import { changesSince, filesNeedingChanges, newsOf, seenKeys, stateKey, unannounced, whoDecided } from '../lib/requestNews.js';

function request(state, fields = {}) {
  return { id: 'r1', title: 'Counts by group', state, version: 1, files: [], comments: [], history: [], ...fields };
}

/** sessionStorage as the browser has it: strings in, strings out. */
function memoryStorage() {
  const values = new Map();
  return { getItem: k => (values.has(k) ? values.get(k) : null), setItem: (k, v) => values.set(k, String(v)) };
}

test('what the first look finds is not news', () => {
  assert.deepEqual(changesSince(null, [request('returned'), request('released', { id: 'r2' })]), []);
});

test('a decision after the first look is news; the same state again is not', () => {
  const seen = seenKeys([request('under_review')]);
  const changes = changesSince(seen, [request('returned')]);
  assert.equal(changes.length, 1);
  assert.equal(changes[0].from, 'under_review');
  assert.deepEqual(changesSince(seenKeys([request('returned')]), [request('returned')]), []);
});

test('only decisions are news: the analyst\'s own steps and review starting are not', () => {
  const seen = seenKeys([request('submitted')]);
  for (const state of ['under_review', 'reviewed', 'withdrawn', 'submitted']) {
    assert.deepEqual(changesSince(seen, [request(state)]), [], state);
  }
  for (const state of ['approved', 'released', 'returned', 'rejected', 'revoked']) {
    assert.equal(changesSince(seen, [request(state)]).length, 1, state);
  }
});

test('returned again after a resubmission is news again (a new version)', () => {
  const seen = seenKeys([request('returned', { version: 1 })]);
  const changes = changesSince(seen, [request('returned', { version: 2 })]);
  assert.equal(changes.length, 1);
  assert.notEqual(stateKey(changes[0].request), [...seen][0]);
});

test('ids with colons are told apart from the version and state', () => {
  const seen = seenKeys([request('submitted', { id: 'a:b' })]);
  assert.equal(changesSince(seen, [request('approved', { id: 'a:b' })])[0].from, 'submitted');
});

test('each change is announced once per browser session', () => {
  const store = memoryStorage();
  const news = [newsOf({ request: request('returned'), from: 'under_review' })];
  assert.equal(unannounced(news, store).length, 1);
  assert.deepEqual(unannounced(news, store), []);
  const later = [newsOf({ request: request('returned', { version: 2 }), from: 'submitted' })];
  assert.equal(unannounced(later, store).length, 1);
});

test('an unreadable memory announces rather than stays silent', () => {
  const store = memoryStorage();
  store.setItem('haven-lab:announced-requests', '{not json');
  assert.equal(unannounced([newsOf({ request: request('rejected'), from: null })], store).length, 1);
  const refusing = { getItem: () => null, setItem: () => { throw new Error('quota'); } };
  assert.equal(unannounced([newsOf({ request: request('rejected'), from: null })], refusing).length, 1);
});

test('the words say what happened, with the reason and the files to change', () => {
  const returned = request('returned', {
    author: 'ada',
    history: [{ state: 'returned', actor: 'system', reason: 'a checker asked for changes' }],
    files: [
      { id: '1', path: 'workspace/out/counts_a.csv', comments: [{ author: 'carol', body: 'round to 5', decision: 'request_changes' }] },
      { id: '2', path: 'workspace/out/counts_b.csv', comments: [{ author: 'carol', body: 'fine', decision: 'approve' }] }
    ]
  });
  const news = newsOf({ request: returned, from: 'under_review' });
  assert.equal(news.type, 'warning');
  assert.equal(news.message,
    '\u201cCounts by group\u201d was returned to you for changes. Needs changes: counts_a.csv. Reason: a checker asked for changes.');
  assert.equal(newsOf({ request: request('released'), from: 'approved' }).type, 'success');
  assert.match(newsOf({ request: request('rejected'), from: 'reviewed' }).message, /was rejected\.$/);
});

test('a notification keeps within what Lab shows (140 characters), what happened first', () => {
  const long = request('returned', {
    title: 'T'.repeat(200),
    history: [{ state: 'returned', actor: 'carol', reason: 'R'.repeat(300) }],
    files: [{ id: '1', path: `workspace/${'f'.repeat(150)}.csv`, comments: [{ author: 'carol', body: 'x' }] }]
  });
  const message = newsOf({ request: long, from: 'under_review' }).message;
  assert.ok(message.length <= 140, message.length);
  assert.match(message, /^\u201cT{59}\u2026\u201d was returned to you for changes\.$/);
  const short = request('rejected', { history: [{ state: 'rejected', actor: 'carol', reason: 'Identifiable' }] });
  assert.equal(newsOf({ request: short, from: 'reviewed' }).message, '\u201cCounts by group\u201d was rejected. Reason: Identifiable.');
});

test('"Returned by system" reads as what happened', () => {
  const returned = request('returned', { author: 'ada' });
  assert.equal(whoDecided(returned, { state: 'returned', actor: 'system', reason: 'x' }), 'Returned after review');
  assert.equal(whoDecided(returned, { state: 'returned', actor: 'carol', reason: 'x' }), 'Returned by carol');
  assert.equal(whoDecided(request('withdrawn', { author: 'ada' }), { state: 'withdrawn', actor: 'ada' }), 'Withdrawn by you');
});

test('files to change: by the votes when the answer has them, else the files commented on', () => {
  const file = (id, comments) => ({ id, path: `workspace/${id}.csv`, comments });
  const voted = request('returned', {
    author: 'ada',
    files: [file('a', [{ author: 'carol', body: 'ok', decision: 'approve' }]),
      file('b', [{ author: 'dave', body: 'cell < 10', decision: 'reject' }])]
  });
  assert.deepEqual(filesNeedingChanges(voted), { names: ['b.csv'], decided: true });
  const commented = request('returned', {
    author: 'ada',
    files: [file('a', []), file('b', [{ author: 'carol', body: 'round these' }]), file('c', [{ author: 'ada', body: 'mine' }])]
  });
  assert.deepEqual(filesNeedingChanges(commented), { names: ['b.csv'], decided: false });
  assert.deepEqual(filesNeedingChanges(request('approved', { files: voted.files })), { names: [], decided: false });
});

test('failures back off, doubling up to the longest wait, and recover at once', () => {
  assert.equal(nextDelay(25_000, 0, 300_000), 25_000);
  assert.equal(nextDelay(25_000, 1, 300_000), 50_000);
  assert.equal(nextDelay(25_000, 3, 300_000), 200_000);
  assert.equal(nextDelay(25_000, 4, 300_000), 300_000);
  assert.equal(nextDelay(25_000, 1000, 300_000), 300_000);
});
