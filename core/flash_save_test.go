package vishnu_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	vishnu "github.com/vishnu-go/vishnu/core"
)

// opsApp runs the session operations named by the "ops" query parameter,
// comma-separated, in order: "pop:k" (PopFlash), "flash:k=v", "set:k=v",
// "get:k" and "save". It prints each outcome, joined by commas.
func opsApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := vishnu.FromContext(r.Context())
		var out []string
		for op := range strings.SplitSeq(r.FormValue("ops"), ",") {
			name, arg, _ := strings.Cut(op, ":")
			k, v, _ := strings.Cut(arg, "=")
			switch name {
			case "pop":
				v, ok := vishnu.PopFlash[string](s, k)
				out = append(out, fmt.Sprintf("%v:%s", ok, v))
			case "get":
				v, ok := vishnu.Get[string](s, k)
				out = append(out, fmt.Sprintf("%v:%s", ok, v))
			case "flash":
				out = append(out, errText(s.Flash(k, v)))
			case "set":
				out = append(out, errText(s.Set(k, v)))
			case "save":
				out = append(out, errText(s.Save()))
			default:
				out = append(out, "unknown op "+op)
			}
		}
		fmt.Fprint(w, strings.Join(out, ","))
	})
}

func errText(err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return "ok"
}

// A flash read in a request that also saves is read once: neither the Save
// nor the commit point after it brings it back, whichever comes first and
// with AutoSave on or off.
func TestFlashReadAroundSaveIsReadOnce(t *testing.T) {
	cases := []struct {
		name, ops, want string
	}{
		{"pop then save", "pop:msg,save", "true:hi,ok"},
		{"pop, set, save", "pop:msg,set:b=2,save", "true:hi,ok,ok"},
		{"set, save, then pop", "set:b=2,save,pop:msg", "ok,ok,true:hi"},
		{"save, then pop", "save,pop:msg", "ok,true:hi"},
		{"pop, save, pop", "pop:msg,save,pop:msg", "true:hi,ok,false:"},
		{"pop, save, save", "pop:msg,save,save", "true:hi,ok,ok"},
		{"flash anew, pop, save", "flash:msg=new,pop:msg,save", "ok,true:new,ok"},
		{"flash anew, pop", "flash:msg=new,pop:msg", "ok,true:new"},
	}
	for _, autoSave := range []bool{true, false} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("autosave=%v/%s", autoSave, tc.name), func(t *testing.T) {
				cfg, _ := testConfig(newClock())
				cfg.AutoSave = autoSave
				b := newBrowser(t, serve(t, newManager(t, cfg), opsApp()))
				b.expect("/?ops=set:a=1,flash:msg=hi,save", "ok,ok,ok")
				b.expect("/?ops="+tc.ops, tc.want)
				b.expect("/?ops=pop:msg,get:a", "false:,true:1")
			})
		}
	}
}

// A flash set anew after the old one was read and saved is the one the next
// request reads, once.
func TestFlashSetAgainAfterReadAndSave(t *testing.T) {
	for _, autoSave := range []bool{true, false} {
		t.Run(fmt.Sprintf("autosave=%v", autoSave), func(t *testing.T) {
			cfg, _ := testConfig(newClock())
			cfg.AutoSave = autoSave
			b := newBrowser(t, serve(t, newManager(t, cfg), opsApp()))
			b.expect("/?ops=flash:msg=old,save", "ok,ok")
			b.expect("/?ops=pop:msg,save,flash:msg=new,save", "true:old,ok,ok,ok")
			b.expect("/?ops=pop:msg", "true:new")
			b.expect("/?ops=pop:msg", "false:")
		})
	}
}

// A flash set and saved in one request, then read in the same request, is
// gone for the next one.
func TestFlashSavedThenReadInOneRequest(t *testing.T) {
	for _, autoSave := range []bool{true, false} {
		t.Run(fmt.Sprintf("autosave=%v", autoSave), func(t *testing.T) {
			cfg, _ := testConfig(newClock())
			cfg.AutoSave = autoSave
			b := newBrowser(t, serve(t, newManager(t, cfg), opsApp()))
			b.expect("/?ops=set:a=1,save", "ok,ok")
			b.expect("/?ops=flash:msg=hi,save,pop:msg", "ok,ok,true:hi")
			b.expect("/?ops=pop:msg,get:a", "false:,true:1")
		})
	}
}
