package conformance

import (
	"slices"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// tokenMode is a way the suite's client carries its session's token, and
// the subtree of TestAdapter's subtests that runs the cases that way.
type tokenMode struct {
	tree string // "" for the cookie, whose cases are at the top
	src  vishnu.TokenSource
}

// tokenModes are the modes TestAdapter runs, in order: every case with the
// cookie, again with the token in a header, and the basic round trip as a
// bearer token.
var tokenModes = []tokenMode{
	{"", vishnu.TokenInCookie},
	{"Header", vishnu.TokenInHeader},
	{"Bearer", vishnu.TokenInBearer},
}

// cookieOnly lists the groups and cases ("Group" or "Group/Case") that run
// with the cookie alone, and why. The header modes skip them, saying so.
var cookieOnly = map[string]string{
	"Cookie":             "a header token has no cookie attributes and no lifetime but its session's on the server (checked by the Timeout cases in this mode)",
	"CookieStore/Chunks": "only the cookie store splits a session over several cookies, and it cannot carry header tokens",
	// It waits for the store's own expiry, in real time.
	"Timeout/InStore": "the store's expiry and its refresh are the same wherever the token travels; this mode checks the refresh with Timeout/Sliding",
}

// headerOnly lists the cases about a Manager that reads tokens from the
// cookie and a header both: they run in the header mode only.
var headerOnly = []string{"Sources/NoFixation"}

// bearerCases are the cases the bearer mode runs: the round trip of a
// session (made, kept, regenerated, destroyed, a failed logout), however
// the handler answers, and a token out of place. The header mode runs the
// rest with the same transport code in the adapter.
var bearerCases = []string{
	"BadCookie/Tampered", "BadCookie/WrongPlace",
	"Regenerate/NewToken", "Destroy/ExpiresCookie", "AutoSave/On",
	"Handler/Empty", "Handler/StatusOnly", "Handler/ReturnsError",
	"Stream/CarriesCookie", "StoreDown/FailedLogout",
}

// runs reports whether the mode runs the case group/name, and if it lists
// but skips it, why.
func (m tokenMode) runs(group, name string) (run bool, skip string) {
	key := group + "/" + name
	switch m.src {
	case vishnu.TokenInCookie:
		return !slices.Contains(headerOnly, key), ""
	case vishnu.TokenInBearer:
		return slices.Contains(bearerCases, key), ""
	}
	if why, ok := cookieOnly[key]; ok {
		return true, why
	}
	if why, ok := cookieOnly[group]; ok {
		return true, why
	}
	return true, ""
}

// run runs the mode's cases, each a subtest "Group/Case".
func (m tokenMode) run(t *testing.T, serve ServeFunc, opts AdapterOptions) {
	for _, g := range adapterGroups() {
		var cases []adapterCase
		for _, ac := range g.cases {
			if run, _ := m.runs(g.name, ac.name); run {
				cases = append(cases, ac)
			}
		}
		if len(cases) == 0 {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			for _, ac := range cases {
				t.Run(ac.name, func(t *testing.T) {
					if _, skip := m.runs(g.name, ac.name); skip != "" {
						t.Skip("cookie only: " + skip)
					}
					ac.run(newEnv(t, ac.rule, m.src, serve, opts))
				})
			}
		})
	}
}
