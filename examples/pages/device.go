package pages

import (
	"strings"
	"unicode/utf8"
)

// What the list of a user's sessions calls each one: "Chrome on Linux",
// from the User-Agent its browser sent at login. A few substrings say
// enough for a person to tell their devices apart; anything else is shown
// as sent, cut short.

// browsers are the User-Agent tokens of the browsers Device names, most
// specific first: Edge and Opera also say Chrome, Chrome also says Safari.
var browsers = []struct{ token, name string }{
	{"Edg", "Edge"}, // Edg/ on desktops, EdgA/ on Android, EdgiOS/ on iOS
	{"OPR/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"Firefox/", "Firefox"},
	{"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"Chrome/", "Chrome"}, // HeadlessChrome/ too
	{"Safari/", "Safari"},
	{"curl/", "curl"},
	{"Go-http-client/", "Go"},
}

// systems are the User-Agent tokens of the systems Device names, most
// specific first: an iPhone is "like Mac OS X", Android runs Linux.
var systems = []struct{ token, name string }{
	{"iPhone", "iPhone"},
	{"iPad", "iPad"},
	{"Android", "Android"},
	{"Windows", "Windows"},
	{"CrOS", "ChromeOS"},
	{"Mac OS X", "macOS"},
	{"Linux", "Linux"},
}

// maxRawDevice is how much of a User-Agent Device shows when it knows no
// browser in it, in characters.
const maxRawDevice = 40

// Device describes the device of a User-Agent in a few words: "Chrome on
// Linux", "Safari on iPhone", "curl". A User-Agent with no browser it knows
// is returned as sent, cut to 40 characters; an empty one is "unknown
// device".
func Device(userAgent string) string {
	browser := firstIn(userAgent, browsers)
	if browser == "" {
		if userAgent == "" {
			return "unknown device"
		}
		if utf8.RuneCountInString(userAgent) <= maxRawDevice {
			return userAgent
		}
		return string([]rune(userAgent)[:maxRawDevice]) + "…"
	}
	if system := firstIn(userAgent, systems); system != "" {
		return browser + " on " + system
	}
	return browser
}

// firstIn returns the name of the first of tokens found in userAgent, ""
// when none is.
func firstIn(userAgent string, tokens []struct{ token, name string }) string {
	for _, t := range tokens {
		if strings.Contains(userAgent, t.token) {
			return t.name
		}
	}
	return ""
}
