module github.com/vishnu-go/vishnu/stores/memcache

go 1.26.0

require (
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c
	github.com/vishnu-go/vishnu/conformance v0.1.0
	github.com/vishnu-go/vishnu/core v0.1.0
	github.com/vishnu-go/vishnu/internal v0.1.0
)

replace github.com/vishnu-go/vishnu/core => ../../core

replace github.com/vishnu-go/vishnu/conformance => ../../conformance

replace github.com/vishnu-go/vishnu/internal => ../../internal
