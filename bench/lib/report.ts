/** The bench's result rows: every figure with its baseline, ratio, target and verdict; printed as a table. */

export type Verdict = 'met' | 'MISSED' | 'info' | 'NOISY';

export interface Row {
  section: string;
  metric: string;
  value: number | string;
  unit: string;
  baseline?: number | string;
  /** Ratio to the baseline, with the spread over repeated back-to-back measurements when there is one. */
  ratio?: string;
  target: string;
  verdict: Verdict;
  note?: string;
}

export class Report {
  readonly rows: Row[] = [];

  add(row: Row): void {
    this.rows.push(row);
  }

  table(): string {
    const head = ['metric', 'ours', 'baseline', 'ratio (spread)', 'target', 'result', 'note'];
    const cells = this.rows.map((r) => [
      r.metric,
      `${r.value} ${r.unit}`.trim(),
      r.baseline !== undefined ? `${r.baseline} ${r.unit}`.trim() : '',
      r.ratio ?? '',
      r.target,
      r.verdict,
      r.note ?? '',
    ]);
    const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i]!.length))));
    const line = (c: string[]) =>
      c
        .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    const out: string[] = [line(head)];
    let section = '';
    for (const [i, r] of this.rows.entries()) {
      if (r.section !== section) {
        section = r.section;
        out.push('', `## ${section}`);
      }
      out.push(line(cells[i]!));
    }
    const targets = this.rows.filter((r) => r.verdict === 'met' || r.verdict === 'MISSED');
    const missed = targets.filter((r) => r.verdict === 'MISSED');
    const noisy = this.rows.filter((r) => r.verdict === 'NOISY');
    out.push(
      '',
      `${targets.length - missed.length} of ${targets.length} targets met${missed.length ? `; missed: ${missed.map((r) => r.metric.trim()).join('; ')}` : ''}.`,
    );
    if (noisy.length)
      out.push(
        `A/A control outside ±10 % (${noisy.map((r) => r.metric.trim()).join('; ')}): ratios closer to 1 than the control's spread are noise on this run.`,
      );
    return out.join('\n');
  }
}
