/** Hides the pointer on an unattended screen; any movement brings it back. */
export function hideIdleCursor(idleMs: number): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wake = () => {
    document.body.classList.remove('cursor-idle');
    clearTimeout(timer);
    timer = setTimeout(() => document.body.classList.add('cursor-idle'), idleMs);
  };
  for (const type of ['pointermove', 'pointerdown', 'keydown'] as const) {
    window.addEventListener(type, wake, { passive: true });
  }
  wake();
}
