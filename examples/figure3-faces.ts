// Where the right-hand side of Figure 3's Fokker–Planck problem lives: the share of ‖f‖² (uniform
// measure on [-1, 1]^8, at t = 0) within a distance δ of the box's faces. The paper's problem
// (appendix B) keeps u = 0 on the faces, so every network output there is B·m with B vanishing
// on them and every Jθ̇ vanishes too, while f = DΔu − ∇·(hu) does not (u0 vanishes there, its
// derivatives do not). A projection that cannot follow f into a layer of width δ keeps at least
// the square root of that share as its relative residual, whatever the method.
//
//   node --import tsx examples/figure3-faces.ts [--points N] [--seed S]
import { mulberry32 } from '../ts/util/random';
import { flag } from './lib/study';

const d = 8;
const D = 0.01;
const alpha = 0.25;
const a = 0.2;
const scale = 0.75 ** d;
const deltas = [0.005, 0.0125, 0.025, 0.05, 0.1];

const points = Number(flag('points', '400000'));
const seed = Number(flag('seed', '1'));
if (!(Number.isInteger(points) && points > 0))
  throw new RangeError(`--points must be a positive integer, got ${points}`);

/** f = DΔu − h·∇u − u ∇·h at x for u0 = (3/4)^d Π(1 − x_i²), h(x) = (a − x) + α(11ᵀ/d − I)x. */
function rightHandSide(x: Float64Array): number {
  let product = 1;
  for (const xi of x) product *= 1 - xi * xi;
  const mean = x.reduce((s, v) => s + v, 0) / d;
  let laplacian = 0;
  let drift = 0;
  for (let i = 0; i < d; i++) {
    const others = (scale * product) / (1 - x[i] * x[i]);
    laplacian += -2 * others;
    drift += (a - x[i] + alpha * (mean - x[i])) * (-2 * x[i] * others);
  }
  const divergence = -d + alpha * (1 - d);
  return D * laplacian - drift - scale * product * divergence;
}

const random = mulberry32(seed);
const x = new Float64Array(d);
let total = 0;
const near = deltas.map(() => 0);
for (let s = 0; s < points; s++) {
  let distance = 1;
  for (let i = 0; i < d; i++) {
    x[i] = 2 * random() - 1;
    distance = Math.min(distance, 1 - Math.abs(x[i]));
  }
  const f2 = rightHandSide(x) ** 2;
  total += f2;
  deltas.forEach((delta, k) => {
    if (distance < delta) near[k] += f2;
  });
}
console.log(`Fokker–Planck 8D at t = 0, ${points} uniform points: the share of ‖f‖² within δ of a face`);
console.log('| δ | share of the box | share of ‖f‖² | its square root (a residual floor) |');
console.log('|---|---|---|---|');
deltas.forEach((delta, k) => {
  const volume = 1 - (1 - delta) ** d;
  const share = near[k] / total;
  console.log(`| ${delta} | ${volume.toFixed(3)} | ${share.toExponential(2)} | ${Math.sqrt(share).toFixed(3)} |`);
});
