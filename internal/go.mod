module github.com/vishnu-go/vishnu/internal

go 1.26.0

require github.com/vishnu-go/vishnu/conformance v0.1.0

require github.com/vishnu-go/vishnu/core v0.1.0

replace (
	github.com/vishnu-go/vishnu/conformance => ../conformance
	github.com/vishnu-go/vishnu/core => ../core
)
