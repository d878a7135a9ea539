/**
 * The big live numbers. New values tween from what is on screen, so the eye
 * sees a number move rather than flicker.
 */
import type { Counters } from '../../src/domain.js';

const TWEEN_MS = 900;

interface Tween {
  readonly el: HTMLElement;
  readonly format: (value: number) => string;
  from: number;
  to: number;
  shown: number;
  /** Frame time the tween began; undefined until the first frame after a change. */
  startedAt: number | undefined;
}

export class CounterStrip {
  private readonly tweens = new Map<keyof Counters, Tween>();

  /**
   * Finds every `[data-counter=<field>]` element under `root` and formats its
   * value with the `formats` entry for that field.
   */
  constructor(
    root: HTMLElement,
    formats: Readonly<Record<keyof Counters, (value: number) => string>>,
    private readonly animate: boolean,
  ) {
    for (const el of root.querySelectorAll<HTMLElement>('[data-counter]')) {
      const field = el.dataset.counter as keyof Counters;
      this.tweens.set(field, { el, format: formats[field], from: NaN, to: NaN, shown: NaN, startedAt: undefined });
    }
  }

  set(counters: Counters): void {
    for (const [field, tween] of this.tweens) {
      const value = counters[field];
      if (!Number.isFinite(value) || value === tween.to) continue;
      // The first value (and every value without motion) is shown as is.
      const jump = !this.animate || Number.isNaN(tween.shown);
      tween.from = jump ? value : tween.shown;
      tween.to = value;
      tween.startedAt = undefined;
      if (jump) this.show(tween, value);
    }
  }

  /** Advances the tweens to frame time `now`; true while any is still moving. */
  tick(now: number): boolean {
    let moving = false;
    for (const tween of this.tweens.values()) {
      if (tween.shown === tween.to) continue;
      tween.startedAt ??= now;
      const progress = Math.min(1, (now - tween.startedAt) / TWEEN_MS);
      const eased = 1 - (1 - progress) ** 3;
      this.show(tween, progress === 1 ? tween.to : tween.from + (tween.to - tween.from) * eased);
      moving ||= progress < 1;
    }
    return moving;
  }

  private show(tween: Tween, value: number): void {
    tween.shown = value;
    const text = tween.format(value);
    if (tween.el.textContent !== text) tween.el.textContent = text;
  }
}
