import { rkc } from './rkc';
import { type ButcherTableau, type StabilizedMethod, tableaus } from './tableaus';

/** The integrators by name: the two embedded pairs and the stabilized RKC family. */
export type MethodName = 'rk23' | 'rk45' | 'rkc';

export const methods: Readonly<Record<MethodName, ButcherTableau | StabilizedMethod>> = Object.freeze({
  ...tableaus,
  rkc,
});
