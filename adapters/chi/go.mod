module github.com/vishnu-go/vishnu/adapters/chi

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/vishnu-go/vishnu/conformance v0.1.0
	github.com/vishnu-go/vishnu/core v0.1.0
	github.com/vishnu-go/vishnu/internal v0.1.0
)

replace (
	github.com/vishnu-go/vishnu/conformance => ../../conformance
	github.com/vishnu-go/vishnu/core => ../../core
	github.com/vishnu-go/vishnu/internal => ../../internal
)
