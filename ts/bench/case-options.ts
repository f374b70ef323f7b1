// What the per-case probes (steps.ts, held-out.ts) share: a suite case by name, and option
// objects merged section by section.
import type { NeuralIVPOptions } from '../solver/options';
import { concentratedCases, oscillatoryCases, type SuiteCase, suiteCases } from './suite-problems';

export type CaseOptions = Omit<NeuralIVPOptions, 'problem'>;

/** The suite case named `name` (broad, concentrated or oscillatory), or undefined. */
export function suiteCase(name: string | undefined): SuiteCase | undefined {
  return [...suiteCases(), ...concentratedCases(), ...oscillatoryCases()].find((s) => s.name === name);
}

/** `over`'s sections merged into `base`'s (a section given in both: its keys merged). */
export function mergeOptions(base: CaseOptions, over: CaseOptions): CaseOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    const both = typeof prior === 'object' && prior !== null && typeof value === 'object' && value !== null;
    out[key] = both ? { ...prior, ...value } : value;
  }
  return out as CaseOptions;
}
