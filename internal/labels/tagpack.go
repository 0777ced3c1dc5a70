package labels

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// TagPack reading streams: a pack is read twice, line by line. The first pass
// collects the header (every top-level key but "tags"); the second cuts the
// block sequence under "tags:" into one item at a time, and each item is
// decoded with the YAML library on its own. Memory is bounded by the largest
// item, not the pack. Packs whose tags are not a block sequence (flow style,
// "tags: [...]") are decoded whole up to maxWholePack.

// Limits of the TagPack reader.
const (
	maxLineBytes   = 1 << 20  // one line
	maxHeaderBytes = 1 << 20  // all header fields together
	maxItemBytes   = 1 << 20  // one tag
	maxWholePack   = 16 << 20 // a pack that must be decoded whole
)

// tagFields are the fields a tag inherits from the header unless it sets its own.
var tagFields = []string{"address", "label", "category", "abuse", "source", "confidence",
	"actor", "currency", "network", "is_cluster_definer", "concepts"}

// lineReader yields lines with their numbers, refusing over-long ones.
type lineReader struct {
	file string
	br   *bufio.Reader
	n    int
}

func newLineReader(file string, r io.Reader) *lineReader {
	return &lineReader{file: file, br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its line ending (and without a UTF-8
// byte order mark on line 1), or io.EOF.
func (lr *lineReader) next() ([]byte, error) {
	var line []byte
	for {
		part, err := lr.br.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxLineBytes {
			return nil, &InputError{File: lr.file, Line: lr.n + 1, Err: fmt.Errorf("line longer than %d bytes", maxLineBytes)}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) > 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		break
	}
	lr.n++
	line = bytes.TrimRight(line, "\r\n")
	if lr.n == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line, nil
}

// topLevelKey returns the key of a line that starts a top-level mapping entry.
func topLevelKey(line []byte) (string, bool) {
	if len(line) == 0 || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-' {
		return "", false
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return "", false
	}
	return strings.Trim(string(line[:i]), `"'`), true
}

func isBlankOrComment(line []byte) bool {
	t := bytes.TrimLeft(line, " \t")
	return len(t) == 0 || t[0] == '#'
}

// isDocMarker reports a YAML document start or end marker.
func isDocMarker(line []byte) bool {
	return bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("..."))
}

// readTagPack reads a TagPack, calling emit for each tag with the header's
// fields filled in where the tag has none. It returns the number of tags.
func readTagPack(file string, r io.ReadSeeker, emit func(record) error) (int, error) {
	header, flow, err := tagPackHeader(file, r)
	if err != nil {
		return 0, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	if flow {
		return readWholeTagPack(file, r, header, emit)
	}
	lr := newLineReader(file, r)
	inTags := false
	indent := -1
	var item bytes.Buffer
	itemLine, n := 0, 0
	flush := func() error {
		if item.Len() == 0 {
			return nil
		}
		n++
		err := decodeTagItem(file, itemLine, item.Bytes(), header, emit)
		item.Reset()
		return err
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
		if key, ok := topLevelKey(line); ok || isDocMarker(line) {
			if err := flush(); err != nil {
				return n, err
			}
			inTags = ok && key == "tags"
			continue
		}
		if !inTags {
			continue
		}
		if isBlankOrComment(line) {
			if item.Len() > 0 { // kept as is: it may be inside a block scalar
				if item.Len()+len(line) > maxItemBytes {
					return n, &InputError{File: file, Line: itemLine, Err: fmt.Errorf("tag longer than %d bytes", maxItemBytes)}
				}
				item.Write(line)
				item.WriteByte('\n')
			}
			continue
		}
		ind := len(line) - len(bytes.TrimLeft(line, " "))
		rest := line[ind:]
		if rest[0] == '\t' {
			return n, &InputError{File: file, Line: lr.n, Err: errors.New("tab used for indentation (YAML allows spaces only)")}
		}
		isItem := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
		if indent < 0 {
			if !isItem {
				return n, &InputError{File: file, Line: lr.n, Field: "tags", Err: errors.New("want a list of tags (lines starting with \"- \")")}
			}
			indent = ind
		}
		switch {
		case isItem && ind == indent:
			if err := flush(); err != nil {
				return n, err
			}
			itemLine = lr.n
		case ind <= indent:
			return n, &InputError{File: file, Line: lr.n, Field: "tags", Err: fmt.Errorf("line indented by %d, inside a tag list indented by %d", ind, indent)}
		}
		if item.Len()+len(line) > maxItemBytes {
			return n, &InputError{File: file, Line: itemLine, Err: fmt.Errorf("tag longer than %d bytes", maxItemBytes)}
		}
		item.Write(line)
		item.WriteByte('\n')
	}
	if err := flush(); err != nil {
		return n, err
	}
	return n, nil
}

// tagPackHeader reads the header fields (first pass). flow is true when the
// tags are not a block sequence and the pack must be decoded whole.
func tagPackHeader(file string, r io.Reader) (header map[string]field, flow bool, err error) {
	lr := newLineReader(file, r)
	header = map[string]field{}
	var block bytes.Buffer
	blockLine, total := 0, 0
	sawTags := false
	inHeaderBlock := false
	flush := func() error {
		if block.Len() == 0 {
			return nil
		}
		total += block.Len()
		if total > maxHeaderBytes {
			return &InputError{File: file, Line: blockLine, Err: fmt.Errorf("header fields longer than %d bytes", maxHeaderBytes)}
		}
		node, err := decodeYAML(file, blockLine, block.Bytes())
		block.Reset()
		if err != nil {
			return err
		}
		if node.Kind != yaml.MappingNode {
			return &InputError{File: file, Line: blockLine, Err: errors.New("a TagPack is a mapping of header fields and tags")}
		}
		return collectFields(file, blockLine, node, header)
	}
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
		if isDocMarker(line) {
			if lr.n > 1 && bytes.HasPrefix(line, []byte("---")) && sawTags {
				return nil, false, &InputError{File: file, Line: lr.n, Err: errors.New("more than one YAML document: one TagPack per file")}
			}
			if err := flush(); err != nil {
				return nil, false, err
			}
			inHeaderBlock = false
			continue
		}
		if key, ok := topLevelKey(line); ok {
			if err := flush(); err != nil {
				return nil, false, err
			}
			inHeaderBlock = key != "tags"
			if key == "tags" {
				if sawTags {
					return nil, false, &InputError{File: file, Line: lr.n, Field: "tags", Err: errors.New("given twice")}
				}
				sawTags = true
				v := bytes.TrimSpace(line[bytes.IndexByte(line, ':')+1:])
				if len(v) > 0 && v[0] != '#' {
					flow = true
				}
				continue
			}
			blockLine = lr.n
		} else if !inHeaderBlock {
			if !sawTags && !isBlankOrComment(line) {
				return nil, false, &InputError{File: file, Line: lr.n, Err: errors.New("a TagPack is a mapping of header fields and tags")}
			}
			continue
		}
		block.Write(line)
		block.WriteByte('\n')
	}
	if err := flush(); err != nil {
		return nil, false, err
	}
	if !sawTags {
		return nil, false, &InputError{File: file, Field: "tags", Err: errors.New("missing: a TagPack lists its tags under \"tags:\"")}
	}
	return header, flow, nil
}

// field is one scalar field value with its line.
type field struct {
	value string
	line  int
}

// collectFields copies the tag fields of a mapping node into into.
func collectFields(file string, base int, node *yaml.Node, into map[string]field) error {
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		name := k.Value
		known := false
		for _, f := range tagFields {
			known = known || f == name
		}
		if !known {
			continue
		}
		line := base + v.Line - 1
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if name == "concepts" && v.Kind == yaml.SequenceNode {
			// Newer packs list concepts; they stand in for a missing category.
			var cs []string
			for _, c := range v.Content {
				if c.Kind != yaml.ScalarNode {
					return &InputError{File: file, Line: base + c.Line - 1, Field: name, Err: errors.New("want a list of names")}
				}
				cs = append(cs, c.Value)
			}
			into[name] = field{value: strings.Join(cs, ","), line: line}
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return &InputError{File: file, Line: line, Field: name, Err: errors.New("want a single value")}
		}
		if v.Tag == "!!null" {
			continue
		}
		into[name] = field{value: v.Value, line: line}
	}
	return nil
}

