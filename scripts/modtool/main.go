// Command modtool answers the questions that the repository's scripts ask about
// its modules, reading go.work and each module's go.mod the way the go command
// does:
//
//	modtool modules      every module of go.work, in dependency order:
//	                     "<dir> <module path> lib|support|app" per line
//	modtool requirements every requirement of one module of the repository on
//	                     another: "<dir> <required path> <version>" per line
//	modtool publish -out DIR [-version V]
//	                     writes every library and support module of the working tree into
//	                     DIR as a module proxy (GOPROXY=file://DIR), at the
//	                     version their siblings require (or V)
//	modtool install-test [-keep]
//	                     follows the README's pre-release recipe verbatim,
//	                     then installs the library modules from such a proxy
//	                     as a user would, and builds and tests users' apps and
//	                     a custom store on them (-keep keeps its scratch folder)
//
// Library modules are the ones users install: core, conformance, stores/* and
// adapters/*. Support modules (internal) are published because libraries
// require them for their tests, but users never install them. The others
// (examples/*, bench) are never published.
//
// It lives in its own module, outside go.work, so that golang.org/x/mod never
// enters the graph of a module users get. Run it from anywhere in the
// repository with:
//
//	GOWORK=off go run ./scripts/modtool <command>   (from the repository root)
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "modtool:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("modtool", flag.ContinueOnError)
	root := fs.String("root", "", "repository root (default: the folder of the go.work above the current folder)")
	out := fs.String("out", "", "publish: the proxy folder to write")
	version := fs.String("version", "", "publish: the version to publish at (default: the one the siblings require)")
	keep := fs.Bool("keep", false, "install-test: keep the scratch folder")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: modtool [-root DIR] modules|requirements|publish [-out DIR] [-version V]|install-test [-keep]")
		fs.PrintDefaults()
	}
	// Flags may stand before and after the command.
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("no command")
	}
	cmd := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%s: unexpected arguments %q", cmd, fs.Args())
	}
	dir := *root
	if dir == "" {
		var err error
		if dir, err = findRoot(); err != nil {
			return err
		}
	}
	repo, err := loadRepo(dir)
	if err != nil {
		return err
	}
	switch cmd {
	case "modules":
		for _, m := range repo.modules {
			kind := "app"
			switch {
			case m.library:
				kind = "lib"
			case m.support:
				kind = "support"
			}
			fmt.Printf("%s %s %s\n", m.dir, m.path, kind)
		}
		return nil
	case "requirements":
		for _, m := range repo.modules {
			for _, r := range m.siblings {
				fmt.Printf("%s %s %s\n", m.dir, r.Path, r.Version)
			}
		}
		return nil
	case "publish":
		if *out == "" {
			return fmt.Errorf("publish: -out is required")
		}
		return publish(repo, *out, *version)
	case "install-test":
		return installTest(repo, *keep)
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
}
