/**
 * Keeps the Releases panel current by itself: one look at the list every `interval` while the
 * browser tab is visible, at most one call in flight, backing off while the list does not
 * answer. No JupyterLab imports (timers and visibility are passed in), so Node's test runner
 * drives it with a fake clock (test/liveRequests.test.mjs).
 */
// No runtime imports: Node loads the compiled module as it is (ES modules need file endings).

export interface IPollerOptions {
  /** Between two looks while all is well (ms). */
  interval: number;
  /** The longest wait while the list keeps failing (ms). */
  longest: number;
  /** True while the browser tab is hidden: no looks then (document.visibilityState). */
  hidden: () => boolean;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class Poller {
  /**
   * `look` fetches and shows the list; it resolves true when the list answered, false when
   * it did not (the panel shows why), and should not throw.
   */
  constructor(
    private readonly look: () => Promise<boolean>,
    private readonly options: IPollerOptions
  ) {
    this.setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
    this.clearTimer = options.clearTimer ?? (handle => clearTimeout(handle as ReturnType<typeof setTimeout>));
  }

  /** Starts looking (at once), then every interval; idempotent. */
  start(): void {
    if (!this.running) {
      this.running = true;
      void this.now();
    }
  }

  stop(): void {
    this.running = false;
    this.cancel();
  }

  /**
   * One look now (the panel shown, Refresh, after an action), unless one is under way, whose
   * answer then serves: never two calls at once. The next look is counted from this one.
   */
  now(): Promise<void> {
    if (this.inFlight) {
      return this.inFlight;
    }
    this.cancel();
    // Settled later than this assignment, whatever `look` does (even throwing at once).
    this.inFlight = Promise.resolve()
      .then(() => this.look())
      .then(answered => answered === true, () => false)
      .then(answered => {
        this.failures = answered ? 0 : this.failures + 1;
        this.inFlight = null;
        this.schedule();
      });
    return this.inFlight;
  }

  /**
   * The tab was hidden or shown again (visibilitychange): hidden, nothing is scheduled;
   * shown, a look at once, since whatever happened meanwhile was not seen.
   */
  visibilityChanged(): void {
    if (!this.running) {
      return;
    }
    if (this.options.hidden()) {
      this.cancel();
    } else if (!this.inFlight && this.timer === null) {
      void this.now();
    }
  }

  /** The wait before the next look, as scheduled last (for tests and the panel's words). */
  get delay(): number {
    return nextDelay(this.options.interval, this.failures, this.options.longest);
  }

  get failing(): number {
    return this.failures;
  }

  private schedule(): void {
    this.cancel();
    if (!this.running || this.options.hidden()) {
      return; // shown again: visibilityChanged looks at once
    }
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (this.options.hidden()) {
        return;
      }
      void this.now();
    }, this.delay);
  }

  private cancel(): void {
    if (this.timer !== null) {
      this.clearTimer(this.timer);
      this.timer = null;
    }
  }

  private running = false;
  private failures = 0;
  private timer: unknown = null;
  private inFlight: Promise<void> | null = null;
  private readonly setTimer: (callback: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
}

/**
 * How long to wait before the next look: the interval while the list answers, doubling with
 * each failure in a row up to `longest`, so a service that is down is not asked every few
 * seconds by every open Lab.
 */
export function nextDelay(interval: number, failures: number, longest: number): number {
  return Math.min(interval * 2 ** Math.min(failures, 16), Math.max(longest, interval));
}
