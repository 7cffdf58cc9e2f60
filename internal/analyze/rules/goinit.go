package rules

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

// goInit finds Go init functions that run commands or contact the network:
// code that runs when the package is merely imported. It parses the file
// with go/parser, so a call in a comment, a string or another function does
// not count; a pattern could not tell. Starting a shell (sh -c, cmd /c,
// powershell) from init is critical: real modules do not.
type goInit struct{}

var _ analyze.Rule = (*goInit)(nil)

func newGoInit() *goInit { return &goInit{} }

func (*goInit) Name() string { return "go-init-exec" }

// goInitCalls are the calls that make an init function a hook, by
// package-qualified name.
var goInitCalls = map[string]string{
	"exec.Command": "runs a command", "exec.CommandContext": "runs a command",
	"os.StartProcess": "starts a process", "syscall.Exec": "replaces the process", "syscall.ForkExec": "starts a process",
	"http.Get": "contacts the network", "http.Post": "contacts the network", "http.PostForm": "contacts the network",
	"http.NewRequest": "contacts the network", "http.NewRequestWithContext": "contacts the network",
	"net.Dial": "opens a connection", "net.DialTimeout": "opens a connection",
}

// goShells are programs whose "-c" / "/c" argument is a command line.
var goShells = map[string]bool{"sh": true, "bash": true, "zsh": true, "dash": true, "cmd": true, "cmd.exe": true, "powershell": true, "powershell.exe": true, "pwsh": true}

func (r *goInit) Check(ctx context.Context, f analyze.File) ([]finding.Finding, error) {
	// Test files are not compiled into the packages that import this one.
	if f.Kind != analyze.Go || strings.HasSuffix(f.Path, "_test.go") || !strings.Contains(string(f.Data), "func init") {
		return nil, nil
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, f.Path, f.Data, parser.SkipObjectResolution)
	if err != nil {
		return nil, nil // not Go we can parse: the patterns still look at it
	}
	var out []finding.Finding
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "init" || fn.Recv != nil || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			what, ok := goInitCalls[pkg.Name+"."+sel.Sel.Name]
			if !ok {
				return true
			}
			sev, cat := finding.SeverityHigh, analyze.CatInstallHook
			if shell := goShellCall(call); shell != "" {
				sev, what = finding.SeverityCritical, "starts "+shell+" with a command line"
			}
			pos := fset.Position(call.Pos())
			out = append(out, finding.Finding{
				Kind:     analyze.SuspiciousCode,
				Severity: sev,
				Summary:  "init() " + what + ": importing the package runs it",
				Rule:     r.Name(),
				Category: cat,
				Location: &finding.Location{Path: f.Path, Line: pos.Line},
				Snippet:  analyze.Snippet(f.Data, pos.Offset, fset.Position(call.End()).Offset),
			})
			return true
		})
	}
	return out, nil
}

// goShellCall returns the shell a exec.Command call starts with a command
// line ("sh" for exec.Command("/bin/sh", "-c", ...)), or "".
func goShellCall(call *ast.CallExpr) string {
	args := call.Args
	if len(args) > 0 {
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "CommandContext" {
			args = args[1:]
		}
	}
	if len(args) < 2 {
		return ""
	}
	prog, ok1 := stringLit(args[0])
	flag, ok2 := stringLit(args[1])
	if !ok1 || !ok2 {
		return ""
	}
	base := strings.ToLower(prog[strings.LastIndexAny(prog, `/\`)+1:])
	if goShells[base] && (flag == "-c" || strings.EqualFold(flag, "/c") || strings.EqualFold(flag, "-command") || strings.EqualFold(flag, "-encodedcommand")) {
		return base
	}
	return ""
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}
