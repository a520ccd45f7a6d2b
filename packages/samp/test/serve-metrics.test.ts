// The Prometheus text the server writes: HELP/TYPE lines, labels escaped, cumulative histogram buckets.
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../src/serve';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the text exposition format', () => {
    const registry = new MetricsRegistry();
    const requests = registry.counter('requests_total', 'Requests.');
    requests.inc({ route: '/v1/predict', status: '200' });
    requests.inc({ route: '/v1/predict', status: '200' }, 2);
    requests.inc({ route: 'say "hi"\\\n', status: '400' });
    registry.gauge('queue_depth', 'Waiting inputs.', () => [[{ model: 'tnews' }, 7]]);
    const sizes = registry.histogram('batch_size', 'Inputs per batch.', [4, 1, 16]);
    for (const x of [1, 3, 4, 20]) sizes.observe(x, { model: 'tnews' });
    expect(requests.get({ route: '/v1/predict', status: '200' })).toBe(3);
    expect(registry.render()).toBe(
      [
        '# HELP requests_total Requests.',
        '# TYPE requests_total counter',
        'requests_total{route="/v1/predict",status="200"} 3',
        'requests_total{route="say \\"hi\\"\\\\\\n",status="400"} 1',
        '# HELP queue_depth Waiting inputs.',
        '# TYPE queue_depth gauge',
        'queue_depth{model="tnews"} 7',
        '# HELP batch_size Inputs per batch.',
        '# TYPE batch_size histogram',
        'batch_size_bucket{model="tnews",le="1"} 1',
        'batch_size_bucket{model="tnews",le="4"} 3',
        'batch_size_bucket{model="tnews",le="16"} 3',
        'batch_size_bucket{model="tnews",le="+Inf"} 4',
        'batch_size_sum{model="tnews"} 28',
        'batch_size_count{model="tnews"} 4',
        '',
      ].join('\n'),
    );
  });

  it('refuses a metric name registered twice', () => {
    const registry = new MetricsRegistry();
    registry.counter('x_total', 'X.');
    expect(() => registry.gauge('x_total', 'X again.')).toThrow('the metric x_total is registered twice');
  });
});
