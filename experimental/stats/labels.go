package stats

import "context"

type customLabelKey struct{}

// NewContextWithCustomLabel returns ctx carrying label, which metrics
// recorded for RPCs under that context attach as the custom label of gRFC
// A108.
func NewContextWithCustomLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, customLabelKey{}, label)
}

// CustomLabelFromContext returns the label set by NewContextWithCustomLabel,
// or "" if there is none.
func CustomLabelFromContext(ctx context.Context) string {
	label, _ := ctx.Value(customLabelKey{}).(string)
	return label
}
