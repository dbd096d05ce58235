/**
 * Where an example's human-readable output goes: periodic lines, and a progress bar (cli-progress)
 * when the stream is a terminal. With `json`, human lines go to stderr so that stdout carries only
 * the final JSON object; with `quiet`, nothing but that object is printed.
 */

import cliProgress from "cli-progress";
import type { CommonOptions } from "./options.js";

/** A progress bar handle; `tick` advances it, `done` removes it. */
export interface Progress {
  /** Moves the bar to `value` (of the total), with an optional short status text. */
  update(value: number, status?: string): void;
  /** Stops the bar. */
  done(): void;
}

const NO_PROGRESS: Progress = { update() {}, done() {} };

/** Prints an example's lines and bars according to --quiet / --json / TTY. */
export class Reporter {
  private readonly quiet: boolean;
  private readonly json: boolean;
  private readonly bars: boolean;
  private multibar: cliProgress.MultiBar | null = null;

  constructor(options: CommonOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.json = options.json ?? false;
    this.bars = !this.quiet && (options.progress ?? true) && process.stderr.isTTY === true;
  }

  /** Prints one human-readable line (stdout, or stderr in JSON mode); silent when quiet. */
  log(line: string): void {
    if (this.quiet) return;
    if (this.multibar) {
      this.multibar.log(`${line}\n`);
      this.multibar.update(); // print it above the bar now
      return;
    }
    (this.json ? process.stderr : process.stdout).write(`${line}\n`);
  }

  /** Starts a progress bar of `total` steps on stderr, or a no-op when not on a terminal. */
  progress(label: string, total: number): Progress {
    if (!this.bars) return NO_PROGRESS;
    const multibar = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        format: `${label.padEnd(10)} {bar} {percentage}% | {value}/{total} | {status}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const bar = multibar.create(total, 0, { status: "" });
    this.multibar = multibar;
    // cli-progress redraws on a timer, which a synchronous training loop never lets run; so every
    // update redraws by hand, at most every 100 ms.
    let lastDraw = 0;
    return {
      update: (value, status = "") => {
        bar.update(value, { status });
        const now = Date.now();
        if (now - lastDraw >= 100) {
          lastDraw = now;
          multibar.update();
        }
      },
      done: () => {
        bar.update(total);
        multibar.update();
        multibar.stop();
        this.multibar = null;
      },
    };
  }
}
