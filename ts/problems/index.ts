import { advection } from './advection';
import { fokkerPlanck } from './fokker-planck';
import { heat } from './heat';
import { vlasov } from './vlasov';
import { wave } from './wave';
import { waveMaps } from './wave-maps';
import { wavePacket } from './wave-packet';

export type { AdvectionOptions } from './advection';
export type { FokkerPlanckOptions } from './fokker-planck';
export type { HeatOptions } from './heat';
export type { VlasovOptions } from './vlasov';
export type { WaveOptions } from './wave';
export type { WaveMapsOptions } from './wave-maps';
export type { WavePacketOptions } from './wave-packet';

/** Ready-made problems from the paper, each a function of an options object with paper defaults. */
export const problems = Object.freeze({
  /** The heat equation u_t = κΔu with zero Dirichlet data and a closed-form solution. */
  heat,
  /** Linear advection of a Gaussian, u_t = −c·∇u, no boundary constraint; closed form. */
  advection,
  /** The wave equation as (phi, psi = φ_t); in 3D the paper's outgoing pulse (appendix B.1). */
  wave,
  /** The Vlasov equation in 6 dimensions, z = (x, v) (appendix B.2). */
  vlasov,
  /** The harmonic-trap Fokker–Planck equation in d dimensions (appendix B.3). */
  fokkerPlanck,
  /** The wave maps equation on a Schwarzschild background (section 5). */
  waveMaps,
  /** The two-packet initial condition of section 4.1, for fitting studies. */
  wavePacket,
});