// decodeYAML decodes one YAML fragment that starts at line base of file,
// reporting errors at their line in the file.
func decodeYAML(file string, base int, b []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		last := base + max(bytes.Count(bytes.TrimRight(b, "\n"), []byte("\n")), 0)
		return nil, yamlError(file, base, last, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &InputError{File: file, Line: base, Err: errors.New("empty YAML")}
	}
	return doc.Content[0], nil
}

// yamlError turns "yaml: line N: msg" into an InputError at base+N-1 (at
// most last, the fragment's last line: the end of the stream is reported on
// the line after it).
func yamlError(file string, base, last int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := base
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line = min(base+n-1, last)
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &InputError{File: file, Line: line, Err: fmt.Errorf("malformed YAML: %s", msg)}
}

// decodeTagItem decodes one "- address: …" item starting at line base.
func decodeTagItem(file string, base int, b []byte, header map[string]field, emit func(record) error) error {
	node, err := decodeYAML(file, base, b)
	if err != nil {
		return err
	}
	if node.Kind != yaml.SequenceNode || len(node.Content) != 1 {
		return &InputError{File: file, Line: base, Err: errors.New("want one tag")}
	}
	return emitTag(file, base, node.Content[0], header, emit)
}

// emitTag merges a tag mapping node over the header and emits it.
func emitTag(file string, base int, tag *yaml.Node, header map[string]field, emit func(record) error) error {
	line := base + tag.Line - 1
	if tag.Kind != yaml.MappingNode {
		return &InputError{File: file, Line: line, Err: errors.New("a tag is a mapping (address: …, label: …)")}
	}
	own := map[string]field{}
	if err := collectFields(file, base, tag, own); err != nil {
		return err
	}
	get := func(name string) field {
		if f, ok := own[name]; ok {
			return f
		}
		return header[name]
	}
	rec := record{line: line, address: get("address").value, label: get("label").value,
		category: get("category").value, abuse: get("abuse").value, source: get("source").value,
		confidence: get("confidence").value, actor: get("actor").value, currency: get("currency").value}
	if rec.currency == "" {
		rec.currency = get("network").value
	}
	if rec.category == "" {
		rec.category = conceptCategory(get("concepts").value)
	}
	if f := get("is_cluster_definer"); f.value != "" {
		b, err := strconv.ParseBool(f.value)
		if err != nil {
			return &InputError{File: file, Line: f.line, Field: "is_cluster_definer", Err: fmt.Errorf("%q: want true or false", f.value)}
		}
		rec.clusterDefiner = b
	}
	if _, ok := own["address"]; !ok {
		return &InputError{File: file, Line: line, Field: "address", Err: errors.New("missing in tag")}
	}
	return emit(rec)
}

