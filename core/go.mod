module github.com/vishnu-go/vishnu/core

go 1.26.0
