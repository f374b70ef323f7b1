/**
 * Hairer & Wanner's test for a stiff integration (the one their DOPRI5 code runs): an accepted
 * step whose h·ρ reaches the method's stability limit counts; six in a row below it clear the
 * count; `STIFF_STEPS` counted steps make the integration stiff. Its step size is then held by
 * stability, not accuracy: rtol no longer decides how many steps reach T, the fastest rate ρ of
 * the dynamics does (about T·ρ/limit steps).
 */
/** Counted steps that make an integration stiff (Hairer & Wanner's 15). */
export const STIFF_STEPS = 15;
/** Steps in a row below the limit that clear the count. */
const CALM_STEPS = 6;
/** A step counts at this share of the stability limit (DOPRI5's 3.25 of 3.3). */
const LIMIT_SHARE = 0.98;

export class StiffnessWatch {
  private counted = 0;
  private calm = 0;
  private said = false;

  constructor(private readonly stabilityLimit: number) {}

  /** Each accepted step's h·ρ (`StepRecord.stiffness`): true once, on the step that completes the count. */
  observe(stiffness: number | undefined): boolean {
    if (stiffness === undefined || Number.isNaN(stiffness)) return false;
    if (stiffness >= LIMIT_SHARE * this.stabilityLimit) {
      this.calm = 0;
      this.counted++;
    } else if (++this.calm >= CALM_STEPS) {
      this.counted = 0;
    }
    if (this.said || this.counted < STIFF_STEPS) return false;
    this.said = true;
    return true;
  }
}
