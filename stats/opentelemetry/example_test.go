package opentelemetry_test

import (
	"log"
	"strings"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/stats/opentelemetry"
)

// A client recording the default metrics into an OpenTelemetry SDK
// MeterProvider (whose readers or exporters decide where they go).
func ExampleDialOption() {
	provider := sdkmetric.NewMeterProvider()
	opts := opentelemetry.Options{
		MetricsOptions: opentelemetry.MetricsOptions{MeterProvider: provider},
	}
	cc, err := grpc.NewClient("dns:///localhost:50051",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		opentelemetry.DialOption(opts))
	if err != nil {
		log.Fatal(err)
	}
	defer cc.Close()
}

// A server recording only the call counter and durations, with the method
// attribute limited to one service.
func ExampleServerOption() {
	provider := sdkmetric.NewMeterProvider()
	opts := opentelemetry.Options{
		MetricsOptions: opentelemetry.MetricsOptions{
			MeterProvider: provider,
			Metrics: stats.NewMetricSet(
				opentelemetry.ServerCallStartedMetricName,
				opentelemetry.ServerCallDurationMetricName,
			),
			MethodAttributeFilter: func(method string) bool {
				return strings.HasPrefix(method, "/helloworld.Greeter/")
			},
		},
	}
	s := grpc.NewServer(opentelemetry.ServerOption(opts))
	defer s.Stop()
}
