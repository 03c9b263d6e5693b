# metrics - Prometheus metrics: the HTTP service (libexec/metrics) and the
# "postern metrics" command (libexec/postern-metrics, which postern runs for
# any command it does not know itself). Both render with lib/global
# metrics_format.c.
LIBEXEC_PROGS += metrics postern-metrics
metrics_LIB_SRCS := metrics/metrics_http.c
metrics_SRCS := metrics/metrics.c $(metrics_LIB_SRCS)
postern-metrics_SRCS := postern/postern_metrics.c
