/**
 * The attack matrix in the simulator with real TF.js gradients (issue 13): honest peers' accuracy
 * with 1 and 2 hostile peers of 8, robust mixing on and off, against the clean run.
 *
 *   npx tsx apps/cli/src/bench-attacks.ts [--algorithms rfast,dpsgd,gossip] [--attacks sign-flip,...]
 *     [--hostile 1,2] [--robust clip,off] [--seeds 1,2] [--budget-steps 200] [--referee-steps 50] [--step-time SECONDS] [--out DIR]
 *     [--scale 1e6] [--payloads model|tracker|both] [--split iid|noniid] [--join-step 100] [--peers 8] [--encoding i4]
 *
 * --scale: the `scale` attack's factor (default 1e6); --payloads: which payloads every attack
 * rewrites (default both: models and R-FAST's running sums); --split: IID shards (default) or
 * non-IID ones (BENCH_CONFIG.classesPerShard classes each); --join-step: the last
 * max(--hostile) peers join at that step time instead of training from the start (honest ones
 * in the clean cell); --peers: peers in the run (default 8; with 4 every peer has two senders).
 * --referee-steps: step times between the server's verdicts on hostile frames (ejections); 0 for
 * robust mixing alone.
 *
 * Writes DIR/attacks.md and DIR/attacks.json (DIR defaults to results/attacks). The step time pins
 * the virtual clock, so the printed command repeats the figures.
 */
import {
  ATTACK_MATRIX_DEFAULTS,
  BENCH_CONFIG,
  BenchTask,
  attackMatrixTable,
  parseAlgorithm,
  publishReport,
  runAttackMatrix,
  runMain,
  type AttackMatrixPlan,
} from '@starling/bench';
import { RFAST_ENCODING_NAMES, type RfastEncodingName } from '@starling/core';
import { ATTACKS, type AttackKind } from '@starling/sim';

