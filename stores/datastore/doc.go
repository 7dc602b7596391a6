// Package datastorestore keeps Vishnu sessions in Cloud Datastore, that is
// Firestore in Datastore mode or legacy Datastore, through the official
// client, cloud.google.com/go/datastore: a managed, distributed backend for
// applications on Cloud Run, App Engine or GKE that outgrow one machine.
//
//	client, err := datastore.NewClient(ctx, projectID)
//	if err != nil { ... }
//	store, err := datastorestore.New(client)
//	if err != nil { ... }
//	sessions, err := vishnu.New(vishnu.Config{Store: store, Secret: secret})
//
// # Data layout
//
// Each session is one entity of kind "Session" (see [WithKind]), in the
// default namespace or another ([WithNamespace]), of whatever database the
// client was made for, named by the session's id (derived from the session
// token by Vishnu, so a dump of the database cannot be replayed as
// cookies). It has two properties: "data", the record exactly as Vishnu
// gives it, unindexed, and "expires", the expiry, an indexed timestamp.
// The Datastore keeps microseconds: expiries are rounded up to the next
// one, so that no session expires early. The index of sessions per user
// keeps one entity per entry, of kind "SessionUserEntry", under a key of
// kind "SessionUser" named by the user (see [Store.UserSessions]).
//
// # Round trips
//
//   - Load is one Lookup; Save and Delete are one non-transactional Commit.
//   - Commit, the atomic merge of one request's changes (see
//     [vishnu.Committer]), is a transaction of two: a Lookup that begins it
//     and a Commit. Touch, which pushes the expiry back, is the same.
//   - Cleanup is a keys-only query (two once no dormant session is left,
//     the second for index entries) and, per 25 deletions, a transaction
//     of two (a Lookup and a Commit) that deletes only what is still
//     dormant.
//   - The index of sessions per user ([vishnu.UserIndex], for Session.Login
//     and "sign out everywhere") is one Commit to add or remove an entry
//     and one ancestor query to list a user's, with a Lookup per 1,000
//     entries of their records and a Commit per 500 dead entries dropped
//     (see [Store.UserSessions]).
//
// # Expiry and cleanup
//
// The Datastore does not delete expired sessions by itself: reads treat
// them as missing, and [Store.Cleanup] deletes them, at most a given number
// per call, reporting whether any remain. [CleanupJob] runs it in a loop
// within a time budget, as an http.Handler for App Engine cron or Cloud
// Scheduler. A Firestore TTL policy on "expires" can delete them instead or
// as well.
//
// # Errors
//
// A session with no entity, or an expired one, is [vishnu.ErrNotFound].
// Every other failure (the Datastore unreachable, a timeout, a permission
// denied, a record too large, a transaction that lost every attempt to
// concurrent writers) is returned wrapped, so that errors.Is still sees the
// cause, and Vishnu answers the request with its error response instead of
// taking the failure for "no session". Each call is bounded by the store's
// timeout ([WithTimeout]), because the client retries an unreachable
// backend for up to a minute by itself.
package datastorestore
