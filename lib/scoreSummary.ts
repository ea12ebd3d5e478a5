// The summary of scored rollouts, per group and over all: the CLI prints it as a table, the
// service returns it as JSON (lib/serve). Columns: rollouts, mean outcome reward, then each
// reward's own (turns with an InfoPO gain and their mean, mean IGPO gain, ...).
import type { Reward, RolloutScore, TurnScore } from './score';

type Column = [title: string, key: string, value: (rs: RolloutScore[]) => number | null];

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const turnValues = (rs: RolloutScore[], key: keyof TurnScore) => rs.flatMap((r) => r.turns.map((t) => t[key]).filter((v): v is number => typeof v === 'number'));

const rewardColumns: Record<Reward, Column[]> = {
  infopo: [['turns with IG', 'turnsWithInfoGain', (rs) => turnValues(rs, 'infoGain').length], ['mean InfoPO IG', 'meanInfoGain', (rs) => mean(turnValues(rs, 'infoGain'))]],
  igpo: [['mean IGPO gain', 'meanBeliefGain', (rs) => mean(turnValues(rs, 'beliefGain'))]],
  nous: [['mean Nous gain', 'meanBeliefEntropyGain', (rs) => mean(turnValues(rs, 'beliefEntropyGain'))]],
  cip: [['mean C-IP gain', 'meanSetSizeGain', (rs) => mean(turnValues(rs, 'setSizeGain'))]],
  pear: [
    ['mean H_think', 'meanThinkEntropy', (rs) => mean(rs.map((r) => r.pear!.thinkEntropy))],
    ['mean H_answer', 'meanAnswerEntropy', (rs) => mean(rs.map((r) => r.pear!.answerEntropy))],
    ['mean PEAR reward', 'meanPearReward', (rs) => mean(rs.map((r) => r.pear!.reward))],
  ],
};

function columnsOf(rewards: readonly Reward[]): Column[] {
  return [['rollouts', 'rollouts', (rs) => rs.length], ['mean reward', 'meanReward', (rs) => mean(rs.map((r) => r.reward))], ...rewards.flatMap((r) => rewardColumns[r])];
}

function byGroup(records: RolloutScore[]): Map<RolloutScore['group'], RolloutScore[]> {
  const groups = new Map<RolloutScore['group'], RolloutScore[]>();
  for (const r of records) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return groups;
}

/** Group rows the table shows at most (then a count, then the total). */
const tableGroups = 20;

/** The summary as a markdown table (the CLI's report). */
export function summaryTable(records: RolloutScore[], rewards: readonly Reward[]): string {
  const groups = byGroup(records);
  const columns = columnsOf(rewards);
  const cell = (v: number | null, key: string) => (v === null ? '-' : key === 'rollouts' || key === 'turnsWithInfoGain' ? String(v) : v.toFixed(4));
  const lines = [`| group | ${columns.map((c) => c[0]).join(' | ')} |`, `| --- |${' --- |'.repeat(columns.length)}`];
  const row = (name: string, rs: RolloutScore[]) => lines.push(`| ${name} | ${columns.map((c) => cell(c[2](rs), c[1])).join(' | ')} |`);
  // group 1 and group "1" are two groups: the string is quoted when both occur
  let shown = 0;
  for (const [g, rs] of groups) {
    if (shown++ === tableGroups) break;
    row(typeof g === 'string' && groups.has(Number(g)) ? JSON.stringify(g) : String(g), rs);
  }
  if (groups.size > tableGroups) lines.push(`| (${groups.size - tableGroups} more groups) |${' |'.repeat(columns.length)}`);
  row(`all ${groups.size} groups`, records);
  return lines.join('\n');
}

export interface SummaryRow {
  [column: string]: number | string | null;
}

/** The summary as JSON: one row per group (its id as given) and the row over all. */
export function summaryJson(records: RolloutScore[], rewards: readonly Reward[]): { groups: SummaryRow[]; all: SummaryRow } {
  const columns = columnsOf(rewards);
  const row = (rs: RolloutScore[]) => Object.fromEntries(columns.map((c) => [c[1], c[2](rs)]));
  return { groups: [...byGroup(records)].map(([group, rs]) => ({ group, ...row(rs) })), all: row(records) };
}
