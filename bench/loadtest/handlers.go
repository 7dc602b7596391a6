package loadtest

import (
	"net/http"
	"strconv"
	"strings"
)

// The routes every library serves. They are the same handler bodies for
// every library (login, read, incr and sum below), each given the library's
// session through the session interface.
const (
	// PathLogin creates a session holding user = "u" + the query's u.
	PathLogin = "/login"
	// PathRead reads user and writes it: a logged-in page view.
	PathRead = "/read"
	// PathIncr reads user, then adds one to the int under "c" + the query's
	// c. Each connection of the generator increments its own key, so that on
	// one shared session the sum of the keys counts every write that was kept.
	PathIncr = "/incr"
	// PathSum writes the sum of the keys c0 .. c(n-1), n from the query.
	PathSum = "/sum"
)

// session is what a handler body needs from a library's session.
type session interface {
	getString(key string) (string, bool)
	getInt(key string) int
	set(key string, v any) error
	// save persists the changes, for the libraries that need a call for it;
	// those that commit by themselves (Vishnu with AutoSave, scs) do nothing.
	save() error
}

// A response is a status and a plain-text body.
type response struct {
	status int
	body   string
}

func ok(body string) response { return response{http.StatusOK, body} }

func failed(err error) response { return response{http.StatusInternalServerError, err.Error()} }

var notLoggedIn = response{http.StatusForbidden, "not logged in"}

const userKey = "user"

func login(s session, query string) response {
	if err := s.set(userKey, "u"+param(query, "u")); err != nil {
		return failed(err)
	}
	if err := s.save(); err != nil {
		return failed(err)
	}
	return ok("ok")
}

func read(s session) response {
	user, found := s.getString(userKey)
	if !found {
		return notLoggedIn
	}
	return ok(user)
}

func incr(s session, query string) response {
	if _, found := s.getString(userKey); !found {
		return notLoggedIn
	}
	key := "c" + param(query, "c")
	if err := s.set(key, s.getInt(key)+1); err != nil {
		return failed(err)
	}
	if err := s.save(); err != nil {
		return failed(err)
	}
	return ok("ok")
}

func sum(s session, query string) response {
	n, err := strconv.Atoi(param(query, "n"))
	if err != nil || n < 0 {
		return response{http.StatusBadRequest, "bad n"}
	}
	total := 0
	for i := range n {
		total += s.getInt("c" + strconv.Itoa(i))
	}
	return ok(strconv.Itoa(total))
}

// param returns the value of name in a raw query, without unescaping: the
// generator sends only digits. It is the same cheap parse for every
// framework, so that none pays for a fuller one.
func param(query, name string) string {
	for part := range strings.SplitSeq(query, "&") {
		if k, v, found := strings.Cut(part, "="); found && k == name {
			return v
		}
	}
	return ""
}
