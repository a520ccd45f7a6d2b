/** Label names to values of one series. */
export type MetricLabels = Readonly<Record<string, string>>;

/** The content type of the Prometheus text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** The sample lines of the metric. */
  samples(): string[];
}

// Label values may hold anything; the format escapes backslash, double quote and newline.
const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function labelText(labels: MetricLabels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

// Series are keyed by their label text, so the same labels in the same order share one series.
const keyOf = labelText;

/** A monotonically increasing count per label set. */
export interface Counter {
  inc(labels?: MetricLabels, by?: number): void;
  /** The current value (0 for a series never incremented). */
  get(labels?: MetricLabels): number;
}

/** A value that goes up and down, set directly or read from a callback at scrape time. */
export interface Gauge {
  set(value: number, labels?: MetricLabels): void;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export interface Histogram {
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4) that Prometheus scrapes.
 * @example
 * const registry = new MetricsRegistry();
 * const requests = registry.counter('samp_http_requests_total', 'HTTP requests answered.');
 * requests.inc({ status: '200' });
 * registry.render(); // '# HELP samp_http_requests_total …'
 */
export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  #add(metric: Metric): void {
    if (this.#metrics.some((m) => m.name === metric.name))
      throw new Error(`the metric ${metric.name} is registered twice`);
    this.#metrics.push(metric);
  }

  /** Registers a counter. */
  counter(name: string, help: string): Counter {
    const series = new Map<string, number>();
    this.#add({
      name,
      help,
      type: 'counter',
      samples: () => [...series].map(([labels, value]) => `${name}${labels} ${numberText(value)}`),
    });
    return {
      inc(labels = {}, by = 1) {
        const key = keyOf(labels);
        series.set(key, (series.get(key) ?? 0) + by);
      },
      get(labels = {}) {
        return series.get(keyOf(labels)) ?? 0;
      },
    };
  }

  /**
   * Registers a gauge. With `collect`, its series are read at each render (queue depth, memory) and
   * `set` is not needed.
   */
  gauge(name: string, help: string, collect?: () => readonly [MetricLabels, number][]): Gauge {
    const series = new Map<string, number>();
    this.#add({
      name,
      help,
      type: 'gauge',
      samples: () => {
        const current = new Map(series);
        for (const [labels, value] of collect?.() ?? []) current.set(keyOf(labels), value);
        return [...current].map(([labels, value]) => `${name}${labels} ${numberText(value)}`);
      },
    });
    return {
      set(value, labels = {}) {
        series.set(keyOf(labels), value);
      },
    };
  }

  /** Registers a histogram with the given upper bounds (sorted ascending; `+Inf` is added). */
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const bounds = [...buckets].sort((a, b) => a - b);
    const series = new Map<string, { labels: MetricLabels; counts: number[]; sum: number; count: number }>();
    this.#add({
      name,
      help,
      type: 'histogram',
      samples: () =>
        [...series.values()].flatMap(({ labels, counts, sum, count }) => {
          const lines = bounds.map(
            (bound, i) =>
              `${name}_bucket${labelText({ ...labels, le: numberText(bound) })} ${counts[i] as number}`,
          );
          lines.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
          lines.push(`${name}_sum${labelText(labels)} ${numberText(sum)}`);
          lines.push(`${name}_count${labelText(labels)} ${count}`);
          return lines;
        }),
    });
    return {
      observe(value, labels = {}) {
        const key = keyOf(labels);
        let s = series.get(key);
        if (s === undefined) {
          s = { labels, counts: bounds.map(() => 0), sum: 0, count: 0 };
          series.set(key, s);
        }
        // Buckets are cumulative: an observation counts in every bucket whose bound it does not exceed.
        for (let i = 0; i < bounds.length; i++)
          if (value <= (bounds[i] as number)) s.counts[i] = (s.counts[i] as number) + 1;
        s.sum += value;
        s.count++;
      },
    };
  }

  /** Every metric in the Prometheus text format, ending with a newline. */
  render(): string {
    const lines: string[] = [];
    for (const m of this.#metrics) {
      lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`);
      lines.push(`# TYPE ${m.name} ${m.type}`);
      lines.push(...m.samples());
    }
    return `${lines.join('\n')}\n`;
  }
}
