import { describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry, escapeLabelValue, formatValue } from '../../src/observability/metrics.js';

describe('label values and numbers in the exposition format', () => {
  it.each([
    ['plain', 'plain'],
    ['back\\slash', 'back\\\\slash'],
    ['say "hi"', 'say \\"hi\\"'],
    ['two\nlines', 'two\\nlines'],
    ['\\"\n', '\\\\\\"\\n'],
    ['ünïcode {x}', 'ünïcode {x}'],
  ])('escapes %j', (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it.each([
    [0, '0'],
    [42, '42'],
    [0.005, '0.005'],
    [1.5e21, '1.5e+21'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ])('formats %s as %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe('Registry.render', () => {
  it('renders HELP and TYPE lines, then every series with escaped labels', async () => {
    const registry = new Registry();
    const c = registry.counter('demo_requests_total', 'Requests.\nBy "path" \\ method.', ['path', 'method']);
    c.inc({ path: '/a"b', method: 'GET' });
    c.inc({ path: '/a"b', method: 'GET' }, 2);
    c.inc({ path: 'x\ny', method: 'POST' });
    registry.gauge('demo_up', 'Up.').set({}, 1);
    expect(await registry.render()).toBe(
      [
        '# HELP demo_requests_total Requests.\\nBy "path" \\\\ method.',
        '# TYPE demo_requests_total counter',
        'demo_requests_total{path="/a\\"b",method="GET"} 3',
        'demo_requests_total{path="x\\ny",method="POST"} 1',
        '# HELP demo_up Up.',
        '# TYPE demo_up gauge',
        'demo_up 1',
        '',
      ].join('\n'),
    );
  });

  it('renders histogram buckets cumulatively, with +Inf, _sum and _count', async () => {
    const registry = new Registry();
    const h = registry.histogram('demo_seconds', 'Latency.', ['platform'], [0.25, 0.01, 0.1]);
    for (const v of [0.005, 0.01, 0.05, 0.2, 3]) h.observe({ platform: 'gitlab' }, v);
    expect(await registry.render()).toBe(
      [
        '# HELP demo_seconds Latency.',
        '# TYPE demo_seconds histogram',
        'demo_seconds_bucket{platform="gitlab",le="0.01"} 2',
        'demo_seconds_bucket{platform="gitlab",le="0.1"} 3',
        'demo_seconds_bucket{platform="gitlab",le="0.25"} 4',
        'demo_seconds_bucket{platform="gitlab",le="+Inf"} 5',
        'demo_seconds_sum{platform="gitlab"} 3.265',
        'demo_seconds_count{platform="gitlab"} 5',
        '',
      ].join('\n'),
    );
  });

  it('renders an unlabelled histogram with le as its only label', async () => {
    const registry = new Registry();
    registry.histogram('h', 'H.', [], [1]).observe({}, 1);
    expect(await registry.render()).toContain('h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n');
  });

  it('ignores undeclared labels instead of splitting a series', async () => {
    const registry = new Registry();
    const c = registry.counter('c_total', 'C.', ['a']);
    c.inc({ a: 'x', extra: '1' });
    c.inc({ a: 'x', extra: '2' });
    expect(c.get({ a: 'x' })).toBe(2);
    expect(await registry.render()).toContain('c_total{a="x"} 2\n');
  });

  it('runs collectors before rendering and survives one that fails', async () => {
    const registry = new Registry();
    const g = registry.gauge('g', 'G.', ['k']);
    registry.addCollector(() => g.set({ k: 'v' }, 7));
    registry.addCollector(() => Promise.reject(new Error('redis away')));
    expect(await registry.render()).toContain('g{k="v"} 7\n');
  });

  it.each([
    ['a metric name with a dash', () => new Counter('bad-name', 'x')],
    ['a label name with a dot', () => new Gauge('g', 'x', ['a.b'])],
    ['le as a histogram label', () => new Histogram('h', 'x', ['le'], [1])],
    ['a histogram without buckets', () => new Histogram('h', 'x', [], [])],
    ['a counter going down', () => new Counter('c', 'x').inc({}, -1)],
  ])('refuses %s', (_name, make) => {
    expect(make).toThrow();
  });

  it('refuses a name registered twice', () => {
    const registry = new Registry();
    registry.counter('twice_total', 'x');
    expect(() => registry.gauge('twice_total', 'y')).toThrow(/twice/);
  });
});
