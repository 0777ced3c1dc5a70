// Package labels attributes Bitcoin addresses: who controls an address
// (an exchange, a mixer, a thief), with provenance. Labels are imported from
// GraphSense TagPacks (YAML), CSV and STIX 2.1 bundles into the SQL store
// (internal/store), mapped onto one category vocabulary (Categories), and
// read back per address or in batches; addresses on the sanctions lists in
// force are labels too, read from the sanctions store at look-up time.
//
// Other packages use Store.Lookup for batches and Store.Snapshot (an
// in-memory map by address key) in hot loops; IsService tells the cluster
// guard and trace stops which categories are services. See docs/labels.md.
package labels
