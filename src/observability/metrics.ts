/**
 * A small Prometheus registry: counters, gauges and histograms rendered in the text
 * exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats). Written
 * here rather than taken from prom-client because pyrelease needs a dozen series and no
 * default process collectors it cannot explain.
 *
 * Label values come from outside (event names from headers, queue names): they are
 * escaped (backslash, double quote, line feed), never trusted to be plain.
 */
export type Labels = Readonly<Record<string, string>>;
export type MetricType = 'counter' | 'gauge' | 'histogram';

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(names: readonly string[], labels: Labels, extra?: readonly [string, string]): string {
  const parts = names.map((n) => `${n}="${escapeLabelValue(labels[n] ?? '')}"`);
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

interface Series<V> {
  readonly labels: Labels;
  value: V;
}

abstract class Metric<V> {
  protected readonly series = new Map<string, Series<V>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new TypeError(`invalid label name ${JSON.stringify(l)}`);
  }

  protected entry(labels: Labels, initial: () => V): Series<V> {
    // Only the declared labels count: a stray key must not split a series.
    const key = JSON.stringify(this.labelNames.map((n) => labels[n] ?? ''));
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: Object.fromEntries(this.labelNames.map((n) => [n, labels[n] ?? ''])), value: initial() };
      this.series.set(key, s);
    }
    return s;
  }

  /** Forgets every series (a gauge refilled at scrape time, so vanished label sets disappear). */
  reset(): void {
    this.series.clear();
  }

  render(): string {
    const head = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    return head + [...this.series.values()].map((s) => this.renderSeries(s)).join('');
  }

  protected abstract renderSeries(series: Series<V>): string;
}

export class Counter extends Metric<number> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) throw new RangeError('a counter only goes up');
    this.entry(labels, () => 0).value += by;
  }

  get(labels: Labels = {}): number {
    return this.entry(labels, () => 0).value;
  }

  protected renderSeries(s: Series<number>): string {
    return `${this.name}${formatLabels(this.labelNames, s.labels)} ${formatValue(s.value)}\n`;
  }
}

export class Gauge extends Metric<number> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'gauge', labelNames);
  }

  set(labels: Labels, value: number): void {
    this.entry(labels, () => 0).value = value;
  }

  protected renderSeries(s: Series<number>): string {
    return `${this.name}${formatLabels(this.labelNames, s.labels)} ${formatValue(s.value)}\n`;
  }
}

interface HistogramValue {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramValue> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, 'histogram', labelNames);
    const sorted = [...new Set(buckets)].filter((b) => Number.isFinite(b)).sort((a, b) => a - b);
    if (sorted.length === 0) throw new RangeError('a histogram needs at least one finite bucket');
    this.buckets = sorted;
  }

  observe(labels: Labels, value: number): void {
    const s = this.entry(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    // Stored per bucket, made cumulative when rendered.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.value.counts[i] = (s.value.counts[i] ?? 0) + 1;
    s.value.sum += value;
    s.value.count += 1;
  }

  protected renderSeries(s: Series<HistogramValue>): string {
    let out = '';
    let cumulative = 0;
    this.buckets.forEach((b, i) => {
      cumulative += s.value.counts[i] ?? 0;
      out += `${this.name}_bucket${formatLabels(this.labelNames, s.labels, ['le', formatValue(b)])} ${cumulative}\n`;
    });
    out += `${this.name}_bucket${formatLabels(this.labelNames, s.labels, ['le', '+Inf'])} ${s.value.count}\n`;
    out += `${this.name}_sum${formatLabels(this.labelNames, s.labels)} ${formatValue(s.value.sum)}\n`;
    out += `${this.name}_count${formatLabels(this.labelNames, s.labels)} ${s.value.count}\n`;
    return out;
  }
}

/** Runs before each render: reads state that lives elsewhere (queues, the process). */
export type Collector = () => Promise<void> | void;

export class Registry {
  private readonly metrics: Array<Counter | Gauge | Histogram> = [];
  private readonly collectors: Collector[] = [];

  register<M extends Counter | Gauge | Histogram>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.metrics.push(metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, buckets));
  }

  addCollector(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** The whole exposition. A collector that fails leaves its metrics as they were; the others still render. */
  async render(): Promise<string> {
    await Promise.allSettled(this.collectors.map(async (c) => c()));
    return this.metrics.map((m) => m.render()).join('');
  }
}