// readWholeTagPack decodes a pack whose tags are in flow style in one piece.
func readWholeTagPack(file string, r io.Reader, header map[string]field, emit func(record) error) (int, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxWholePack+1))
	if err != nil {
		return 0, err
	}
	if len(b) > maxWholePack {
		return 0, &InputError{File: file, Err: fmt.Errorf("pack of more than %d MB with flow-style tags (\"tags: [...]\"): write the tags as a block list (\"- address: …\" lines) so it can be streamed", maxWholePack>>20)}
	}
	node, err := decodeYAML(file, 1, b)
	if err != nil {
		return 0, err
	}
	n := 0
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].Value != "tags" {
			continue
		}
		seq := node.Content[i+1]
		if seq.Kind != yaml.SequenceNode {
			return 0, &InputError{File: file, Line: seq.Line, Field: "tags", Err: errors.New("want a list of tags")}
		}
		for _, t := range seq.Content {
			n++
			if err := emitTag(file, 1, t, header, emit); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// conceptCategory picks, from a pack's comma-joined concepts, the first that
// maps to a specific category ("" when none does, or none is known).
func conceptCategory(concepts string) string {
	for _, c := range strings.Split(concepts, ",") {
		if m, err := MapCategory(c, ""); err == nil && m != Other {
			return strings.TrimSpace(c)
		}
	}
	return ""
}
