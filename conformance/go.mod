module github.com/vishnu-go/vishnu/conformance

go 1.26.0

require github.com/vishnu-go/vishnu/core v0.1.0

replace github.com/vishnu-go/vishnu/core => ../core
