import type { PlanNode, Program } from './plan';

/** The derivative order of a field's jet term: 0 its value, 1 a first derivative, 2 a second or the Laplacian. */
function termOrder(node: Extract<PlanNode, { op: 'field' }>): number {
  if (node.term === 'value') return 0;
  return node.term === 'd' ? 1 : 2;
}

/**
 * Which fields each output of a program reads, and how: `reads[o][f]` is the highest derivative
 * order of field f that output o depends on (0 its value, 1 a first derivative, 2 a second
 * derivative or the Laplacian), or −1 where output o does not read field f at all.
 */
export function fieldReads(program: Program, fieldCount: number): number[][] {
  const byNode: number[][] = [];
  for (const node of program.nodes) {
    const reads = new Array<number>(fieldCount).fill(-1);
    if (node.op === 'field') reads[node.field] = termOrder(node);
    const operands = 'a' in node ? ('b' in node ? [node.a, node.b] : [node.a]) : [];
    for (const k of operands) {
      for (let f = 0; f < fieldCount; f++) reads[f] = Math.max(reads[f], byNode[k][f]);
    }
    byNode.push(reads);
  }
  return program.outputs.map((o) => byNode[o]);
}
