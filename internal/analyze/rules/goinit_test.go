package rules

import (
	"context"
	"testing"

	"github.com/sapperhq/sapper/internal/analyze"
	"github.com/sapperhq/sapper/internal/finding"
)

func TestGoInit(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []finding.Severity
	}{
		{"shell-in-init", "package p\nimport \"os/exec\"\nfunc init() {\n\texec.Command(\"/bin/sh\", \"-c\", cmd).Start()\n}\n", []finding.Severity{finding.SeverityCritical}},
		{"cmd-in-init", "package p\nimport \"os/exec\"\nfunc init() { exec.CommandContext(ctx, \"cmd.exe\", \"/C\", c).Run() }\n", []finding.Severity{finding.SeverityCritical}},
		{"http-in-init", "package p\nimport \"net/http\"\nfunc init() { http.Get(\"https://x.example.invalid\") }\n", []finding.Severity{finding.SeverityHigh}},
		{"exec-elsewhere", "package p\nimport \"os/exec\"\nfunc init() { x = 1 }\nfunc Run() { exec.Command(\"/bin/sh\", \"-c\", c).Run() }\n", nil},
		{"exec-in-comment", "package p\nfunc init() {\n\t// exec.Command(\"/bin/sh\", \"-c\", c)\n\ts := \"exec.Command(\\\"sh\\\", \\\"-c\\\")\"\n\t_ = s\n}\n", nil},
		{"method-init", "package p\nimport \"os/exec\"\ntype T struct{}\nfunc (T) init() { exec.Command(\"sh\", \"-c\", c).Run() }\n", nil},
		{"not-go", "func init() { exec.Command(", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newGoInit().Check(context.Background(), analyze.File{Path: "p.go", Kind: analyze.Go, Data: []byte(tt.src)})
			if err != nil {
				t.Fatal(err)
			}
			var sevs []finding.Severity
			for _, f := range got {
				sevs = append(sevs, f.Severity)
				if f.Location == nil || f.Location.Line == 0 {
					t.Errorf("finding without a line: %+v", f)
				}
			}
			if len(sevs) != len(tt.want) || (len(sevs) > 0 && sevs[0] != tt.want[0]) {
				t.Errorf("severities %v, want %v", sevs, tt.want)
			}
		})
	}
}
