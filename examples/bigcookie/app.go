package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// blobSize is what /fill stores: three times what one cookie holds.
const blobSize = 12 * 1024

// newApp returns the pages over a Manager of the cookie store that may
// take 6 cookies (some 18 KB of data, uncompressed), signed with secret and
// encrypted with key.
func newApp(secret, key string) (http.Handler, error) {
	store, err := vishnu.NewCookieStoreWithOptions(vishnu.CookieStoreOptions{MaxCookies: 6})
	if err != nil {
		return nil, err
	}
	m, err := vishnu.New(vishnu.Config{
		Store:      store,
		Secret:     []byte(secret),
		EncryptKey: []byte(key),
		AutoSave:   true,
		// Plain HTTP on loopback; serve over HTTPS in production.
		Cookie: vishnu.CookieConfig{Insecure: true},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		show(w, vishnu.FromContext(r.Context()))
	})
	mux.HandleFunc("GET /fill", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		// Random text, so that the size is the size whether or not the
		// store compresses.
		b := make([]byte, blobSize/2)
		_, _ = rand.Read(b)
		if err := s.Set("blob", hex.EncodeToString(b)); err != nil {
			m.HandleError(w, r, err)
			return
		}
		show(w, s)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		if err := s.Destroy(); err != nil {
			m.HandleError(w, r, err)
			return
		}
		show(w, s)
	})
	return m.Handler(mux), nil
}

// state is what a page shows of the session, as JSON in #state.
type state struct {
	New  bool   `json:"new"`
	Size int    `json:"size"`
	Sum  string `json:"sum"` // the blob's SHA-256, to compare across requests
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>bigcookie</title>
<p><a href="/">show</a> · <a href="/fill">store 12 KB</a> · <a href="/logout">log out</a>
<pre id="state">{{.}}</pre>
`))

func show(w http.ResponseWriter, s *vishnu.Session) {
	blob, _ := vishnu.Get[string](s, "blob")
	st := state{New: s.IsNew(), Size: len(blob)}
	if blob != "" {
		sum := sha256.Sum256([]byte(blob))
		st.Sum = hex.EncodeToString(sum[:8])
	}
	j, _ := json.Marshal(st)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, string(j))
}
