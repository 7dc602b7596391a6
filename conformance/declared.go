package conformance

import (
	"strings"
	"testing"
)

// What the store says of itself ----------------------------------------------------
//
// A guarantee the store lacks must be something its author states in
// StoreOptions, not a skipped subtest they can miss: each case here fails
// when the store lacks a guarantee without saying so in StoreOptions.Lacks,
// or says so while it gives it. They make no store call.

// declaredCase checks one statement of StoreOptions against the store.
type declaredCase struct {
	name string
	rule string
	// check returns what is wrong, or "".
	check func(o *StoreOptions, caps capabilities) string
}

func declaredCases() []declaredCase {
	return []declaredCase{
		{
			name: "AtomicCommits",
			rule: "a store that is not a vishnu.Committer says so: StoreOptions.Lacks has AtomicCommits, since concurrent requests on one session then lose each other's changes",
			check: func(o *StoreOptions, caps capabilities) string {
				return declaredCapability(o, caps, capCommitter, AtomicCommits)
			},
		},
		{
			name: "UserIndex",
			rule: "a store that is not a vishnu.UserIndex says so: StoreOptions.Lacks has UserIndex",
			check: func(o *StoreOptions, caps capabilities) string {
				return declaredCapability(o, caps, capUserIndex, UserIndex)
			},
		},
		{
			name: "Backend",
			rule: "a store whose data lives outside the process gives the suite NewUnavailable, NewUnresponsive and NewSecondInstance, so that a dead, hung or shared backend is tested; only a store that keeps its data in the process says StoreOptions.Lacks has RemoteBackend instead",
			check: func(o *StoreOptions, _ capabilities) string {
				if o.Lacks&RemoteBackend != 0 {
					return ""
				}
				var missing []string
				if o.NewUnavailable == nil {
					missing = append(missing, "NewUnavailable (a backend that cannot be reached)")
				}
				if o.NewUnresponsive == nil {
					missing = append(missing, "NewUnresponsive (a backend that hangs)")
				}
				if o.NewSecondInstance == nil {
					missing = append(missing, "NewSecondInstance (a second application server)")
				}
				if len(missing) == 0 {
					return ""
				}
				return "StoreOptions lacks " + strings.Join(missing, ", ") + ": without it the store is never tested against what that backend does; give it, or, for a store that keeps its data in the process, say Lacks: conformance.RemoteBackend"
			},
		},
	}
}

// declaredCapability checks that the store states lacking the guarantee l
// exactly when it does not have capability c.
func declaredCapability(o *StoreOptions, caps capabilities, c capability, l Lack) string {
	stated := o.Lacks&l != 0
	switch has := caps.has(c); {
	case !has && !stated:
		return "the store is not a " + c.String() + ", and StoreOptions.Lacks does not say " + l.String() + ": " + c.lacking() + "; add conformance." + l.String() + " to Lacks if that is meant"
	case has && stated:
		return "StoreOptions.Lacks says " + l.String() + ", but the store is a " + c.String() + ": drop it from Lacks"
	}
	return ""
}

func runDeclared(t *testing.T, r *storeRunner, caps capabilities) {
	for _, dc := range declaredCases() {
		t.Run(dc.name, func(t *testing.T) {
			if msg := dc.check(&r.opts, caps); msg != "" {
				t.Errorf("rule broken: %s\n%s", dc.rule, msg)
			}
		})
	}
}
