/** Turns a growing counter into a rate between successive `sample` calls. */
export class RateMeter {
  private lastCount = 0;
  private lastTime: number | undefined;

  /** Events per second since the previous call (0 on the first call). `now` in ms. */
  sample(count: number, now: number): number {
    const prevTime = this.lastTime;
    const prevCount = this.lastCount;
    this.lastTime = now;
    this.lastCount = count;
    if (prevTime === undefined || now <= prevTime) {
      return 0;
    }
    return Math.round(((count - prevCount) / ((now - prevTime) / 1000)) * 100) / 100;
  }
}
