// The paper's Figure 2 (middle), reproduced in spirit: the relative error of fitting the 3D
// two-packet initial condition of section 4.1 against its frequency f, starting from the EDNN
// network (4 × 30 tanh, no embedding) and adding Neural IVP's interventions one at a time:
// the sinusoidal embedding with swish, then head tuning (last-layer least squares).
//
//   node --import tsx examples/wave-packet-fit.ts [--size small|medium|paper]
//
// small: 1,000 Adam steps of 2,000 points per fit (a few minutes on 2 cores); paper: 50,000 steps, the paper's
// 3 × 100 network for the Neural IVP rows, as in appendix C.
import { NeuralIVP, type NeuralIVPOptions, problems } from '../ts/index';

type Size = 'small' | 'medium' | 'paper';
const sizeFlag = process.argv.indexOf('--size');
const size = (sizeFlag >= 0 ? process.argv[sizeFlag + 1] : 'small') as Size;
const steps = { small: 1000, medium: 10000, paper: 50000 }[size];
const batch = size === 'small' ? 2000 : 10000;
if (steps === undefined) throw new RangeError(`--size must be small, medium or paper, got ${size}`);
const frequencies = size === 'small' ? [0.5, 1, 2, 4] : [0.5, 1, 2, 3, 4, 6, 8];
const wide = size === 'paper' ? { width: 100, depth: 3 } : { width: 64, depth: 3 };

const configs: Record<string, Omit<NeuralIVPOptions, 'problem'>> = {
  'EDNN (4×30 tanh)': {
    network: { width: 30, depth: 4, activation: 'tanh', embedding: false },
    fit: { steps, batch, headTuning: false },
  },
  '+ embedding, swish': { network: { ...wide }, fit: { steps, batch, headTuning: false } },
  '+ head tuning': { network: { ...wide }, fit: { steps, batch, headTuning: true } },
};

console.log(`wave-packet fit, ${size}: ${steps} Adam steps per fit, batch ${batch}`);
const rows: string[] = [];
for (const f of frequencies) {
  const cells: string[] = [];
  for (const [name, config] of Object.entries(configs)) {
    const ivp = new NeuralIVP({ problem: problems.wavePacket({ f }), ...config, seed: 0 });
    const { relativeError, seconds } = await ivp.fit();
    cells.push(relativeError.toExponential(2));
    console.log(`f = ${f}, ${name}: relative error ${relativeError.toExponential(2)} (${seconds.toFixed(0)} s)`);
  }
  rows.push(`| ${f} | ${cells.join(' | ')} |`);
}
console.log(
  `\n| f | ${Object.keys(configs).join(' | ')} |\n|---|${Object.keys(configs)
    .map(() => '---')
    .join('|')}|`,
);
for (const row of rows) console.log(row);
