/**
 * `ztgate report -o html`: the decision report as one self-contained page. No script, no
 * stylesheet, font or image from anywhere (the Content-Security-Policy forbids every fetch), so
 * an auditor can open it from a mail or an archive offline. Every logged value is escaped: names
 * and messages in the log come from whoever sent the request.
 */
import type {
  DecisionCounts,
  DecisionReport,
  ReportCount,
  ReportEvent,
} from '../../admission/decision-report.js';
import { topRefused, type RefusedObject } from '../../admission/report-top.js';
import { escapeHtml } from './html-escape.js';
import { buildSeries, chooseBuckets, renderLineChart } from './report-chart.js';

/** How many refused objects the page details, and how many latest events it lists. */
const TOP = 20;
const LATEST = 50;

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right}.tables{display:flex;flex-wrap:wrap;gap:24px}
pre{background:#f6f6f6;padding:8px;overflow:auto;margin:4px 0}figure{margin:12px 0}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:12px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
svg text{font-size:11px;fill:#555}.muted{color:#777}`;

const cell = (text: string | number, numeric = false): string =>
  `<td${numeric ? ' class="n"' : ''}>${escapeHtml(String(text))}</td>`;

function countTable(title: string, rows: readonly ReportCount[]): string {
  const body =
    rows.length === 0
      ? '<tr><td colspan="2" class="muted">none</td></tr>'
      : rows.map((row) => `<tr>${cell(row.key)}${cell(row.count, true)}</tr>`).join('');
  return `<table><caption>${escapeHtml(title)}</caption><tr><th>${escapeHtml(title.split(' by ')[1] ?? '')}</th><th>count</th></tr>${body}</table>`;
}

function countsRow(label: string, c: DecisionCounts): string {
  return `<tr>${cell(label)}${cell(c.decisions, true)}${cell(c.allowed, true)}${cell(c.warned, true)}${cell(c.denied, true)}</tr>`;
}

function summary(report: DecisionReport): string {
  const { read, decisions, otherLogLines, notJson, firstNotJson } = report.lines;
  const replicas =
    report.replicas.map((row) => `${row.key} (${row.count})`).join(', ') || 'not named in the log';
  return [
    `<p>From ${escapeHtml(report.from ?? '?')} to ${escapeHtml(report.to ?? '?')}. Replicas: ${escapeHtml(replicas)}.</p>`,
    '<table id="totals"><tr><th></th><th>decisions</th><th>allowed</th><th>warned</th><th>denied</th></tr>',
    countsRow('requests', report),
    countsRow('dry runs (counted apart)', report.dryRun),
    '</table>',
    `<p id="lines">${read} lines read: ${decisions} decisions, ${otherLogLines} other ztgate log line${otherLogLines === 1 ? '' : 's'}, ${notJson} not JSON${
      firstNotJson === undefined ? '' : ` (the first at line ${firstNotJson})`
    }.</p>`,
  ].join('');
}

function charts(report: DecisionReport): string {
  if (report.from === undefined || report.to === undefined)
    return '<p class="muted">No decision carries a time.</p>';
  const buckets = chooseBuckets(Date.parse(report.from), Date.parse(report.to));
  const real = report.events.filter((event) => !event.dryRun);
  const parts: string[] = [];
  for (const decision of ['deny', 'warn'] as const) {
    const events = real.filter((event) => event.decision === decision);
    const what = decision === 'deny' ? 'Denials' : 'Audit-mode warnings';
    for (const [by, keysOf] of [
      ['namespace', (event: ReportEvent) => [event.namespace]],
      ['rule', (event: ReportEvent) => event.rules],
    ] as const) {
      const id = `chart-${decision}-by-${by}`;
      if (events.length === 0) {
        parts.push(`<p id="${id}" class="muted">${what}: none in this log.</p>`);
        continue;
      }
      parts.push(
        renderLineChart(id, `${what} over time, by ${by}`, buckets, buildSeries(events, buckets, keysOf)),
      );
    }
  }
  return parts.join('');
}

function refusedRow(entry: RefusedObject): string {
  const reasons = entry.violations
    .map((violation) => {
      const fix =
        violation.fix === undefined
          ? '<p class="muted">fix: not in this log line (logged by ztgate versions before the fix was)</p>'
          : `<pre>${escapeHtml(violation.fix)}</pre>`;
      return `<p><b>[${escapeHtml(violation.rule)}]</b> ${escapeHtml(violation.path)}: ${escapeHtml(violation.message)}</p>${fix}`;
    })
    .join('');
  return `<tr>${cell(entry.count, true)}${cell(`${entry.kind} ${entry.namespace}/${entry.name}`)}${cell(
    entry.rules.join(', '),
  )}${cell(entry.lastTime ?? '')}<td>${reasons}</td></tr>`;
}

function eventRows(events: readonly ReportEvent[]): string {
  return events
    .slice(-LATEST)
    .map(
      (event) =>
        `<tr>${cell(event.time ?? '')}${cell(event.user)}${cell(
          `${event.operation} ${event.kind} ${event.namespace}/${event.name}`,
        )}${cell(event.rules.join(', '))}${cell(event.dryRun ? 'dry run' : '')}</tr>`,
    )
    .join('');
}

function eventTable(id: string, title: string, events: readonly ReportEvent[]): string {
  if (events.length === 0) return `<h2>${escapeHtml(title)}</h2><p class="muted">none</p>`;
  const shown = Math.min(events.length, LATEST);
  return `<h2>${escapeHtml(title)} <small>(the last ${shown} of ${events.length})</small></h2><table id="${id}"><tr><th>time</th><th>user</th><th>request</th><th>rules</th><th></th></tr>${eventRows(events)}</table>`;
}

/** The report as a self-contained HTML page. */
export function renderReportHtml(report: DecisionReport, source: string): string {
  const top = topRefused(report.events, TOP);
  const refused =
    top.length === 0
      ? '<p class="muted">No request was refused.</p>'
      : `<table id="top-refused"><tr><th>refused</th><th>object</th><th>rules</th><th>last</th><th>why, and the fix</th></tr>${top
          .map(refusedRow)
          .join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ztgate decision report</title><style>${STYLE}</style></head>
<body><h1>ztgate decision report <small class="muted">${escapeHtml(source)}</small></h1>
${summary(report)}
<h2>Over time</h2>${charts(report)}
<h2>Denials</h2><div class="tables">${countTable('Denials by namespace', report.denials.byNamespace)}${countTable('Denials by rule', report.denials.byRule)}${countTable('Denials by user', report.denials.byUser)}</div>
<h2>Audit-mode warnings</h2><div class="tables">${countTable('Warnings by namespace', report.warnings.byNamespace)}${countTable('Warnings by rule', report.warnings.byRule)}${countTable('Warnings by user', report.warnings.byUser)}</div>
<h2>Most refused</h2>${refused}
${eventTable(
  'latest-denials',
  'Latest denials',
  report.events.filter((event) => event.decision === 'deny'),
)}
${eventTable(
  'latest-warnings',
  'Latest warnings',
  report.events.filter((event) => event.decision === 'warn'),
)}
</body></html>
`;
}
