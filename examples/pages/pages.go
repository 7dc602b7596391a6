// Package pages holds what every example app shows, whatever its
// framework: the page, its data, and the rules of the login form. Each app
// on a framework writes only its handlers, in that framework's idiom, over
// the same page; the apps on net/http share one Handler.
package pages

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// Session keys of the example apps.
const (
	KeyVisits = "visits"
	KeyUser   = "user"
	KeyFlash  = "flash"
)

const (
	// RememberFor is the session timeout when "remember me" is ticked.
	RememberFor = 30 * 24 * time.Hour
	// MaxNameLen bounds what a visitor can make the server keep.
	MaxNameLen = 64
)

//go:embed page.html
var pageHTML string

// pageTmpl is parsed once; Must is safe here because the template is part of
// the binary, and the apps' tests render it.
var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"device": SessionDevice,
	"stamp":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).Parse(pageHTML))

// Data is what the page shows of the visitor's session.
type Data struct {
	Visits     int
	User       string // empty when logged out
	IsNew      bool
	Timeout    string
	Flash      string
	MaxNameLen int
	// Sessions lists the user's sessions, where the app offers it.
	Sessions []vishnu.UserSession
	// EndedElsewhere is set on the first page after this browser's session
	// was ended from another of the user's sessions.
	EndedElsewhere bool
}

// Home counts the visit in s and returns what the home page shows: the
// same for every app. The error is Set's.
func Home(s *vishnu.Session) (Data, error) {
	visits, _ := vishnu.Get[int](s, KeyVisits)
	visits++
	if err := s.Set(KeyVisits, visits); err != nil {
		return Data{}, err
	}
	user, _ := vishnu.Get[string](s, KeyUser)
	flash, _ := vishnu.PopFlash[string](s, KeyFlash) // read once: gone on the next page
	return Data{
		Visits:         visits,
		User:           user,
		IsNew:          s.IsNew(),
		Timeout:        DescribeTimeout(s.Timeout()),
		Flash:          flash,
		MaxNameLen:     MaxNameLen,
		EndedElsewhere: s.EndedElsewhere(),
	}, nil
}

// Render returns the page as HTML, rendered whole so that a template error
// becomes a clean error rather than half a page.
func Render(d Data) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoginName returns the trimmed user name of a login form, and false with
// the flash to show when it is empty or too long.
func LoginName(raw string) (string, string, bool) {
	name := strings.TrimSpace(raw)
	if name == "" || utf8.RuneCountInString(name) > MaxNameLen {
		return "", fmt.Sprintf("Please enter a name (1 to %d characters).", MaxNameLen), false
	}
	return name, "", true
}

// SessionDevice names the device of one of the user's sessions: from the
// User-Agent its browser sent at login (Device), else the label it logged
// in with.
func SessionDevice(us vishnu.UserSession) string {
	if us.UserAgent == "" && us.Label != "" {
		return us.Label
	}
	return Device(us.UserAgent)
}

// LoginTimeout is the session timeout a login asks for: 30 days with
// "remember me", else a cookie that ends when the browser closes.
func LoginTimeout(remember bool) time.Duration {
	if remember {
		return RememberFor
	}
	return vishnu.UntilBrowserCloses
}

// DescribeTimeout says how long a session lives unused, in words.
func DescribeTimeout(d time.Duration) string {
	if d == vishnu.UntilBrowserCloses {
		return "until the browser closes"
	}
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if d%u.size == 0 {
			n := int(d / u.size)
			if n == 1 {
				return "1 " + u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return d.String()
}

// Login logs name in on s for the apps that keep no list of a user's
// sessions: the user, the timeout "remember me" asks for, the welcome
// flash, and a new token.
func Login(s *vishnu.Session, name string, remember bool) error {
	if err := errors.Join(
		s.Set(KeyUser, name),
		s.SetTimeout(LoginTimeout(remember)),
		s.Flash(KeyFlash, "Welcome, "+name),
	); err != nil {
		return err
	}
	// A new token at login defeats session fixation: a cookie planted in
	// the browser before login (or seen by anyone then) names a deleted
	// record afterwards. Regenerate saves, so it comes last and the user,
	// timeout and flash are written once, under the new token only.
	return s.Regenerate()
}
