package pagestest

import (
	"regexp"
	"time"
)

// SessionRow is one entry of the page's list of the user's sessions, as
// its data attributes give it.
type SessionRow struct {
	ID         string // what the End button posts
	Device     string
	IP         string
	Created    time.Time
	LastActive time.Time
	Current    bool // the session of the request that got the page
	Marked     bool // shown as "(this browser)"
	CanEnd     bool // has an End button
}

var (
	sessionRE = regexp.MustCompile(`(?s)<div class="session" data-session-id="([^"]*)"( data-current)?>(.*?)</div></li>`)
	deviceRE  = regexp.MustCompile(`data-field="device">([^<]*)<`)
	ipRE      = regexp.MustCompile(`data-field="ip">([^<]*)<`)
	currentRE = regexp.MustCompile(`data-field="current">\(this browser\)<`)
	timeRE    = regexp.MustCompile(`data-field="([a-z-]+)" datetime="([^"]*)"`)
	endRE     = regexp.MustCompile(`action="/sessions/end"><input type="hidden" name="id" value="([^"]*)">`)
)

// Sessions returns the page's list of the user's sessions, in its order;
// none when the page has no list. A field the page lacks is left zero.
func (p Page) Sessions() []SessionRow {
	var rows []SessionRow
	for _, m := range sessionRE.FindAllStringSubmatch(p.Body, -1) {
		row := SessionRow{ID: m[1], Current: m[2] != "", Marked: currentRE.MatchString(m[3])}
		if d := deviceRE.FindStringSubmatch(m[3]); d != nil {
			row.Device = d[1]
		}
		if ip := ipRE.FindStringSubmatch(m[3]); ip != nil {
			row.IP = ip[1]
		}
		for _, tm := range timeRE.FindAllStringSubmatch(m[3], -1) {
			at, _ := time.Parse(time.RFC3339, tm[2])
			switch tm[1] {
			case "created":
				row.Created = at
			case "last-active":
				row.LastActive = at
			}
		}
		if e := endRE.FindStringSubmatch(m[3]); e != nil && e[1] == row.ID {
			row.CanEnd = true
		}
		rows = append(rows, row)
	}
	return rows
}

// Notice reports whether the page tells the visitor they were signed out
// from another device.
func (p Page) Notice() bool {
	return p.Field("ended-elsewhere") == "You were signed out from another device."
}
