// The Releases panel's own refresh (src/liveRequests.ts) on a fake clock, with Node's test
// runner: `npm run build:lib && npm test`, or tests/unit/lab/test_lab_front_end_logic.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Poller } from '../lib/liveRequests.js';

/** Timers that run only when the test says so. */
function fakeClock() {
  let now = 0;
  let timers = [];
  return {
    setTimer: (callback, ms) => {
      const timer = { at: now + ms, callback };
      timers.push(timer);
      return timer;
    },
    clearTimer: timer => { timers = timers.filter(t => t !== timer); },
    pending: () => timers.map(t => t.at - now),
    async advance(ms) {
      now += ms;
      const due = timers.filter(t => t.at <= now);
      timers = timers.filter(t => t.at > now);
      for (const timer of due) {
        timer.callback();
      }
      await settle();
    }
  };
}

const settle = () => new Promise(resolve => setImmediate(resolve));

function poller(look, { hidden = () => false } = {}) {
  const clock = fakeClock();
  const p = new Poller(look, { interval: 25_000, longest: 300_000, hidden, ...clock });
  return { clock, p };
}

test('looks at once when started, then once every interval', async () => {
  let looks = 0;
  const { clock, p } = poller(async () => { looks += 1; return true; });
  p.start();
  p.start(); // idempotent
  await settle();
  assert.equal(looks, 1);
  assert.deepEqual(clock.pending(), [25_000]);
  await clock.advance(25_000);
  assert.equal(looks, 2);
  await clock.advance(24_999);
  assert.equal(looks, 2);
  await clock.advance(1);
  assert.equal(looks, 3);
  p.stop();
  assert.deepEqual(clock.pending(), []);
});

test('never two looks at once: a look asked for during one shares its answer', async () => {
  let looks = 0;
  let finish;
  const { clock, p } = poller(() => { looks += 1; return new Promise(resolve => { finish = resolve; }); });
  p.start();
  await settle();
  const refresh = p.now();
  const another = p.now();
  assert.equal(looks, 1);
  assert.equal(refresh, another);
  assert.deepEqual(clock.pending(), []); // nothing scheduled while one is under way
  finish(true);
  await refresh;
  assert.equal(looks, 1);
  assert.deepEqual(clock.pending(), [25_000]);
});

test('backs off while the list fails and returns to the interval once it answers', async () => {
  const answers = [false, false, false, true];
  const { clock, p } = poller(async () => answers.shift() ?? true);
  p.start();
  await settle();
  assert.deepEqual(clock.pending(), [50_000]);
  await clock.advance(50_000);
  assert.deepEqual(clock.pending(), [100_000]);
  await clock.advance(100_000);
  assert.deepEqual(clock.pending(), [200_000]);
  await clock.advance(200_000);
  assert.deepEqual(clock.pending(), [25_000]);
});

test('a look that throws, even at once, counts as a failure and does not jam the poller', async () => {
  let looks = 0;
  const { clock, p } = poller(() => { looks += 1; throw new Error('boom'); });
  p.start();
  await settle();
  assert.equal(p.failing, 1);
  assert.deepEqual(clock.pending(), [50_000]);
  await p.now();
  assert.equal(looks, 2);
});

test('no looks while the tab is hidden; one at once when it is shown again', async () => {
  let hidden = false;
  let looks = 0;
  const { clock, p } = poller(async () => { looks += 1; return true; }, { hidden: () => hidden });
  p.start();
  await settle();
  hidden = true;
  p.visibilityChanged();
  assert.deepEqual(clock.pending(), []);
  await clock.advance(600_000);
  assert.equal(looks, 1);
  hidden = false;
  p.visibilityChanged();
  await settle();
  assert.equal(looks, 2);
  assert.deepEqual(clock.pending(), [25_000]);
  // Shown again while a look is scheduled: no extra look.
  p.visibilityChanged();
  await settle();
  assert.equal(looks, 2);
});

test('a timer that fires while hidden looks not, and nothing runs after stop', async () => {
  let hidden = false;
  let looks = 0;
  const { clock, p } = poller(async () => { looks += 1; return true; }, { hidden: () => hidden });
  p.start();
  await settle();
  hidden = true; // no visibilitychange yet: the timer finds the tab hidden itself
  await clock.advance(25_000);
  assert.equal(looks, 1);
  assert.deepEqual(clock.pending(), []);
  p.stop();
  hidden = false;
  p.visibilityChanged();
  await settle();
  assert.equal(looks, 1);
});
