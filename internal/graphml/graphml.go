// Package graphml writes directed graphs as GraphML (Gephi, yEd, Maltego):
// declared data keys, nodes and edges carrying key/value data.
package graphml

import (
	"encoding/xml"
	"io"
)

// Key declares a data key: its id, what it is for ("node" or "edge"), its
// attribute name and type ("string", "long", …).
type Key struct {
	ID   string `xml:"id,attr"`
	For  string `xml:"for,attr"`
	Name string `xml:"attr.name,attr"`
	Type string `xml:"attr.type,attr"`
}

// Data is one value of a node or edge, by key id.
type Data struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

// Node is a node with its data.
type Node struct {
	ID   string `xml:"id,attr"`
	Data []Data `xml:"data"`
}

// Edge is a directed edge with its data.
type Edge struct {
	Source string `xml:"source,attr"`
	Target string `xml:"target,attr"`
	Data   []Data `xml:"data"`
}

// Graph is a directed graph with the keys its data uses.
type Graph struct {
	ID    string
	Keys  []Key
	Nodes []Node
	Edges []Edge
}

type graph struct {
	ID          string `xml:"id,attr"`
	EdgeDefault string `xml:"edgedefault,attr"`
	Nodes       []Node `xml:"node"`
	Edges       []Edge `xml:"edge"`
}

type doc struct {
	XMLName xml.Name `xml:"graphml"`
	NS      string   `xml:"xmlns,attr"`
	Keys    []Key    `xml:"key"`
	Graph   graph    `xml:"graph"`
}

// Write writes g as an indented GraphML document.
func Write(w io.Writer, g Graph) error {
	d := doc{NS: "http://graphml.graphdrawing.org/xmlns", Keys: g.Keys,
		Graph: graph{ID: g.ID, EdgeDefault: "directed", Nodes: g.Nodes, Edges: g.Edges}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
