// Command gen rebuilds the embedded popular-name lists of package names
// (internal/names/data/*.txt.gz) from the source files:
//
//	go run ./internal/names/gen -src ../shared/data/popular -out internal/names/data
//
// The source directory holds npm-top-downloads.txt and npm-top-dependents.txt
// (one name a line, most popular first), top-pypi-packages.json (rows of
// project and download_count, as hugovk/top-pypi-packages publishes),
// go-top-modules.json and rubygems-top.json ({"downloaded_timestamp": unix
// seconds, "packages": [...]}). docs/names.md says more.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// list is one ecosystem's output file.
type list struct {
	file, ecosystem, source, date string
	ranked                        bool
	names                         []string
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := fs.String("src", "", "directory of the popular-package source files (required)")
	out := fs.String("out", "internal/names/data", "directory to write the lists to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *src == "" {
		fs.Usage()
		return fmt.Errorf("-src is required")
	}
	var lists []list

	downloads, dlDate, err := readLines(filepath.Join(*src, "npm-top-downloads.txt"))
	if err != nil {
		return err
	}
	dependents, _, err := readLines(filepath.Join(*src, "npm-top-dependents.txt"))
	if err != nil {
		return err
	}
	lists = append(lists, list{
		file: "npm.txt.gz", ecosystem: "npm", ranked: true,
		source: fmt.Sprintf("npm-top-downloads.txt (%d names by downloads) and npm-top-dependents.txt (%d by dependents), interleaved by rank",
			len(downloads), len(dependents)),
		date:  "not recorded in the files (file time " + dlDate + ")",
		names: interleave(downloads, dependents),
	})

	pypi, err := readPyPI(filepath.Join(*src, "top-pypi-packages.json"))
	if err != nil {
		return err
	}
	lists = append(lists, pypi)

	goList, err := readPackages(filepath.Join(*src, "go-top-modules.json"))
	if err != nil {
		return err
	}
	goList.file, goList.ecosystem, goList.ranked = "go.txt.gz", "Go", true
	goList.source = fmt.Sprintf("go-top-modules.json (%d module paths)", len(goList.names))
	lists = append(lists, goList)

	gems, err := readPackages(filepath.Join(*src, "rubygems-top.json"))
	if err != nil {
		return err
	}
	// The RubyGems file is not in popularity order (rails comes last, rake
	// at 372): its names are equals.
	gems.file, gems.ecosystem, gems.ranked = "rubygems.txt.gz", "RubyGems", false
	gems.source = fmt.Sprintf("rubygems-top.json (%d gem names, not in popularity order)", len(gems.names))
	lists = append(lists, gems)

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, l := range lists {
		if err := write(filepath.Join(*out, l.file), l); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s: %d names\n", l.file, len(l.names))
	}
	return nil
}

// readLines reads a list of names, one a line, and the file's modification
// date.
func readLines(path string) ([]string, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, "", err
	}
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" && !strings.HasPrefix(n, "#") {
			names = append(names, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("read %s: %w", path, err)
	}
	return names, fi.ModTime().UTC().Format(time.DateOnly), nil
}

// readPyPI reads hugovk/top-pypi-packages' JSON: the most downloaded
// projects of the last 30 days, queried from the PyPI downloads dataset.
func readPyPI(path string) (list, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return list{}, err
	}
	var v struct {
		LastUpdate string `json:"last_update"`
		Source     string `json:"source"`
		Rows       []struct {
			Project       string `json:"project"`
			DownloadCount int64  `json:"download_count"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return list{}, fmt.Errorf("parse %s: %w", path, err)
	}
	sort.SliceStable(v.Rows, func(i, j int) bool { return v.Rows[i].DownloadCount > v.Rows[j].DownloadCount })
	l := list{
		file: "pypi.txt.gz", ecosystem: "PyPI", ranked: true, date: v.LastUpdate,
		source: fmt.Sprintf("top-pypi-packages.json (%d projects by downloads; its \"source\": %q)", len(v.Rows), v.Source),
	}
	for _, r := range v.Rows {
		l.names = append(l.names, r.Project)
	}
	return l, nil
}

// readPackages reads {"downloaded_timestamp": ..., "packages": [...]}.
func readPackages(path string) (list, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return list{}, err
	}
	var v struct {
		Timestamp int64    `json:"downloaded_timestamp"`
		Packages  []string `json:"packages"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return list{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return list{
		date:  time.Unix(v.Timestamp, 0).UTC().Format(time.RFC3339) + " (downloaded_timestamp)",
		names: v.Packages,
	}, nil
}

// interleave merges lists ranked on different measures: each name takes
// its best position in any of them.
func interleave(lists ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; ; i++ {
		more := false
		for _, l := range lists {
			if i < len(l) {
				more = true
				if !seen[l[i]] {
					seen[l[i]] = true
					out = append(out, l[i])
				}
			}
		}
		if !more {
			return out
		}
	}
}

// write writes l as a gzip file: header comments, then one name a line.
// The output depends only on l, so regenerating unchanged sources changes
// nothing.
func write(path string, l list) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# ecosystem: %s\n# source: %s\n# date: %s\n", l.ecosystem, l.source, l.date)
	if l.ranked {
		buf.WriteString("# ranked: yes (most popular first)\n")
	} else {
		buf.WriteString("# ranked: no\n")
	}
	buf.WriteString("# generated by: go run ./internal/names/gen (see docs/names.md)\n")
	seen := map[string]bool{}
	for _, n := range l.names {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] || strings.ContainsFunc(n, func(r rune) bool { return unicode.IsSpace(r) || r == '#' }) {
			continue
		}
		seen[n] = true
		buf.WriteString(n)
		buf.WriteByte('\n')
	}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, z.Bytes(), 0o644)
}
