module github.com/vishnu-go/vishnu/adapters/echov5

go 1.26.0

require (
	github.com/labstack/echo/v5 v5.4.6
	github.com/vishnu-go/vishnu/conformance v0.1.0
	github.com/vishnu-go/vishnu/core v0.1.0
	github.com/vishnu-go/vishnu/internal v0.1.0
)

require golang.org/x/time v0.15.0 // indirect

replace (
	github.com/vishnu-go/vishnu/conformance => ../../conformance
	github.com/vishnu-go/vishnu/core => ../../core
	github.com/vishnu-go/vishnu/internal => ../../internal
)
