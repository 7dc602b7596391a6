module github.com/vishnu-go/vishnu/internal

go 1.26.0