function parse(argv: readonly string[]): { plan: AttackMatrixPlan; stepTime: number | null; out: string } {
  const plan: AttackMatrixPlan = { ...ATTACK_MATRIX_DEFAULTS };
  let stepTime: number | null = null;
  let out = 'results/attacks';
  const list = (v: string): string[] => v.split(',').filter((x) => x.length > 0);
  const ints = (flag: string, v: string): number[] =>
    list(v).map((x) => {
      const n = Number(x);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: '${x}' is not a whole number`);
      return n;
    });
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--algorithms') plan.algorithms = list(v).map(parseAlgorithm);
    else if (flag === '--attacks') {
      plan.attacks = list(v).map((a) => {
        if (!(ATTACKS as readonly string[]).includes(a)) throw new Error(`--attacks: unknown '${a}'; expected ${ATTACKS.join(', ')}`);
        return a as AttackKind;
      });
    } else if (flag === '--hostile') plan.hostileCounts = ints(flag, v);
    else if (flag === '--seeds') plan.seeds = ints(flag, v);
    else if (flag === '--budget-steps') plan.budgetSteps = ints(flag, v)[0];
    else if (flag === '--referee-steps') plan.refereeSteps = ints(flag, v)[0];
    else if (flag === '--join-step') plan.joinStep = ints(flag, v)[0];
    else if (flag === '--peers') {
      plan.n = ints(flag, v)[0];
      if (plan.n < 3) throw new Error(`--peers: ${plan.n} is too few (a verdict needs two honest reporters)`);
    }
    else if (flag === '--robust') {
      plan.robust = list(v).map((r) => {
        if (r !== 'clip' && r !== 'off') throw new Error(`--robust: '${r}' is not clip or off`);
        return r;
      });
    } else if (flag === '--step-time') {
      stepTime = Number(v);
      if (!(stepTime > 0)) throw new Error(`--step-time: '${v}' is not a positive number of seconds`);
    } else if (flag === '--scale') {
      plan.scale = Number(v);
      if (!(plan.scale > 0 && Number.isFinite(plan.scale))) throw new Error(`--scale: '${v}' is not a positive number`);
    } else if (flag === '--payloads') {
      if (v !== 'model' && v !== 'tracker' && v !== 'both') throw new Error(`--payloads: '${v}' is not model, tracker or both`);
      plan.payloads = v;
    } else if (flag === '--split') {
      if (v !== 'iid' && v !== 'noniid') throw new Error(`--split: '${v}' is not iid or noniid`);
      plan.split = v;
    } else if (flag === '--encoding') {
      if (!(RFAST_ENCODING_NAMES as readonly string[]).includes(v)) throw new Error(`--encoding: '${v}' is not one of ${RFAST_ENCODING_NAMES.join(', ')}`);
      plan.encoding = v as RfastEncodingName;
    } else if (flag === '--out') out = v;
    else throw new Error(`unknown flag ${flag}`);
  }
  return { plan, stepTime, out };
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const { plan, stepTime: given, out } = parse(process.argv.slice(2));
  const task = await BenchTask.load({ log });
  try {
    const stepTime = given ?? (await task.calibrate(BENCH_CONFIG.calibrationWarmup, BENCH_CONFIG.calibrationSteps)).median;
    log(`backend ${task.backend}; step time ${(stepTime * 1000).toFixed(2)} ms${given === null ? ' (measured)' : ' (given)'}`);
    const t0 = performance.now();
    const cells = await runAttackMatrix(task, plan, stepTime, log);
    const command =
      `npx tsx apps/cli/src/bench-attacks.ts --algorithms ${plan.algorithms.join(',')} --attacks ${plan.attacks.join(',')} --hostile ${plan.hostileCounts.join(',')}` +
      ` --robust ${plan.robust.join(',')} --seeds ${plan.seeds.join(',')} --budget-steps ${plan.budgetSteps} --referee-steps ${plan.refereeSteps}` +
      `${plan.scale === undefined ? '' : ` --scale ${plan.scale}`}${plan.payloads === undefined ? '' : ` --payloads ${plan.payloads}`}${plan.split === undefined ? '' : ` --split ${plan.split}`}${plan.joinStep === undefined ? '' : ` --join-step ${plan.joinStep}`}${plan.n === ATTACK_MATRIX_DEFAULTS.n ? '' : ` --peers ${plan.n}`}${plan.encoding === undefined ? '' : ` --encoding ${plan.encoding}`} --step-time ${stepTime} --out ${out}`;
    const referee = plan.refereeSteps > 0 ? `the server's verdict every ${plan.refereeSteps} step times ejects whom it convicts` : 'no verdicts (robust mixing alone)';
    const late = Math.max(...plan.hostileCounts);
    const joins = plan.joinStep === undefined ? '' : `; the last ${late === 1 ? 'peer joins' : `${late} peers join`} at step time ${plan.joinStep} (the hostile ones among them; honest ones in the clean row)`;
    const md = `# Attack matrix\n\n${plan.n} peers, ${plan.split === 'noniid' ? 'non-IID' : 'IID'} MNIST shards, exponential graph, ${plan.budgetSteps} step times of virtual budget, ${referee}${plan.scale === undefined ? '' : `; scale multiplies by ${plan.scale}`}${plan.payloads === undefined ? '' : `; the attackers rewrite ${plan.payloads === 'tracker' ? 'running sums only' : plan.payloads === 'model' ? 'models only' : 'models and running sums'}`}${joins}; accuracy of the honest peers on ${plan.evalCount} test images.\n\n${attackMatrixTable(cells, plan.n)}\n\nCommand: \`${command}\`\n`;
    await publishReport(out, md, [{ path: 'attacks.md', text: md }, { path: 'attacks.json', text: JSON.stringify({ command, plan, stepTime, cells }) }], t0, log);
  } finally {
    await task.dispose();
  }
}

runMain(main);
