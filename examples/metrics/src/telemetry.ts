import { createServer, type Server } from 'node:http'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics'

/**
 * Verifications take well under a millisecond when the key is cached and a few when the store is
 * read: buckets from 50 µs to 100 ms instead of the SDK's defaults (0, 5, 10, 25 … 10 000).
 */
const DURATION_BUCKETS_MS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100]

/**
 * An OpenTelemetry meter provider read by a Prometheus exporter. The exporter starts no server of
 * its own: `metricsServer` serves its `/metrics` on a port of your choice (a port Prometheus can
 * reach, usually not the public one).
 */
export function prometheusMetrics(): { meterProvider: MeterProvider; metricsServer: Server } {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutTargetInfo: true })
  const meterProvider = new MeterProvider({
    readers: [exporter],
    views: [
      {
        instrumentName: 'keyward.verify.duration',
        aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: DURATION_BUCKETS_MS } },
      },
    ],
  })
  const metricsServer = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') return exporter.getMetricsRequestHandler(req, res)
    res.writeHead(404).end()
  })
  return { meterProvider, metricsServer }
}
