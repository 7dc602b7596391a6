package vishnu

import (
	"fmt"
	"log/slog"
	"strings"
)

// A Config and a Manager hold the secrets that sign and encrypt every
// cookie: printed as they are (fmt's %v walks unexported fields too, and
// slog's JSON handler writes a []byte in base64), a debug line or a log of
// the configuration would hand them to whoever reads the logs. Both print
// and log what they are without them: the secrets and keys appear only as
// how many there are.

// redactedAttrs describes c without its secrets and keys.
func (c *Config) redactedAttrs() []slog.Attr {
	store := "<nil>"
	if c.Store != nil {
		store = fmt.Sprintf("%T", c.Store)
	}
	cc := &c.Cookie
	return []slog.Attr{
		slog.String("Store", store),
		slog.String("Secret", redactedKey(c.Secret)),
		slog.Int("PreviousSecrets", len(c.PreviousSecrets)),
		slog.String("EncryptKey", redactedKey(c.EncryptKey)),
		slog.Int("PreviousEncryptKeys", len(c.PreviousEncryptKeys)),
		slog.Group("Cookie",
			slog.String("Name", cc.Name),
			slog.String("Domain", cc.Domain),
			slog.String("Path", cc.Path),
			slog.Bool("Insecure", cc.Insecure),
			slog.Bool("ScriptReadable", cc.ScriptReadable),
			slog.Int("SameSite", int(cc.SameSite)),
			slog.Bool("Partitioned", cc.Partitioned),
		),
		slog.Duration("Timeout", c.Timeout),
		slog.Duration("BrowserSessionTimeout", c.BrowserSessionTimeout),
		slog.Duration("AbsoluteTimeout", c.AbsoluteTimeout),
		slog.Bool("AutoSave", c.AutoSave),
	}
}

func redactedKey(k []byte) string {
	if k == nil {
		return "<none>"
	}
	return "<redacted>"
}

// formatAttrs writes attrs as name{Key: value, Group: {Key: value}}.
func formatAttrs(b *strings.Builder, name string, attrs []slog.Attr) {
	b.WriteString(name)
	b.WriteByte('{')
	for i, a := range attrs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Key)
		b.WriteString(": ")
		if a.Value.Kind() == slog.KindGroup {
			formatAttrs(b, "", a.Value.Group())
			continue
		}
		if a.Value.Kind() == slog.KindString {
			fmt.Fprintf(b, "%q", a.Value.String())
			continue
		}
		b.WriteString(a.Value.String())
	}
	b.WriteByte('}')
}

// String describes c without its secrets and keys.
func (c Config) String() string {
	var b strings.Builder
	formatAttrs(&b, "vishnu.Config", c.redactedAttrs())
	return b.String()
}

// GoString is String: %#v must not print the secrets either.
func (c Config) GoString() string { return c.String() }

// Format implements fmt.Formatter, so that no verb (%v, %+v, %#v, %x, %d
// ...) prints the secrets and keys: each prints String.
func (c Config) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue implements slog.LogValuer: c logs as a group of its settings,
// without its secrets and keys.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.redactedAttrs()...) }

// String describes m by its configuration, without its secrets and keys.
func (m *Manager) String() string {
	if m == nil {
		return "vishnu.Manager(nil)"
	}
	var b strings.Builder
	formatAttrs(&b, "vishnu.Manager", m.cfg.redactedAttrs())
	return b.String()
}

// GoString is String: %#v must not print the secrets either.
func (m *Manager) GoString() string { return m.String() }

// Format implements fmt.Formatter, so that no verb prints the secrets and
// keys: each prints String.
func (m *Manager) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(m.String())) }

// LogValue implements slog.LogValuer: m logs as its configuration, without
// its secrets and keys.
func (m *Manager) LogValue() slog.Value {
	if m == nil {
		return slog.StringValue("vishnu.Manager(nil)")
	}
	return m.cfg.LogValue()
}
