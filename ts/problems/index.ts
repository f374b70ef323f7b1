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
export const problems = Object.freeze({ heat, advection, wave, vlasov, fokkerPlanck, waveMaps, wavePacket });
