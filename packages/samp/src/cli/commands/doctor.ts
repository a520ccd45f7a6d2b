import { type BackendStatus, probeBackends } from '../../backends/backend-packages';
import type { Command } from '../command';
import { formatTable } from '../format-table';
import { parseOptions } from '../parse-options';

function detailLines(status: BackendStatus): string[] {
  return Object.entries(status.details).map(([key, value]) => {
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    return `    ${key}: ${text}`;
  });
}

/** The human-readable form of the backend statuses. */
export function formatDoctorReport(statuses: readonly BackendStatus[]): string {
  const table = formatTable(
    ['device', 'package', 'status', 'reason'],
    statuses.map((s) => [s.device, s.packageName, s.status, s.reason ?? '']),
  );
  const details = statuses.flatMap((s) =>
    s.details && Object.keys(s.details).length > 0 ? [`${s.device}:`, ...detailLines(s)] : [],
  );
  const node = `node ${process.version} (${process.platform}-${process.arch}, N-API ${process.versions.napi})`;
  return `${[node, '', table, ...(details.length > 0 ? ['', ...details] : [])].join('\n')}\n`;
}

/** `samp doctor [--json]`: each backend's status (available / not built / failed, and why). */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: "print each backend's status (available / not built / failed, and why)",
  usage: 'usage: samp doctor [--json]\n\n  --json  print one JSON object instead of the text report',
  async run(argv, io) {
    const options = parseOptions(argv, { json: { type: 'boolean' } });
    const statuses = await probeBackends();
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ node: process.version, backends: statuses })}\n`);
    } else {
      io.stdout.write(formatDoctorReport(statuses));
    }
    return 0;
  },
};
