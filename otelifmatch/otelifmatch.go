// Package otelifmatch records ifmatch calls and the HTTP requests they send
// as OpenTelemetry spans. It is a module of its own, so that the ifmatch
// module does not depend on OpenTelemetry.
//
//	c := ifmatch.New(&ifmatch.Options{Tracer: otelifmatch.NewTracer()})
//
// Each call (Get, Put, Update, Do, ...) is a span named "ifmatch.<Name>",
// a child of the span in the caller's context. Each HTTP request it sends
// (reads, writes, refetches, transport retries) is a client span named
// "HTTP <METHOD>", a child of the call's span, whose context is injected
// into the request's headers by the propagator (W3C traceparent by
// default). Options.OnConflict, Options.OnRetry and the Logger receive the
// call's context, so that metrics and logs are linked to the call's span.
package otelifmatch

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/ifmatch/ifmatch"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/ifmatch/ifmatch/otelifmatch"

// Option configures NewTracer.
type Option func(*config)

type config struct {
	provider    trace.TracerProvider
	propagators propagation.TextMapPropagator
}

// WithTracerProvider sets the provider of the spans' tracer. Default: the
// global one, otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithPropagators sets how a request's span context is written into its
// headers. Default: the global one, otel.GetTextMapPropagator().
func WithPropagators(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.propagators = p }
}

// NewTracer returns an ifmatch.Tracer that records OpenTelemetry spans,
// for Options.Tracer.
func NewTracer(opts ...Option) ifmatch.Tracer {
	c := config{}
	for _, o := range opts {
		o(&c)
	}
	if c.provider == nil {
		c.provider = otel.GetTracerProvider()
	}
	if c.propagators == nil {
		c.propagators = otel.GetTextMapPropagator()
	}
	return &tracer{t: c.provider.Tracer(ScopeName), prop: c.propagators}
}

type tracer struct {
	t    trace.Tracer
	prop propagation.TextMapPropagator
}

var _ ifmatch.Tracer = (*tracer)(nil)

// Attribute keys beyond the HTTP semantic conventions.
const (
	// AttemptsKey is a call's write requests sent (Response.Attempts).
	AttemptsKey = attribute.Key("ifmatch.attempts")
	// CallKey is the ifmatch method called: "Put", "Update", "Do"...
	CallKey = attribute.Key("ifmatch.call")
)

// HTTP semantic convention keys (stable since semconv 1.23).
const (
	methodKey = attribute.Key("http.request.method")
	urlKey    = attribute.Key("url.full")
	statusKey = attribute.Key("http.response.status_code")
	resendKey = attribute.Key("http.request.resend_count")
)

func (t *tracer) StartCall(ctx context.Context, call ifmatch.CallInfo) (context.Context, func(ifmatch.CallEnd)) {
	ctx, span := t.t.Start(ctx, "ifmatch."+call.Name, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(CallKey.String(call.Name), methodKey.String(call.Method), urlKey.String(call.URL)))
	return ctx, func(e ifmatch.CallEnd) {
		if e.StatusCode != 0 {
			span.SetAttributes(statusKey.Int(e.StatusCode))
		}
		span.SetAttributes(AttemptsKey.Int(e.Attempts))
		if e.Err != nil {
			span.RecordError(e.Err)
			span.SetStatus(codes.Error, e.Err.Error())
		}
		span.End()
	}
}

func (t *tracer) StartRequest(ctx context.Context, req *http.Request, info ifmatch.RequestInfo) (context.Context, func(int, error)) {
	attrs := []attribute.KeyValue{methodKey.String(info.Method), urlKey.String(info.URL)}
	if info.Retry > 0 {
		attrs = append(attrs, resendKey.Int(info.Retry))
	}
	ctx, span := t.t.Start(ctx, "HTTP "+info.Method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	t.prop.Inject(ctx, propagation.HeaderCarrier(req.Header))
	return ctx, func(status int, err error) {
		if status != 0 {
			span.SetAttributes(statusKey.Int(status))
		}
		switch {
		case err != nil:
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		case failed(status):
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		span.End()
	}
}

// failed reports whether a request's status is an error of its span. The
// conflicts ifmatch resolves (409, 412, 428, and 423 while a lock is
// waited out) are not: the call's span tells whether they were resolved.
func failed(status int) bool {
	switch status {
	case http.StatusConflict, http.StatusPreconditionFailed, http.StatusPreconditionRequired, http.StatusLocked:
		return false
	}
	return status >= 400
}
