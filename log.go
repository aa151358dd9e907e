package ifmatch

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

const (
	slogInfo  = slog.LevelInfo
	slogDebug = slog.LevelDebug
)

func attrMethod(m string) slog.Attr       { return slog.String("method", m) }
func attrURL(u string) slog.Attr          { return slog.String("url", redactURL(u)) }
func attrReason(r string) slog.Attr       { return slog.String("reason", r) }
func attrDelay(d time.Duration) slog.Attr { return slog.Duration("delay", d) }

// slogLeveled adapts a *slog.Logger to go-retryablehttp's LeveledLogger,
// redacting URLs and errors on the way, since retryablehttp keeps query
// values in what it logs.
type slogLeveled struct{ l *slog.Logger }

var _ retryablehttp.LeveledLogger = slogLeveled{}

func (s slogLeveled) Error(msg string, kv ...any) { s.log(slog.LevelError, msg, kv) }
func (s slogLeveled) Info(msg string, kv ...any)  { s.log(slog.LevelInfo, msg, kv) }
func (s slogLeveled) Debug(msg string, kv ...any) { s.log(slog.LevelDebug, msg, kv) }
func (s slogLeveled) Warn(msg string, kv ...any)  { s.log(slog.LevelWarn, msg, kv) }

func (s slogLeveled) log(level slog.Level, msg string, kv []any) {
	ctx := context.Background()
	if !s.l.Enabled(ctx, level) {
		return
	}
	clean := make([]any, 0, len(kv))
	for i := 0; i+1 < len(kv); i += 2 {
		clean = append(clean, kv[i], scrubValue(kv[i+1]))
	}
	s.l.Log(ctx, level, "retryablehttp: "+msg, clean...)
}

// scrubValue redacts every URL-looking word of a logged value.
func scrubValue(v any) any {
	var s string
	switch v := v.(type) {
	case error:
		s = scrubURLError(v).Error()
	case string:
		s = v
	case fmt.Stringer:
		s = v.String()
	default:
		return v
	}
	return redactText(s)
}

// retryLogger is go-retryablehttp's logger: nil when debug records would be
// discarded anyway, so that it builds none.
func (c *Client) retryLogger() any {
	if !c.cfg.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	return c.retryLog
}
